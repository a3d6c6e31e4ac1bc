"""``survnews_actors``: actors from a gazetteer of real public entities, organisation-name patterns and the NER.

* Gazetteer (``schemas/actors.jsonl``): names and aliases of public bodies, companies, NGOs, media and public
  figures with their type, matched case-sensitively on whole tokens.
* Patterns: capitalised names ending in an organisation head ("... Public Security Bureau", "... Police
  Department", "... Holdings Ltd", "Human Rights ...") or opening one ("Ministry of ...", "Department of ...",
  "University of ..."), and "<place or demonym> police / government".
* NER: ORG spans are typed by the same head-word rules (unknown: no type); PERSON spans become ``person`` actors
  with a ``private_person`` flag read from roles in the context (resident, protester vs minister, researcher).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from spacy.language import Language
from spacy.tokens import Doc, Span, Token
from spacy.util import ensure_path

from pipeline.components.actor_patterns import (
    FOREIGN_OPENERS,
    PERSON_TITLES,
    descriptor_matches,
    foreign_org_matches,
    person_matches,
)
from pipeline.components.common import (
    CLAUSE_OPENERS,
    SCHEMAS_DIR,
    SurfaceIndex,
    add_candidate,
    candidate_attrs,
    candidates,
    is_sentence_start,
    ner_kind,
    read_jsonl,
)
from pipeline.components.common import (
    doc_text as full_text,
)
from pipeline.components.locations import build_index

GAZETTEER_PATH = SCHEMAS_DIR / "actors.jsonl"
ACTOR_TYPES = (
    "government",
    "law_enforcement",
    "intelligence",
    "military",
    "company",
    "civil_society",
    "media",
    "academic",
    "international_org",
    "political_party",
    "person",
)
MAX_NAME_TOKENS = 10

# Last words of organisation names -> actor type. Checked longest first, so "Public Security Bureau" wins over "Bureau".
HEAD_TYPES: dict[tuple[str, ...], str] = {
    ("Public", "Security", "Bureau"): "law_enforcement",
    ("Public", "Security", "Department"): "law_enforcement",
    ("Police", "Department"): "law_enforcement",
    ("Police", "Service"): "law_enforcement",
    ("Police", "Force"): "law_enforcement",
    ("Police", "Bureau"): "law_enforcement",
    ("Police",): "law_enforcement",
    ("Constabulary",): "law_enforcement",
    ("Gendarmerie",): "law_enforcement",
    ("Sheriff's", "Office"): "law_enforcement",
    ("Sheriff’s", "Office"): "law_enforcement",
    ("Sheriff's", "Department"): "law_enforcement",
    ("Sheriff’s", "Department"): "law_enforcement",
    ("Border", "Patrol"): "law_enforcement",
    ("Intelligence", "Agency"): "intelligence",
    ("Intelligence", "Service"): "intelligence",
    ("Intelligence", "Bureau"): "intelligence",
    ("Intelligence", "Directorate"): "intelligence",
    ("Security", "Service"): "intelligence",
    ("Signals", "Directorate"): "intelligence",
    ("Army",): "military",
    ("Navy",): "military",
    ("Air", "Force"): "military",
    ("Armed", "Forces"): "military",
    ("Defense", "Forces"): "military",
    ("Defence", "Forces"): "military",
    ("Ministry",): "government",
    ("Department",): "government",
    ("Bureau",): "government",
    ("Central", "Bank"): "government",
    ("Bank",): "company",
    ("Agency",): "government",
    ("Administration",): "government",
    ("Commission",): "government",
    ("Council",): "government",
    ("Authority",): "government",
    ("Office",): "government",
    ("Parliament",): "government",
    ("Assembly",): "government",
    ("Court",): "government",
    ("Tribunal",): "government",
    ("Government",): "government",
    ("Committee",): "government",
    ("Commissioner",): "government",
    ("Senate",): "government",
    ("Congress",): "government",
    ("Municipality",): "government",
    ("Battalion",): "law_enforcement",
    ("Inc",): "company",
    # Company forms and words of other languages ("Lærling Digital AS", "Redmar Tecnologías", "Nación Servicios")
    ("AS",): "company",
    ("ASA",): "company",
    ("Ltda",): "company",
    ("Tecnologías",): "company",
    ("Tecnologias",): "company",
    ("Tecnologia",): "company",
    ("Sistemas",): "company",
    ("Servicios",): "company",
    ("Serviços",): "company",
    ("Soluciones",): "company",
    ("Soluções",): "company",
    ("Logistics",): "company",
    ("Movilidad",): "company",
    ("Inc.",): "company",
    ("Ltd",): "company",
    ("Ltd.",): "company",
    ("Limited",): "company",
    ("LLC",): "company",
    ("Corp",): "company",
    ("Corp.",): "company",
    ("Corporation",): "company",
    ("Holdings",): "company",
    ("Group",): "company",
    ("Co.",): "company",
    ("PLC",): "company",
    ("plc",): "company",
    ("GmbH",): "company",
    ("AG",): "company",
    ("S.A.",): "company",
    ("SpA",): "company",
    ("Technologies",): "company",
    ("Telecom",): "company",
    ("Telecommunications",): "company",
    ("Industries",): "company",
    ("Electronics",): "company",
    ("Foundation",): "civil_society",
    ("Watch",): "civil_society",
    ("Coalition",): "civil_society",
    ("Union",): "civil_society",
    ("Association",): "civil_society",
    ("Society",): "civil_society",
    ("Project",): "civil_society",
    ("University",): "academic",
    ("College",): "academic",
    ("Institute",): "academic",
    ("Institution",): "academic",
    ("Academy",): "academic",
    ("Lab",): "academic",
    ("Laboratory",): "academic",
    ("Times",): "media",
    ("Post",): "media",
    ("Journal",): "media",
    ("Herald",): "media",
    ("Gazette",): "media",
    ("Tribune",): "media",
    ("News",): "media",
    ("Radio",): "media",
    ("Television",): "media",
    ("Broadcasting", "Corporation"): "media",
    ("Party",): "political_party",
    ("Unit",): "law_enforcement",
    ("Squad",): "law_enforcement",
    ("Task", "Force"): "law_enforcement",
    ("Police", "Prefecture"): "law_enforcement",
    ("Police", "Authority"): "law_enforcement",
    ("Police", "Office"): "law_enforcement",
    ("Police", "Commission"): "government",
    ("Intelligence", "Centre"): "intelligence",
    ("Intelligence", "Center"): "intelligence",
    ("Monitoring", "Centre"): "intelligence",
    ("Security", "Department"): "law_enforcement",
    ("Directorate",): "government",
    ("Regulator",): "government",
    ("Ombudsman",): "government",
    ("Inspectorate",): "government",
    ("Secretariat",): "government",
    ("Circuit",): "government",
    ("Service",): "government",
    ("Revenue", "Service"): "government",
    ("Systems",): "company",
    ("Analytics",): "company",
    ("Solutions",): "company",
    ("Labs",): "company",
    ("Networks",): "company",
    ("Communications",): "company",
    ("Forensics",): "company",
    ("Pty", "Ltd"): "company",
    ("BV",): "company",
    ("NV",): "company",
    ("SAC",): "company",
    ("SA",): "company",
    ("SAS",): "company",
    ("SRL",): "company",
    ("AB",): "company",
    ("Oy",): "company",
    ("Sdn", "Bhd"): "company",
    ("LLP",): "company",
    ("Software",): "company",
    ("Mobile",): "company",
    ("Wireless",): "company",
    ("Robotics",): "company",
    ("Dynamics",): "company",
    ("Metro",): "company",
    ("Vigilancia",): "company",
    ("Aerospace",): "company",
    ("Alliance",): "civil_society",
    ("Collective",): "civil_society",
    ("Initiative",): "civil_society",
    ("Network",): "civil_society",
    ("Campaign",): "civil_society",
    ("Movement",): "civil_society",
    ("Defenders",): "civil_society",
    ("Monitor",): "civil_society",
    ("Frontline",): "civil_society",
    ("Forum",): "civil_society",
    ("Trust",): "civil_society",
    ("Fund",): "civil_society",
    ("Center",): "civil_society",
    ("Centre",): "civil_society",
    ("Lawyers",): "civil_society",
    ("Clinic",): "civil_society",
    ("Review",): "media",
    ("Ledger",): "media",
    ("Observer",): "media",
    ("Mirror",): "media",
    ("Chronicle",): "media",
    ("Courier",): "media",
    ("Daily",): "media",
    ("Weekly",): "media",
    ("Express",): "media",
    ("Standard",): "media",
    ("Sentinel",): "media",
    ("Clarion",): "media",
    ("Magazine",): "media",
    ("Press",): "media",
    ("Dispatch",): "media",
    ("Bulletin",): "media",
    ("Inquirer",): "media",
    ("Telegraph",): "media",
    ("Notícias",): "media",
    ("Noticias",): "media",
    ("Hoy",): "media",
    ("Diario",): "media",
    ("Zeitung",): "media",
    ("Desk",): "media",
    ("Press", "Collective"): "media",
    ("Broadcasting",): "media",
    ("TV",): "media",
    ("FM",): "media",
    ("Podcast",): "media",
    ("Newsroom",): "media",
    ("Research", "Group"): "academic",
    ("Research", "Centre"): "academic",
    ("Research", "Center"): "academic",
    ("Observatory",): "academic",
    ("School",): "academic",
    ("Data", "Lab"): "academic",
}
_HEADS_BY_FIRST: dict[str, list[tuple[tuple[str, ...], str]]] = {}
for _words, _type in sorted(HEAD_TYPES.items(), key=lambda kv: -len(kv[0])):
    _HEADS_BY_FIRST.setdefault(_words[0], []).append((_words, _type))
# Names that mark civil society whatever their head word ("Council for Civil Liberties").
# Words inside a name that outrank its head word or descriptor.
TYPE_MARKERS: tuple[tuple[frozenset[str], str], ...] = (
    (
        frozenset(
            {
                "Police",
                "Policía",
                "Polícia",
                "Investigation",
                "Investigations",
                "Criminal",
                "Constabulary",
                "Gendarmerie",
                "Carabineros",
                "Patrol",
                "Garda",
                "Cybercrime",
            }
        ),
        "law_enforcement",
    ),
    (frozenset({"Intelligence", "Espionage", "Inteligencia", "Inteligência"}), "intelligence"),
    (frozenset({"Army", "Armed", "Military", "Navy", "Ejército"}), "military"),
    (frozenset({"University", "Universidad", "Universidade", "Université", "Laboratório", "Research"}), "academic"),
)
# Organisation and place words that are also common family names when they open a person's name ("Park Min-seo").
_SURNAME_LIKE = {"Park", "Bank", "Power", "Church", "Hall", "King", "Young", "Lee", "Street", "Port", "Ford"}
# Heads of public bodies: a "Human Rights Commission" or an "Office of the Privacy Commissioner" is government.
PUBLIC_BODY_WORDS = frozenset(
    {
        "Commission",
        "Commissioner",
        "Ombudsman",
        "Authority",
        "Office",
        "Ministry",
        "Department",
        "Court",
        "Tribunal",
        "Regulator",
        "Directorate",
        "Inspectorate",
        "Agency",
    }
)
# Words that make a capitalised run an organisation's name rather than a person's.
ORG_WORDS = {
    "Group",
    "Foundation",
    "Institute",
    "University",
    "Council",
    "Court",
    "Police",
    "Ministry",
    "Agency",
    "Society",
    "Association",
    "Network",
    "Alliance",
    "Collective",
    "Initiative",
    "Watch",
    "Monitor",
    "Daily",
    "Review",
    "Sentinel",
    "Ledger",
    "Observer",
    "Mirror",
    "Times",
    "Post",
    "News",
    "Radio",
    "Metro",
    "Transit",
    "Telecom",
    "Systems",
    "Analytics",
    "Solutions",
    "Technologies",
    "Bank",
    "Commission",
    "Authority",
    "Service",
    "Office",
    "Bureau",
    "Department",
    "Directorate",
    "Lab",
    "Centre",
    "Center",
    "Project",
    "Campaign",
    "Union",
    "Party",
    "Assembly",
    "Parliament",
    "Senate",
    "Congress",
    "Airport",
    "Station",
    "Street",
    "Road",
    "Avenue",
    "Square",
    "Market",
    "Park",
    "Hospital",
    "School",
    "College",
    "Academy",
    "Prison",
    "Camp",
    "Estate",
    "Tower",
    "Bridge",
    "Press",
    "Magazine",
    "Journal",
    "Herald",
    "Tribune",
    "Gazette",
    "Express",
    "Standard",
    "Chronicle",
    "Courier",
    "Company",
    "Corporation",
    "Inc",
    "Ltd",
    "LLC",
    "Holdings",
    "Industries",
    "Electronics",
    "Forensics",
    "Security",
    "Digital",
    "Data",
    "Rights",
    "Defenders",
    "Lawyers",
    "Frontline",
    "Forum",
    "Trust",
    "Fund",
    "Unit",
    "Squad",
    "Force",
    "Army",
    "Navy",
    "Guard",
    "Command",
    "Cybercrime",
    "Public",
    "National",
    "Federal",
    "State",
    "City",
    "Municipal",
    "Provincial",
    "Regional",
    "Republic",
    "Kingdom",
    "United",
    "Global",
    "International",
    "App",
}
# Street and district words: "Avenida Paulista", "South Bronx" are places, not people.
ORG_WORDS |= {"Avenida", "Rua", "Rue", "Calle", "Via", "Vía", "Gran", "Place", "Plaza", "Praça", "Piazza", "Boulevard"}
ORG_WORDS |= {"North", "South", "East", "West", "Upper", "Lower", "Greater", "Central", "Saint", "San", "Santa", "Port"}
CIVIL_SOCIETY_MARKERS = ("Civil Liberties", "Human Rights", "Digital Rights", "Rights Watch", "Privacy", "Freedom")
# Legal instruments look like organisation names but are not actors ("Privacy Act", "Investigatory Powers Bill").
LEGAL_WORDS = {
    "Act",
    "Bill",
    "Law",
    "Directive",
    "Regulation",
    "Convention",
    "Code",
    "Amendment",
    "Treaty",
    "Charter",
    "Order",
    "Rule",
    "Rules",
    "Decree",
    "Ordinance",
    "Protocol",
    "Statute",
    "Constitution",
}

# Heads that take a complement: "Ministry of Public Security", "University of Toronto".
OPENING_HEADS = {
    "Movement",
    "Collective",
    "Campaign",
    "Network",
    "Alliance",
    "Initiative",
    "Observatory",
    "Circuit",
    "Squad",
    "Unit",
    "Inspectorate",
    "Secretariat",
    "Directorate",
    "Ministry",
    "Department",
    "Bureau",
    "Office",
    "Agency",
    "Commission",
    "Council",
    "Court",
    "University",
    "Institute",
    "Academy",
    "College",
    "Committee",
    "Administration",
    "Authority",
    "Center",
    "Centre",
    "School",
    "Federation",
    "Foundation",
    "Association",
    "Society",
    "Union",
    "Coalition",
    "League",
    "Board",
    "Secretary",
    "Commissioner",
    "Organization",
    "Organisation",
    "Service",
}
CONNECTORS = {"of", "for", "and", "on", "&", "de"}
# Capitalised words that start a sentence or a clause without being part of a name.
NON_NAME_WORDS = CLAUSE_OPENERS | {
    "According",
    "All",
    "Also",
    "Although",
    "Another",
    "Both",
    "Calls",
    "Each",
    "Every",
    "Former",
    "Last",
    "Local",
    "Many",
    "Meanwhile",
    "Most",
    "My",
    "Next",
    "Now",
    "Other",
    "Over",
    "Several",
    "Since",
    "Some",
    "Then",
    "Today",
    "Under",
    "Yesterday",
    "Your",
}
HUMAN_RIGHTS_OPENERS = (("Human", "Rights"), ("Civil", "Liberties"), ("Digital", "Rights"), ("Privacy",))
_OPENER_FIRST_WORDS = {opener[0] for opener in HUMAN_RIGHTS_OPENERS}
# "<place> police": a generic word made specific by a place ("Beijing police", "the Chinese government").
LOWER_HEADS = {"police": "law_enforcement", "government": "government", "military": "military", "army": "military"}
ADMIN_WORDS = {
    "city",
    "municipal",
    "provincial",
    "district",
    "county",
    "state",
    "local",
    "federal",
    "central",
    "national",
    "regional",
    "metropolitan",
    "prefectural",
    "village",
    "town",
    "township",
}

PUBLIC_ROLES = {
    "parliamentarian",
    "vice-president",
    "chairperson",
    "magistrate",
    "auditor",
    "regulator",
    "ombudsman",
    "sergeant",
    "captain",
    "lieutenant",
    "academic",
    "scientist",
    "lecturer",
    "criminologist",
    "brigadier",
    "councilmember",
    "alderman",
    "minister",
    "president",
    "premier",
    "chancellor",
    "secretary",
    "spokesperson",
    "spokesman",
    "spokeswoman",
    "senator",
    "congressman",
    "congresswoman",
    "lawmaker",
    "legislator",
    "mp",
    "governor",
    "mayor",
    "official",
    "officials",
    "commissioner",
    "director",
    "chief",
    "chairman",
    "chairwoman",
    "chair",
    "ceo",
    "cto",
    "cfo",
    "founder",
    "co-founder",
    "executive",
    "head",
    "leader",
    "researcher",
    "professor",
    "scholar",
    "analyst",
    "expert",
    "lawyer",
    "attorney",
    "judge",
    "prosecutor",
    "ambassador",
    "diplomat",
    "general",
    "colonel",
    "commander",
    "king",
    "queen",
    "prince",
    "journalist",
    "reporter",
    "correspondent",
    "editor",
    "dissident",
    "campaigner",
    "advocate",
    "representative",
    "rep.",
    "sen.",
    "gov.",
    "dr.",
    "prof.",
    "officer",
    "inspector",
    "superintendent",
    "sheriff",
    "dean",
    "author",
    "economist",
    "fellow",
    "vice",
    "deputy",
    "party",
    "policeman",
    "detective",
    "investigator",
    "technologist",
    "consultant",
    "partner",
    "manager",
    "adviser",
    "advisor",
    "counsel",
    "whistleblower",
    "billionaire",
    "entrepreneur",
    "politician",
    "candidate",
    "mep",
    "councillor",
    "peer",
    "qc",
    "kc",
    "justice",
    "lord",
    "lady",
    "sir",
    "baroness",
    "dame",
    "chairs",
    "leads",
    "heads",
    "runs",
    "directs",
    "represents",
    "oversees",
    "founded",
    "manages",
    "commands",
    "chaired",
    "led",
    "headed",
    "lead",
    "coordinator",
    "programme",
    "campaigns",
    "policy",
}
PRIVATE_ROLES = {
    "resident",
    "residents",
    "protester",
    "protestor",
    "demonstrator",
    "villager",
    "citizen",
    "student",
    "worker",
    "employee",
    "driver",
    "shopkeeper",
    "volunteer",
    "source",
    "user",
    "customer",
    "mother",
    "father",
    "son",
    "daughter",
    "wife",
    "husband",
    "relative",
    "neighbour",
    "neighbor",
    "victim",
    "patient",
    "farmer",
    "teenager",
    "surnamed",
    "surname",
    "pseudonym",
    "anonymity",
    "nephew",
    "niece",
    "grandmother",
    "grandfather",
    "friend",
    "passenger",
    "tenant",
    "shopper",
    "commuter",
    "homeowner",
    "parent",
    "pensioner",
    "retiree",
    "local",
    "sister",
    "brother",
    "aunt",
    "uncle",
    "cousin",
    "grandson",
    "granddaughter",
    "widow",
    "widower",
    "pupil",
    "schoolgirl",
    "schoolboy",
    "child",
    "boy",
    "girl",
    "minor",
    "trader",
    "vendor",
    "hawker",
    "seller",
    "cleaner",
    "waiter",
    "waitress",
    "nurse",
    "teacher",
    "pharmacist",
    "programmer",
    "labourer",
    "laborer",
    "rider",
    "cook",
    "mechanic",
    "carpenter",
    "tailor",
    "designer",
    "accountant",
    "businessman",
    "businesswoman",
    "cashier",
    "gardener",
    "owner",
    "fisherman",
    "housewife",
    "mum",
    "dad",
    "protesters",
    "demonstrators",
    "petitioner",
    "depositor",
    "detainee",
    "prisoner",
    "refugee",
    "migrant",
    "asylum",
    "applicant",
    "claimant",
    "recipient",
    "plaintiff",
    "complainant",
    "witness",
    "survivor",
    "flyer",
    "freshman",
    "graduate",
    "undergraduate",
    "rescuer",
    "activist",
    "organiser",
    "organizer",
    "player",
    "hairdresser",
    "barber",
    "electrician",
    "plumber",
    "builder",
    "courier",
    "clerk",
    "engineer",
    "doctor",
    "lives",
    "lived",
    "works",
    "worked",
    "sells",
    "sold",
    "drives",
    "lost",
    "studies",
    "attends",
    "commutes",
    "old",
    "uninstalled",
    "fled",
    "arrested",
    "detained",
}
PUBLIC_TITLES = {
    "justice",
    "judge",
    "lord",
    "lady",
    "sir",
    "dame",
    "dr",
    "prof",
    "professor",
    "senator",
    "sen",
    "rep",
    "president",
    "minister",
    "governor",
    "mayor",
    "general",
    "gen",
    "col",
    "commissioner",
    "chief",
    "inspector",
    "superintendent",
    "detective",
    "sheriff",
    "ambassador",
    "king",
    "queen",
    "prince",
    "princess",
    "pope",
    "cardinal",
    "bishop",
    "rabbi",
    "imam",
    "chancellor",
    "premier",
    "secretary",
    "congressman",
    "congresswoman",
    "councillor",
    "councilman",
    "councilwoman",
    "mp",
    "mep",
    "lt",
    "sgt",
    "capt",
    "cpl",
    "maj",
    "brig",
    "lieutenant",
    "sergeant",
    "captain",
    "major",
    "alderman",
    "councilmember",
    "supt",
    "insp",
    "det",
}
# Role words on their own are never actors ("the Prime Minister said", "Bosses agreed").
ROLE_WORDS = (
    PUBLIC_ROLES
    | PRIVATE_ROLES
    | {
        "boss",
        "officer",
        "staff",
        "passenger",
        "activist",
        "critic",
        "analyst",
        "agent",
        "official",
        "resident",
    }
)
ANONYMITY_PHRASES = (
    "not his real name",
    "not her real name",
    "asked not to be named",
    "declined to be named",
    "only gave",
    "gave only",
    "declined to give",
    "requested anonymity",
    "spoke on condition",
    "identified only",
    "asked to be identified",
    "only as",
    "first name only",
    "only his first name",
    "only her first name",
    "gave his first name",
    "gave her first name",
    "a pseudonym",
    "not their real name",
    "withheld",
    "for fear of",
)
ROLE_WINDOW = 8


@dataclass(frozen=True)
class GazetteerEntry:
    name: str
    actor_type: str
    country: str | None
    sentence_start: bool = True  # False: also a common word ("Oracle"), not trusted as a sentence's first word


def load_gazetteer(path: str | Path | None = None) -> list[dict[str, Any]]:
    rows = read_jsonl(Path(path) if path else GAZETTEER_PATH)
    for row in rows:
        if row.get("type") not in ACTOR_TYPES:
            raise ValueError(f"gazetteer entry {row.get('name')!r}: unknown type {row.get('type')!r}")
    return rows


class ActorTagger:
    """Adds ACTOR candidates from the gazetteer, organisation patterns and NER ORG/PERSON spans."""

    def __init__(
        self, nlp: Language, name: str, gazetteer_path: str | None = None, use_ner: bool = True, patterns: bool = True
    ) -> None:
        self.name = name
        self.use_ner = use_ner
        self.patterns = patterns
        self.rows = load_gazetteer(gazetteer_path)
        self._build()
        self.locations = build_index()

    def _build(self) -> None:
        self.index: dict[str, GazetteerEntry] = {}
        self.lower_index: dict[str, GazetteerEntry] = {}
        self.surfaces = SurfaceIndex(())
        for row in self.rows:
            entry = GazetteerEntry(row["name"], row["type"], row.get("country"), row.get("sentence_start", True))
            for surface in [row["name"], *row.get("aliases", [])]:
                self.index.setdefault(surface, entry)
                self.index.setdefault(surface.replace("'", "’"), entry)
                if len(surface) > 4 and not surface.isupper():  # for typing NER spans: "Metropolitan police"
                    self.lower_index.setdefault(surface.lower(), entry)
        self.surfaces = SurfaceIndex(self.index)

    # -- main -----------------------------------------------------------------------------------------------
    def __call__(self, doc: Doc) -> Doc:
        taken: list[tuple[int, int]] = []
        for start, end, entry in self._gazetteer_matches(doc):
            taken.append((start, end))
            add_candidate(
                doc,
                start,
                end,
                "ACTOR",
                actor_type=entry.actor_type,
                country=entry.country,
                private_person=False if entry.actor_type == "person" else None,
                source="gazetteer",
            )
        pattern_persons: list[Span] = []
        if self.patterns:
            for start, end, actor_type, country in self._pattern_matches(doc):
                # A pattern name that contains a gazetteer name ("Tencent Holdings Ltd") is the fuller name.
                taken.append((start, end))
                add_candidate(doc, start, end, "ACTOR", actor_type=actor_type, country=country, source="pattern")
            found = descriptor_matches(doc, self._is_place_or_known) + foreign_org_matches(doc)
            for start, end, actor_type in found:
                start, end = _strip_edges(doc, start, end)
                if end > start and doc[end - 1].text not in LEGAL_WORDS:
                    typed = self._typed(doc, start, end, self._refine_type(doc[start:end], actor_type))
                    add_candidate(doc, start, end, "ACTOR", actor_type=typed[2], country=typed[3], source="pattern")
            org_texts = {
                c.text for c in candidates(doc, "ACTOR") if candidate_attrs(c).get("actor_type") not in (None, "person")
            }
            pattern_persons = [
                doc[s:e]
                for s, e in person_matches(doc, lambda text: text in org_texts or self._is_not_person_name(text))
            ]
        if self.use_ner or pattern_persons:
            self._add_ner_actors(doc, pattern_persons)
        if self.patterns:
            self._add_place_chapters(doc)
            self._repeat_introduced_names(doc)
        return doc

    def _repeat_introduced_names(self, doc: Doc) -> None:
        """A name a descriptor introduced ("the ride-hailing company Kovoja") is the same actor when it comes back
        on its own ("Kovoja said"), where neither the NER nor a pattern sees it."""
        introduced = {
            c.text: candidate_attrs(c)
            for c in candidates(doc, "ACTOR")
            if candidate_attrs(c).get("source") == "pattern"
            and candidate_attrs(c).get("actor_type") not in (None, "person")
        }
        if not introduced:
            return
        text = full_text(doc)
        covered = bytearray(len(text))
        for c in candidates(doc):
            covered[c.start_char : c.end_char] = b"\x01" * (c.end_char - c.start_char)
        for name, attrs in introduced.items():
            for match in re.finditer(rf"(?<![\w-]){re.escape(name)}(?![\w-])", text):
                if any(covered[match.start() : match.end()]):
                    continue
                span = doc.char_span(match.start(), match.end())
                if span is None:
                    continue
                covered[match.start() : match.end()] = b"\x01" * (match.end() - match.start())
                add_candidate(
                    doc,
                    span.start,
                    span.end,
                    "ACTOR",
                    actor_type=attrs.get("actor_type"),
                    country=attrs.get("country"),
                    source="pattern",
                )

    def _add_place_chapters(self, doc: Doc) -> None:
        """An organisation's national or state chapter is one name: "Amnesty International Kenya",
        "Digital Security Lab Ukraine", "ACLU of Ohio" (an acronym, "of", a state or country)."""
        places = {c.start: c for c in candidates(doc, "LOCATION")}
        for actor in candidates(doc, "ACTOR"):
            attrs = candidate_attrs(actor)
            if attrs.get("actor_type") == "person" or not actor[-1].text[:1].isupper() or actor.end >= len(doc):
                continue
            of = doc[actor.end].lower_ == "of" and actor[-1].is_upper and len(actor[-1]) >= 2
            place = places.get(actor.end + 1 if of else actor.end)
            if place is None or "\n" in doc[place.start - 1].whitespace_ or "\n" in actor[-1].whitespace_:
                continue
            readings = self.locations.places.get(place.text, [])
            if not any(p.kind in {"country", "admin1"} for p in readings):
                continue
            if place.end < len(doc) and _is_name_token(doc[place.end]) and doc[place.end].text not in NON_NAME_WORDS:
                continue  # the place opens a longer name ("ACLU Ohio Chapter ..."): leave it to the other rules
            add_candidate(
                doc,
                actor.start,
                place.end,
                "ACTOR",
                actor_type=attrs.get("actor_type"),
                country=candidate_attrs(place).get("country") or attrs.get("country"),
                source=attrs.get("source") or "pattern",
            )

    def _is_place_or_known(self, text: str) -> bool:
        """A place or demonym: not the name of an organisation a descriptor introduces ("the Israeli firm")."""
        return text in self.locations.places or text in self.locations.demonyms or text in NON_NAME_WORDS

    def _is_not_person_name(self, text: str, trust_places: bool = True) -> bool:
        """Known actors, places, and names built like organisations ("Kenya Daily Sentinel") are not people.

        ``trust_places`` False (the NER says person): a first word that is also a place ("Mara Quell") is fine."""
        if text in self.index or text in self.locations.places or text in self.locations.demonyms:
            return True
        if any(w.lower() in {"and", "&", "of", "for", "on", "in"} for w in text.split()):
            return True
        words = text.split()
        last = self.locations.places.get(words[-1], []) if len(words) > 1 else []
        if any(p.kind == "country" for p in last):
            return True  # "Airtel Uganda": a company's national arm
        first = self.locations.places.get(words[0], []) if words else []
        if trust_places and (
            any(p.kind == "country" for p in first) or (words and words[0] in self.locations.demonyms)
        ):
            return True  # "Kenya Daily Sentinel"; a first name that is also a town ("Tama Rangi") is fine
        return any(
            w in _HEADS_BY_FIRST
            or w in OPENING_HEADS
            or (w in ORG_WORDS and (k > 0 or len(words) == 1 or w not in _SURNAME_LIKE))
            or w.lower() in LOWER_HEADS
            or w.isupper()
            for k, w in enumerate(words)
        )

    @staticmethod
    def _refine_type(span: Span, actor_type: str) -> str:
        """Words inside the name outrank the descriptor's type ("the agency X Police" is law enforcement)."""
        words = {t.text for t in span}
        for marker_words, marked in TYPE_MARKERS:
            if words & marker_words and not (marked == "military" and span[0].text in {"Ministry", "Ministerio"}):
                return marked
        return actor_type

    def _gazetteer_matches(self, doc: Doc) -> list[tuple[int, int, GazetteerEntry]]:
        out: list[tuple[int, int, GazetteerEntry]] = []
        i = 0
        n = len(doc)
        doc_text = full_text(doc)
        while i < n:
            if not doc[i].text[:1].isalnum():
                i += 1
                continue
            hit: tuple[int, GazetteerEntry] | None = None
            for j, text in self.surfaces.spans_from(doc, i, doc_text):
                entry = self.index.get(text)
                if entry is not None:
                    hit = (j, entry)
                    break
            if hit is None:
                i += 1
                continue
            end, entry = hit
            # A name that is also a word ("Meta") counts at a sentence start only when it speaks ("Meta said").
            speaks = end < n and doc[end].lower_ in _SPEECH_VERBS
            if not entry.sentence_start and is_sentence_start(doc, i) and not speaks:
                i += 1
                continue
            out.append((i, end, entry))
            i = end
        return out

    def _pattern_matches(self, doc: Doc) -> list[tuple[int, int, str, str | None]]:
        out: list[tuple[int, int, str, str | None]] = []
        for token in doc:
            head = self._head_at(doc, token.i)
            if head is not None:
                head_end, actor_type = head
                span = self._expand_name(doc, token.i, head_end, actor_type)
                if span is not None:
                    out.append(self._typed(doc, span[0], span[1], actor_type))
            lower_type = LOWER_HEADS.get(token.text)
            if token.i + 1 < len(doc) and doc[token.i + 1].lower_ in _BUILDING_WORDS:
                lower_type = None  # "Hartley Street police station": a building, not the police
            if lower_type is not None:
                prefix = self._place_prefix(doc, token.i)
                if prefix is not None:
                    out.append((prefix[0], token.i + 1, lower_type, prefix[1]))
        for start in range(len(doc)):
            if doc[start].text not in _OPENER_FIRST_WORDS:
                continue
            for opener in HUMAN_RIGHTS_OPENERS:
                if tuple(t.text for t in doc[start : start + len(opener)]) == opener:
                    end = start + len(opener)
                    while end < len(doc) and _is_name_token(doc[end]) and doc[end].text not in NON_NAME_WORDS:
                        end += 1
                    if end > start + len(opener) and doc[end - 1].text not in LEGAL_WORDS:
                        out.append(self._typed(doc, start, end, "civil_society"))
        return _longest_first(out)

    def _typed(self, doc: Doc, start: int, end: int, actor_type: str) -> tuple[int, int, str, str | None]:
        """Type and country of a pattern name: a known name at its end ("US National Security Agency") decides,
        then civil-society markers, then the head word."""
        for k in range(start, end):
            entry = self.index.get(doc[k:end].text)
            if entry is not None:
                return (start, end, entry.actor_type, entry.country or self._country_of(doc, start, end))
        text = doc[start:end].text
        words = {t.text.title() if t.is_lower else t.text for t in doc[start:end]}
        public_body = bool(words & PUBLIC_BODY_WORDS) or doc[start].text in {"National", "Federal", "State"}
        if actor_type == "government":
            for marker_words, marked in TYPE_MARKERS:
                if words & marker_words and marked != "academic":
                    actor_type = marked  # "Georgia Bureau of Investigation", "Directorate of Criminal Investigations"
                    break
        if (
            actor_type not in {"law_enforcement", "intelligence", "military"}
            and not (actor_type == "government" and public_body)
            and any(marker in text for marker in CIVIL_SOCIETY_MARKERS)
        ):
            actor_type = "civil_society"
        return (start, end, actor_type, self._country_of(doc, start, end))

    def _head_at(self, doc: Doc, i: int) -> tuple[int, str] | None:
        for words, actor_type in _HEADS_BY_FIRST.get(doc[i].text, ()):
            end = i + len(words)
            if end <= len(doc) and tuple(t.text for t in doc[i:end]) == words:
                return end, actor_type
        return None

    def _expand_name(self, doc: Doc, head_start: int, head_end: int, actor_type: str) -> tuple[int, int] | None:
        start = head_start
        while start > 0:
            prev = doc[start - 1]
            if "\n" in prev.whitespace_:
                break
            glued = prev.text in {"-", "–"} and not prev.whitespace_ and start >= 2 and not doc[start - 2].whitespace_
            # "Prosecutor General's Office", "Attorney-General's Department", "Mayor's Office": a role's own office
            possessive = (
                prev.text in {"'s", "’s"}
                and start >= 2
                and doc[start - 2].text in POSSESSIVE_OFFICE_ROLES
                and doc[head_start].text in {"Office", "Department", "Bureau", "Chambers", "Secretariat"}
            )
            if possessive:
                start -= 2
                continue
            linked = (
                prev.lower_ in {"of", "and", "for", "to", "na", "&", "de", "do", "da", "del", "dos", "das"}
                and start >= 2
                and _is_name_token(doc[start - 2])
                and doc[start - 2].text not in NON_NAME_WORDS
                and not is_sentence_start(doc, start - 2)
                # "Globe Telecom and Smart Communications" are two names: the left one ends in a head word
                and not (prev.lower_ in {"and", "&"} and doc[start - 2].text not in _SUBJECT_WORDS)
            )
            if glued or linked:  # "Anti-Corruption Bureau", "Freedom of Expression Association"
                start -= 2
                continue
            if not _is_name_token(prev) or prev.text in NON_NAME_WORDS:
                break
            if is_sentence_start(doc, start - 1) and prev.text in NON_NAME_WORDS:
                break
            start -= 1
        while start < head_start and (
            doc[start].lower_ in {"of", "and", "for", "to", "na", "&"} or doc[start].is_punct
        ):
            start += 1
        end = head_end
        head_word = doc[head_end - 1].text
        if head_word in OPENING_HEADS or doc[head_start].text in OPENING_HEADS:
            if head_end < len(doc) and doc[head_end].text == "General":
                head_end += 1  # "Directorate General for Territorial Surveillance", "Secretariat General of ..."
            end = _expand_complement(doc, head_end)
        elif (
            end + 1 < len(doc)
            and doc[end].lower_ == "of"
            and (
                doc[end + 1].text in self.locations.places
                or any(c.start == end + 1 for c in candidates(doc, "LOCATION"))
                # "Armed Forces of the Philippines"
                or (doc[end + 1].lower_ == "the" and any(c.start == end + 2 for c in candidates(doc, "LOCATION")))
            )
        ):
            end = _expand_complement(doc, head_end)  # "Federal Government of Nigeria", "Central Bank of Brazil"
        if start == head_start and end == head_end:
            return None  # a bare head word ("Police", "the Ministry") names nothing in particular
        # "State Council" at a sentence start is still fine; a lone generic word before the head is not a name.
        return (start, end)

    def _place_prefix(self, doc: Doc, head_i: int) -> tuple[int, str | None] | None:
        """'Beijing police', 'the Chinese government', 'Qingshan district government' -> (start, country)."""
        start = head_i
        while start > 0 and doc[start - 1].lower_ in ADMIN_WORDS:
            start -= 1
        name_end = start
        while start > 0 and _is_name_token(doc[start - 1]) and doc[start - 1].text not in NON_NAME_WORDS:
            start -= 1
        if start == name_end:
            return None
        name = doc[start:name_end].text
        if name in self.locations.demonyms:
            return (start, self.locations.demonyms[name])
        for place in candidates(doc, "LOCATION"):  # the reading the location component chose in this article
            if (place.start, place.end) == (start, name_end):
                return (start, candidate_attrs(place).get("country"))
        places = self.locations.places.get(name)
        if places:
            return (start, min(places, key=lambda p: p.rank()).country)
        if name_end < head_i:  # "Qingshan district government": an administrative word vouches for the name
            return (start, None)
        return None

    def _country_of(self, doc: Doc, start: int, end: int) -> str | None:
        for i in range(start, end):
            for j in range(min(end, i + 4), i, -1):
                text = doc[i:j].text
                if text in self.locations.demonyms:
                    return self.locations.demonyms[text]
                places = self.locations.places.get(text)
                if places and text not in self.locations.never and text not in self.locations.context_required:
                    return min(places, key=lambda p: p.rank()).country
        return None

    # -- NER ------------------------------------------------------------------------------------------------
    def _add_ner_actors(self, doc: Doc, pattern_persons: list[Span] | None = None) -> None:
        persons: list[Span] = list(pattern_persons or [])
        pattern_offsets = {(span.start, span.end) for span in persons}
        org_types: dict[str, str] = {}
        for c in candidates(doc, "ACTOR"):
            typed = candidate_attrs(c).get("actor_type")
            if typed not in (None, "person"):
                org_types.setdefault(c.text, typed)
        covered = {i for span in persons for i in range(span.start, span.end)}
        person_words = {t.text for e in doc.ents if ner_kind(e) == "PERSON" for t in e if t.is_title}
        # Family names come last ("Adebayo Salami") or first ("Cao Yongchang"): both ends of a full name count.
        surnames = {t.text for span in persons if len(span) > 1 for t in (span[0], span[-1])}
        located = {(c.start, c.end) for c in candidates(doc, "LOCATION") if candidate_attrs(c).get("source") != "ner"}
        for ent in doc.ents if self.use_ner else ():
            kind = ner_kind(ent)
            span = _trim(ent)
            if span is None or not span.text[:1].isupper() or any(ch.isdigit() for ch in span.text):
                continue  # "COVID-19", "the", lowercase fragments
            if (
                kind == "LOC"
                and (span.start, span.end) not in located
                and all(t.is_title for t in span)
                and any(t.text in person_words for t in span)
                and not _is_person_ent(ent)
            ):
                kind = "PERSON"  # "Cao Yongchang" read as a place, while "Cao" is a person elsewhere in the text
            if kind == "ORG" and len(span) == 1 and span.text in person_words | surnames:
                kind = "PERSON"  # "Cao said" after "Cao Yongchang": the surname of a person named before
            if kind == "ORG" and span.end < len(doc) and doc[span.end].is_title and doc[span.end].is_alpha:
                continue  # "Lunar New" (Year): the NER stopped inside a longer capitalised name
            if kind not in {"ORG", "PERSON"}:
                continue
            if len(span) == 1 and (
                span.text in NON_NAME_WORDS
                or span.text in _HEADS_BY_FIRST
                or span.text.lower() in LOWER_HEADS
                or _is_role_word(span.text)
            ):
                continue  # a bare "Police", "Ministry" or "Bosses" names nothing in particular
            if span[-1].text.title() in LEGAL_WORDS:
                continue  # "Investigatory Powers Act": a law, not an actor
            if (
                kind == "PERSON"
                and len(span) == 1
                and (_is_group_word(span.text, self.locations.demonyms) or span.text.lower() in NOT_PEOPLE)
            ):
                continue  # "Muslims", "Americans": groups; "Covid", "Brexit": events, not named people
            if kind == "PERSON" and span.text in org_types:
                kind = "ORG"  # "Gojek said", after "the ride-hailing company Gojek": one name, one kind
            if kind == "PERSON":
                entry = self.index.get(span.text)
                if entry is not None:
                    continue  # the gazetteer already has it
                before = doc[span.start - 1].lower_ if span.start > 0 else ""
                if (
                    (
                        before in {"from", "in", "near", "at", "along"}
                        or (len(span) == 1 and before in _PLACE_PREPOSITIONS)
                    )
                    and not (span.end < len(doc) and doc[span.end].text in {"'s", "’s"})
                    and not any(t.text in surnames for t in span)
                ):
                    continue  # "an organiser from Kibera", "the station in Al Barsha": a place, not a person
                if span.end < len(doc) and doc[span.end].lower_ in _PLACE_NOUNS:
                    continue  # "Gangnam station", "Knez Mihailova street"
                if len(span) > 1 and self._is_not_person_name(span.text, trust_places=False):
                    continue  # "Avenida Paulista", "Kenya Daily Sentinel": built like a place or an organisation
                if any(i in covered for i in range(span.start, span.end)):
                    continue  # a name pattern found this person, with better boundaries
                persons.append(span)
                continue
            entry = self.index.get(span.text) or self.lower_index.get(span.text.lower())
            actor_type = entry.actor_type if entry else self.type_of_org(span) or org_types.get(span.text)
            if actor_type is None and (span.start, span.end) in pattern_offsets:
                continue  # "said Mariana Alves, whose son ...": the context makes the NER's ORG a person
            add_candidate(
                doc,
                span.start,
                span.end,
                "ACTOR",
                actor_type=actor_type,
                country=entry.country if entry else self._country_of(doc, span.start, span.end),
                source="ner",
            )
        flags = {id(span): private_person_flag(span) for span in persons}
        # A person is one person through the article: other mentions of the same name, and later surname-only
        # mentions ("Zhang said"), take the flag that the context gave one mention ("Zhang Maolin, a resident").
        by_name: dict[str, bool] = {}
        by_name_part: dict[str, bool] = {}
        for span in persons:
            flag = flags[id(span)]
            if flag is not None:
                by_name.setdefault(span.text, flag)
                if len(span) > 1:  # later mentions give the family name alone ("Salami said", "Cao said")
                    for part in (span[0], span[-1]):
                        if part.is_title:
                            by_name_part.setdefault(part.text, flag)
        multi_token_parts = {t.text for span in persons if len(span) > 1 for t in span}
        for span in persons:
            flag = flags[id(span)]
            if flag is None:
                flag = by_name.get(span.text)
            if flag is None:
                flag = next((by_name_part[t.text] for t in span if t.text in by_name_part), None)
            if flag is None and (len(span) > 1 or span.text in multi_token_parts):
                # Recall first: a named person no public role vouches for anywhere in the article is private
                # (residents, sources, relatives); officials, executives and researchers are named with their role.
                # A lone capitalised word the NER calls a person ("Vumacam") is not vouched for as a person.
                flag = True
            source = "pattern" if pattern_persons and any(span is p for p in pattern_persons) else "ner"
            add_candidate(doc, span.start, span.end, "ACTOR", actor_type="person", private_person=flag, source=source)

    def type_of_org(self, span: Span) -> str | None:
        # Case-insensitive on head words: the news writes "Metropolitan police", "Labour party".
        words = tuple(t.text if t.text.isupper() else t.text.title() for t in span)
        for heads, actor_type in sorted(HEAD_TYPES.items(), key=lambda kv: -len(kv[0])):
            n = len(heads)
            for i in range(len(words) - n + 1):
                if words[i : i + n] == heads:
                    return actor_type
        for opener in HUMAN_RIGHTS_OPENERS:
            if words[: len(opener)] == opener:
                return "civil_society"
        return None

    # -- serialisation: the gazetteer travels with a saved pipeline ---------------------------------------------
    def to_disk(self, path: str | Path, *, exclude: Iterable[str] = ()) -> None:
        folder = Path(path)
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "gazetteer.jsonl").write_text(
            "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in self.rows), encoding="utf-8"
        )

    def from_disk(self, path: str | Path, *, exclude: Iterable[str] = ()) -> ActorTagger:
        self.rows = load_gazetteer(ensure_path(path) / "gazetteer.jsonl")
        self._build()
        return self

    def to_bytes(self, *, exclude: Iterable[str] = ()) -> bytes:
        return json.dumps(self.rows, ensure_ascii=False).encode("utf-8")

    def from_bytes(self, data: bytes, *, exclude: Iterable[str] = ()) -> ActorTagger:
        self.rows = json.loads(data.decode("utf-8"))
        self._build()
        return self


