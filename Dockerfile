# syntax=docker/dockerfile:1
# Two stages: the locked dependencies and the project are installed into a venv in `build`; the runtime stage
# gets that venv, the Debian packages the service calls (Tesseract with its Japanese data, pg_dump/pg_restore for
# `intake backup`, the Japanese UI font, curl for health checks) and a non-root user. No compiler, no pip cache,
# no .git, no var/ (.dockerignore).
FROM python:3.11-slim-bookworm AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
RUN python -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH
WORKDIR /src
COPY requirements.lock ./
RUN pip install -r requirements.lock
COPY pyproject.toml README.md ./
COPY intake ./intake
COPY ocr ./ocr
COPY models ./models
COPY review_ui ./review_ui
RUN pip install --no-deps . && intake --help >/dev/null

FROM python:3.11-slim-bookworm
RUN apt-get update \
 && apt-get install -y --no-install-recommends tesseract-ocr tesseract-ocr-jpn tesseract-ocr-eng \
      fonts-ipaexfont-gothic postgresql-client curl tzdata \
 && rm -rf /var/lib/apt/lists/*
RUN groupadd --system --gid 10001 intake \
 && useradd --system --uid 10001 --gid intake --home-dir /data --shell /usr/sbin/nologin intake \
 && mkdir -p /data /audit /backups && chown intake:intake /data /audit /backups && chmod 0700 /data /audit /backups
COPY --from=build /opt/venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH OMP_THREAD_LIMIT=1 PYTHONUNBUFFERED=1 INTAKE_VAR_DIR=/data TZ=Asia/Tokyo
USER intake
WORKDIR /data
EXPOSE 8000 8501 9101
# liveness of any service in this image: the parts it needs answer (compose adds per-service checks)
HEALTHCHECK --interval=30s --timeout=10s --start-period=60s --retries=3 CMD ["intake", "ready"]
CMD ["intake", "serve", "--host", "0.0.0.0", "--port", "8000"]
