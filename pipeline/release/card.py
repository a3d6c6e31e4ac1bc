"""The dataset card (README.md) to the Hugging Face Hub's specification, the changelog and the licence file.

The YAML header is built with ``huggingface_hub.DatasetCardData`` (``dataset_info`` by ``datasets``' own
``DatasetInfosDict``), one config per version (``vX.Y.Z``) plus ``default`` = the newest. ``validate_card``
checks a written card with the libraries' own parsers and vocabularies (offline); ``survnews push`` also runs
the Hub's validation (online) before uploading.
"""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path
from typing import Any

from pipeline.config import Settings
from pipeline.errors import SurvnewsError
from pipeline.release.licenses import hub_license
from pipeline.release.plots import PLOTS

CARD_MARKER = "<!-- survnews-card-version: {} -->"
LICENSES_FILE = "LICENSES.md"
SIZE_LIMITS = ((1_000, "n<1K"), (10_000, "1K<n<10K"), (100_000, "10K<n<100K"), (1_000_000, "100K<n<1M"))
MODE_TEXT = {
    "pseudonymised": "**pseudonymised**: article text included; every private person is replaced by a placeholder "
    "such as `[PERSON-3]` (the same placeholder for the same person within this version), offsets exact",
    "standoff": "**stand-off**: no article text; URL, publisher, dates, `text_sha256` and offsets into the original "
    "text; `survnews rehydrate` fetches the pages again and checks the hash",
    "full": "**full**: article text as extracted, names included",
}


class CardError(SurvnewsError):
    pass


def version_key(version: str) -> tuple[int, ...]:
    return tuple(int(p) for p in version.split("."))


def size_category(n: int) -> str:
    for limit, name in SIZE_LIMITS:
        if n < limit:
            return name
    return "1M<n<10M"


def card_license(versions: list[dict[str, Any]]) -> tuple[str, str | None, str | None]:
    """(license, license_name, license_link) for the header: one Hub licence, or ``other`` + the licence file."""
    newest = max(versions, key=lambda v: version_key(v["version"]))
    licenses = {s["license"] for s in newest["stats"]["train"]["sources"].values()}
    known = hub_license(licenses)
    if known is not None:
        return known, None, None
    return "other", "survnews-per-source", LICENSES_FILE


def _features_and_infos(versions: list[dict[str, Any]], folder: Path | None) -> dict[str, Any]:
    import datasets
    import pyarrow.parquet as pq

    from pipeline.release.modes import RELEASE_SCHEMA

    current = datasets.Features.from_arrow_schema(RELEASE_SCHEMA)
    infos: dict[str, Any] = {}
    ordered = sorted(versions, key=lambda v: version_key(v["version"]), reverse=True)
    for index, entry in enumerate(ordered):
        features = current
        shards = sorted((folder / "data" / entry["version"]).glob("train-*.parquet")) if folder else []
        if entry.get("schema") == "legacy" and shards:  # versions of older survnews keep their own schema
            features = datasets.Features.from_arrow_schema(pq.read_schema(shards[0]))
        splits = datasets.SplitDict()
        for split, stats in entry["stats"].items():
            splits.add(datasets.SplitInfo(name=split, num_bytes=stats["nbytes"], num_examples=stats["records"]))
        info = datasets.DatasetInfo(features=features, splits=splits)
        names = ["default", f"v{entry['version']}"] if index == 0 else [f"v{entry['version']}"]
        for name in names:
            infos[name] = copy.deepcopy(info)
    return infos


def card_data(settings: Settings, versions: list[dict[str, Any]], folder: Path | None = None) -> Any:
    from datasets.info import DatasetInfosDict
    from huggingface_hub import DatasetCardData

    ordered = sorted(versions, key=lambda v: version_key(v["version"]), reverse=True)
    newest = ordered[0]
    license_id, license_name, license_link = card_license(versions)
    configs: list[dict[str, Any]] = []
    for index, entry in enumerate(ordered):

        def files(entry: dict[str, Any] = entry) -> list[dict[str, str]]:
            return [{"split": s, "path": f"data/{entry['version']}/{s}-*.parquet"} for s in entry["stats"]]

        if index == 0:
            configs.append({"config_name": "default", "default": True, "data_files": files()})
        configs.append({"config_name": f"v{entry['version']}", "data_files": files()})
    creators = ["machine-generated"] + (["expert-generated"] if "gold" in newest["stats"] else [])
    extra: dict[str, Any] = {}
    if license_name:
        extra = {"license_name": license_name, "license_link": license_link}
    data = DatasetCardData(
        pretty_name=settings.publish.pretty_name,
        license=license_id,
        language=["en"],
        annotations_creators=creators,
        language_creators=["found"],
        multilinguality=["monolingual"],
        size_categories=[size_category(newest["stats"]["train"]["records"])],
        source_datasets=["original"],
        task_categories=["token-classification", "text-classification"],
        task_ids=["named-entity-recognition"],
        tags=["surveillance", "news", "privacy", f"release-mode-{newest['mode']}"],
        configs=configs,
        **extra,
    )
    DatasetInfosDict(_features_and_infos(versions, folder)).to_dataset_card_data(data)
    return data


