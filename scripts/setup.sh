#!/usr/bin/env bash
# Create .venv/ and install citedesk with its test tools. Safe to run again: it does nothing when
# pyproject.toml has not changed since the last successful install. pip's output goes to
# .venv/install.log and is shown only if the install fails.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
# Keep in step with the Dockerfile's TORCH_VERSION (tests/test_packaging.py checks).
TORCH_VERSION=2.13.0
CPU_INDEX=https://download.pytorch.org/whl/cpu
stamp=.venv/.citedesk-installed
want=$(sha256sum pyproject.toml scripts/setup.sh | sha256sum | cut -c1-16)
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ] && [ -x .venv/bin/citedesk ]; then
  exit 0
fi
[ -x .venv/bin/python ] || "$PYTHON" -m venv .venv
log=.venv/install.log
install() {
  if ! .venv/bin/python -m pip install --quiet "$@" >>"$log" 2>&1; then
    cat "$log" >&2
    echo "setup failed: pip install $*" >&2
    exit 1
  fi
}
# True when the PyTorch CPU wheel index answers within 5 s (the whole probe, DNS included, is
# bounded, so an offline machine loses at most those seconds).
cpu_index_reachable() {
  local probe=(.venv/bin/python -c "import urllib.request; urllib.request.urlopen('$CPU_INDEX/torch/', timeout=5).close()")
  if command -v timeout >/dev/null; then
    timeout 6 "${probe[@]}" >/dev/null 2>&1
  else
    "${probe[@]}" >/dev/null 2>&1
  fi
}
installed_torch() {
  .venv/bin/python -c "import importlib.metadata as m; print(m.version('torch').split('+')[0])" 2>/dev/null || true
}
: >"$log"
install --upgrade pip
# The CPU build of torch first: anything that pulls torch in later would otherwise fetch the
# CUDA build and several GB of GPU libraries. The CPU index has only CPU builds; where it cannot
# be reached (a mirror or wheel folder instead), pip's own configuration supplies the wheel.
if [ "$(installed_torch)" != "$TORCH_VERSION" ]; then
  if cpu_index_reachable; then
    echo "torch: from $CPU_INDEX" >>"$log"
    install --index-url "$CPU_INDEX" "torch==$TORCH_VERSION"
  else
    echo "torch: $CPU_INDEX unreachable, plain install" >>"$log"
    install "torch==$TORCH_VERSION"
  fi
fi
install -e ".[dev]"
# Export the bundled embedding model to ONNX now rather than on the first question.
if ! HF_HUB_OFFLINE=1 .venv/bin/python -m citedesk.vectorstore.export >>"$log" 2>&1; then
  cat "$log" >&2
  echo "setup failed: exporting the embedding model to ONNX" >&2
  exit 1
fi
echo "$want" > "$stamp"