GROUP_WORDS = {
    "Muslim",
    "Christian",
    "Jew",
    "Hindu",
    "Buddhist",
    "Sikh",
    "Catholic",
    "Protestant",
    "Democrat",
    "Republican",
    "Conservative",
    "Liberal",
    "Tory",
    "Brit",
    "Kurd",
    "Arab",
    "Latino",
    "Asian",
    "Black",
}


# Capitalised words a small NER often reads as people's names.
NOT_PEOPLE = {"covid", "coronavirus", "ebola", "sars", "mers", "brexit", "internet", "god", "allah"}


def _is_role_word(text: str) -> bool:
    """Role words are never actors on their own ("Bosses", "Officials", "Activists")."""
    word = text.lower()
    singular = word[:-2] if word.endswith("es") and word[:-2] in ROLE_WORDS else word.rstrip("s")
    return word in ROLE_WORDS or singular in ROLE_WORDS


def _is_group_word(text: str, demonyms: dict[str, str | None]) -> bool:
    singular = text[:-1] if text.endswith("s") else text
    return singular in GROUP_WORDS or singular in demonyms or text in demonyms


def _is_person_ent(span: Span) -> bool:
    return ner_kind(span) == "PERSON"


def _is_name_token(token: Token) -> bool:
    text = token.text
    if text in {"'s", "’s"}:
        return False
    return text[:1].isupper() or (text[:1].isdigit() and len(text) <= 4) or text in {"&"}


