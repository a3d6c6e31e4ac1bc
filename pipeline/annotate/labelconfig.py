"""The labeling config (``schemas/labelstudio.xml``): the tag names this package reads and writes, and the
values each choice accepts, read with the SDK's own parser so our checks match what the server will accept."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from pipeline.errors import ConfigError
from pipeline.records import ENTITY_LABELS

TEXT = "text"  # the <Text> object the spans live on
SPANS = "label"  # <Labels>
ACTOR_TYPE = "actor_type"  # per-region <Choices> for ACTOR spans
TECHNOLOGY_CATEGORY = "technology_category"  # per-region <Choices> for TECHNOLOGY spans
COUNTRY = "country"  # per-region <Choices> for LOCATION spans
RELEVANT = "relevant"  # document <Choices>: yes / no
CATEGORY = "category"  # document <Choices>: main surveillance category
NOTES = "notes"  # document <TextArea>
RELATIONS = ("uses", "targets")

# which per-region attribute belongs to which span label, and the Entity field it fills
ATTRIBUTES: dict[str, tuple[str, str]] = {
    ACTOR_TYPE: ("ACTOR", "actor_type"),
    TECHNOLOGY_CATEGORY: ("TECHNOLOGY", "category"),
    COUNTRY: ("LOCATION", "country"),
}
_REQUIRED = (SPANS, ACTOR_TYPE, TECHNOLOGY_CATEGORY, COUNTRY, RELEVANT, CATEGORY, NOTES)


@dataclass(frozen=True)
class LabelConfig:
    xml: str
    choices: dict[str, frozenset[str]]  # control name → stored values (aliases where given)

    def allows(self, control: str, value: str | None) -> bool:
        return value is not None and value in self.choices.get(control, frozenset())


@lru_cache(maxsize=8)
def _load(path: Path, mtime: float) -> LabelConfig:
    try:
        xml = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read the labeling config: {exc.strerror}") from exc
    from label_studio_sdk.label_interface import LabelInterface  # slow to import: only when needed

    try:
        interface = LabelInterface(xml)
    except Exception as exc:  # the SDK raises several parser exception types
        raise ConfigError(f"{path}: not a valid labeling config: {str(exc).splitlines()[0][:200]}") from exc
    names = {control.name for control in interface.controls}
    missing = [name for name in _REQUIRED if name not in names]
    if missing:
        raise ConfigError(f"{path}: labeling config lacks control(s) {', '.join(missing)}")
    choices = {
        control.name: frozenset(str(v) for v in (getattr(control, "labels", None) or []))
        for control in interface.controls
    }
    if not set(ENTITY_LABELS) <= choices[SPANS]:
        raise ConfigError(f"{path}: <Labels name={SPANS!r}> must offer {', '.join(ENTITY_LABELS)}")
    return LabelConfig(xml=xml, choices=choices)


def load_label_config(path: Path) -> LabelConfig:
    try:
        mtime = path.stat().st_mtime
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read the labeling config: {exc.strerror}") from exc
    return _load(path.resolve(), mtime)
