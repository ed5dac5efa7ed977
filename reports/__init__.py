"""Report jobs (built by Celery, with progress), WeasyPrint PDFs and accessible SVG charts.

How an app registers a report kind, draws charts and tests a PDF: see reports/README.md.
"""
