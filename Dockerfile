# The production image: one image, run as api, worker or migrate by its command.

# The staff console, built from its lockfile; only the built files reach the image.
FROM node:22.12.0-bookworm-slim AS console
WORKDIR /console
COPY console/package.json console/package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY console/ ./
RUN npx --no-install vite build

FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 BITCART_DATA_DIR=/data \
    BITCART_CONSOLE_DIR=/srv/console
WORKDIR /srv
COPY pyproject.toml README.md ./
COPY app ./app
COPY migrations ./migrations
COPY --from=console /console/dist /srv/console
RUN pip install --no-cache-dir . && useradd --system --home /srv bitcart && mkdir -p /data && chown bitcart /data
USER bitcart
EXPOSE 8000
# ready only when the database and Redis answer (the worker's compose service checks itself)
HEALTHCHECK --interval=10s --timeout=5s --retries=3 \
  CMD python -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/readyz', timeout=3)"
CMD ["bitcart-orders", "serve", "--host", "0.0.0.0", "--port", "8000", "--skip-migrate"]
