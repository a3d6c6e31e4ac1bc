"""Corpus conversion (layouts, boundaries, label maps), a tiny real training run, and the shipped base pipeline."""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import pytest
import spacy
import typer
from spacy.pipeline import EntityRuler
from spacy.tokens import DocBin
from spacy.vocab import Vocab
from typer.testing import CliRunner

from pipeline.cli._train import train_app
from pipeline.ner_corpora import (
    CONLL_LABELS,
    CORPORA,
    EVAL_CORPUS,
    PAIR_LAYOUT,
    UD_LAYOUT,
    WNUT_LABELS,
    convert_corpus,
    map_tags,
    read_conll,
    sentence_spans,
    sentences_to_docs,
)
from pipeline.train import BASE_MODEL_DIR, finalize_pipeline
from tests.conftest import shared_or_skip

UD_SAMPLE = """# newdoc id = blog-1
# sent_id = blog-1-0001
# text = Maria Lopez joined Acme Corp in Leeds.
1\tMaria\tB-PER\t-\tann
2\tLopez\tI-PER\t-\tann
3\tjoined\tO
4\tAcme\tB-ORG\t-\tann
5\tCorp\tI-ORG\t-\tann
6\tin\tO
7\tLeeds\tB-LOC\t-\tann
8\t.\tB-O\t-\tann

# sent_id = blog-1-0002
# text = American police said so.
1\tAmerican\tB-OTH\t-\tann
2\tpolice\tO
3\tsaid\tO
4\tso\tO
5\t.\tO

# newdoc id = blog-2
# sent_id = blog-2-0001
# text = #hashtag
1\t#hashtag\tO
"""

PAIR_SAMPLE = (
    "Visiting\tO\nNew\tB-location\nYork\tI-location\nwith\tO\n@sam\tB-person\n\t\n"
    "\tO\nApple\tB-corporation\nfans\tB-group\n \n#tbt\tO\nok\tO\n"
)

IOB1_SAMPLE = (
    "-DOCSTART- O\n\nThe O\nMad I-ORG\nCapsule I-ORG\nMarkets I-ORG\nmet O\nJohn I-PER\nSmith I-PER\n"
    "Jane B-PER\nDoe I-PER\n. O\n\nIt O\nwas O\nin O\nParis I-LOC\n\n-DOCSTART- O\n\nRome I-LOC\n"
)


def test_ud_layout_boundaries_comments_and_label_map() -> None:
    sentences = list(read_conll(UD_SAMPLE.splitlines(keepends=True), UD_LAYOUT))
    assert [len(s.tokens) for s in sentences] == [8, 5, 1]
    assert sentences[0].doc_key == sentences[1].doc_key != sentences[2].doc_key
    assert sentences[2].tokens == ["#hashtag"]  # a token line, not a comment
    assert sentences[0].spaces() == [True, True, True, True, True, True, False, True]
    docs = list(sentences_to_docs(Vocab(), sentences, CONLL_LABELS))
    assert len(docs) == 2 and docs[0].text.startswith("Maria Lopez joined Acme Corp in Leeds. American")
    assert [(e.text, e.label_) for e in docs[0].ents] == [
        ("Maria Lopez", "PERSON"),
        ("Acme Corp", "ORG"),
        ("Leeds", "LOC"),
    ]
    assert [s.text for s in docs[0].sents][1] == "American police said so."


def test_two_column_tabs_blank_tab_lines_and_wnut_map() -> None:
    sentences = list(read_conll(PAIR_SAMPLE.splitlines(keepends=True), PAIR_LAYOUT, block_is_doc=True))
    # tab-only and space-only lines end a block; the empty token is dropped
    assert [s.tokens for s in sentences] == [
        ["Visiting", "New", "York", "with", "@sam"],
        ["Apple", "fans"],
        ["#tbt", "ok"],
    ]
    assert len({s.doc_key for s in sentences}) == 3
    docs = list(sentences_to_docs(Vocab(), sentences, WNUT_LABELS))
    assert [(e.text, e.label_) for e in docs[0].ents] == [("New York", "LOC"), ("@sam", "PERSON")]
    assert [(e.text, e.label_) for e in docs[1].ents] == [("Apple", "ORG")]
    # WNUT "group" is left unannotated (missing), neither ORG nor O
    assert [t.ent_iob_ for t in docs[1]] == ["B", ""] and docs[0][0].ent_iob_ == "O"


