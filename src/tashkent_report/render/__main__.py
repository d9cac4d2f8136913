"""``python -m tashkent_report.render``: build the report (see pipeline.py)."""

import sys

from tashkent_report.render.pipeline import _run

sys.exit(_run())
