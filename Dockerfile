FROM python:3.12-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
WORKDIR /app
COPY pyproject.toml README.md ./
COPY lcoo lcoo
COPY members members
COPY meetings meetings
COPY joining joining
COPY agreements agreements
COPY templates templates
COPY static static
COPY manage.py ./
RUN pip install --no-cache-dir -e . \
    && DEBUG=0 SECRET_KEY=build-only-collectstatic-key-0123456789abcdefghijklmnopqrstuvwxyz \
       python manage.py collectstatic --no-input
RUN useradd --create-home portal
USER portal
EXPOSE 8000
