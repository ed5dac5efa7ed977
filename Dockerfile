FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1
# Pango and DejaVu fonts for WeasyPrint's PDF reports (reports/pdf.py).
RUN apt-get update && apt-get install -y --no-install-recommends gettext curl \
    libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-dejavu-core fontconfig \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /app
# Dependencies first (pinned by constraints.txt), so code changes reuse this layer.
COPY pyproject.toml constraints.txt ./
RUN python -c "import tomllib; print('\n'.join(tomllib.load(open('pyproject.toml', 'rb'))['project']['dependencies']))" > /tmp/requirements.txt \
    && pip install -c constraints.txt -r /tmp/requirements.txt
COPY . .
RUN HAILONG_ALLOW_DEV_KEY=1 python manage.py collectstatic --noinput \
    && HAILONG_ALLOW_DEV_KEY=1 python manage.py compilemessages --ignore=.venv
RUN useradd --create-home hailong && mkdir -p /app/media && chown -R hailong /app
USER hailong
EXPOSE 8000
CMD ["gunicorn", "-c", "config/gunicorn.py", "config.wsgi:application", "--access-logfile", "-"]