def _expand_complement(doc: Doc, end: int) -> int:
    """After an opening head, take 'of/for/on (the) <Name> (and <Name>)' while names continue."""
    best = end
    i = end
    while i < len(doc) and doc[i].lower_ in CONNECTORS:
        if i == end and doc[i].lower_ in {"and", "&"}:
            break  # "the Agency and the UK": "and" only continues a complement ("of Industry and Information ...")
        j = i + 1
        if j < len(doc) and doc[j].lower_ == "the" and doc[i].lower_ not in {"and", "&"}:
            j += 1
        k = j
        # Another organisation head starts a second name: "Ministry of X and the Department of Y".
        while (
            k < len(doc)
            and _is_name_token(doc[k])
            and doc[k].text not in NON_NAME_WORDS
            and not (
                k == j
                and (
                    doc[k].text in OPENING_HEADS
                    # "Office for Police Conduct" is one name: "Police" opens a second one only after "and"
                    or (
                        doc[k].text in FOREIGN_OPENERS
                        and (doc[k].text not in {"Police", "Service"} or doc[i].lower_ in {"and", "&"})
                    )
                )
            )
        ):
            k += 1
        if k == j:
            break
        best = k
        i = k
    return best


def _longest_first(found: list[tuple[int, int, str, str | None]]) -> list[tuple[int, int, str, str | None]]:
    found = sorted(found, key=lambda m: (-(m[1] - m[0]), m[0]))
    used: set[int] = set()
    out: list[tuple[int, int, str, str | None]] = []
    for start, end, actor_type, country in found:
        if any(i in used for i in range(start, end)):
            continue
        used.update(range(start, end))
        out.append((start, end, actor_type, country))
    return sorted(out)


