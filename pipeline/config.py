"""Configuration: ``survnews.toml`` validated by pydantic, with defaults for the embedded sample corpus.

Every section forbids unknown keys, so a typo is a clear error (exit code 2) rather than a silent default.
"""

from __future__ import annotations

import json
import logging
import tomllib
from datetime import date
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from pipeline.annotate.config import LabelStudioSettings
from pipeline.crawl_settings import CrawlSettings
from pipeline.errors import ConfigError, first_validation_error
from pipeline.paths import SAMPLES_DIR

DEFAULT_CONFIG_NAME = "survnews.toml"
MAX_CONFIG_BYTES = 1_000_000
MAX_SECONDS = 86_400.0  # a day: longer limits are typos, and timers overflow on huge values
MAX_INPUT_BYTES = 2_000_000_000


LOCAL_SAMPLES = Path("corpus/samples")
LOG = logging.getLogger(__name__)
# Keys that older configs may still set: read no more, named in a warning (not an error: the run means the same)
REMOVED_KEYS: dict[tuple[str, str], str] = {
    ("tagger", "n_process"): "the tagger runs on the runner's workers: set [runner] workers (or --workers) instead",
}


def default_input_paths() -> list[Path]:
    """``corpus/samples`` of the working folder (the project folder), else the sample corpus the package carries."""
    if LOCAL_SAMPLES.exists() or not SAMPLES_DIR.exists():
        return [LOCAL_SAMPLES]
    return [SAMPLES_DIR]


class Section(BaseModel):
    # inf and nan pass "gt=0" but overflow every timer and loop they reach: a number must be a finite number
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)


class StoreSettings(Section):
    path: Path = Path("corpus/build/survnews.sqlite")


class IngestSettings(Section):
    paths: list[Path] = Field(default_factory=default_input_paths)
    max_bytes: int = Field(
        default=10_000_000, gt=0, le=MAX_INPUT_BYTES, description="larger inputs are rejected unread"
    )
    extract_timeout_s: float = Field(
        default=20.0, gt=0, le=MAX_SECONDS, description="per-document extraction time limit"
    )


class TaggerSettings(Section):
    # "survnews_base" is the pipeline this project trains and ships; any installed spaCy pipeline name or
    # path works too (its PERSON/ORG/NORP/GPE/LOC/FAC labels are mapped); "blank" means rules only.
    model: str = "survnews_base"
    batch_size: int = Field(default=32, gt=0, le=100_000)


class RelevanceSettings(Section):
    threshold: float = Field(default=0.3, ge=0.0, le=1.0)


class DedupSettings(Section):
    near_duplicate_threshold: float = Field(default=0.8, gt=0.0, le=1.0)
    num_perm: int = Field(default=128, gt=0, le=4096)


class PublishSettings(Section):
    out: Path = Path("corpus/releases")
    name: str = "survnews"
    pretty_name: str = "survnews: news reporting on digital surveillance"
    license: str = "other"
    shard_rows: int = Field(default=10_000, gt=0, le=10_000_000)
    # release mode: "pseudonymised" (text kept, private persons replaced), "standoff" (no text) or "full"
    mode: str = Field(default="pseudonymised", pattern="^(full|standoff|pseudonymised)$")
    force_full: bool = Field(default=False, description="publish full text even where a source's licence forbids it")
    repo_id: str | None = Field(default=None, description="Hub dataset id (owner/name) the card's examples load")
    scores: Path | None = Field(default=None, description="JSON written by `survnews evaluate --json`, for the card")
    # without `scores`, the card's scores are measured on this gold by `survnews evaluate` (cached per tagger)
    evaluate_gold: Path | None = Path("corpus/gold/samples.gold.jsonl")
    lock_timeout_s: float = Field(default=60.0, ge=0, description="how long a second publisher waits for the lock")


