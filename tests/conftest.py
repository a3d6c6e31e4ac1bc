"""Shared fixtures: isolated settings (store and release folder in tmp_path) and paths to shared data."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from pipeline.config import Settings

if TYPE_CHECKING:
    from spacy.language import Language

PROJECT_ROOT = Path(__file__).resolve().parents[1]
SAMPLES = PROJECT_ROOT / "corpus" / "samples"
SHARED = PROJECT_ROOT.parent / "shared"
SEEDS = SHARED / "seeds"


def shared_or_skip(*parts: str) -> Path:
    """A path under ../shared, or skip the test saying what is missing."""
    path = SHARED.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"needs {path} (the ../shared folder beside the project), which is absent")
    return path


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """Defaults, with the store and the release folder inside tmp_path, rules-only tagger for speed."""
    s = Settings()
    s.store.path = tmp_path / "store.sqlite"
    s.publish.out = tmp_path / "releases"
    s.ingest.paths = [SAMPLES]
    return s


@pytest.fixture(scope="module")
def parsed_nlp() -> Language:
    """The shipped tagger with its parser (the event tests' pipeline); skips when the parser is not built."""
    from pipeline.tag import load_tagger, syntax_model_path

    if not (syntax_model_path() / "config.cfg").is_file():
        pytest.skip(f"{syntax_model_path()} is absent: run `survnews train base` to build the parser")
    nlp = load_tagger("survnews_base")
    if "survnews_syntax" not in nlp.pipe_names:
        pytest.skip("survnews_base is absent: the parser is added to it")
    return nlp
