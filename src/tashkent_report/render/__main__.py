"""``python -m tashkent_report.render``: build the report (see pipeline.py)."""

from tashkent_report.render.pipeline import run

raise SystemExit(run())
