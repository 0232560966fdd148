FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1
WORKDIR /app

COPY pyproject.toml ./
COPY config ./config
COPY tenants ./tenants
COPY tickets ./tickets
COPY knowledge_base ./knowledge_base
COPY notifications ./notifications
COPY integrations ./integrations
COPY templates ./templates
COPY scripts ./scripts
COPY manage.py ./

RUN pip install . && useradd --create-home app && \
    SECRET_KEY=collectstatic-only FIELD_ENCRYPTION_KEYS=unused-at-build-time \
    DJANGO_SETTINGS_MODULE=config.settings.base \
    python manage.py collectstatic --noinput
USER app
EXPOSE 8000
CMD ["gunicorn", "config.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "4"]
