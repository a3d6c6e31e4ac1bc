"""``survnews_syntax``: tags and parses the sentences events can come from, with the ``survnews_syntax`` pipeline.

The syntax pipeline (``pipeline/models/survnews_syntax``: its own tok2vec, tagger, morphologizer, parser) runs
inside this component, on its own vocabulary, so the NER keeps its tok2vec and nothing listens across the two.
With ``scope = "candidates"`` (the default) only sentences holding an event trigger word and at least two
entities are analysed: they are the only ones the event patterns read, and parsing every sentence would cost
the tagger more than half of its speed. ``scope = "all"`` analyses every sentence. The result (tag, POS,
morphology, head, dependency label) is copied onto the document's tokens; sentence boundaries stay those of the
sentencizer (each sentence is parsed as one).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path

import spacy
from spacy.language import Language
from spacy.tokens import Doc, Span
from spacy.util import minibatch

from pipeline.components.common import RESULT_KEY
from pipeline.components.events import load_lexicon
from pipeline.paths import MODELS_DIR

SYNTAX_MODEL_PATH = MODELS_DIR / "survnews_syntax"
PARSED_KEY = "survnews_parsed"  # doc.user_data: number of sentences this component parsed
SCOPES = ("candidates", "all")
MERGE_NAMES = False


class SyntaxAnalyser:
    def __init__(
        self, nlp: Language, name: str, model: str | None, scope: str, lexicon_path: str | None, batch_size: int
    ) -> None:
        if scope not in SCOPES:
            raise ValueError(f"survnews_syntax: scope must be one of {', '.join(SCOPES)}, not {scope!r}")
        self.name = name
        self.scope = scope
        self.batch_size = batch_size
        self.syntax = spacy.load(Path(model) if model else SYNTAX_MODEL_PATH)
        self.triggers = set(load_lexicon(lexicon_path).triggers)

    def candidates(self, doc: Doc) -> list[Span]:
        sents = list(doc.sents)
        if self.scope == "all":
            return sents
        spans = list(doc.spans[RESULT_KEY]) if RESULT_KEY in doc.spans else []
        if len(spans) < 2:
            return []
        starts = sorted(s.start for s in spans)
        chosen: list[Span] = []
        j = 0
        for sent in sents:
            while j < len(starts) and starts[j] < sent.start:
                j += 1
            inside = 0
            k = j
            while k < len(starts) and starts[k] < sent.end and inside < 2:
                inside += 1
                k += 1
            if inside >= 2 and any(t.lower_ in self.triggers for t in sent):
                chosen.append(sent)
        return chosen

    def __call__(self, doc: Doc) -> Doc:
        return next(iter(self.pipe([doc])))

    def pipe(self, docs: Iterable[Doc], batch_size: int | None = None) -> Iterator[Doc]:
        for batch in minibatch(docs, size=batch_size or self.batch_size):
            work: list[tuple[Doc, Span, list[tuple[int, int]]]] = []
            subs = []
            for doc in batch:
                for sent in self.candidates(doc):
                    sub, groups = self._entity_words(doc, sent)
                    for token in sub[1:]:
                        token.is_sent_start = False  # one sentence, as the sentencizer cut it
                    work.append((doc, sent, groups))
                    subs.append(sub)
            for (doc, sent, groups), parsed in zip(work, self.syntax.pipe(subs), strict=True):
                _copy_analysis(doc, sent, parsed, groups)
            for doc in batch:
                doc.user_data[PARSED_KEY] = sum(1 for d, _s, _g in work if d is doc)
                yield doc

    def _entity_words(self, doc: Doc, sent: Span) -> tuple[Doc, list[tuple[int, int]]]:
        """The sentence as words for the parser, each multi-word entity one word (its last: "Watch").

        A name the parser need not take apart cannot be misparsed ("Amnesty International and Big Brother Watch
        criticised ..."). Returns the words' doc and, per word, the (start, end) of the tokens it stands for.
        """
        spans = [s for s in doc.spans.get(RESULT_KEY, []) if len(s) > 1] if MERGE_NAMES else []
        inside = {s.start: s for s in spans if sent.start <= s.start and s.end <= sent.end}
        words: list[str] = []
        spaces: list[bool] = []
        groups: list[tuple[int, int]] = []
        i = sent.start
        while i < sent.end:
            if doc[i].is_space:  # a paragraph break opening the sentence would become the parse's root
                i += 1
                continue
            span = inside.get(i)
            end = span.end if span is not None else i + 1
            words.append(doc[end - 1].text)  # a name is parsed as its last word ("Watch", "catchers")
            spaces.append(bool(doc[end - 1].whitespace_))
            groups.append((i, end))
            i = end
        return Doc(self.syntax.vocab, words=words, spaces=spaces), groups

    def to_disk(self, path: str | Path, *, exclude: Iterable[str] = ()) -> None:
        return None

    def from_disk(self, path: str | Path, *, exclude: Iterable[str] = ()) -> SyntaxAnalyser:
        return self


def _copy_analysis(doc: Doc, sent: Span, parsed: Doc, groups: list[tuple[int, int]]) -> None:
    """Copy tags and the tree onto the document; a word that stood for a name is its last token, the name's other
    tokens attach to it (compound)."""
    head_of = [end - 1 for _start, end in groups]
    for token, (start, end) in zip(parsed, groups, strict=True):
        for i in range(start, end):
            target = doc[i]
            target.tag_ = token.tag_
            target.pos_ = token.pos_
            target.set_morph(str(token.morph) or None)  # type: ignore[attr-defined]
    for token, (start, end) in zip(parsed, groups, strict=True):
        root = doc[end - 1]
        root.dep_ = token.dep_
        if token.head.i != token.i:
            root.head = doc[head_of[token.head.i]]
        for i in range(start, end - 1):
            doc[i].dep_ = "compound"
            doc[i].head = root


@Language.factory(
    "survnews_syntax",
    default_config={"model": None, "scope": "candidates", "lexicon_path": None, "batch_size": 64},
)
def make_syntax_analyser(
    nlp: Language, name: str, model: str | None, scope: str, lexicon_path: str | None, batch_size: int
) -> SyntaxAnalyser:
    return SyntaxAnalyser(nlp, name, model, scope, lexicon_path, batch_size)
