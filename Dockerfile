# One image for the web app (gunicorn; the default command) and the Celery workers
# (docker-compose.yml gives them their command). Settings come from the environment (.env).
FROM python:3.13-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /app

# The dependencies in a layer of their own, so a code change does not reinstall them: a stub
# package lets pip build the project from pyproject.toml alone; the real code replaces it below.
COPY pyproject.toml ./
RUN mkdir annotator && touch annotator/__init__.py \
    && pip install . \
    && rm -rf annotator build annotator.egg-info

COPY . .
# Editable, so that settings find templates/ and static/ beside the package (BASE_DIR = /app).
# Static files are collected (hashed and compressed, for WhiteNoise) once, here, at build time.
RUN pip install --no-deps -e . \
    && DEBUG=0 SECRET_KEY=collectstatic-only-not-used-at-run-time \
       python manage.py collectstatic --noinput \
    && useradd --system --uid 1000 --user-group --home-dir /app --no-create-home annotator \
    && mkdir -p /data/media /data/models \
    && chown -R annotator:annotator /data

# Uploads waiting for a worker and trained models: a volume that web and workers share.
ENV MEDIA_ROOT=/data/media \
    MODEL_ROOT=/data/models
USER annotator
EXPOSE 8000
# Bind address, workers, timeouts and logs: gunicorn.conf.py.
CMD ["gunicorn", "annotator.wsgi"]
