# syntax=docker/dockerfile:1
# NIJA's image: the admin panel and the traders' app's web export are built in Node stages, the
# platform (with its migrations and those built assets) becomes a wheel, and the runtime stage
# installs that wheel into a venv and runs `nija run` as an unprivileged user.
#
#   docker build -t ghcr.io/nija/nija:0.1.0 .
#   docker run -p 8000:8000 ghcr.io/nija/nija:0.1.0     # embedded defaults, like `make run`
#
# Under Nomad the job passes the arguments (`run --host 0.0.0.0 --port 8000`) and the NIJA_*
# settings; see nomad/README.md.

FROM node:20.19.4-bookworm-slim AS admin
WORKDIR /src/admin
COPY admin/package.json admin/package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY admin/ ./
RUN npm run build

FROM node:20.19.4-bookworm-slim AS mobile
ENV CI=1 EXPO_NO_TELEMETRY=1
WORKDIR /src/mobile
COPY mobile/package.json mobile/package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY mobile/ ./
# build:web is the export laid out as the platform serves it (mobile/scripts/web-layout.mjs).
RUN npm run build:web

FROM python:3.11.13-slim-bookworm AS wheels
ENV PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /src
COPY pyproject.toml setup.py README.md app.py ./
COPY modules/ ./modules/
COPY migrations/ ./migrations/
# setup.py copies these into the wheel as modules/kernel/web/{admin,mobile}.
COPY --from=admin /src/admin/dist ./admin/dist
COPY --from=mobile /src/mobile/dist ./mobile/dist
# The platform's wheel and a wheel of every dependency, so the runtime stage installs offline.
RUN pip wheel --no-cache-dir --wheel-dir /wheels .

FROM python:3.11.13-slim-bookworm AS runtime
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PATH=/opt/nija/bin:$PATH \
    NIJA_DATA_DIR=/var/lib/nija/data
RUN groupadd --system --gid 10001 nija \
    && useradd --system --uid 10001 --gid nija --home-dir /var/lib/nija --create-home \
       --shell /usr/sbin/nologin nija
COPY --from=wheels /wheels /wheels
RUN python -m venv /opt/nija \
    && /opt/nija/bin/pip install --no-cache-dir --no-index --find-links=/wheels /wheels/nija-*.whl \
    && rm -rf /wheels
USER 10001:10001
WORKDIR /var/lib/nija
EXPOSE 8000
HEALTHCHECK --interval=10s --timeout=3s --start-period=60s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/health', timeout=2)"]
ENTRYPOINT ["nija"]
CMD ["run", "--host", "0.0.0.0", "--port", "8000"]
