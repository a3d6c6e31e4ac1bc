#!/usr/bin/env bash
# One-command setup on a fresh machine with Python 3.11 and access to PyPI:
#   bash setup.sh
# Creates .venv, installs survnews with its dependencies and the project's trained spaCy pipeline (shipped
# inside the package: nothing is downloaded at run time), and installs the Label Studio server into its own
# virtual environment (it pins its own dependencies). SURVNEWS_SKIP_LABEL_STUDIO=1 skips the server.
set -euo pipefail
cd "$(dirname "$0")"

PYTHON="${PYTHON:-python3.11}"
command -v "$PYTHON" >/dev/null 2>&1 || PYTHON=python3
"$PYTHON" - <<'PY'
import sys
if sys.version_info[:2] != (3, 11):
    sys.exit(f"survnews needs Python 3.11 (found {sys.version.split()[0]}); set PYTHON=/path/to/python3.11")
PY

if [ ! -x .venv/bin/python ]; then
    "$PYTHON" -m venv .venv
fi
.venv/bin/python -m pip install --quiet --upgrade pip
.venv/bin/python -m pip install --quiet -e ".[dev,ray]"

# The shipped base pipeline must load offline; fail the setup loudly if it does not.
.venv/bin/python -c "from pipeline.tag import load_tagger; nlp = load_tagger('survnews_base'); print('spaCy pipeline:', nlp.meta.get('name'), nlp.meta.get('version'), nlp.pipe_names)"

if [ "${SURVNEWS_SKIP_LABEL_STUDIO:-0}" != "1" ] && [ -f scripts/install_label_studio.sh ]; then
    bash scripts/install_label_studio.sh
fi
echo "survnews is set up: activate with 'source .venv/bin/activate', then run 'survnews run'."
