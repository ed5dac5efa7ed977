FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1
RUN apt-get update && apt-get install -y --no-install-recommends gettext curl \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY pyproject.toml README.md ./
COPY config ./config
COPY questionnaires ./questionnaires
COPY survey ./survey
COPY analysis ./analysis
RUN pip install .
COPY . .
RUN HAILONG_ALLOW_DEV_KEY=1 python manage.py collectstatic --noinput \
    && HAILONG_ALLOW_DEV_KEY=1 python manage.py compilemessages --ignore=.venv
RUN useradd --create-home hailong && chown -R hailong /app
USER hailong
EXPOSE 8000
CMD ["gunicorn", "config.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "3", "--access-logfile", "-"]
