"""gunicorn settings shared by docker compose, the Dockerfile and benchmarks/ingest.py.

    gunicorn -c config/gunicorn.py config.wsgi:application

One process per core and a few threads in each (gthread): a submission or a
registration spends much of its time waiting for PostgreSQL to flush its commit, and
threads let a process overlap those waits instead of idling (measured on 2 cores:
submissions went from 0.28–0.30× of /healthz with 4 sync workers to 0.6× with 2 × 4
threads — benchmarks/README.md). WEB_WORKERS and WEB_THREADS override both.
"""

import os

bind = os.environ.get("WEB_BIND", "0.0.0.0:8000")
workers = int(os.environ.get("WEB_WORKERS", "0")) or (os.cpu_count() or 1)
threads = int(os.environ.get("WEB_THREADS", "4"))
worker_class = "gthread"
# A batch of 1,000 registrations is the longest request; well under this.
timeout = int(os.environ.get("WEB_TIMEOUT", "60"))
# Kiosks and one-stop-shop systems keep connections open between calls.
keepalive = 5