# Subject words that "and" joins inside one name ("Rights and Accountability Project"); "Hikvision and Acme ..."
# are two names.
_SUBJECT_WORDS = {
    "Rights",
    "Accountability",
    "Freedom",
    "Justice",
    "Security",
    "Development",
    "Research",
    "Information",
    "Privacy",
    "Science",
    "Technology",
    "Communications",
    "Culture",
    "Media",
    "Law",
    "Health",
    "Education",
    "Peace",
    "Democracy",
    "Transparency",
    "Policy",
    "Studies",
    "Innovation",
    "Trade",
    "Industry",
    "Economic",
    "Social",
    "Digital",
    "Data",
    "Civil",
    "Liberties",
    "Advocacy",
    "Environment",
    "Labour",
    "Labor",
    "Expression",
    "Public",
    "Economy",
    "Society",
    "Finance",
    "Planning",
    "Commerce",
    "Energy",
    "Transport",
    "Welfare",
    "Youth",
    "Defence",
    "Defense",
    "Telecommunications",
}
_PLACE_PREPOSITIONS = {"from", "in", "near", "at", "on", "along", "outside", "around", "across"}  # single words
_PLACE_NOUNS = {"station", "street", "square", "market", "district", "camp", "island", "road", "avenue", "airport"}
_SPEECH_VERBS = {"said", "says", "told", "denied", "declined", "confirmed", "announced", "added", "responded"}
# Roles whose office is named after them with a possessive.
POSSESSIVE_OFFICE_ROLES = {
    "General",
    "Sheriff",
    "Commissioner",
    "Prosecutor",
    "Ombudsman",
    "President",
    "Governor",
    "Mayor",
    "Auditor",
    "Solicitor",
    "Chancellor",
    "Premier",
    "Registrar",
    "Coroner",
    "Defender",
}
_BUILDING_WORDS = {"station", "stations", "headquarters", "cell", "cells", "van", "vans", "post", "posts", "box"}


