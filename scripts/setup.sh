#!/usr/bin/env bash
# Create .venv/ and install citedesk with its test tools. Safe to run again: it does nothing when
# pyproject.toml has not changed since the last successful install. pip's output goes to
# .venv/install.log and is shown only if the install fails.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
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
: >"$log"
install --upgrade pip
# The CPU build of torch first: anything that pulls torch in later would otherwise fetch the
# CUDA build and several GB of GPU libraries.
install "torch==2.13.0"
install -e ".[dev]"
echo "$want" > "$stamp"
