# citedesk: the Telegram bot (`citedesk bot`) or the feed/folder worker (`citedesk worker`).
# compose.yaml runs both against a Chroma server; see "Deploying with Docker" in README.md.
FROM python:3.11-slim

# Keep in step with scripts/setup.sh (tests/test_packaging.py checks).
ARG TORCH_VERSION=2.13.0

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    HF_HUB_OFFLINE=1 \
    TRANSFORMERS_OFFLINE=1 \
    ANONYMIZED_TELEMETRY=False \
    CITEDESK_DATA_DIR=/data

# The CPU build of torch first, from the index that has only CPU builds: otherwise the package's
# dependencies pull in the CUDA build and several GB of GPU libraries.
RUN pip install --index-url https://download.pytorch.org/whl/cpu "torch==${TORCH_VERSION}"

# The package (with its sample corpus and the bundled embedding model) from a copy of the sources
# that is removed again; the image keeps only the installed package and the embedding model
# exported to ONNX (under /usr/local/share/citedesk/onnx), so no question waits for the export.
COPY pyproject.toml README.md LICENSE /tmp/citedesk/
COPY citedesk /tmp/citedesk/citedesk
RUN pip install /tmp/citedesk \
    && rm -rf /tmp/citedesk \
    && python -m citedesk.vectorstore.export

RUN useradd --create-home --uid 10001 --shell /usr/sbin/nologin citedesk \
    && mkdir -p /data \
    && chown citedesk:citedesk /data
USER 10001:10001
WORKDIR /home/citedesk
VOLUME ["/data"]

# Healthy when the store is reachable: the Chroma server's heartbeat answers (CHROMA_URL), or,
# with an embedded store, the data folder is writable. Only the standard library: a check must
# not pay for importing torch.
HEALTHCHECK --interval=60s --timeout=10s --start-period=120s --retries=3 \
    CMD ["python", "-c", "import os, sys, urllib.request; url = os.environ.get('CHROMA_URL', '').rstrip('/'); sys.exit(0 if (urllib.request.urlopen(url + '/api/v2/heartbeat', timeout=5).status == 200 if url else os.access(os.environ['CITEDESK_DATA_DIR'], os.W_OK)) else 1)"]

ENTRYPOINT ["citedesk"]
CMD ["bot"]
