#!/usr/bin/env bash
# Run a Label Studio for annotators from the venv that scripts/install_label_studio.sh made.
# Binds 127.0.0.1 by default (set SURVNEWS_LS_BIND=0.0.0.0 to serve a team, behind HTTPS), keeps its data in
# SURVNEWS_LS_DATA, and never calls home. The first start of an empty data dir copies the migrated template
# (seconds instead of a minute) without its secret key, so this server signs sessions with its own.
#
# First start: set LABEL_STUDIO_USERNAME (an email) and LABEL_STUDIO_PASSWORD to create the admin, or sign up
# in the browser. The API key for `survnews annotate` is on the Account & Settings page; export it as
# LABEL_STUDIO_API_KEY together with LABEL_STUDIO_URL=http://127.0.0.1:8080.
#
#   SURVNEWS_LS_VENV  (default $HOME/.cache/survnews/label-studio-venv)
#   SURVNEWS_LS_DATA  (default $HOME/.local/share/survnews/label-studio)
#   SURVNEWS_LS_BIND  (default 127.0.0.1)   SURVNEWS_LS_PORT (default 8080)
set -euo pipefail

VENV="${SURVNEWS_LS_VENV:-$HOME/.cache/survnews/label-studio-venv}"
TEMPLATE="${SURVNEWS_LS_TEMPLATE:-${VENV}-template}"
DATA="${SURVNEWS_LS_DATA:-$HOME/.local/share/survnews/label-studio}"
BIND="${SURVNEWS_LS_BIND:-127.0.0.1}"
LS_PORT="${SURVNEWS_LS_PORT:-8080}"

if [ ! -x "$VENV/bin/label-studio" ]; then
    echo "no Label Studio in $VENV: run scripts/install_label_studio.sh first" >&2
    exit 1
fi
if [ ! -e "$DATA/label_studio.sqlite3" ] && [ -f "$TEMPLATE/.survnews-template-ok" ]; then
    mkdir -p "$(dirname "$DATA")"
    cp -a "$TEMPLATE" "$DATA"
    rm -f "$DATA/.survnews-template-ok" "$DATA/.env"
fi

# The server also reads plain HOST/PORT/USERNAME/PASSWORD: keep them out of its way.
unset HOST PORT USERNAME PASSWORD || true
export LABEL_STUDIO_BASE_DATA_DIR="$DATA"
export LABEL_STUDIO_ENABLE_LEGACY_API_TOKEN=true  # survnews sends "Authorization: Token ..."
export LATEST_VERSION_CHECK=false SENTRY_DSN= FRONTEND_SENTRY_DSN= COLLECT_ANALYTICS=false
exec "$VENV/bin/label-studio" start --no-browser --internal-host "$BIND" --port "$LS_PORT"
