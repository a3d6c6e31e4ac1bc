"""Where the project's data files live.

``schemas/`` (rule files, record schema) and ``corpus/samples/`` (the embedded sample corpus) sit at the project
root. From a checkout or an editable install they are found there; a wheel carries them as data files installed
under ``<prefix>/share/survnews/`` (see ``[tool.setuptools.data-files]`` in pyproject.toml), found from the
package's own location, so ``pip install survnews`` works from any folder. ``SURVNEWS_SCHEMAS`` overrides the
schemas folder for other layouts.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

PACKAGE_DIR = Path(__file__).resolve().parent
PROJECT_ROOT = PACKAGE_DIR.parent


def installed_data_dirs() -> list[Path]:
    """Candidate ``share/survnews`` folders of an installed wheel: beside the package's prefix, then sys.prefix."""
    candidates: list[Path] = []
    # <prefix>/lib/python3.11/site-packages/pipeline -> <prefix>/share/survnews (venv, --prefix and --user alike)
    if len(PACKAGE_DIR.parents) > 3:
        candidates.append(PACKAGE_DIR.parents[3] / "share" / "survnews")
    candidates += [Path(sys.prefix) / "share" / "survnews", Path(sys.base_prefix) / "share" / "survnews"]
    return list(dict.fromkeys(candidates))


def data_dir(relative: str) -> Path:
    """``relative`` (e.g. "schemas") in the checkout if there, else in the installed data files, else the checkout
    path (so an error names where it was looked for)."""
    local = PROJECT_ROOT / relative
    if local.exists():
        return local
    for base in installed_data_dirs():
        if (base / relative).exists():
            return base / relative
    return local


SCHEMAS_DIR = Path(os.environ["SURVNEWS_SCHEMAS"]) if os.environ.get("SURVNEWS_SCHEMAS") else data_dir("schemas")
SAMPLES_DIR = data_dir("corpus/samples")
MODELS_DIR = PACKAGE_DIR / "models"
ARTICLE_SCHEMA = SCHEMAS_DIR / "article.schema.json"


def cache_dir(name: str) -> Path:
    """A folder of survnews' rebuildable caches (``$XDG_CACHE_HOME/survnews/<name>``, else ``~/.cache``)."""
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "survnews" / name


def read_json(path: Path) -> Any:
    """A UTF-8 JSON data file (rules, lexicons, taxonomy)."""
    return json.loads(path.read_text(encoding="utf-8"))
