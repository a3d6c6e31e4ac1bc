"""Label Studio round trip: tasks with the tagger's spans out, annotators' corrections back as gold.

Public entry points: :func:`iter_gold` (resolved gold for the publish stage), the settings in
:mod:`pipeline.annotate.config`, and the ``annotate`` typer sub-app in the CLI package
(``pipeline/cli/_annotate.py``).
"""

from pipeline.annotate.config import LabelStudioSettings, annotate_settings
from pipeline.annotate.gold import ensure_gold_schema, iter_gold

__all__ = ["LabelStudioSettings", "annotate_settings", "ensure_gold_schema", "iter_gold"]