def _strip_edges(doc: Doc, start: int, end: int) -> tuple[int, int]:
    """Without a leading article and trailing punctuation or possessive."""
    while start < end and (doc[start].lower_ in {"the", "a", "an"} or doc[start].is_punct):
        start += 1
    while end > start and (doc[end - 1].is_punct or doc[end - 1].text in {"'s", "’s"}):
        end -= 1
    return start, end


def _trim(span: Span) -> Span | None:
    doc = span.doc
    start, end = span.start, span.end
    while start < end and (doc[start].lower_ in {"the", "a", "an"} or doc[start].is_punct):
        start += 1
    for i in range(start, end - 1):
        if (
            "\n" in doc[i].whitespace_
            or "\n" in doc[i + 1].text
            or (doc.has_annotation("SENT_START") and doc[i + 1].is_sent_start)
        ):
            end = i + 1  # a name never runs over a line break or a sentence end ("Marcus Bell\n\nCivil")
            break
    while end > start and doc[end - 1].lower_ in {"of", "for", "and", "the", "in", "on", "&"}:
        end -= 1  # "Quillfeather Analytics for"

    while end > start and (doc[end - 1].is_punct or doc[end - 1].text in {"'s", "’s"}):
        end -= 1
    # A title or role word the NER took into a person's name stays outside ("Alderman Carlos Ramírez-Rosa").
    while end - start > 1 and doc[start].lower_.rstrip(".") in PERSON_TITLES and doc[start + 1].is_title:
        start += 1
    return doc[start:end] if end > start else None


