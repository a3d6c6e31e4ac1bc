"""``survnews_events``: surveillance events (who uses, buys, sells, targets, restricts or opposes what, where).

Triggers are the verbs and nominalisations of the lexicon in ``schemas/event_verbs.json`` (relation -> lemmas, in
the spirit of GDELT's verb dictionaries). With a dependency parse, spaCy ``DependencyMatcher`` patterns attach
arguments to each trigger (subject, object, prepositional object, passive subject, agent, possessor, the noun a
participle or relative clause modifies), for UD labels (the survnews parser) and ClearNLP labels (spaCy's English
pipelines) alike; the arguments are then assembled per construction:

* active: "Police in Moscow used facial recognition" (subject, object);
* passive: "journalists were tracked by the agency", "spyware made by NSO Group" (passive subject or modified
  noun, agent);
* nominalisation: "the police's use of facial recognition", "a ban on drones by the council";
* relative clauses, appositions ("Palantir, the US company, supplies ...") and coordination ("X and Y bought Z",
  "bought and deployed Z") share arguments; "the company" / "the system" / "similar systems" refer back to the
  latest entity of that kind in the last sentences (a technology whose last word is the noun first; a sentence
  whose second participant is such a noun is parsed here, as the syntax component skipped it), "devices ... The
  devices, known as X" forward to X, and "the expansion" / "the trial" to the technology of the article's earlier
  events; "X said it would deploy Y" makes X the subject, and a participle with no agent in an agency's object
  ("the Met will double the number of vans deployed") is the agency's use.

Without a parser (a rules-only pipeline) a window rule stands in: the nearest actor before the trigger and the
nearest object after it in the sentence, with "was <verb>ed by" for passives. Each event carries its evidence
sentence, negation and hedging flags, an optional location and a ``source`` naming the pattern
("dep:active", "dep:passive", "dep:nominal", "window:active", ...). Events go to ``doc.user_data[EVENTS_KEY]``
as ``Event.to_dict()`` dicts; entities are referred to by the ``entity_id`` ``survnews_canonical`` gave them.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from spacy.language import Language
from spacy.matcher import DependencyMatcher
from spacy.tokens import Doc, Span, Token
from spacy.util import ensure_path

from pipeline.components.canonical import slug
from pipeline.components.common import RESULT_KEY, SCHEMAS_DIR, read_json
from pipeline.records import EVENT_RELATIONS, Event

EVENT_VERBS_PATH = SCHEMAS_DIR / "event_verbs.json"
EVENTS_KEY = "survnews_events"  # == pipeline.tag.EVENTS_KEY (tag imports the components, not the reverse)

# Dependency labels, UD (survnews_syntax) and ClearNLP (en_core_web_*).
SUBJ = ["nsubj"]
PASS_SUBJ = ["nsubjpass", "nsubj:pass"]
OBJ = ["obj", "dobj"]
OBLIQUE = ["obl", "nmod", "obl:agent", "obl:tmod", "advcl"]
POSS = ["poss", "nmod:poss"]
ACL = ["acl"]
RELCL = ["relcl", "acl:relcl"]
CONJ = {"conj"}
ADVERBIAL = {"advcl"}
INHERITING = {"conj", "xcomp", *ADVERBIAL}  # clauses that share the governing verb's subject
AFFILIATION = {"at", "of", "for", "with", "from"}  # "a researcher at X", "director of X"
ORDERED_RELATIONS = {"uses", "supplies", "acquires"}  # what an order to stop or a bar from forbids
FINITE_AUX = {"is", "are", "was", "were", "has", "have", "had", "will", "would", "does", "did", "can", "could"}
APPOS = {"appos"}
# Roles of direct dependents of a trigger, by label.
DIRECT_ROLES: dict[str, list[str]] = {
    "subj": SUBJ,
    "passsubj": PASS_SUBJ,
    "obj": OBJ,
    "agent": ["obl:agent"],  # a UD agent whose "by" the parse did not attach as case
    "poss": POSS,
    "compound": ["compound"],
    "particle": ["prt", "compound:prt"],
}
ROLE_OF_LABEL = {label: role for role, labels in DIRECT_ROLES.items() for label in labels}
RELATIVE_PRONOUNS = {"that", "which", "who", "whom", "whose"}
# Words before a generic noun that make it refer back ("the devices", "these systems", "similar systems").
ANAPHOR_DETERMINERS = {"the", "this", "these", "those", "its", "their", "that", "similar", "such"}
SYNTAX_PIPE = "survnews_syntax"  # pipeline/components/syntax.py (the parser runs on candidate sentences only)
BE_FORMS = {"is", "are", "was", "were", "be", "been", "being", "'s", "’s", "got", "get", "gets"}
SCORES = {"dep": 0.8, "window": 0.5}
USER_RELATIONS = {"uses", "acquires"}
USER_TYPES = {"law_enforcement", "government", "military", "intelligence"}  # who deploys what a clause mentions
ANAPHORA_SENTENCES = 3
_PHRASE_STOP = {"relcl", "acl:relcl", "acl", "advcl", "ccomp", "xcomp", "conj", "cc", "appos", "parataxis"}
_ADJACENT_SKIP_BEFORE = {
    "has",
    "have",
    "had",
    "will",
    "would",
    "may",
    "might",
    "could",
    "also",
    "recently",
    "now",
    "then",
    "later",
    "reportedly",
    "allegedly",
    "already",
    "is",
    "was",
    "were",
    "are",
}
_ADJACENT_SKIP_AFTER = {"the", "a", "an", "its", "their", "new", "more", "some"}
_GAP_STOP = {"and", "or", "but", "of", "to", "that", "which", "who", "report", "study", "criticism", "ban"}
_LOCATIVE = {"in", "at", "across", "around", "near", "inside", "outside", "throughout", "during", "within"}
WINDOW_TOKENS = 10
RULING_WINDOW = 25  # tokens from the ruling verb to the word of illegality
CONTRACT_WINDOW = 14  # how far after a contract noun its technology may come
PASSIVE_SUBJECT_GAP = 4  # "the spyware, called Predator, was developed by": tokens between the object and the verb
CATAPHOR_TOKENS = 120  # how far after a generic noun its name may come ("devices ... The devices, known as X")
_NAMING_WORDS = {",", "(", "-", "–", "known", "as", "called", "also", "such", "like", "named", "dubbed", "or"}


@dataclass(frozen=True)
class Trigger:
    relation: str
    kind: str  # "verb" | "noun"
    preps: tuple[str, ...]  # prepositions that introduce the object ("rely on"); empty: a direct object
    particle: str | None  # required particle ("roll out")
    objects: tuple[str, ...]  # entity labels the object may have


@dataclass
class Lexicon:
    triggers: dict[str, list[Trigger]]  # lower-cased word form -> triggers
    negation: set[str]
    negating_verbs: set[str]
    hedging: set[str]
    hedging_verbs: set[str]
    intent_verbs: set[str]
    future: set[str]
    actor_anaphora: dict[str, str | None]
    technology_anaphora: set[str]
    topic_anaphora: set[str] = field(default_factory=set)  # "the expansion": the article's main technology so far
    supplier_preps: set[str] = field(default_factory=set)
    advocacy_verbs: set[str] = field(default_factory=set)
    generic_actors: dict[str, str] = field(default_factory=dict)
    exposure_cues: list[str] = field(default_factory=list)
    exposure_actor_types: set[str] = field(default_factory=set)
    speech_verbs: set[str] = field(default_factory=set)
    order_verbs: set[str] = field(default_factory=set)
    instrument_preps: set[str] = field(default_factory=set)
    contract: dict[str, list[str]] = field(default_factory=dict)
    ruling_verbs: set[str] = field(default_factory=set)
    unlawful: set[str] = field(default_factory=set)
    ruling_types: set[str] = field(default_factory=set)
    comparison: set[str] = field(default_factory=set)
    spokesperson_types: set[str] = field(default_factory=set)
    possessive: dict[str, str] = field(default_factory=dict)
    all_preps: set[str] = field(default_factory=set)


def inflections(lemma: str, extra: Iterable[str] = ()) -> set[str]:
    """Regular English inflections of a verb or noun lemma, plus the lexicon's irregular ones."""
    forms = {lemma, *extra}
    if lemma.endswith(("s", "sh", "ch", "x", "z", "o")):
        forms.add(lemma + "es")
    elif lemma.endswith("y") and len(lemma) > 2 and lemma[-2] not in "aeiou":
        forms.add(lemma[:-1] + "ies")
    else:
        forms.add(lemma + "s")
    if lemma.endswith("e"):
        forms.update({lemma + "d", lemma[:-1] + "ing" if not lemma.endswith(("ee", "ye", "oe")) else lemma + "ing"})
    elif lemma.endswith("y") and len(lemma) > 2 and lemma[-2] not in "aeiou":
        forms.update({lemma[:-1] + "ied", lemma + "ing"})
    else:
        forms.update({lemma + "ed", lemma + "ing"})
    return forms


