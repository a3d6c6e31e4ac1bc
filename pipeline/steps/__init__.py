"""The pipeline's stages as runner steps (see ``pipeline.runner``), and the pipelines made of them.

``ingest``: read → store raw (one pipeline), then extract → clean → relevance → signature (map steps) → dedup
→ write (sink steps). ``tag``: tag (map) → write tags (sink). The stage functions stay where they were
(``pipeline.extract``, ``pipeline.clean``, ``pipeline.relevance``, ``pipeline.dedup``, ``pipeline.tag``); a step
is a thin wrapper that calls one of them on one record and counts what happened.
"""

# What the extract and tag steps import: a worker started before its pipeline is known imports these meanwhile.
EXTRACT_MODULES = (
    "pipeline.steps.ingest",
    "pipeline.extract",
    "pipeline.relevance",
    "trafilatura.metadata",
    "htmldate",
)
TAG_MODULES = ("pipeline.steps.tag", "pipeline.tag")
