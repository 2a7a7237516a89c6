# One image for every lecturecast process:
#   python -m gateway                 (default)
#   python -m agents
#   python -m transcoder
#   python infra/provision.py --demo  (one-shot: migrations, bucket, topics, demo tenant)
# Configuration comes only from the environment variables of config/settings.py.

# --- build: install the project and its dependencies into a venv ----------------------------
FROM python:3.11-slim-bookworm AS build

ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1
RUN python -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH

WORKDIR /src
# Dependencies first, read from pyproject.toml, so a code change doesn't reinstall them.
COPY pyproject.toml ./
RUN python -c "import tomllib; print('\n'.join(tomllib.load(open('pyproject.toml', 'rb'))['project']['dependencies']))" \
        > /tmp/requirements.txt \
    && pip install -r /tmp/requirements.txt

# Then the project itself (dependencies are already in place).
COPY . .
RUN pip install --no-deps . \
    && python -c "import gateway, agents, transcoder, storage, streams, config"

# --- runtime ---------------------------------------------------------------------------------
FROM python:3.11-slim-bookworm

# ffmpeg/ffprobe for the transcoder. The other processes don't use it, but one image is simpler.
RUN apt-get update \
    && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends ffmpeg \
    && rm -rf /var/lib/apt/lists/*

RUN groupadd --system --gid 10001 lecturecast \
    && useradd --system --uid 10001 --gid lecturecast --create-home --home-dir /home/lecturecast \
        --shell /usr/sbin/nologin lecturecast \
    && mkdir -p /var/lib/lecturecast/faust \
    && chown -R lecturecast:lecturecast /var/lib/lecturecast

COPY --from=build /opt/venv /opt/venv
WORKDIR /app
# infra/provision.py is a script, not part of the installed packages.
COPY infra/ ./infra/

ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1
# In a container the loopback default of GATEWAY_HOST (127.0.0.1) is unreachable from outside.
# AGENTS_DATA_DIR holds the Faust table stores: mount a volume there so that a restart doesn't
# rebuild them from their changelogs.
ENV GATEWAY_HOST=0.0.0.0 \
    GATEWAY_PORT=8080 \
    AGENTS_DATA_DIR=/var/lib/lecturecast/faust

USER lecturecast
EXPOSE 8080
CMD ["python", "-m", "gateway"]
