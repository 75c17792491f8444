#!/usr/bin/env bash
# Quick start: set up .venv/, ingest the bundled sample corpus, then run the Telegram bot if
# TELEGRAM_BOT_TOKEN is set (in the environment or .env), otherwise a chat in this terminal.
set -euo pipefail
cd "$(dirname "$0")"
echo "Setting up .venv/ (the first run downloads packages; later runs skip this)..." >&2
bash scripts/setup.sh
.venv/bin/citedesk ingest --sample
token=${TELEGRAM_BOT_TOKEN:-}
if [ -z "$token" ] && [ -f .env ]; then
  token=$(sed -n 's/^TELEGRAM_BOT_TOKEN=//p' .env | tail -n 1)
fi
if [ -n "$token" ]; then
  exec .venv/bin/citedesk bot
fi
exec .venv/bin/citedesk chat
