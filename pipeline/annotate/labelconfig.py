"""The labeling config (``schemas/labelstudio.xml``): the tag names this package reads and writes, and the
values each control accepts, read with the SDK's own parser so our checks match what the server will accept."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import pycountry

from pipeline.errors import ConfigError
from pipeline.records import ENTITY_LABELS, EVENT_RELATIONS

TEXT = "text"  # the <Text> object the spans live on
SPANS = "label"  # <Labels>
ACTOR_TYPE = "actor_type"  # per-region attribute of ACTOR spans (a second <Labels>, or per-region <Choices>)
TECHNOLOGY_CATEGORY = "technology_category"  # per-region attribute of TECHNOLOGY spans
COUNTRY = "country"  # per-region <Choices> of LOCATION spans; its options come from the task ($countries)
PRIVATE_PERSON = "private_person"  # per-region <Choices> of ACTOR spans: "yes" when checked
RELEVANT = "relevant"  # document <Choices>: yes / no
CATEGORY = "category"  # document <Choices>: main surveillance category
NOTES = "notes"  # document <TextArea>
RELATIONS: tuple[str, ...] = EVENT_RELATIONS
COUNTRY_OPTIONS = "countries"  # task data key of the dynamic country choices

# which per-region attribute belongs to which span label, and the Entity field it fills
ATTRIBUTES: dict[str, tuple[str, str]] = {
    ACTOR_TYPE: ("ACTOR", "actor_type"),
    TECHNOLOGY_CATEGORY: ("TECHNOLOGY", "category"),
    COUNTRY: ("LOCATION", "country"),
    PRIVATE_PERSON: ("ACTOR", "private_person"),
}
_REQUIRED = (SPANS, ACTOR_TYPE, TECHNOLOGY_CATEGORY, COUNTRY, RELEVANT, CATEGORY, NOTES)
ISO_COUNTRIES = frozenset(c.alpha_2 for c in pycountry.countries)


@dataclass(frozen=True)
class LabelConfig:
    xml: str
    choices: dict[str, frozenset[str]]  # control name → stored values (aliases where given)
    kinds: dict[str, str]  # control name → result type it writes ("labels", "choices", "textarea")

    def allows(self, control: str, value: str | None) -> bool:
        if value is None:
            return False
        if control == COUNTRY and not self.choices.get(control):
            return value in ISO_COUNTRIES  # dynamic options: every ISO 3166-1 code is offered
        return value in self.choices.get(control, frozenset())

    def kind(self, control: str) -> str:
        return self.kinds.get(control, "choices")


def country_options(first: list[str]) -> list[dict[str, str]]:
    """The ``$countries`` task field: the article's own countries first (marked), then every ISO country."""
    names = {c.alpha_2: c.name for c in pycountry.countries}
    head = [code for code in dict.fromkeys(first) if code in names]
    rest = sorted((code for code in names if code not in head), key=lambda code: names[code])
    return [{"value": f"{names[code]} (in this article)", "alias": code} for code in head] + [
        {"value": names[code], "alias": code} for code in rest
    ]


@lru_cache(maxsize=8)
def _load(path: Path, mtime: float) -> LabelConfig:
    try:
        xml = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read the labeling config: {exc.strerror}") from exc
    return parse_label_config(xml, str(path))


def parse_label_config(xml: str, where: str = "labeling config") -> LabelConfig:
    from label_studio_sdk.label_interface import LabelInterface  # slow to import: only when needed

    try:
        interface = LabelInterface(xml)
    except Exception as exc:  # the SDK raises several parser exception types
        raise ConfigError(f"{where}: not a valid labeling config: {str(exc).splitlines()[0][:200]}") from exc
    names = {control.name for control in interface.controls}
    missing = [name for name in _REQUIRED if name not in names]
    if missing:
        raise ConfigError(f"{where}: labeling config lacks control(s) {', '.join(missing)}")
    choices = {
        control.name: frozenset(str(v) for v in (getattr(control, "labels", None) or []))
        for control in interface.controls
    }
    kinds: dict[str, Any] = {control.name: str(control.tag).lower() for control in interface.controls}
    if not set(ENTITY_LABELS) <= choices[SPANS]:
        raise ConfigError(f"{where}: <Labels name={SPANS!r}> must offer {', '.join(ENTITY_LABELS)}")
    return LabelConfig(xml=xml, choices=choices, kinds=kinds)


def load_label_config(path: Path) -> LabelConfig:
    try:
        mtime = path.stat().st_mtime
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read the labeling config: {exc.strerror}") from exc
    return _load(path.resolve(), mtime)


REVIEW_PANEL = """  <View style="background: #FFF4E5; padding: 8px; border-left: 4px solid #E76F51;">
    <Header value="Review: the annotators disagree on the items below" size="5"/>
    <Text name="dispute" value="$dispute"/>
    <Header value="Each annotator's version is a prediction tab above; correct the merged version and submit."
            size="6"/>
  </View>
"""


def review_config_xml(xml: str) -> str:
    """The project config for reviewers: the annotators' config with a panel listing the disagreements."""
    anchor = '<Text name="meta" value="$meta"/>'
    if anchor not in xml:
        raise ConfigError('labeling config: no <Text name="meta"> to place the review panel after')
    return xml.replace(anchor, anchor + "\n" + REVIEW_PANEL.rstrip("\n"), 1)
