"""Configuration: ``survnews.toml`` validated by pydantic, with defaults for the embedded sample corpus.

Every section forbids unknown keys, so a typo is a clear error (exit code 2) rather than a silent default.
"""

from __future__ import annotations

import tomllib
from datetime import date
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from pipeline.annotate.config import LabelStudioSettings
from pipeline.errors import ConfigError, first_validation_error
from pipeline.fetch import CrawlSettings

DEFAULT_CONFIG_NAME = "survnews.toml"


class Section(BaseModel):
    model_config = ConfigDict(extra="forbid")


class StoreSettings(Section):
    path: Path = Path("corpus/build/survnews.sqlite")


class IngestSettings(Section):
    paths: list[Path] = Field(default_factory=lambda: [Path("corpus/samples")])
    max_bytes: int = Field(default=10_000_000, gt=0, description="larger inputs are rejected unread")
    extract_timeout_s: float = Field(default=20.0, gt=0, description="per-document extraction time limit")


class TaggerSettings(Section):
    # "survnews_base" is the pipeline this project trains and ships; any installed spaCy pipeline name or
    # path works too (its PERSON/ORG/NORP/GPE/LOC/FAC labels are mapped); "blank" means rules only.
    model: str = "survnews_base"
    batch_size: int = Field(default=32, gt=0)
    n_process: int = Field(default=1, gt=0)


class RelevanceSettings(Section):
    threshold: float = Field(default=0.3, ge=0.0, le=1.0)


class DedupSettings(Section):
    near_duplicate_threshold: float = Field(default=0.8, gt=0.0, le=1.0)
    num_perm: int = Field(default=128, gt=0)


class PublishSettings(Section):
    out: Path = Path("corpus/releases")
    name: str = "survnews"
    pretty_name: str = "survnews: news reporting on digital surveillance"
    license: str = "other"
    shard_rows: int = Field(default=10_000, gt=0)


class PrefilterSettings(Section):
    """Checks on each WARC record before it is stored or extracted (Common Crawl news: most pages are not ours)."""

    enabled: bool = False
    allow_domains: list[str] = Field(default_factory=list, description="only these hosts (and subdomains)")
    deny_domains: list[str] = Field(default_factory=list, description="never these hosts (and subdomains)")
    since: date | None = Field(default=None, description="crawled on or after (WARC-Date)")
    until: date | None = Field(default=None, description="crawled on or before (WARC-Date)")
    languages: list[str] = Field(default_factory=list, description="declared page language (<html lang>)")
    keywords: bool = Field(default=True, description="a taxonomy term or strong context word in the raw HTML")
    keywords_context: bool = Field(default=True, description="strong context words count (false: technology terms)")
    keep_warc_bytes: bool = Field(default=False, description="copy WARC records into the store too")


class RunnerSettings(Section):
    # local: worker processes on this machine; ray: a Ray cluster (``address``; none starts one locally)
    backend: Literal["local", "ray"] = "local"
    workers: int | None = Field(default=None, ge=0, description="worker processes (default: one per core)")
    address: str | None = None


class Settings(Section):
    store: StoreSettings = Field(default_factory=StoreSettings)
    ingest: IngestSettings = Field(default_factory=IngestSettings)
    tagger: TaggerSettings = Field(default_factory=TaggerSettings)
    relevance: RelevanceSettings = Field(default_factory=RelevanceSettings)
    dedup: DedupSettings = Field(default_factory=DedupSettings)
    publish: PublishSettings = Field(default_factory=PublishSettings)
    crawl: CrawlSettings = Field(default_factory=CrawlSettings)
    annotate: LabelStudioSettings = Field(default_factory=LabelStudioSettings)
    sources: list[dict[str, Any]] = Field(default_factory=list)
    runner: RunnerSettings = Field(default_factory=RunnerSettings)
    prefilter: PrefilterSettings = Field(default_factory=PrefilterSettings)


def load_settings(path: str | Path | None = None) -> Settings:
    """Read settings from ``path``, or ``./survnews.toml`` if present, else defaults.

    Relative paths in the file are resolved against the file's folder, so a config works from any cwd.
    """
    explicit = path is not None
    config_path = Path(path) if path is not None else Path(DEFAULT_CONFIG_NAME)
    if not config_path.exists():
        if explicit:
            raise ConfigError(f"{config_path}: config file not found")
        return Settings()
    try:
        data = tomllib.loads(config_path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{config_path}: not valid TOML: {exc}") from exc
    try:
        settings = Settings.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(f"{config_path}: {first_validation_error(exc)}") from exc
    return _resolve_paths(settings, config_path.resolve().parent)


def _resolve_paths(settings: Settings, base: Path) -> Settings:
    def fix(p: Path) -> Path:
        return p if p.is_absolute() else base / p

    settings.store.path = fix(settings.store.path)
    settings.ingest.paths = [fix(p) for p in settings.ingest.paths]
    settings.publish.out = fix(settings.publish.out)
    if settings.crawl.warc_dir is not None:
        settings.crawl.warc_dir = fix(settings.crawl.warc_dir)
    if settings.crawl.sources_file is not None:
        settings.crawl.sources_file = fix(settings.crawl.sources_file)
    return settings
