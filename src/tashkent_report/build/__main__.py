"""``python -m tashkent_report.build``: build the report (see pipeline.py)."""

import sys

from tashkent_report.build.pipeline import _run

sys.exit(_run())