def test_space_separated_iob1_with_docstart() -> None:
    sentences = list(read_conll(IOB1_SAMPLE.splitlines(keepends=True), PAIR_LAYOUT))
    assert [len(s.tokens) for s in sentences] == [10, 4, 1]
    assert sentences[0].doc_key == sentences[1].doc_key != sentences[2].doc_key
    docs = list(sentences_to_docs(Vocab(), sentences, CONLL_LABELS))
    assert [(e.text, e.label_) for e in docs[0].ents] == [
        ("Mad Capsule Markets", "ORG"),
        ("John Smith", "PERSON"),
        ("Jane Doe", "PERSON"),
        ("Paris", "LOC"),
    ]
    assert [(e.text, e.label_) for e in docs[1].ents] == [("Rome", "LOC")]


def test_tag_mapping_and_stray_tags() -> None:
    assert map_tags(["B-OTH", "I-OTH", "B-O", "I-PER", "B-MISC", "X"], CONLL_LABELS) == [
        "O",
        "O",
        "O",
        "I-PERSON",
        "O",
        "O",
    ]
    assert sentence_spans(["I-LOC", "I-LOC", "B-LOC", "O", "I-ORG"]) == [(0, 2, "LOC"), (2, 3, "LOC"), (4, 5, "ORG")]


# ---------------------------------------------------------------- a tiny real training run

PEOPLE = ["Maria Lopez", "John Smith", "Amina Yusuf", "Li Wei"]
ORGS = ["Acme Corp", "Northwind Bank", "Globex"]
PLACES = ["Leeds", "Lagos", "Porto Alegre"]


def template_sentences(count: int) -> list[list[tuple[str, str]]]:
    """Sentences of the form '<person> works for <org> in <place> .' tagged in IOB2."""

    def tagged(name: str, label: str) -> list[tuple[str, str]]:
        words = name.split()
        return [(w, ("B-" if i == 0 else "I-") + label) for i, w in enumerate(words)]

    combos = itertools.islice(itertools.cycle(itertools.product(PEOPLE, ORGS, PLACES)), count)
    return [
        [*tagged(p, "PER"), ("works", "O"), ("for", "O"), *tagged(o, "ORG"), ("in", "O"), *tagged(c, "LOC"), (".", "O")]
        for p, o, c in combos
    ]


def write_fake_ner_train(root: Path, sentences_per_file: int = 24) -> None:
    """Small files at every path the converters read, each in its corpus's own layout."""
    for spec in (*CORPORA, EVAL_CORPUS):
        for rel in (*spec.train, *spec.dev, *spec.test):
            path = root / "ner-train" / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            wnut = spec.label_map is WNUT_LABELS
            lines: list[str] = ["-DOCSTART- O", ""] if spec.name == "wikigold" else []
            for n, sentence in enumerate(template_sentences(sentences_per_file)):
                if spec.layout is UD_LAYOUT:
                    lines.append(f"# sent_id = doc{n // 5}-{n}")
                for i, (word, tag) in enumerate(sentence, start=1):
                    if wnut:
                        tag = tag.replace("PER", "person").replace("ORG", "corporation").replace("LOC", "location")
                    if spec.layout is UD_LAYOUT:
                        lines.append(f"{i}\t{word}\t{tag}")
                    elif spec.name == "wikigold":
                        lines.append(f"{word} {tag}")
                    else:
                        lines.append(f"{word}\t{tag}")
                lines.append("\t" if wnut else "")
            path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def test_train_base_command_end_to_end(tmp_path: Path) -> None:
    shared = tmp_path / "shared"
    write_fake_ner_train(shared)
    output = tmp_path / "models" / "survnews_base"
    app = typer.Typer()
    app.add_typer(train_app, name="train")
    result = CliRunner().invoke(
        app,
        [
            "train",
            "base",
            "--shared",
            str(shared),
            "--output",
            str(output),
            "--work-dir",
            str(tmp_path / "work"),
            "--max-steps",
            "40",
        ],
    )
    assert result.exit_code == 0, result.output
    assert "uner_english_pud" in result.stdout and (tmp_path / "work" / "train.spacy").is_file()
    meta = json.loads((output / "meta.json").read_text(encoding="utf-8"))
    assert meta["name"] == "survnews_base" and meta["version"] == "0.1.0"
    assert set(meta["labels"]["ner"]) == {"PERSON", "ORG", "LOC"}
    assert meta["survnews"]["uner_english_pud_test"]["exact"]["ALL"]["gold"] == 24 * 3
    # strings were pruned to what a fresh pipeline needs, not the training vocabulary
    strings = json.loads((output / "vocab" / "strings.json").read_text(encoding="utf-8"))
    assert "Lopez" not in strings and "PERSON" in strings
    nlp = spacy.load(output)
    doc = nlp("John Smith works for Globex in Leeds .")
    assert {e.label_ for e in doc.ents} <= {"PERSON", "ORG", "LOC"} and doc.ents
    assert len(list(doc.sents)) == 1


