FROM python:3.12-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
WORKDIR /app
COPY pyproject.toml README.md constraints.txt ./
COPY lcoo lcoo
COPY members members
COPY meetings meetings
COPY joining joining
COPY agreements agreements
COPY templates templates
COPY static static
COPY manage.py ./
# The pinned versions (constraints.txt), installed as a package: no extras, not editable.
# Settings find templates/ and static/ beside the code in /app (BASE_DIR), and every
# command (manage.py, gunicorn, celery) runs from /app, so its copy of the apps is the one
# imported.
RUN pip install --no-cache-dir -c constraints.txt . \
    && DEBUG=0 SECRET_KEY=build-only-collectstatic-key-0123456789abcdefghijklmnopqrstuvwxyz \
       python manage.py collectstatic --no-input
# The portal never runs as root: it owns only what it writes, the uploaded attachments.
RUN useradd --create-home --uid 1000 portal \
    && mkdir -p /app/media \
    && chown -R portal:portal /app/media
# Uploads outlive the container: compose mounts a named volume here, on web and worker.
VOLUME ["/app/media"]
USER portal
EXPOSE 8000