def load_lexicon(path: str | Path | None = None) -> Lexicon:
    data: dict[str, Any] = read_json(ensure_path(path) if path else EVENT_VERBS_PATH)
    extra: dict[str, list[str]] = data.get("forms", {})
    triggers: dict[str, list[Trigger]] = {}
    all_preps: set[str] = {"of", "by"}
    for relation, spec in data["relations"].items():
        if relation not in EVENT_RELATIONS:
            raise ValueError(f"{path or EVENT_VERBS_PATH}: unknown relation {relation!r}")
        objects = tuple(spec["objects"])
        for entry in spec.get("verbs", []):
            head, *rest = entry.split()
            preps: tuple[str, ...] = ()
            particle = None
            if rest:
                if rest[-1] in {"out", "up", "down", "off", "in"}:
                    particle = rest[-1]
                else:
                    preps = (rest[-1],)
                    all_preps.add(rest[-1])
            trigger = Trigger(relation, "verb", preps, particle, objects)
            for form in inflections(head, extra.get(head, [])):
                triggers.setdefault(form, []).append(trigger)
        noun_preps = ("of", *spec.get("noun_preps", []))
        all_preps.update(noun_preps)
        for noun in spec.get("nouns", []):
            trigger = Trigger(relation, "noun", noun_preps, None, objects)
            for form in {noun, noun + "s", noun + "es" if noun.endswith(("s", "sh", "ch")) else noun + "s"}:
                triggers.setdefault(form, []).append(trigger)
    anaphora = data.get("anaphora", {})
    supplier_preps = set(data.get("supplier_preps", []))
    all_preps |= supplier_preps
    instrument_preps = set(data.get("instrument_preps", []))
    all_preps |= instrument_preps
    exposure = data.get("exposure", {})
    speaker = data.get("spokesperson", {})
    ruling = data.get("ruling", {})
    return Lexicon(
        triggers=triggers,
        negation=set(data.get("negation", [])),
        negating_verbs={f for v in data.get("negating_verbs", []) for f in inflections(v, extra.get(v, []))},
        hedging=set(data.get("hedging", [])),
        hedging_verbs={f for v in data.get("hedging_verbs", []) for f in inflections(v, extra.get(v, []))},
        intent_verbs={f for v in data.get("intent_verbs", []) for f in inflections(v, extra.get(v, []))},
        future=set(data.get("future", [])),
        actor_anaphora=dict(anaphora.get("ACTOR", {})),
        technology_anaphora=set(anaphora.get("TECHNOLOGY", [])) | set(anaphora.get("TOPIC", [])),
        topic_anaphora=set(anaphora.get("TOPIC", [])),
        supplier_preps=supplier_preps,
        advocacy_verbs={f for v in data.get("advocacy_verbs", []) for f in inflections(v, extra.get(v, []))},
        generic_actors=dict(data.get("generic_actors", {})),
        exposure_cues=[str(c).lower() for c in exposure.get("cues", [])],
        speech_verbs={f for v in speaker.get("verbs", []) for f in inflections(v, extra.get(v, []))},
        order_verbs={f for v in data.get("order_verbs", []) for f in inflections(v, extra.get(v, []))},
        instrument_preps=instrument_preps,
        contract={k: [str(w).lower() for w in v] for k, v in data.get("contract", {}).items()},
        ruling_verbs={f for v in ruling.get("verbs", []) for f in inflections(v, extra.get(v, []))},
        unlawful=set(ruling.get("unlawful", [])),
        ruling_types=set(ruling.get("actor_types", [])),
        spokesperson_types=set(speaker.get("actor_types", [])),
        comparison={f for v in data.get("comparison_verbs", []) for f in inflections(v, extra.get(v, []))},
        exposure_actor_types=set(exposure.get("actor_types", [])),
        possessive=dict(data.get("possessive", {})),
        all_preps=all_preps,
    )