def test_finalize_keeps_predictions_after_pruning(tmp_path: Path) -> None:
    nlp = spacy.blank("en")
    ruler = nlp.add_pipe("entity_ruler")
    assert isinstance(ruler, EntityRuler)
    ruler.add_patterns([{"label": "ORG", "pattern": "Northwind Bank"}])
    before = [(e.text, e.label_) for e in nlp("Deposits at Northwind Bank rose.").ents]
    nlp.to_disk(tmp_path / "trained")
    finalize_pipeline(tmp_path / "trained", tmp_path / "final", name="probe", version="9.9.9")
    after_nlp = spacy.load(tmp_path / "final")
    assert after_nlp.meta["name"] == "probe"
    assert [(e.text, e.label_) for e in after_nlp("Deposits at Northwind Bank rose.").ents] == before


# ---------------------------------------------------------------- the real corpora and the shipped pipeline


def test_uner_pud_conversion_matches_published_counts() -> None:
    root = shared_or_skip("ner-train", "uner_english_pud").parent
    docs, counts = convert_corpus(root, EVAL_CORPUS, Vocab())
    (test,) = counts
    assert (test.split, test.sentences, test.tokens) == ("test", 1000, 21176)
    assert dict(test.entities) == {"PERSON": 414, "LOC": 426, "ORG": 235}  # B- tags in en_pud-ud-test.stats
    assert docs["test"][0].text.startswith("“While much of the digital transition")


def test_shipped_base_pipeline_loads_offline_and_finds_entities() -> None:
    if not (BASE_MODEL_DIR / "meta.json").is_file():
        pytest.skip(f"{BASE_MODEL_DIR} is absent: run `survnews train base` to build it")
    nlp = spacy.load(BASE_MODEL_DIR)
    assert nlp.meta["name"] == "survnews_base" and nlp.pipe_names == ["tok2vec", "ner", "sentencizer"]
    doc = nlp(
        "Prime Minister Keir Starmer told the BBC on Tuesday that Microsoft would open an office in "
        "Manchester next year."
    )
    found = {(e.text, e.label_) for e in doc.ents}
    assert ("Keir Starmer", "PERSON") in found or ("Manchester", "LOC") in found, found
    assert {label for _, label in found} <= {"PERSON", "ORG", "LOC"}
    size = sum(p.stat().st_size for p in BASE_MODEL_DIR.rglob("*") if p.is_file())
    assert size < 8_000_000


def test_shipped_pipeline_scores_are_recorded() -> None:
    if not (BASE_MODEL_DIR / "meta.json").is_file():
        pytest.skip(f"{BASE_MODEL_DIR} is absent: run `survnews train base` to build it")
    scores = json.loads((BASE_MODEL_DIR / "meta.json").read_text(encoding="utf-8"))["survnews"]
    assert scores["uner_english_pud_test"]["exact"]["ALL"]["f1"] > 0.5