class LicenseSettings(Section):
    """One ``[[licenses]]`` entry: the licence of the articles of one domain or local folder."""

    domain: str | None = None  # matches the host of a record's URL and its subdomains
    path: str | None = None  # matches local files under this folder
    license: str  # an SPDX id ("CC-BY-4.0") or "all rights reserved"
    redistributable: bool | None = None  # default: False for "all rights reserved" / "unknown", else True

    @model_validator(mode="after")
    def _names_what(self) -> LicenseSettings:
        if (self.domain is None) == (self.path is None):
            raise ValueError("a [[licenses]] entry needs exactly one of domain or path")
        if not self.license.strip():
            raise ValueError("license must be an SPDX id or 'all rights reserved'")
        return self


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
    # the embedded sample corpus is the project's own writing, released under CC0
    licenses: list[LicenseSettings] = Field(
        default_factory=lambda: [LicenseSettings(path="corpus/samples", license="CC0-1.0")]
    )
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
    if config_path.is_dir():
        raise ConfigError(f"{config_path}: is a folder, not a config file")
    if not config_path.is_file():  # a named pipe or a device would block or never end
        raise ConfigError(f"{config_path}: not a regular file")
    try:
        with config_path.open("rb") as handle:
            raw = handle.read(MAX_CONFIG_BYTES + 1)
    except OSError as exc:
        raise ConfigError(f"{config_path}: config file cannot be read: {exc.strerror or exc}") from exc
    if len(raw) > MAX_CONFIG_BYTES:
        raise ConfigError(f"{config_path}: over {MAX_CONFIG_BYTES:,} bytes: not a config file")
    try:
        data = tomllib.loads(raw.decode("utf-8-sig"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError, RecursionError) as exc:
        raise ConfigError(f"{config_path}: not valid TOML: {' '.join(str(exc).split())}") from exc
    _drop_removed_keys(data, config_path)
    try:
        settings = Settings.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(f"{config_path}: {first_validation_error(exc)}") from exc
    return _resolve_paths(settings, config_path.resolve().parent)


def _drop_removed_keys(data: dict[str, Any], config_path: Path) -> None:
    for (section, key), instead in REMOVED_KEYS.items():
        values = data.get(section)
        if isinstance(values, dict) and key in values:
            del values[key]
            LOG.warning("%s: [%s] %s is no longer used and is ignored; %s", config_path, section, key, instead)


def _resolve_paths(settings: Settings, base: Path) -> Settings:
    def fix(p: Path) -> Path:
        return p if p.is_absolute() else base / p

    settings.store.path = fix(settings.store.path)
    settings.ingest.paths = [fix(p) for p in settings.ingest.paths]
    settings.publish.out = fix(settings.publish.out)
    if settings.publish.scores is not None:
        settings.publish.scores = fix(settings.publish.scores)
    if settings.publish.evaluate_gold is not None:
        settings.publish.evaluate_gold = fix(settings.publish.evaluate_gold)
    for rule in settings.licenses:
        if rule.path is not None:
            rule.path = str(fix(Path(rule.path)))
    if settings.crawl.warc_dir is not None:
        settings.crawl.warc_dir = fix(settings.crawl.warc_dir)
    if settings.crawl.sources_file is not None:
        settings.crawl.sources_file = fix(settings.crawl.sources_file)
    return settings


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        text = repr(value)
        return {"inf": "inf", "-inf": "-inf", "nan": "nan"}.get(text, text)
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{_toml_key(k)} = {_toml_value(v)}" for k, v in value.items() if v is not None) + " }"
    return json.dumps(str(value), ensure_ascii=False)  # a JSON string is a valid TOML basic string


def _toml_key(key: str) -> str:
    return key if key.replace("_", "").replace("-", "").isalnum() and key.isascii() else json.dumps(key)


def settings_to_toml(settings: Settings) -> str:
    """The settings as a TOML file that ``load_settings`` reads back to the same settings (secrets masked)."""
    data = settings.model_dump(mode="json")
    lines: list[str] = []
    # arrays of tables ([[sources]], [[licenses]]) go after the plain sections
    arrays = {key: data.pop(key) for key in [k for k, v in data.items() if isinstance(v, list)]}
    for section, values in data.items():
        lines.append(f"[{section}]")
        for key, value in values.items():
            if value is None:
                lines.append(f"# {key} is not set")
            else:
                lines.append(f"{_toml_key(key)} = {_toml_value(value)}")
        lines.append("")
    for name, entries in arrays.items():
        for entry in entries:
            lines.append(f"[[{name}]]")
            lines += [f"{_toml_key(k)} = {_toml_value(v)}" for k, v in entry.items() if v is not None]
            lines.append("")
    return "\n".join(lines)