def dependency_patterns(forms: list[str], preps: list[str]) -> dict[str, list[dict[str, Any]]]:
    """One DependencyMatcher pattern per argument role: the trigger ("trigger") and one argument ("arg")."""
    trigger = {"RIGHT_ID": "trigger", "RIGHT_ATTRS": {"LOWER": {"IN": forms}}}

    def child(
        dep: list[str], node: str = "arg", left: str = "trigger", attrs: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        right = {"DEP": {"IN": dep}, **(attrs or {})}
        return {"LEFT_ID": left, "REL_OP": ">", "RIGHT_ID": node, "RIGHT_ATTRS": right}

    lower_preps: dict[str, Any] = {"LOWER": {"IN": preps}}
    # Direct dependents share one pattern (the role is read off the label: fewer patterns, a faster matcher).
    direct = sorted({label for labels in DIRECT_ROLES.values() for label in labels})
    return {
        "direct": [trigger, child(direct)],
        # ClearNLP: trigger -prep-> "on" -pobj-> arg; UD: trigger -obl/nmod-> arg -case-> "on".
        "prep": [trigger, child(["prep"], "case", attrs=lower_preps), child(["pobj"], "arg", "case")],
        "obl": [
            trigger,
            child(OBLIQUE),
            child(["case", "mark"], "case", "arg", lower_preps),
        ],  # "by" as mark: a misparse
        "agent": [trigger, child(["agent"], "case"), child(["pobj"], "arg", "case")],
    }


@dataclass
class _Args:
    """Arguments the patterns found for one trigger token; lists of (token, preposition or "")."""

    roles: dict[str, list[tuple[Token, str]]] = field(default_factory=dict)

    def add(self, role: str, token: Token, prep: str = "") -> None:
        self.roles.setdefault(role, []).append((token, prep))

    def get(self, role: str, prep: str | None = None) -> list[Token]:
        return [t for t, p in self.roles.get(role, []) if prep is None or p == prep]


class EventExtractor:
    def __init__(self, nlp: Language, name: str, lexicon_path: str | None = None) -> None:
        self.name = name
        self.lexicon_path = lexicon_path
        self.lexicon = load_lexicon(lexicon_path)
        self._nlp = nlp
        self.matcher = DependencyMatcher(nlp.vocab)
        forms = sorted(self.lexicon.triggers)
        self.node_names: dict[str, list[str]] = {}
        for role, pattern in dependency_patterns(forms, sorted(self.lexicon.all_preps)).items():
            self.matcher.add(role, [pattern])
            self.node_names[role] = [node["RIGHT_ID"] for node in pattern]

    # ------------------------------------------------------------------ entry point

    def __call__(self, doc: Doc) -> Doc:
        spans = list(doc.spans[RESULT_KEY]) if RESULT_KEY in doc.spans else []
        if not spans:
            doc.user_data[EVENTS_KEY] = []
            return doc
        lex = self.lexicon
        companies = [word for word, kind in lex.actor_anaphora.items() if kind == "company"]
        ctx = _Context(
            doc, spans, companies, lex.topic_anaphora, lex.technology_anaphora - lex.topic_anaphora, lex.comparison
        )
        sents = list(doc.sents)
        if self._parse_anaphoric(ctx, sents):
            sents = list(doc.sents)  # a parse may split a sentence the sentencizer made
        # possessives first: "sued the company" looks up what the company supplies ("Clearview AI's app")
        found = self._possessive_events(ctx)
        if doc.has_annotation("DEP"):
            # A sentence the parser did not see (a partial parse) gets the window rules.
            unparsed = [s for s in sents if not any(t.dep_ for t in s)]
            found.extend(self._dependency_events(ctx, [s for s in sents if any(t.dep_ for t in s)]))
            found.extend(self._window_events(ctx, unparsed))
        else:
            found.extend(self._window_events(ctx, sents))
        found.extend(self._exposure_events(ctx))
        found.extend(self._contract_events(ctx))
        found.extend(self._descriptor_events(ctx))
        found.extend(self._ruling_events(ctx))
        found.extend(self._spokesperson_events(ctx, found))
        doc.user_data[EVENTS_KEY] = [event.to_dict() for event in _unique(found)]
        return doc

    # ------------------------------------------------------------------ anaphoric sentences

    def _anaphors(self, sent: Span) -> list[Token]:
        """Generic nouns that refer back to an entity named earlier: "the devices", "similar systems", "the force"."""
        lex = self.lexicon
        out: list[Token] = []
        for token in sent:
            word = token.lower_
            if word in {"it", "them"} or (word not in lex.actor_anaphora and word not in lex.technology_anaphora):
                continue
            before = token.doc[max(sent.start, token.i - 3) : token.i]
            if any(t.lower_ in ANAPHOR_DETERMINERS for t in before):
                out.append(token)
        return out

    def _parse_anaphoric(self, ctx: _Context, sents: list[Span]) -> bool:
        """Parse the sentences the syntax component skipped because one of their two participants is a generic noun
        ("The company supplies similar systems to ..."): a trigger, an entity or an anaphor, and two of them."""
        if SYNTAX_PIPE not in self._nlp.pipe_names:
            return False
        from pipeline.components.syntax import PARSED_KEY, SyntaxAnalyser, _copy_analysis  # it imports this module

        analyser = self._nlp.get_pipe(SYNTAX_PIPE)
        if not isinstance(analyser, SyntaxAnalyser) or analyser.scope != "candidates":
            return False
        triggers = self.lexicon.triggers
        chosen = []
        for sent in sents:
            if any(t.dep_ for t in sent) or not any(t.lower_ in triggers for t in sent):
                continue
            # one named participant at least: two generic nouns alone rarely make an event worth a parse
            named = len(ctx.in_sentence(sent))
            if named and self._anaphors(sent):
                chosen.append(sent)
        if not chosen:
            return False
        work = [analyser._entity_words(ctx.doc, sent) for sent in chosen]
        for sub, _groups in work:
            for token in sub[1:]:
                token.is_sent_start = False  # one sentence, as the sentencizer cut it
        for sent, (_sub, groups), parsed in zip(chosen, work, analyser.syntax.pipe(w[0] for w in work), strict=True):
            _copy_analysis(ctx.doc, sent, parsed, groups)
        ctx.doc.user_data[PARSED_KEY] = int(ctx.doc.user_data.get(PARSED_KEY, 0)) + len(chosen)
        return True

    # ------------------------------------------------------------------ dependency patterns

    def _dependency_events(self, ctx: _Context, sents: list[Span]) -> list[Event]:
        doc = ctx.doc
        args: dict[int, _Args] = {}
        triggers = self.lexicon.triggers
        # Events come only from sentences with a trigger word and two participants (entities, or generic nouns
        # that refer back to one).
        chosen: list[Span] = []
        for sent in sents:
            if not any(t.lower_ in triggers for t in sent):
                continue
            named = len(ctx.in_sentence(sent))
            if named < 2 and named + len(self._anaphors(sent)) < 2:
                continue
            chosen.append(sent)
        # The matcher runs once over the document: called on a sentence it copies the sentence into a new Doc
        # first, which cost more than the matching. Arcs never cross sentences, so a match whose trigger lies in
        # a chosen sentence lies wholly in it.
        in_chosen = bytearray(len(doc))
        for sent in chosen:
            in_chosen[sent.start : sent.end] = b"\x01" * len(sent)
        for match_id, token_ids in self.matcher(doc) if chosen else []:
            role = doc.vocab.strings[match_id]
            by_name = dict(zip(self.node_names[role], token_ids, strict=True))
            if not in_chosen[by_name["trigger"]]:
                continue
            trigger, arg = doc[by_name["trigger"]], doc[by_name["arg"]]
            prep = doc[by_name["case"]].lower_ if "case" in by_name else ""
            if role in {"prep", "obl"}:
                role = "agent" if prep == "by" else "prep"
            elif role == "direct":
                role = ROLE_OF_LABEL[arg.dep_]
            args.setdefault(trigger.i, _Args()).add(role, arg, prep)
        for sent in chosen:
            for token in sent:
                # a participle with no argument of its own still has the noun it modifies ("vans deployed in X")
                # (and a nominal object whose arguments hang on its verb: "faced criticism from X")
                if token.dep_ in ACL + OBJ and token.lower_ in triggers:
                    args.setdefault(token.i, _Args())
        # The noun a participle or relative clause modifies is the trigger's own head: read it off the token
        # rather than with a matcher node that would have to match every token.
        for i, found in args.items():
            token = doc[i]
            if token.dep_ in ACL:
                found.add("acl_head", token.head)
            elif token.dep_ in RELCL:
                found.add("rel_head", token.head)
        events: list[Event] = []
        for i, found in sorted(args.items()):
            trigger = doc[i]
            if ctx.entity_at(i) is not None:
                continue  # "Watch" in "Big Brother Watch" is no trigger
            for spec in self.lexicon.triggers.get(trigger.lower_, []):
                events.extend(self._assemble(ctx, trigger, spec, found, args))
        return events

    def _assemble(
        self, ctx: _Context, trigger: Token, spec: Trigger, found: _Args, all_args: dict[int, _Args]
    ) -> Iterator[Event]:
        if spec.particle and not any(t.lower_ == spec.particle for t in found.get("particle")):
            return
        construction: str
        actor_tokens: list[Token]
        object_tokens: list[Token]
        relation = spec.relation
        if spec.kind == "noun":
            construction = "nominal"
            actor_tokens = found.get("poss") + found.get("agent")
            object_tokens = [t for p in spec.preps for t in found.get("prep", p)] + found.get("compound")
            if not actor_tokens:
                # "the use of X by Y" parsed with "by Y" under X
                actor_tokens = [c for t in object_tokens for c in t.children if _has_case(c, "by")]
            if not actor_tokens and relation == "opposes":
                # "the rollout drew criticism from Amnesty": the critic after "from"; what it criticises is the
                # subject of the verb that draws it (when the noun names no object of its own)
                actor_tokens = found.get("prep", "from")
                if not actor_tokens and trigger.dep_ in OBJ:  # "faced criticism from X" with "from X" on the verb
                    actor_tokens = [c for c in trigger.head.children if c.i > trigger.i and _after_word(ctx, c, "from")]
                if actor_tokens and not object_tokens and trigger.dep_ in OBJ:
                    object_tokens = [c for c in trigger.head.children if c.dep_ in SUBJ + PASS_SUBJ]
            if not actor_tokens:
                governor = trigger.head.head if trigger.head.dep_ == "prep" else trigger.head
                # "X criticised the use of Y" is X opposing Y (the verb's own event), not X using Y.
                other = {t.relation for t in self.lexicon.triggers.get(governor.lower_, [])} - {relation}
                if governor is not trigger and trigger.dep_ not in SUBJ + PASS_SUBJ and not other:
                    actor_tokens = [c for c in governor.children if c.dep_ in SUBJ]
                    actor_tokens = actor_tokens or self._inherited_subject(governor, all_args)
                    if governor.lower_ in self.lexicon.advocacy_verbs and relation == "restricts":
                        relation = "opposes"  # "called for a ban on facial recognition"
        elif (
            found.get("passsubj")
            or (found.get("agent") and not found.get("subj") and _participle(trigger))
            or (found.get("acl_head") and not trigger.lower_.endswith("ing"))
        ):
            construction = "passive"
            actor_tokens = found.get("agent")
            object_tokens = found.get("passsubj") or found.get("acl_head")
            object_tokens = [self._antecedent(t, trigger) for t in object_tokens]
            if not object_tokens and any(c.dep_ in {"auxpass", "aux:pass"} for c in trigger.children):
                # "said the spyware, called Predator, was developed by X" parsed with the subject elsewhere: the
                # technology just before the passive verb (same clause, a few words back) is what it was done to
                preceding = [
                    s
                    for s in ctx.in_sentence(trigger.sent)
                    if s.end <= trigger.i and trigger.i - s.end <= PASSIVE_SUBJECT_GAP
                ]
                nearest = _nearest(preceding, spec.objects, last=True)
                if nearest is not None:
                    object_tokens, construction = [nearest.root], "passive+adjacent"
            if not actor_tokens and found.get("acl_head") and relation in USER_RELATIONS:
                actor_tokens = self._clause_user(ctx, trigger)
            if not actor_tokens and relation == "restricts" and trigger.dep_ == "ccomp":
                # "the court ruled that facial recognition must be limited": the one who rules restricts it.
                actor_tokens = [c for c in trigger.head.children if c.dep_ in SUBJ]
        else:
            construction = "active"
            actor_tokens = [self._antecedent(t, trigger) for t in found.get("subj")] or found.get("acl_head")
            # "hacked the phones of journalists using Pegasus": the gerund hung on a noun that names no actor is
            # the manner of the clause's verb, whose agency uses it
            bare_head = found.get("acl_head") and not found.get("subj") and relation in USER_RELATIONS
            if bare_head and not ctx.entities_for(found.get("acl_head"), ("ACTOR",), {}):
                actor_tokens = self._clause_subject_agency(ctx, trigger)
            if not actor_tokens:
                actor_tokens = self._inherited_subject(trigger, all_args)
            # "Clearview AI, which built ..., sells X" parsed with the verb coordinated to the name
            head = ctx.entity_at(trigger.head.i) if trigger.dep_ == "conj" and trigger.head.i < trigger.i else None
            if not actor_tokens and head is not None and head.label_ == "ACTOR":
                actor_tokens = [trigger.head]
            object_tokens = [t for p in spec.preps for t in found.get("prep", p)] if spec.preps else found.get("obj")
            if spec.preps and not object_tokens:
                # "spent $2m on X" parsed with "on X" under the amount: the phrase of the verb's object
                object_tokens = [c for o in found.get("obj") for c in o.children for p in spec.preps if _has_case(c, p)]
            # A name right next to the verb is its argument even when the parse attached it wrongly
            # ("Palantir/compound sells", "may have bought spyware/xcomp").
            if not actor_tokens and (before := ctx.adjacent(trigger, ("ACTOR",), before=True)) is not None:
                actor_tokens, construction = [before.root], "active+adjacent"
            if not object_tokens and not spec.preps:
                after = ctx.adjacent(trigger, spec.objects, before=False)
                if after is not None:
                    object_tokens, construction = [after.root], "active+adjacent"
        if not object_tokens:
            return
        objects = ctx.entities_for(_with_conjuncts(object_tokens), spec.objects, self.lexicon.technology_anaphora)
        if not objects and relation == "opposes":
            # "sued the company", "criticised NSO Group": opposing a vendor is opposing what it supplies here
            vendors = ctx.entities_for(_with_conjuncts(object_tokens), ("ACTOR",), self.lexicon.actor_anaphora)
            objects = [t for v in vendors if v.actor_type == "company" for t in ctx.supplied.get(v.entity_id, [])]
            construction += "+vendor" if objects else ""
        negated, hedged = self._negated(trigger), self._hedged(trigger)
        if relation == "acquires" and trigger.lower_ in self.lexicon.order_verbs and _commands(trigger):
            return  # "ordered Serco to stop ...": a command, not a purchase
        if objects and relation in ORDERED_RELATIONS:
            # "ordered the city to stop using X", "barred police from using X": the one who orders restricts X
            # (and the use is the ordered one's, denied: no event of it here)
            rulers = self._ruler_of(ctx, trigger)
            for ruler in rulers:
                for obj in objects:
                    yield ctx.event("restricts", ruler, obj, trigger, "dep:order", False, hedged, SCORES["dep"])
            if rulers:
                return
        if relation == "acquires" and spec.kind == "verb" and objects:
            # "leased from Flock Safety", "bought Pegasus from NSO Group": the seller supplies it.
            supplier_tokens = [t for p in sorted(self.lexicon.supplier_preps) for t in found.get("prep", p)]
            for supplier in ctx.entities_for(_with_conjuncts(supplier_tokens), ("ACTOR",), self.lexicon.actor_anaphora):
                for obj in objects:
                    yield ctx.event("supplies", supplier, obj, trigger, "dep:supplier", negated, hedged, SCORES["dep"])
        if not actor_tokens:
            return
        actors = ctx.entities_for(
            _with_conjuncts(actor_tokens), ("ACTOR",), self.lexicon.actor_anaphora, self.lexicon.generic_actors
        )
        if not actors:
            return
        if relation == "targets" and spec.kind == "verb":
            # "tracked protesters with IMSI catchers", "with the help of spyware": the instrument is used (whoever
            # the target is: "protesters" names no entity)
            instrument_tokens = [t for p in sorted(self.lexicon.instrument_preps) for t in found.get("prep", p)]
            tools = ctx.entities_for(instrument_tokens, ("TECHNOLOGY",), self.lexicon.technology_anaphora)
            for actor in actors:
                for tool in tools:
                    yield ctx.event("uses", actor, tool, trigger, "dep:instrument", negated, hedged, SCORES["dep"])
        if not objects:
            return
        if relation == "uses" and self._intended(trigger):
            relation = "acquires"  # "announced it will deploy", "plans to use"
        for actor in actors:
            for obj in objects:
                if actor.entity_id == obj.entity_id:
                    continue
                yield ctx.event(relation, actor, obj, trigger, f"dep:{construction}", negated, hedged, SCORES["dep"])

    def _ruler_of(self, ctx: _Context, trigger: Token) -> list[_Ref]:
        """Who forbids the trigger: 'X ordered Y to stop using Z' (an order verb over a stopping verb over the
        trigger) or 'X barred Y from using Z' (a restricting verb over 'from' + the trigger)."""
        lex = self.lexicon
        head = trigger.head
        if head is trigger:
            return []
        rulers: list[Token] = []
        from_clause = any(c.lower_ == "from" and c.dep_ in {"mark", "case", "prep"} for c in trigger.children) or (
            trigger.dep_ == "pcomp" and head.lower_ == "from"
        )
        if from_clause:
            verb = head.head if head.lower_ == "from" else head
            if any(t.relation == "restricts" for t in lex.triggers.get(verb.lower_, [])):
                rulers = [c for c in verb.children if c.dep_ in SUBJ]
        elif head.lower_ in lex.negating_verbs and head.dep_ in {"xcomp", "ccomp"} and head.head is not head:
            order = head.head
            if order.lower_ in lex.order_verbs:
                rulers = [c for c in order.children if c.dep_ in SUBJ]
        return ctx.entities_for(rulers, ("ACTOR",), lex.actor_anaphora) if rulers else []

    @staticmethod
    def _antecedent(token: Token, trigger: Token) -> Token:
        """A relative pronoun stands for the noun its clause modifies ("the group that monitored ...")."""
        if token.lower_ in RELATIVE_PRONOUNS and trigger.dep_ in RELCL:
            return trigger.head
        if token.lower_ in {"it", "they"}:
            # "The Met said it would deploy X": the pronoun is the subject of the clause that reports it.
            # (a clause opened by "that" may be misattached: "announced on Monday that it would buy X")
            reported = {"ccomp", "xcomp", "conj"}
            node = trigger
            for _ in range(3):
                if node.head is node or (
                    node.dep_ not in reported and not any(c.lower_ == "that" for c in node.children if c.dep_ == "mark")
                ):
                    break
                node = node.head
                if node.dep_ in {"obl", "nmod"} and node.pos_ != "VERB" and node.head is not node:
                    node = node.head  # the clause hangs off a noun of the reporting clause ("on Monday")
                subjects = [c for c in node.children if c.dep_ in SUBJ and c.lower_ not in {"it", "they"}]
                if subjects:
                    return subjects[0]
        return token

    def _clause_user(self, ctx: _Context, trigger: Token) -> list[Token]:
        """'The Met will double the number of facial recognition vans deployed in Croydon': a participle without an
        agent inside the object of a clause whose subject is an agency is that agency's use (agencies only, and
        not when the clause's verb is itself a trigger: 'Amnesty criticised the cameras deployed ...')."""
        node = trigger.head
        for _ in range(3):
            if node.dep_ in OBJ and node.head is not node:
                verb = node.head
                if verb.lower_ in self.lexicon.triggers:
                    return []
                for subject in (c for c in verb.children if c.dep_ in SUBJ):
                    span = ctx.entity_at(subject.i)
                    if span is not None and span.label_ == "ACTOR" and span._.actor_type in USER_TYPES:
                        return [subject]
                return []
            if node.dep_ not in {"nmod", "compound"} or node.head is node:
                return []
            node = node.head
        return []

    @staticmethod
    def _clause_subject_agency(ctx: _Context, trigger: Token) -> list[Token]:
        """The agency subject of the verb whose object holds the noun the trigger modifies (three steps up)."""
        node = trigger.head
        for _ in range(3):
            if node.head is node:
                return []
            if node.dep_ in OBJ:
                subjects = [c for c in node.head.children if c.dep_ in SUBJ]
                spans = [ctx.entity_at(c.i) for c in subjects]
                if any(s is not None and s.label_ == "ACTOR" and s._.actor_type in USER_TYPES for s in spans):
                    return subjects
                return []
            if node.dep_ not in {"nmod", "compound", "obl"}:
                return []
            node = node.head
        return []

    @staticmethod
    def _inherited_subject(trigger: Token, all_args: dict[int, _Args]) -> list[Token]:
        """'bought and deployed X', 'plans to buy X', 'began using X', 'voted to ban X', 'hacked phones using X':
        the subject of the governing verb (a clause of purpose or manner has no subject of its own).

        A coordinated verb with its own finite auxiliary ("has encouraged forces to adopt X and is funding Y") is a
        clause of the sentence's subject even when the parse hung it on the infinitive: it climbs on to the nearest
        verb with a subject."""
        node = trigger
        for _ in range(3):
            if node.dep_ not in INHERITING or node.head is node:
                break
            if node.dep_ in ADVERBIAL and any(
                c.dep_ in {"mark", "case"} and c.lower_ not in {"to", "by"} for c in node.children
            ):
                break  # "after the council banned it", "because it uses X": a clause of its own
            node = node.head
            subjects = [c for c in node.children if c.dep_ in SUBJ]
            if subjects:
                return subjects
        finite = trigger.dep_ == "conj" and any(
            c.dep_ in {"aux", "aux:pass"} and c.lower_ in FINITE_AUX for c in trigger.children
        )
        if finite:
            for ancestor in list(trigger.ancestors)[:5]:
                subjects = [c for c in ancestor.children if c.dep_ in SUBJ and c.i < trigger.i]
                if ancestor.pos_ in {"VERB", "AUX"} and subjects:
                    return subjects
        return []

    # ------------------------------------------------------------------ modality

    def _governors(self, trigger: Token) -> Iterator[Token]:
        node = trigger
        for _ in range(4):
            if node.head is node or node.dep_ in {"ROOT", "root"}:
                return
            node = node.head
            yield node

    def _negated(self, trigger: Token) -> bool:
        lex = self.lexicon
        if any(c.dep_ == "neg" or c.lower_ in lex.negation for c in trigger.children if c.dep_ not in {"conj", "cc"}):
            return True
        for gov in self._governors(trigger):
            if gov.lower_ in lex.negating_verbs or any(
                c.dep_ == "neg" or c.lower_ in {"not", "n't", "never"} for c in gov.children
            ):
                return True
            if gov.dep_ not in {"xcomp", "ccomp", "conj"}:
                break
        return False

    def _hedged(self, trigger: Token) -> bool:
        lex = self.lexicon
        if any(c.lower_ in lex.hedging for c in trigger.children):
            return True
        return any(
            g.lower_ in lex.hedging_verbs or any(c.lower_ in lex.hedging for c in g.children)
            for g in self._governors(trigger)
        )

    def _intended(self, trigger: Token) -> bool:
        lex = self.lexicon
        if any(c.lower_ in lex.future for c in trigger.children):
            return True
        return any(g.lower_ in lex.intent_verbs for g in self._governors(trigger))

    # ------------------------------------------------------------------ exposure (reports by watchdogs)

    def _exposure_events(self, ctx: _Context) -> list[Event]:
        """'... according to a report by Amnesty International': a watchdog exposing the sentence's technologies."""
        lex = self.lexicon
        events: list[Event] = []
        if not lex.exposure_cues:
            return events
        for sent in ctx.doc.sents:
            lowered = sent.text.lower()
            cue_at = [lowered.find(cue) for cue in lex.exposure_cues if cue in lowered]
            if not cue_at:
                continue
            first_cue = sent.start_char + min(cue_at)
            spans = ctx.in_sentence(sent)
            actors = [
                s
                for s in spans
                if s.label_ == "ACTOR" and s.start_char > first_cue and s._.actor_type in lex.exposure_actor_types
            ]
            if not actors:
                continue
            technologies = [
                (s, s.root)
                for s in spans
                if s.label_ == "TECHNOLOGY" and s.start_char < first_cue and not ctx.compared(s)
            ]
            # "The documents, obtained by X, show ... using the tool": the tool named earlier is what X exposes;
            # "police deployed devices that ..., according to X" (the devices named after): the same.
            for token in sent:
                if token.lower_ not in lex.technology_anaphora or ctx.entity_at(token.i) is not None:
                    continue
                found = ctx._antecedent_entity(token, ("TECHNOLOGY",), lex.technology_anaphora)
                if found is None and token.idx < first_cue:
                    found = ctx._cataphor(token)
                if found is not None and found not in [t for t, _at in technologies]:
                    technologies.append((found, token))
            for actor in actors:
                for tech, at in technologies:
                    ref_actor, ref_tech = ctx.ref(actor), ctx.ref(tech)
                    events.append(ctx.event("opposes", ref_actor, ref_tech, at, "rule:exposure", False, False, 0.6))
        return events

    # ------------------------------------------------------------------ rulings

    def _ruling_events(self, ctx: _Context) -> list[Event]:
        """'The Court of Appeal ruled that the use of facial recognition by the police was unlawful', 'the regulator
        found that X's database breached privacy law': the authority restricts the technologies named between its
        ruling verb and the word of illegality (same sentence; the authority is the actor right before the verb)."""
        lex = self.lexicon
        if not lex.ruling_verbs or not lex.unlawful:
            return []
        doc, events = ctx.doc, []
        if not any(word in ctx.lowered for word in lex.unlawful):
            return []  # a substring test first (most articles rule nothing unlawful)
        for sent in doc.sents:
            lowered = sent.text.lower()  # once per sentence, not once per word of the lexicon
            if not any(word in lowered for word in lex.unlawful):
                continue
            words = [t.lower_ for t in sent]
            if not lex.unlawful.intersection(words) or not lex.ruling_verbs.intersection(words):
                continue
            spans = ctx.in_sentence(sent)
            for verb in (t for t in sent if t.lower_ in lex.ruling_verbs):
                ruler = ctx.adjacent(verb, ("ACTOR",), before=True)
                if ruler is None or ruler._.actor_type not in lex.ruling_types:
                    continue
                end = next((t.i for t in doc[verb.i + 1 : sent.end] if t.lower_ in lex.unlawful), None)
                if end is None or end - verb.i > RULING_WINDOW:
                    continue
                negated = any(t.lower_ in lex.negation for t in doc[verb.i : end])
                hedged = any(t.lower_ in lex.hedging for t in doc[ruler.end : end])
                for tech in (s for s in spans if s.label_ == "TECHNOLOGY" and verb.i < s.start and s.end <= end):
                    events.append(
                        ctx.event("restricts", ctx.ref(ruler), ctx.ref(tech), verb, "rule:ruling", negated, hedged, 0.6)
                    )
        return events

    # ------------------------------------------------------------------ companies named by what they make

    def _descriptor_events(self, ctx: _Context) -> list[Event]:
        """'the spyware maker NSO Group', 'facial recognition company Clearview AI', 'Clearview AI, a facial
        recognition company': a company described by a technology supplies it (the noun after the technology is
        one of the lexicon's company words; up to two words between, such as a nationality, in the apposition)."""
        doc, events = ctx.doc, []
        spans = ctx.spans
        for i, tech in enumerate(spans):
            if tech.label_ != "TECHNOLOGY" or tech.end >= len(doc) or doc[tech.end].lower_ not in ctx.companies:
                continue
            noun = doc[tech.end]
            company: Span | None = None
            following = spans[i + 1] if i + 1 < len(spans) else None
            gap = doc[noun.i + 1 : following.start] if following is not None else None
            if following is not None and gap is not None and len(gap) <= 1 and all(t.text == "," for t in gap):
                company = following  # "the spyware maker NSO Group"
            j = i - 1
            while j >= 0 and spans[j].label_ == "LOCATION":  # "a US ... company": a nationality in between
                j -= 1
            preceding = spans[j] if j >= 0 else None
            if company is None and preceding is not None:
                words = [t.lower_ for t in doc[preceding.end : tech.start]]
                if words[:1] == [","] and 2 <= len(words) <= 5 and words[1] in {"a", "an", "the"}:
                    company = preceding  # "Clearview AI, a US facial recognition company"
            if company is None or company.label_ != "ACTOR" or company._.actor_type != "company":
                continue
            if company.sent != tech.sent:
                continue
            events.append(
                ctx.event("supplies", ctx.ref(company), ctx.ref(tech), noun, "rule:descriptor", False, False, 0.6)
            )
        return events

    # ------------------------------------------------------------------ contracts

    def _contract_events(self, ctx: _Context) -> list[Event]:
        """'The Home Office signed a contract with Palantir for facial recognition software', 'NEC won a deal from
        the city council to supply face recognition cameras': the agency acquires the technology, the company
        supplies it. Read off the words around the contract noun (these sentences are often misparsed): the
        technology after an object cue within a few words, the company right after 'with'/'to' (or the company
        that wins or signs it), the buyer an agency before the noun (or after 'from'/'by')."""
        spec = self.lexicon.contract
        nouns = set(spec.get("nouns", []))
        if not nouns:
            return []
        doc, events = ctx.doc, []
        if not any(noun in ctx.lowered for noun in nouns):
            return []  # a substring test first: most articles name no contract, and a token loop costs
        party_preps, cues = set(spec.get("party_preps", [])), set(spec.get("object_cues", []))
        winning, buyer_preps = set(spec.get("winning_verbs", [])), set(spec.get("buyer_preps", []))
        for token in doc:
            if token.lower_ not in nouns or ctx.entity_at(token.i) is not None:
                continue
            sent = token.sent
            spans = ctx.in_sentence(sent)
            after = [s for s in spans if s.start > token.i and s.start - token.i <= CONTRACT_WINDOW]
            technology = next(
                (
                    s
                    for s in after
                    if s.label_ == "TECHNOLOGY"
                    and any(t.lower_ in cues for t in doc[token.i + 1 : s.start])
                    and not ctx.compared(s)
                ),
                None,
            )
            if technology is None:
                continue
            actors = [s for s in spans if s.label_ == "ACTOR" and s.end <= technology.start]
            supplier = next(
                (
                    s
                    for s in actors
                    if s.start > token.i
                    and s._.actor_type == "company"
                    and doc[token.i + 1].lower_ in party_preps
                    and s.start - token.i <= 3
                ),
                None,
            )
            before = [s for s in actors if s.end <= token.i]
            if supplier is None and before and before[-1]._.actor_type == "company":
                gap = {t.lower_ for t in doc[before[-1].end : token.i]}
                supplier = before[-1] if gap & winning else None
            buyer = next((s for s in reversed(before) if s._.actor_type in USER_TYPES), None)
            if buyer is None:
                buyer = next(
                    (
                        s
                        for s in actors
                        if s.start > token.i and s._.actor_type in USER_TYPES and doc[s.start - 1].lower_ in buyer_preps
                    ),
                    None,
                )
            negated = any(t.lower_ in self.lexicon.negation for t in doc[max(sent.start, token.i - 4) : token.i])
            hedged = any(t.lower_ in self.lexicon.hedging for t in doc[sent.start : token.i])
            obj = ctx.ref(technology)
            for party, relation in ((buyer, "acquires"), (supplier, "supplies")):
                if party is not None:
                    events.append(
                        ctx.event(relation, ctx.ref(party), obj, token, "rule:contract", negated, hedged, 0.6)
                    )
        return events

    # ------------------------------------------------------------------ rights groups that speak

    def _spokesperson_events(self, ctx: _Context, found: list[Event]) -> list[Event]:
        """'Big Brother Watch, the civil liberties group that ..., said the case showed ...', '"...," said Privacy
        International': a civil-society group speaking in the article opposes the technology of its events so far
        (the most frequent event object before it). Read off the words, so a sentence the parser skipped counts:
        the group right before the speech verb (past an apposition between commas) or right after it."""
        lex = self.lexicon
        if not lex.speech_verbs or not lex.spokesperson_types:
            return []
        doc = ctx.doc
        opposing = {(e.actor_id, e.start) for e in found if e.relation == "opposes"}
        events: list[Event] = []
        for span in ctx.spans:
            if span.label_ != "ACTOR":
                continue
            if span._.actor_type not in lex.spokesperson_types and not (
                span._.actor_type == "person" and self._speaks_for_group(ctx, span)
            ):
                continue
            verb = self._speech_verb_of(ctx, span)
            if verb is None:
                continue
            technology = ctx._topic_technology(verb) or ctx.main_technology(verb.sent.end)
            if technology is None:
                continue
            actor = ctx.ref(span)
            sent_start = verb.sent.start_char + len(verb.sent.text) - len(verb.sent.text.lstrip())
            if (actor.entity_id, sent_start) in opposing:
                continue
            negated = any(c.dep_ == "neg" for c in verb.children) or doc[verb.i - 1].lower_ in lex.negation
            events.append(ctx.event("opposes", actor, technology, verb, "rule:spokesperson", negated, False, 0.6))
        return events

    def _speaks_for_group(self, ctx: _Context, person: Span) -> bool:
        """'said Chen Yu, a researcher at Chinese Human Rights Defenders': a person introduced as one of a rights
        group (an apposition right after the name, the group after a preposition, no verb between)."""
        doc = ctx.doc
        i = person.end
        if i >= person.sent.end or doc[i].text != ",":
            return False
        for j in range(i + 1, min(person.sent.end, i + 10)):
            other = ctx.entity_at(j)
            if other is not None and other.label_ == "ACTOR":
                return other._.actor_type in self.lexicon.spokesperson_types and doc[j - 1].lower_ in AFFILIATION
            if doc[j].pos_ in {"VERB", "AUX"} or doc[j].text in {",", ";", "."}:
                return False
        return False

    def _speech_verb_of(self, ctx: _Context, span: Span) -> Token | None:
        """The speech verb of a speaker: 'X said', 'X, the group that ..., said' (no other actor between the
        commas), 'said X'."""
        doc, verbs = ctx.doc, self.lexicon.speech_verbs
        sent = span.sent
        if span.start > sent.start and doc[span.start - 1].lower_ in verbs:
            return doc[span.start - 1]
        i = span.end
        if i < sent.end and doc[i].lower_ in verbs:
            return doc[i]
        if i < sent.end and doc[i].text == ",":
            # an apposition that opens with a determiner describes the speaker ("X, a rights group that challenged
            # the trial before the Council of State, said"): other actors in it are not speakers
            described = i + 1 < sent.end and doc[i + 1].lower_ in {"a", "an", "the", "its"}
            for j in range(i + 1, min(sent.end - 1, i + 30)):
                other = ctx.entity_at(j)
                if other is not None and other.label_ == "ACTOR" and not described:
                    return None
                if doc[j].text == "," and doc[j + 1].lower_ in verbs:
                    return doc[j + 1]
        return None

    # ------------------------------------------------------------------ possessives

    def _possessive_events(self, ctx: _Context) -> list[Event]:
        """ "the FBI's facial recognition database" (the FBI uses it), "Palantir's software" (Palantir supplies it).

        Only for actors whose possession means use or supply (``possessive`` in the lexicon: actor type ->
        relation); a watchdog's or a person's "facial recognition report" says nothing.
        """
        relation_of = self.lexicon.possessive
        events: list[Event] = []
        doc = ctx.doc
        for i, actor in enumerate(ctx.spans):
            relation = relation_of.get(actor._.actor_type or "")
            if actor.label_ != "ACTOR" or relation is None or actor.end >= len(doc):
                continue
            if doc[actor.end].lower_ not in {"'s", "’s", "'"}:
                continue
            following = ctx.spans[i + 1] if i + 1 < len(ctx.spans) else None
            if following is None or following.label_ != "TECHNOLOGY" or following.sent != actor.sent:
                continue
            gap = doc[actor.end + 1 : following.start]
            if len(gap) > 3 or any(t.is_punct or t.pos_ in {"VERB", "AUX"} or t.lower_ in _GAP_STOP for t in gap):
                continue
            ref_actor, ref_tech = ctx.ref(actor), ctx.ref(following)
            events.append(
                ctx.event(relation, ref_actor, ref_tech, following.root, "rule:possessive", False, False, 0.6)
            )
        return events

    # ------------------------------------------------------------------ window fallback (no parser)

    def _window_events(self, ctx: _Context, sents: list[Span]) -> list[Event]:
        doc = ctx.doc
        lex = self.lexicon
        events: list[Event] = []
        for token in (t for sent in sents if len(ctx.in_sentence(sent)) >= 2 for t in sent):
            specs = lex.triggers.get(token.lower_)
            if not specs or ctx.entity_at(token.i) is not None:
                continue
            sent = token.sent
            before = [s for s in ctx.in_sentence(sent) if s.end <= token.i and token.i - s.end <= WINDOW_TOKENS]
            after = [s for s in ctx.in_sentence(sent) if s.start > token.i and s.start - token.i <= WINDOW_TOKENS]
            words = [t.lower_ for t in doc[max(sent.start, token.i - 3) : token.i]]
            passive = bool(words) and words[-1] in BE_FORMS | {"being"} and token.lower_.endswith(("ed", "en", "t"))
            acl_passive = (
                token.i + 1 < len(doc)
                and doc[token.i + 1].lower_ == "by"
                and token.lower_.endswith(("ed", "en", "de", "ld", "lt", "ght"))
            )
            negated = any(w in lex.negation for w in words)
            hedged = any(w in lex.hedging for w in words)
            for spec in specs:
                if spec.particle and (token.i + 1 >= len(doc) or doc[token.i + 1].lower_ != spec.particle):
                    continue
                if spec.kind == "noun":
                    source = "window:nominal"
                    actor = _nearest(before, ("ACTOR",), last=True, possessive=True)
                    obj = _after_prep(doc, token, after, spec)
                elif passive or acl_passive:
                    source = "window:passive"
                    actor = _after_by(doc, token, after)
                    obj = _nearest(before, spec.objects, last=True)
                else:
                    source = "window:active"
                    actor = _nearest(before, ("ACTOR",), last=True)
                    if spec.preps:
                        obj = _after_prep(doc, token, after, spec)
                    else:
                        obj = _nearest(after, spec.objects, last=False)
                if actor is None or obj is None or actor.label_ != "ACTOR" or obj.label_ not in spec.objects:
                    continue
                if actor._.entity_id == obj._.entity_id:
                    continue
                events.append(
                    ctx.event(
                        spec.relation, ctx.ref(actor), ctx.ref(obj), token, source, negated, hedged, SCORES["window"]
                    )
                )
        return events

    # ------------------------------------------------------------------ serialisation

    def to_disk(self, path: str | Path, *, exclude: Iterable[str] = ()) -> None:
        return None

    def from_disk(self, path: str | Path, *, exclude: Iterable[str] = ()) -> EventExtractor:
        return self


def _nearest(spans: list[Span], labels: tuple[str, ...], *, last: bool, possessive: bool = False) -> Span | None:
    pool = [s for s in spans if s.label_ in labels]
    if possessive:
        pool = [s for s in pool if s.end < len(s.doc) and s.doc[s.end].lower_ in {"'s", "’s"}]
    if not pool:
        return None
    return pool[-1] if last else pool[0]


def _after_prep(doc: Doc, trigger: Token, after: list[Span], spec: Trigger) -> Span | None:
    for span in after:
        gap = doc[trigger.i + 1 : span.start]
        if span.label_ in spec.objects and any(t.lower_ in spec.preps for t in gap) and len(gap) <= 4:
            return span
    return None


def _after_by(doc: Doc, trigger: Token, after: list[Span]) -> Span | None:
    for span in after:
        gap = doc[trigger.i + 1 : span.start]
        if span.label_ == "ACTOR" and any(t.lower_ == "by" for t in gap) and len(gap) <= 4:
            return span
    return None


def _names_place_of(place: Span, noun: Token) -> bool:
    """'Moscow police', 'police in Moscow', 'the authorities of Kenya': the place a generic actor belongs to —
    not 'police over Monterrey' or 'police at the station' (where it acts)."""
    root, belonging = place.root, {"in", "of", "from"}
    if root.dep_ == "pobj":  # ClearNLP: police -prep-> in -pobj-> Moscow
        return root.head.head == noun and root.head.lower_ in belonging
    if root.head != noun:
        return False
    if root.dep_ in {"compound", "amod", "poss", "nmod:poss"}:
        return True
    return any(c.dep_ == "case" and c.lower_ in belonging for c in root.children)


def _commands(verb: Token) -> bool:
    """'ordered the city to stop', 'told police to delete': the verb governs an infinitive clause."""
    return any(c.dep_ in {"xcomp", "ccomp"} and any(m.lower_ == "to" for m in c.children) for c in verb.children)


def _after_word(ctx: _Context, token: Token, word: str) -> bool:
    """The token's phrase (its entity, if any) comes right after ``word``, or the parse gives it that case."""
    span = ctx.entity_at(token.i)
    start = span.start if span is not None else token.i
    return _has_case(token, word) or (start > 0 and ctx.doc[start - 1].lower_ == word)


def _participle(token: Token) -> bool:
    """'made by', 'was developed by' — not 'to ban the use of X by agencies' (a 'by' phrase of an infinitive is
    no agent of it). Without a tag, a past-participle ending."""
    if any(c.dep_ in {"auxpass", "aux:pass"} for c in token.children):
        return True
    if token.tag_:
        return token.tag_ == "VBN" or "Part" in token.morph.to_dict().get("VerbForm", "")
    return token.lower_.endswith(("ed", "en", "de", "ld", "lt", "ght", "wn"))


def _determined(token: Token) -> bool:
    """'the system', 'these devices', 'similar systems' (a determiner child; without a parse, a word before)."""
    left = list(token.children) if token.dep_ else list(token.doc[max(token.sent.start, token.i - 2) : token.i])
    return any(c.lower_ in ANAPHOR_DETERMINERS for c in left if c.i < token.i)


def _same_head(span: Span, token: Token) -> bool:
    """'facial recognition cameras' / 'the camera': the mention's last word is the anaphor's noun."""
    last, word = span[-1].lower_, token.lower_
    return last == word or last.rstrip("s") == word.rstrip("s")


def _has_case(token: Token, word: str) -> bool:
    return token.dep_ in {"nmod", "obl", "obl:agent", "prep", "pobj"} and any(
        c.dep_ == "case" and c.lower_ == word for c in token.children
    )


def _with_conjuncts(tokens: list[Token]) -> list[Token]:
    """The tokens and everything coordinated with them ("Alipay and Tencent", "IMSI catchers or drones")."""
    out: list[Token] = []
    for token in tokens:
        out.append(token)
        out.extend(t for t in token.conjuncts if t not in out)
    return out


@dataclass(frozen=True)
class _Ref:
    entity_id: str
    canonical: str
    label: str
    actor_type: str | None
    category: str | None
    country: str | None


class _Context:
    """Per-document lookups: which entity covers a token, which entities a noun phrase holds, recent entities."""

    def __init__(
        self,
        doc: Doc,
        spans: list[Span],
        companies: Iterable[str] = (),
        topic_anaphora: Iterable[str] = (),
        technology_nouns: Iterable[str] = (),
        comparison: Iterable[str] = (),
    ) -> None:
        self.doc = doc
        self.lowered = doc.text.lower()
        self.companies = set(companies)
        self.topic_anaphora = set(topic_anaphora)
        self.technology_nouns = set(technology_nouns)
        self.comparison = set(comparison)
        self.event_objects: list[tuple[int, _Ref]] = []  # (trigger index, object) of the events made so far
        self.supplied: dict[str, list[_Ref]] = {}  # supplier entity_id -> technologies it supplies (events so far)
        self.spans = sorted(spans, key=lambda s: s.start)
        self.starts = [s.start for s in self.spans]
        self._main_country: str | None
        self.by_token: dict[int, Span] = {}
        for span in spans:
            for i in range(span.start, span.end):
                self.by_token[i] = span

    def entity_at(self, i: int) -> Span | None:
        return self.by_token.get(i)

    def adjacent(self, trigger: Token, labels: tuple[str, ...], *, before: bool) -> Span | None:
        """The entity right before the verb (past auxiliaries and adverbs) or right after it (past a determiner)."""
        doc = self.doc
        step = -1 if before else 1
        i = trigger.i + step
        skip = _ADJACENT_SKIP_BEFORE if before else _ADJACENT_SKIP_AFTER
        while 0 <= i < len(doc) and doc[i].sent == trigger.sent:
            span = self.by_token.get(i)
            if span is not None:
                return span if span.label_ in labels else None
            if doc[i].lower_ not in skip:
                return None
            i += step
        return None

    def in_sentence(self, sent: Span) -> list[Span]:
        lo = bisect.bisect_left(self.starts, sent.start)
        hi = bisect.bisect_left(self.starts, sent.end)
        return [s for s in self.spans[lo:hi] if s.end <= sent.end]

    def ref(self, span: Span) -> _Ref:
        canonical = span._.canonical or span.text
        return _Ref(
            span._.entity_id or f"{span.label_.lower()}:{canonical.lower()}",
            canonical,
            span.label_,
            span._.actor_type,
            span._.category,
            span._.country,
        )

    def compared(self, span: Span) -> bool:
        """'devices that mimic mobile phone towers': a technology named only as what something imitates."""
        sent_start = span.sent.start
        before = [t.lower_ for t in self.doc[max(sent_start, span.start - 3) : span.start]]
        return any(word in self.comparison for word in before)

    def entities_for(
        self,
        tokens: list[Token],
        labels: tuple[str, ...],
        anaphora: dict[str, str | None] | set[str],
        generic: dict[str, str] | None = None,
    ) -> list[_Ref]:
        out: list[_Ref] = []
        for token in tokens:
            # "Denise Coleman, a Glenville resident who ...": the apposition's entity, not a modifier inside it
            span = self._apposition_entity(token, labels) if token.dep_ in APPOS else None
            if span is None:
                span = self._phrase_entity(token, labels)
            if span is None:
                span = self._apposition_entity(token, labels)
            if span is None and token.lower_ in anaphora:
                span = self._antecedent_entity(token, labels, anaphora)
                if span is None and "TECHNOLOGY" in labels:
                    span = self._cataphor(token)
            if span is not None and span.label_ == "TECHNOLOGY" and self.compared(span):
                span = None
            ref = self.ref(span) if span is not None else None
            if ref is None and token.lower_ in self.topic_anaphora and "TECHNOLOGY" in labels and _determined(token):
                ref = self._topic_technology(token)
            if ref is None and generic and token.lower_ in generic:
                ref = self._generic_actor(token, generic[token.lower_])
            if ref is not None and ref not in out:
                out.append(ref)
            for other in self._listed_with(span) if span is not None else []:
                if (other_ref := self.ref(other)) not in out:
                    out.append(other_ref)
        return out

    def _listed_with(self, span: Span) -> list[Span]:
        """Entities of the same label listed with this one ("Amnesty International and Big Brother Watch"),
        whatever the parse made of the list."""
        listed: list[Span] = []
        for step in (-1, 1):
            current = span
            while True:
                index = self.spans.index(current) + step
                if not 0 <= index < len(self.spans):
                    break
                other = self.spans[index]
                gap = self.doc[other.end : current.start] if step < 0 else self.doc[current.end : other.start]
                words = [t.lower_ for t in gap]
                if other.label_ != span.label_ or not words or any(w not in {",", "and", "or"} for w in words):
                    break
                listed.append(other)
                current = other
        return listed

    def _generic_actor(self, token: Token, actor_type: str) -> _Ref | None:
        """'Police in Moscow', 'Moscow police', 'the Kenyan authorities' -> an actor named after its place."""
        if self.by_token.get(token.i) is not None:
            return None
        place = self._phrase_entity(token, ("LOCATION",), places=True)
        if place is None or not _names_place_of(place, token):
            return None
        name = f"{place._.canonical or place.text} {token.lower_}"
        return _Ref(f"actor:{slug(name)}", name, "ACTOR", actor_type, None, place._.country)

    def _phrase_entity(self, token: Token, labels: tuple[str, ...], *, places: bool = False) -> Span | None:
        """The entity at the token, else the first one of a wanted label inside its noun phrase.

        The phrase stops at clauses, coordination and appositions (handled on their own), so "facial recognition
        software supplied by Russian companies including NtechLab" yields the technology, not the company; and,
        unless ``places``, at locative modifiers ("deployments in London" is not London).
        """
        span = self.by_token.get(token.i)
        if span is not None:
            return span if span.label_ in labels else None

        def keep(child: Token) -> bool:
            if child.dep_ in _PHRASE_STOP:
                return False
            if places:
                return True
            return not (
                child.lower_ in _LOCATIVE or any(c.dep_ == "case" and c.lower_ in _LOCATIVE for c in child.children)
            )

        stack = [c for c in token.children if keep(c)]
        seen: list[Span] = []
        while stack:
            node = stack.pop()
            found = self.by_token.get(node.i)
            if found is not None and found.label_ in labels and found not in seen:
                seen.append(found)
            stack.extend(c for c in node.children if keep(c))
        if not seen:
            return None
        # Prefer the entity nearest the head: "the Kunming Public Security Bureau's officers" -> the bureau.
        return min(seen, key=lambda s: abs(s.root.i - token.i))

    def _apposition_entity(self, token: Token, labels: tuple[str, ...]) -> Span | None:
        """'Palantir, the US data analytics company, ...': the company is Palantir."""
        candidates = [c for c in token.children if c.dep_ in APPOS]
        if token.dep_ in APPOS:
            candidates.append(token.head)
        for other in candidates:
            span = self.by_token.get(other.i)
            if span is not None and span.label_ in labels:
                return span
        return None

    def _antecedent_entity(
        self, token: Token, labels: tuple[str, ...], anaphora: dict[str, str | None] | set[str]
    ) -> Span | None:
        """'the company', 'the force', 'the system': the latest entity of that kind in the last few sentences;
        'it' / 'them' (a technology only): the latest one earlier in the same sentence ("bought X and used it")."""
        if token.lower_ in {"it", "them"}:
            if "TECHNOLOGY" not in labels:
                return None
            earlier = [s for s in self.in_sentence(token.sent) if s.end <= token.i and s.label_ == "TECHNOLOGY"]
            return earlier[-1] if earlier else None
        if not _determined(token):
            return None
        if token.lower_ in self.topic_anaphora:
            return None  # entities_for: _topic_technology
        # paragraph breaks are sentences of their own: they do not count
        sents = [s for s in self.doc.sents if s.start <= token.i and not all(t.is_space for t in s)]
        sent_starts = [s.start for s in sents][-ANAPHORA_SENTENCES:]
        window_start = sent_starts[0] if sent_starts else 0
        wanted_type = anaphora.get(token.lower_) if isinstance(anaphora, dict) else None
        fallback: Span | None = None
        for span in reversed(self.spans):
            if span.end > token.i or span.start < window_start:
                continue
            if span.label_ not in labels or span._.actor_type == "person" or self._descriptor(span):
                continue
            if span.label_ == "TECHNOLOGY":
                # "the cameras" prefers "facial recognition cameras" to a later "CCTV footage"
                if _same_head(span, token):
                    return span
                fallback = fallback or span
            elif wanted_type is None or span._.actor_type == wanted_type:
                return span
        return fallback

    def _cataphor(self, token: Token) -> Span | None:
        """'deployed devices that mimic phone towers ... The devices, known as IMSI catchers, ...': a generic noun
        named just after (the same noun followed by 'known as' / 'called' / 'such as' and a technology)."""
        doc, word = self.doc, token.lower_.rstrip("s")
        if token.lower_ in {"it", "them"}:
            return None
        for i in range(token.i, min(len(doc), token.i + CATAPHOR_TOKENS)):
            if doc[i].lower_.rstrip("s") != word:
                continue
            j = i + 1
            while j < min(len(doc), i + 6) and doc[j].lower_ in _NAMING_WORDS:
                j += 1
            span = self.by_token.get(j)
            if j > i + 1 and span is not None and span.start == j and span.label_ == "TECHNOLOGY":
                return span
        return None

    def _descriptor(self, span: Span) -> bool:
        """'the US data analytics company': a technology naming what a company does, not one it refers back to."""
        return span.label_ == "TECHNOLOGY" and span.end < len(self.doc) and self.doc[span.end].lower_ in self.companies

    def _topic_technology(self, token: Token) -> _Ref | None:
        """'spoke against the expansion', 'challenged the trial': the technology of the events found earlier in the
        article (the most frequent; the latest on a tie); none when no event came before."""
        counts: dict[str, int] = {}
        latest: dict[str, tuple[int, _Ref]] = {}
        for at, ref in self.event_objects:
            if at < token.i and ref.label == "TECHNOLOGY":
                counts[ref.entity_id] = counts.get(ref.entity_id, 0) + 1
                latest[ref.entity_id] = max(latest.get(ref.entity_id, (at, ref)), (at, ref), key=lambda p: p[0])
        if not counts:
            return None
        return latest[max(counts, key=lambda k: (counts[k], latest[k][0]))][1]

    def event(
        self,
        relation: str,
        actor: _Ref,
        obj: _Ref,
        trigger: Token,
        source: str,
        negated: bool,
        hedged: bool,
        score: float,
    ) -> Event:
        if source != "rule:possessive":  # "Tencent's WeChat" names an app in passing: not what the article is about
            self.event_objects.append((trigger.i, obj))
        if relation == "supplies" and obj not in self.supplied.setdefault(actor.entity_id, []):
            self.supplied[actor.entity_id].append(obj)
        sent = trigger.sent
        location = self._location(sent, trigger)
        raw = sent.text
        lead = len(raw) - len(raw.lstrip())
        evidence = raw.strip()
        return Event(
            relation=relation,  # type: ignore[arg-type]
            actor_id=actor.entity_id,
            actor=actor.canonical,
            object_id=obj.entity_id,
            object=obj.canonical,
            object_label=obj.label,  # type: ignore[arg-type]
            start=sent.start_char + lead,
            end=sent.start_char + lead + len(evidence),
            evidence=evidence,
            source=source,
            actor_type=actor.actor_type,
            object_category=obj.category if obj.label == "TECHNOLOGY" else None,
            location_id=location.entity_id if location else None,
            location=location.canonical if location else None,
            country=(location.country if location else None) or actor.country or self.main_country(),
            negated=negated,
            hedged=hedged,
            score=score,
        )

    def main_technology(self, end: int) -> _Ref | None:
        """The technology the article names most before token ``end`` (two mentions at least; the first on a tie):
        what a speaker is talking about when no event came before."""
        counts: dict[str, int] = {}
        named: dict[str, Span] = {}  # key -> its plainest mention ("health code" before "health code app")
        for span in self.spans:
            if span.start >= end:
                break
            if span.label_ == "TECHNOLOGY":
                # "health code app", "health code system" and "health code" are one technology here
                words = (span._.canonical or span.text).lower().split()
                if len(words) > 1 and words[-1] in self.technology_nouns:
                    words = words[:-1]
                key = " ".join(words)
                counts[key] = counts.get(key, 0) + 1
                if key not in named or len(span) < len(named[key]):
                    named[key] = span
        if not counts or max(counts.values()) < 2:
            return None
        best = max(counts.values())
        return self.ref(min((named[k] for k, n in counts.items() if n == best), key=lambda s: s.start))

    def _location(self, sent: Span, trigger: Token) -> _Ref | None:
        """The place of the event: a LOCATION the trigger governs ("deployed ... in Croydon", "Police in Moscow
        used ..."), the one nearest the trigger; without a parse, the nearest in the sentence."""
        places = [s for s in self.in_sentence(sent) if s.label_ == "LOCATION"]
        if self.doc.has_annotation("DEP"):
            places = [s for s in places if trigger in s.root.ancestors]
        if not places:
            return None
        return self.ref(min(places, key=lambda s: abs(s.start - trigger.i)))

    def main_country(self) -> str | None:
        """The country most of the article's places are in (the event's country when nothing closer says)."""
        if not hasattr(self, "_main_country"):
            counts: dict[str, int] = {}
            for span in self.spans:
                if span.label_ == "LOCATION" and span._.country:
                    counts[span._.country] = counts.get(span._.country, 0) + 1
            self._main_country = max(sorted(counts), key=lambda c: counts[c]) if counts else None
        return self._main_country


def _unique(events: list[Event]) -> list[Event]:
    """One event per (relation, actor, object, sentence): the dependency reading wins over the window one."""
    best: dict[tuple[str, str, str, int], Event] = {}
    for event in events:
        key = (event.relation, event.actor_id, event.object_id, event.start)
        if key not in best or (event.score or 0) > (best[key].score or 0):
            best[key] = event
    return sorted(best.values(), key=lambda e: (e.start, e.relation, e.actor_id, e.object_id))


@Language.factory("survnews_events", default_config={"lexicon_path": None})
def make_event_extractor(nlp: Language, name: str, lexicon_path: str | None) -> EventExtractor:
    return EventExtractor(nlp, name, lexicon_path)