def private_person_flag(span: Span) -> bool | None:
    """True for a named private individual, False for an official or public figure, None when the text does not say.

    Reads the role words nearest to the name in its sentence: "Zhang, a resident of ..." (private),
    "Former employee Cao ..." (private), "Wang, senior researcher at ..." (public).
    """
    doc = span.doc
    sent = span.sent if doc.has_annotation("SENT_START") else doc[max(0, span.start - 30) : span.end + 30]
    context = sent.text.lower()
    if any(phrase in context for phrase in ANONYMITY_PHRASES):
        return True
    if span[0].lower_.rstrip(".") in PUBLIC_TITLES or (
        span.start > 0 and doc[span.start - 1].lower_.rstrip(".") in PUBLIC_TITLES and doc[span.start - 1].is_title
    ):
        return False  # "Justice Burton", "Lady Jones", "Sen. Wyden", "Lt. Kevin Doyle" (title in or before the name)
    # Role words count before the name ("Former employee Cao", "Interior minister Berg") back to the clause start,
    # and after it only in apposition ("Zhou, a resident of ..."), not as the object of a verb ("Zhou said officers").
    window: list[Token] = []
    for i in range(span.start - 1, max(sent.start, span.start - ROLE_WINDOW) - 1, -1):
        if doc[i].text in _CLAUSE_BREAKS:
            break
        window.append(doc[i])
    if span.start - 1 > sent.start and doc[span.start - 1].text in {",", "—", "–", ":"}:
        # A role in apposition before the name: "Its director, Hannah Okoro, said", "His mother, Abena Osei".
        for i in range(span.start - 2, max(sent.start, span.start - 2 - 5) - 1, -1):
            if doc[i].text in _CLAUSE_BREAKS:
                break
            window.append(doc[i])
    if span.end < sent.end and doc[span.end].text in {",", "("}:
        for i in range(span.end + 1, min(sent.end, span.end + 1 + ROLE_WINDOW)):
            if doc[i].text in _CLAUSE_BREAKS:
                break
            window.append(doc[i])
    best: tuple[int, bool] | None = None
    for token in window:
        word = token.lower_
        if word not in PRIVATE_ROLES and word not in PUBLIC_ROLES and word.endswith("s"):
            word = word[:-1]  # "MPs", "officials", "protesters"
        distance = span.start - token.i if token.i < span.start else token.i - span.end + 1
        if token.like_num and token.i == span.end + 1:
            word = "old"  # "Luís Pereira, 71, said": an age in apposition
        if word in PRIVATE_ROLES:
            verdict = True
        elif word in PUBLIC_ROLES:
            verdict = False
        elif (
            token.i > span.end
            and word in {"at", "with", "for", "of"}
            and token.i + 1 < len(doc)
            and (doc[token.i + 1].is_title or doc[token.i + 1].lower_ == "the")
        ):
            # "Hannah Clarke, a program lead at Digital Rights Watch": speaking for an organisation. A role word
            # nearer the name still decides ("a student at Harvard", "a resident of Xiamen").
            verdict, distance = False, distance + 3
        else:
            continue
        if best is None or distance < best[0]:
            best = (distance, verdict)
    return best[1] if best else None


_CLAUSE_BREAKS = {",", ".", ";", ":", "“", "”", '"', "(", ")", "—", "–", "said", "says", "told"}


@Language.factory(
    "survnews_actors",
    default_config={"gazetteer_path": None, "use_ner": True, "patterns": True},
)
def make_actor_tagger(
    nlp: Language, name: str, gazetteer_path: str | None, use_ner: bool, patterns: bool
) -> ActorTagger:
    return ActorTagger(nlp, name, gazetteer_path, use_ner, patterns)
