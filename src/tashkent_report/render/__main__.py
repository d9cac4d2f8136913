from tashkent_report.render.pipeline import run

raise SystemExit(run())  # python -m tashkent_report.render: build the report