def test_docbin_roundtrip_of_converted_docs(tmp_path: Path) -> None:
    sentences = list(read_conll(UD_SAMPLE.splitlines(keepends=True), UD_LAYOUT))
    docs = list(sentences_to_docs(Vocab(), sentences, CONLL_LABELS))
    DocBin(docs=docs).to_disk(tmp_path / "d.spacy")
    back = list(DocBin().from_disk(tmp_path / "d.spacy").get_docs(Vocab()))
    assert [[(e.start_char, e.end_char, e.label_) for e in d.ents] for d in back] == [
        [(e.start_char, e.end_char, e.label_) for e in d.ents] for d in docs
    ]


# ---------------------------------------------------------------- the syntax pipeline (tagger + parser)

UD_TREE = """# sent_id = s{n}
# text = Police used cameras in Leeds .
1	Police	police	NOUN	NNS	Number=Plur	2	nsubj	2:nsubj	_
2	used	use	VERB	VBD	Tense=Past	0	root	0:root	_
3	cameras	camera	NOUN	NNS	Number=Plur	2	obj	2:obj	_
4	in	in	ADP	IN	_	5	case	5:case	_
5	Leeds	Leeds	PROPN	NNP	Number=Sing	2	obl	2:obl:in	_
6	.	.	PUNCT	.	_	2	punct	2:punct	_
"""


def write_fake_ud_train(root: Path, sentences: int = 30) -> None:
    ewt = root / "ud-train" / "ud_english_ewt"
    gum = root / "ud-train" / "gum"
    ewt.mkdir(parents=True)
    gum.mkdir(parents=True)
    trees = "\n".join(UD_TREE.format(n=n) for n in range(sentences))
    for split in ("train", "dev", "test"):
        (ewt / f"en_ewt-ud-{split}.conllu").write_text(trees, encoding="utf-8")
    (gum / "GUM_news_fake.conllu").write_text(trees, encoding="utf-8")
    (gum / "GUM_news_heldout.conllu").write_text(trees, encoding="utf-8")
    (gum / "splits.md").write_text("# Splits\n\n## test\n\n  * GUM_news_heldout\n\n## train\n\n", encoding="utf-8")


@pytest.mark.slow  # a real (tiny) spacy train run, ~20 s
def test_train_base_also_trains_the_syntax_pipeline(tmp_path: Path) -> None:
    from pipeline.syntax_corpora import gum_splits

    shared = tmp_path / "shared"
    write_fake_ud_train(shared)
    assert gum_splits(shared / "ud-train" / "gum") == {"GUM_news_heldout": "test"}
    app = typer.Typer()
    app.add_typer(train_app, name="train")
    output = tmp_path / "models" / "survnews_base"
    result = CliRunner().invoke(
        app,
        [
            *("train", "base", "--no-ner", "--shared", str(shared), "--output", str(output)),
            *("--work-dir", str(tmp_path / "work" / "ner"), "--max-steps", "8"),
        ],
    )
    assert result.exit_code == 0, result.output
    assert "ud_english_ewt_test" in result.stdout
    syntax_dir = tmp_path / "models" / "survnews_syntax"
    meta = json.loads((syntax_dir / "meta.json").read_text(encoding="utf-8"))
    assert meta["name"] == "survnews_syntax" and "dep_las" in meta["survnews"]["ud_english_ewt_test"]
    assert meta["survnews"]["sentences"] == {"train": 60, "dev": 30, "test": 30}  # GUM test left out
    nlp = spacy.load(syntax_dir)
    assert nlp.pipe_names == ["syntax_tok2vec", "tagger", "morphologizer", "parser"]
    doc = nlp("Police used cameras in Leeds .")
    assert doc.has_annotation("DEP") and doc.has_annotation("TAG")
    assert str(doc[0].morph) is not None  # the pruned strings still name morphological features
    assert not output.exists()  # --no-ner: the NER pipeline was not touched
