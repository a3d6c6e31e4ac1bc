"""Where the project's data files live.

``schemas/`` sits at the project root (the design card's layout); the package is installed editable by the
setup command, so it is found beside the package. ``SURVNEWS_SCHEMAS`` overrides it for other layouts.
"""

from __future__ import annotations

import os
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
PROJECT_ROOT = PACKAGE_DIR.parent
SCHEMAS_DIR = Path(os.environ.get("SURVNEWS_SCHEMAS", PROJECT_ROOT / "schemas"))
MODELS_DIR = PACKAGE_DIR / "models"
ARTICLE_SCHEMA = SCHEMAS_DIR / "article.schema.json"