def _table(rows: list[list[Any]], header: list[str]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return lines


def _change(now: int, before: int | None) -> str:
    if before is None:
        return "new"
    delta = now - before
    if before == 0:
        return f"{delta:+d}"
    return f"{delta:+d}, {100 * delta / before:+.0f}%"


def _scores_lines(entry: dict[str, Any]) -> list[str]:
    scores = entry.get("scores")
    if not scores:
        return [
            "Not measured for this version. Run `survnews evaluate corpus/gold/samples.gold.jsonl --json > "
            'scores.json` and set `[publish] scores = "scores.json"` to show them here.',
        ]
    exact = scores.get("exact", {})
    overlap = scores.get("overlap", {})
    rows = [
        [label, exact[label]["precision"], exact[label]["recall"], exact[label]["f1"], overlap.get(label, {}).get("f1")]
        for label in sorted(exact)
    ]
    gold = scores.get("gold", "our gold")
    return [
        f"Measured with `survnews evaluate` on {gold} ({scores.get('docs', '?')} documents, model "
        f"`{scores.get('model', '?')}`). The project's gold covers its own sample articles, on which the rules were"
        " developed: read these as in-sample figures (held-out scores: `docs/MODEL_CARD.md`).",
        "",
        *_table(rows, ["label", "precision (exact)", "recall (exact)", "F1 (exact)", "F1 (overlap)"]),
    ]


def _vocabulary_lines() -> list[str]:
    """The closed vocabularies and how to get them as ``datasets.ClassLabel`` ids (the files keep strings)."""
    from pipeline.export import CLOSED_VOCABULARIES

    rows = [
        [f"`{column}.{field}`", ", ".join(f"`{n}`" for n in names)]
        for (column, field), names in CLOSED_VOCABULARIES.items()
    ]
    return [
        "### Closed vocabularies",
        "",
        "These fields take one of a fixed list of values (or null). They are strings in the files, so `pandas` reads",
        "and filters them as they are (`relation == 'uses'`) and the values mean the same in every version. For",
        "integer class ids, cast them to `datasets.ClassLabel` (names in this order; a null stays null):",
        "",
        *_table(rows, ["field", "values (class id = position)"]),
        "",
        "```python",
        "import copy",
        "from datasets import ClassLabel",
        'features = copy.deepcopy(ds["train"].features)',
        'features["events"].feature["relation"] = ClassLabel(names=['
        + ", ".join(f'"{n}"' for n in CLOSED_VOCABULARIES[("events", "relation")])
        + "])",
        'ids = ds["train"].cast(features)  # ids.features["events"].feature["relation"].int2str(0) == "uses"',
        "```",
        "",
        "The technology `category` / `object_category` stays a string: the taxonomy grows between versions, and class",
        "ids (positions in the list) would then shift.",
    ]


def card_body(settings: Settings, versions: list[dict[str, Any]]) -> str:
    ordered = sorted(versions, key=lambda v: version_key(v["version"]), reverse=True)
    newest = ordered[0]
    train = newest["stats"]["train"]
    version = newest["version"]
    older = ", ".join(f'`"v{v["version"]}"`' for v in ordered[1:]) or "none yet"
    months = list(train["months"])
    coverage = f"{months[0]} to {months[-1]}" if months else "unknown (no publication dates)"
    repo = settings.publish.repo_id or "path/to/this/folder"
    where = f"https://huggingface.co/datasets/{settings.publish.repo_id}" if settings.publish.repo_id else repo
    entities = ", ".join(f"{label} {n}" for label, n in train["entities"].items()) or "none"
    countries = ", ".join(f"{c} ({n})" for c, n in list(train["countries"].items())[:12]) or "none"
    categories = ", ".join(f"{c} ({n})" for c, n in list(train["categories"].items())[:12]) or "none"
    splits = ", ".join(f"`{name}` {stats['records']}" for name, stats in newest["stats"].items())
    source_rows = [
        [source, info["license"], "yes" if info["redistributable"] else "no", info["records"]]
        for source, info in train["sources"].items()
    ]
    who_rows = [row for row in train["who"][:20]]
    plots = f"plots/v{version}"
    taggers = ", ".join(f"`{t}`" for t in newest.get("taggers", [])) or "none (untagged)"
    lines = [
        f"# {settings.publish.pretty_name}",
        "",
        CARD_MARKER.format(version),
        f"**Version {version}** (published {newest['published_at']}, survnews pipeline "
        f"{newest['pipeline_version']}). Release mode: {MODE_TEXT[newest['mode']]}.",
        "",
        "News articles about digital surveillance (police phone tracking, facial recognition, health-code apps,",
        "spyware, license-plate readers, ...) with the actors, technologies and locations they mention (character",
        "offsets) and the facts they report (who uses, buys, sells, targets, restricts or opposes which technology,",
        f"where). Home: {where}. Built with survnews.",
        "",
        "## Load",
        "",
        "```python",
        "from datasets import load_dataset",
        "",
        f'ds = load_dataset("{repo}")                      # newest version (config "default")',
        f'pinned = load_dataset("{repo}", "v{version}")    # a version by config name',
        f'same = load_dataset("{repo}", revision="v{version}")  # or by git tag',
        "```",
        "",
        f"Splits in this version: {splits}. Earlier versions (config names): {older}. Every version has a config",
        "`vX.Y.Z` and a git tag `vX.Y.Z`; versions never change once published. Version numbers follow what",
        "changed: a new record schema is a major version; a new tagger, new rules or a new release mode a minor one;",
        "new or changed records a patch (see `CHANGELOG.md`).",
        "",
        "## Example record",
        "",
        "```json",
        json.dumps(newest.get("example"), ensure_ascii=False, indent=1)[:4000],
        "```",
        "",
        "## Sources and time coverage",
        "",
        f"Articles published {coverage}; {train['records']} articles from {len(train['sources'])} sources.",
        "",
        *_table(source_rows, ["source", "licence", "text redistributable", "records"]),
        "",
        "## Contents",
        "",
        f"- Entities by label (mentions): {entities}",
        f"- Countries (articles naming the country): {countries}",
        f"- Technology categories (articles naming one): {categories}",
        "",
        f"![Articles per month]({plots}/{PLOTS[0]})",
        "",
        f"![Technology categories]({plots}/{PLOTS[1]})",
        "",
        f"![World map of the places named]({plots}/{PLOTS[2]})",
        "",
        "### Who uses what where",
        "",
        "Events (`uses`, `acquires`; not negated) from the records' `events`, by the actor's type, the technology's",
        "category and the country:",
        "",
        *(
            _table(who_rows, ["actor type", "technology category", "country", "events"])
            if who_rows
            else ["No events in this version."]
        ),
        "",
        "## Fields",
        "",
        "| field | type | meaning |",
        "|---|---|---|",
        "| `id` | string | stable id (from the canonical URL, else the normalised text) |",
        "| `url`, `source_path` | string? | canonical URL; local file the record was read from |",
        "| `title`, `description`, `authors`, `published`, `publisher`, `original_publisher`, `language` | | "
        "metadata of the page or text dump |",
        "| `text` | string? | clean plain-text body; offsets index into it (Unicode code points); null in stand-off |",
        "| `text_sha256` | string | SHA-256 of the original clean text (UTF-8): what `survnews rehydrate` checks |",
        "| `relevance` / `relevant` | float / bool | surveillance-topic score and threshold decision |",
        "| `also_published_at` | list[struct] | syndicated copies (`url`, `publisher`, `published`); the record is "
        "the original |",
        "| `entities` | list[struct] | `start`, `end`, `text`, `label` (ACTOR, TECHNOLOGY, LOCATION), `actor_type`, "
        "`category`, `country`, `lat`, `lon`, `geonames_id`, `admin1`, `private_person`, `source`, `entity_id`, "
        "`canonical`, `score` |",
        "| `events` | list[struct] | `relation`, `actor`, `object`, `object_label`, `start`/`end`/`evidence` of the "
        "sentence, `actor_type`, `object_category`, `location`, `country`, `negated`, `hedged`, `score` |",
        "| `provenance` | struct | `retrieved_at`, `sha256` of the raw input, pipeline and spaCy pipeline versions |",
        "",
        *_vocabulary_lines(),
        "",
        "## Annotations: the tagger and its scores",
        "",
        f"`train` is machine-generated by {taggers}: a spaCy pipeline (a base NER trained by survnews on openly",
        "licensed corpora, a technology taxonomy, an actor gazetteer and patterns, GeoNames-based location",
        "normalisation, rule-based events). `gold`, when present, holds articles corrected by annotators in Label",
        'Studio (`entities[].source == "gold"`), expert-generated.',
        "",
        *_scores_lines(newest),
        "",
    ]
    if "gold" in newest["stats"]:
        overlap = newest.get("gold_overlap", {})
        lines += [
            "### Gold and train",
            "",
            f"{overlap.get('in_train', 0)} of the {newest['stats']['gold']['records']} gold articles also appear in",
            "`train` with the machine tags (same `id`). To evaluate a model trained on `train`, drop those ids",
            "from `train` first. Gold places keep their coordinates and GeoNames ids.",
            "",
        ]
    persons = newest.get("persons_pseudonymised", 0)
    lines += [
        "## Personal and sensitive information",
        "",
        "Reporting on surveillance names the people it was used against: protesters, residents, journalists.",
        "A dataset about surveillance must not become a surveillance tool.",
        "",
        f"- This version is {newest['mode']}. "
        + (
            f"{persons} private persons (entities flagged `private_person`) are replaced by `[PERSON-n]`"
            " placeholders in the text, title, description, entities and events; the mapping is not published."
            if newest["mode"] != "full"
            else "Names of private persons are NOT removed: do not redistribute this version."
        ),
        "- Private persons are detected by the tagger from role words (resident, protester vs minister, spokesperson):",
        "  names it missed can remain. Officials and public figures keep their names. URLs are kept as published.",
        "- Do not use the dataset to identify, profile or contact individuals.",
        "",
        "## Licensing",
        "",
        "The article texts belong to their publishers, under the licences listed per source above and in",
        f"`{LICENSES_FILE}`; full text is only published for sources whose licence allows redistribution (unless the",
        "builder forced it). The annotations, metadata and figures are released under CC BY 4.0.",
        "",
        "## Limitations",
        "",
        "- Entities and events are machine-tagged unless in the `gold` split: expect missed and wrong spans.",
        "- English only. Coverage follows the sources the builder chose; it is not a random sample of news.",
        f"- Records below the relevance threshold ({settings.relevance.threshold}) are left out.",
        "",
        "## Citation",
        "",
        "```bibtex",
        "@misc{survnews,",
        f"  title = {{{settings.publish.pretty_name}}},",
        "  author = {survnews contributors},",
        f"  year = {{{newest['published_at'][:4]}}},",
        f"  version = {{{version}}},",
        f"  howpublished = {{{where}}}",
        "}",
        "```",
        "",
        "## Changelog",
        "",
        "See `CHANGELOG.md`.",
        "",
    ]
    return "\n".join(lines)


def dataset_card(settings: Settings, versions: list[dict[str, Any]], folder: Path | None = None) -> str:
    from huggingface_hub import DatasetCard

    data = card_data(settings, versions, folder)
    card = DatasetCard(f"---\n{data.to_yaml()}\n---\n\n{card_body(settings, versions)}")
    return str(card)


def card_version(text: str) -> str | None:
    """The version a written card describes (None when it is not a survnews card)."""
    match = re.search(r"<!-- survnews-card-version: (\S+) -->", text)
    return match.group(1) if match else None


def changelog(versions: list[dict[str, Any]]) -> str:
    lines = ["# Changelog", ""]
    ordered = sorted(versions, key=lambda v: version_key(v["version"]))
    rendered: list[list[str]] = []
    previous: dict[str, Any] | None = None
    for entry in ordered:
        train = entry["stats"]["train"]
        before = previous["stats"]["train"] if previous else None
        labels = sorted(set(train["entities"]) | set(before["entities"] if before else {}))
        counts = ", ".join(
            f"{label} {train['entities'].get(label, 0)} "
            f"({_change(train['entities'].get(label, 0), before['entities'].get(label, 0) if before else None)})"
            for label in labels
        )
        splits = ", ".join(f"{name}: {stats['records']}" for name, stats in entry["stats"].items())
        reasons = "; ".join(entry.get("reasons", [])) or "first version"
        block = [
            f"## {entry['version']} — {entry['published_at'][:10]} ({entry.get('bump', 'first')})",
            "",
            f"- Why this number: {reasons}",
            f"- Release mode: {entry['mode']}",
            f"- Tagger: {', '.join(entry.get('taggers', [])) or 'none'}; survnews pipeline {entry['pipeline_version']}",
            f"- Records: {splits} (+{entry['added']} / -{entry['removed']} against the previous version)",
            f"- Entities by label (change): {counts or 'none'}",
            "",
        ]
        rendered.append(block)
        previous = entry
    for block in reversed(rendered):
        lines += block
    return "\n".join(lines)


def licenses_file(versions: list[dict[str, Any]]) -> str:
    newest = max(versions, key=lambda v: version_key(v["version"]))
    rows = [
        [source, info["license"], "yes" if info["redistributable"] else "no", info["records"]]
        for source, info in newest["stats"]["train"]["sources"].items()
    ]
    return "\n".join(
        [
            "# Licences",
            "",
            f"Version {newest['version']} ({newest['mode']} mode). Article texts are their publishers' and keep the",
            "licence of their source; the annotations, metadata and figures of survnews are CC BY 4.0.",
            "",
            *_table(rows, ["source", "licence", "text redistributable", "records"]),
            "",
        ]
    )


def validate_card(path: Path) -> list[str]:
    """Problems of a written card, by the checks of ``huggingface_hub`` and ``datasets`` (offline); [] when valid.

    Parses it with ``DatasetCard.load``, the configs with ``datasets``' ``MetadataConfigs`` (data_files form),
    ``dataset_info`` with ``DatasetInfosDict``, the vocabularies of ``datasets``' metadata resources, and the
    Hub's rule that ``license: other`` needs ``license_name`` and ``license_link``.
    """
    import datasets.utils.metadata as hf_metadata
    from datasets.info import DatasetInfosDict
    from datasets.utils.metadata import MetadataConfigs
    from huggingface_hub import DatasetCard

    problems: list[str] = []
    try:
        card = DatasetCard.load(path)
    except Exception as exc:  # the library's parse error is the finding
        return [f"{path}: not a valid dataset card: {exc}"]
    data = card.data
    meta = data.to_dict()
    resources = Path(hf_metadata.__file__).parent / "resources"
    creators = json.loads((resources / "creators.json").read_text(encoding="utf-8"))
    sizes = json.loads((resources / "size_categories.json").read_text(encoding="utf-8"))
    multilingual = json.loads((resources / "multilingualities.json").read_text(encoding="utf-8"))
    for key, allowed in (
        ("annotations_creators", creators["annotations"]),
        ("language_creators", creators["language"]),
        ("size_categories", sizes),
        ("multilinguality", list(multilingual)),
        ("source_datasets", ["original", "extended"]),
    ):
        values = meta.get(key)
        if not values:
            problems.append(f"{key} is missing")
            continue
        for value in values if isinstance(values, list) else [values]:
            if value not in allowed and not str(value).startswith("extended|"):
                problems.append(f"{key}: {value!r} is not one of {allowed}")
    for key in ("license", "language", "pretty_name", "task_categories", "configs", "dataset_info"):
        if not meta.get(key):
            problems.append(f"{key} is missing")
    if meta.get("license") == "other" and not (meta.get("license_name") and meta.get("license_link")):
        problems.append("license is 'other' but license_name / license_link are missing")
    link = meta.get("license_link")
    if link and not str(link).startswith(("http://", "https://")) and not (path.parent / str(link)).is_file():
        problems.append(f"license_link {link!r} names no file of the release")
    try:
        configs = MetadataConfigs.from_dataset_card_data(data)
        for config in configs.values():
            MetadataConfigs._raise_if_data_files_field_not_valid(config)
        defaults = [name for name, config in configs.items() if config.get("default")]
        if defaults != ["default"]:
            problems.append(f"exactly the config 'default' must be the default, not {defaults}")
        infos = DatasetInfosDict.from_dataset_card_data(data)
        for name in configs:
            if name not in infos or infos[name].features is None or not infos[name].splits:
                problems.append(f"dataset_info has no features and splits for config {name!r}")
    except Exception as exc:
        problems.append(f"configs / dataset_info: {exc}")
    return problems
