#!/usr/bin/env bash
# Install the Label Studio server into its own virtual environment (outside the repo, so CI runs on this
# machine reuse it), then build a migrated, user-less data-dir template next to it so test servers start in
# seconds by copying the template instead of running ~400 migrations (~1 min) each time.
#
# Idempotent: skips the install when the venv already has label-studio $LS_VERSION, and skips the template
# when its marker file exists. (`label-studio --version` is not used as the probe: it boots Django, migrates a
# database under ~/.local/share and asks pypi.org for the latest version.)
#
#   SURVNEWS_LS_VENV      venv path (default: $HOME/.cache/survnews/label-studio-venv)
#   SURVNEWS_LS_TEMPLATE  template data dir (default: <venv>-template)
#   SURVNEWS_LS_PYTHON    interpreter for the venv (default: python3.11, else python3)
set -euo pipefail

LS_VERSION="1.23.2"
VENV="${SURVNEWS_LS_VENV:-$HOME/.cache/survnews/label-studio-venv}"
TEMPLATE="${SURVNEWS_LS_TEMPLATE:-${VENV}-template}"
PY="${SURVNEWS_LS_PYTHON:-$(command -v python3.11 || command -v python3)}"

# Settings are also read from plain HOST/PORT/USERNAME/PASSWORD: keep them out of the server's way.
unset HOST PORT USERNAME PASSWORD || true

installed_version() {
    "$VENV/bin/python" -c 'import importlib.metadata as m; print(m.version("label-studio"))' 2>/dev/null || true
}

if [ "$(installed_version)" = "$LS_VERSION" ] && [ -x "$VENV/bin/label-studio" ]; then
    echo "label-studio $LS_VERSION already installed in $VENV"
else
    echo "installing label-studio==$LS_VERSION into $VENV (about 3 minutes)"
    rm -rf "$VENV"
    mkdir -p "$(dirname "$VENV")"
    "$PY" -m venv "$VENV"
    # pip.conf on some machines names find-links folders that do not exist: drop those warnings only
    "$VENV/bin/pip" install --quiet --disable-pip-version-check "label-studio==$LS_VERSION" 2>&1 \
        | { grep -v "is ignored: it is neither a file nor a directory" || true; }
    if [ "$(installed_version)" != "$LS_VERSION" ]; then
        echo "label-studio $LS_VERSION did not install into $VENV" >&2
        exit 1
    fi
fi

# the marker holds the version that migrated the template: a different server version needs a new one
if [ "$(cat "$TEMPLATE/.survnews-template-ok" 2>/dev/null)" = "$LS_VERSION" ]; then
    echo "data-dir template ready at $TEMPLATE"
    exit 0
fi

echo "migrating a data-dir template at $TEMPLATE (about 1 minute)"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
mkdir -p "$WORK/home" "$WORK/data"
env HOME="$WORK/home" \
    LABEL_STUDIO_BASE_DATA_DIR="$WORK/data" \
    LABEL_STUDIO_ENABLE_LEGACY_API_TOKEN=true \
    LATEST_VERSION_CHECK=false SENTRY_DSN= FRONTEND_SENTRY_DSN= COLLECT_ANALYTICS=false \
    "$VENV/bin/label-studio" init -q --no-browser >"$WORK/init.log" 2>&1 || {
        echo "label-studio init failed; log:" >&2
        tail -n 30 "$WORK/init.log" >&2
        exit 1
    }
rm -rf "$TEMPLATE"
mkdir -p "$(dirname "$TEMPLATE")"
cp -a "$WORK/data" "$TEMPLATE"
echo "$LS_VERSION" > "$TEMPLATE/.survnews-template-ok"
echo "data-dir template ready at $TEMPLATE"
