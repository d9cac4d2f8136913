"""Building the report: executing the notebooks, rendering HTML and PDF, publishing reports/."""
