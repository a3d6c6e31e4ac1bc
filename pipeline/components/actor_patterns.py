"""Patterns for actors no gazetteer lists, and for text that names no actor at all.

* ``credit_regions``: bylines and credits ("By Ana Lima", "Reporting by …; editing by …", "Photo: X/Agency"): no
  entity is tagged inside them.
* ``descriptor_matches``: organisations introduced by what they are ("the digital rights group X", "the start-up
  X", "the news site X", "a contractor called X") or described in apposition ("X, a digital rights
  association").
* ``foreign_org_matches``: names opened by an organisation word of another language ("Universidad Autónoma del
  Pacífico", "Secretaría de la Defensa Nacional", "Service de police de la Ville de Montréal").
* ``person_matches``: people's names (diacritics, hyphens, particles: "Luís Antônio Pereira", "Park Min-seo",
  "Thiago Ferreira da Silva") where the context says a person is meant (a role or age in apposition, a title or
  role word before, a speech verb after).
"""

from __future__ import annotations

import re
from collections.abc import Callable

from spacy.tokens import Doc, Token

from pipeline.components.common import CLAUSE_OPENERS

# Lines that are bylines or credits, and credits inside a line (caption credits after a "|" or at line end).
_CREDIT_LINE = re.compile(
    r"^[ \t]*(?:(?:(?:With|with|Additional|additional) )?(?:reporting|Reporting|REPORTING) by|By|BY|Written by|"
    r"Edited by|Editing by|Compiled by|Translated by|Words by)\b[^\n]{0,160}$"
    r"|^[ \t]*(?:Photos?|Photograph(?:s|y)?|Pictures?|Images?|Video|Illustrations?|Graphics?|Credit|Source)"
    r"(?:[ \t]+(?:credits?|CREDITS?))?"  # "Photo credit: ..."
    r"(?:[ \t]*:|[ \t]+by\b|[ \t]+courtesy\b)[^\n]{0,160}$",
    re.MULTILINE,
)
_INLINE_CREDIT = re.compile(
    r"(?:[|•·;]|\()\s*(?:(?:[Ww]ith |[Aa]dditional )?[Rr]eporting by|[Ee]diting by|[Ee]dited by)\b[^\n]{0,120}"
    r"|(?:[|•·;]|\()\s*(?:Photos?|Photograph|Pictures?|Images?|Illustration|Credit)\s*(?::|by\b)[^\n]{0,120}"
    r"|\b(?:Photo|Photograph|Picture|Image|Illustration|Credit)(?: credits?)?(?: by)?\s*:\s*[^\n]{0,120}"
    r"|\b(?:[Ww]ith |[Aa]dditional )?[Rr]eporting by [^\n]{0,120}"
)


def credit_regions(text: str) -> list[tuple[int, int]]:
    """Character ranges of bylines and credits: nothing in them is an entity."""
    regions: list[tuple[int, int]] = []
    for match in _CREDIT_LINE.finditer(text):
        line = match.group(0).strip()
        head = line.split(None, 1)[0].rstrip(":")
        rest = line[len(head) :].strip(" :")
        if head in ("By", "BY") and (not rest[:1].isupper() or line.endswith((".", "?", "!")) or len(line) > 100):
            continue  # "By 2025, the city ..." is a sentence, not a byline
        regions.append(match.span())
    for match in _INLINE_CREDIT.finditer(text):
        regions.append(match.span())
    return regions


# -------------------------------------------------------------------------------------------- descriptors

# What an organisation is called in the text -> its actor type. Multi-word descriptors are matched on their
# last word with the words before it checked ("rights group", "research group", "news site").
DESCRIPTOR_TYPES: dict[str, str] = {
    "group": "civil_society",
    "organisation": "civil_society",
    "organization": "civil_society",
    "association": "civil_society",
    "coalition": "civil_society",
    "campaign": "civil_society",
    "charity": "civil_society",
    "ngo": "civil_society",
    "watchdog": "civil_society",
    "collective": "civil_society",
    "alliance": "civil_society",
    "network": "civil_society",
    "movement": "civil_society",
    "nonprofit": "civil_society",
    "non-profit": "civil_society",
    "foundation": "civil_society",
    "initiative": "civil_society",
    "union": "civil_society",
    "company": "company",
    "firm": "company",
    "start-up": "company",
    "startup": "company",
    "contractor": "company",
    "subcontractor": "company",
    "supplier": "company",
    "manufacturer": "company",
    "giant": "company",
    "conglomerate": "company",
    "reseller": "company",
    "operator": "company",
    "carrier": "company",
    "vendor": "company",
    "retailer": "company",
    "outlet": "media",
    "newspaper": "media",
    "paper": "media",
    "daily": "media",
    "weekly": "media",
    "magazine": "media",
    "broadcaster": "media",
    "tabloid": "media",
    "site": "media",
    "website": "media",
    "newsroom": "media",
    "agency": "government",
    "regulator": "government",
    "ministry": "government",
    "authority": "government",
    "council": "government",
    "court": "government",
    "lab": "academic",
    "laboratory": "academic",
    "institute": "academic",
    "university": "academic",
    "tank": "academic",
    "unit": "law_enforcement",
    "squad": "law_enforcement",
    "force": "law_enforcement",
    "party": "political_party",
}
# Words before the descriptor that change its type: "research group" (academic), "news agency" (media).
DESCRIPTOR_MODIFIERS: dict[str, str] = {
    "research": "academic",
    "academic": "academic",
    "think": "academic",
    "news": "media",
    "media": "media",
    "investigative": "media",
    "security": "company",
    "technology": "company",
    "tech": "company",
    "telecom": "company",
    "telecoms": "company",
    "software": "company",
    "consulting": "company",
    "police": "law_enforcement",
    "intelligence": "intelligence",
    "spy": "intelligence",
    "opposition": "political_party",
    "political": "political_party",
}
# Descriptors too generic to vouch for a name without a modifier ("the group Y said", "a site X" are fine, but "the
# agency" alone opens no name: they need "called X" or a capitalised name right after).
_NAMING = {"called", "named", "dubbed", "known"}
_PARTICLES = {
    "de",
    "del",
    "della",
    "da",
    "do",
    "dos",
    "das",
    "des",
    "du",
    "la",
    "le",
    "los",
    "las",
    "di",
    "van",
    "von",
    "der",
    "den",
    "ter",
    "ten",
    "bin",
    "binti",
    "al",
    "el",
    "y",
    "e",
    "et",
    "d'",
    "of",
    "for",
    "and",
    "na",
    "o",
    "i",
    "&",
    "on",
    "in",
}
_NAME_PUNCT = {"-", "–", "&", "'", "’", "."}
NON_NAME_START = CLAUSE_OPENERS | {
    "Activists",
    "All",
    "Both",
    "Critics",
    "Dr",
    "Each",
    "Every",
    "He",
    "I",
    "It",
    "Lawyers",
    "Many",
    "Most",
    "Mr",
    "Mrs",
    "Ms",
    "No",
    "Not",
    "Officials",
    "Police",
    "Protesters",
    "Researchers",
    "Residents",
    "Several",
    "She",
    "Some",
    "They",
    "Users",
    "We",
    "You",
}


def _is_cap(token: Token) -> bool:
    text = token.text
    return bool(text) and (text[0].isupper() or (any(c.isupper() for c in text[1:]) and text[0].isalpha()))


def name_run(doc: Doc, start: int, *, max_tokens: int = 8) -> int:
    """End of a run of name tokens from ``start``: capitalised words, digits, particles between capitalised words
    and glued hyphens ("Adeyemi-Bello"); 0-length when doc[start] opens no name."""
    if start >= len(doc) or not _is_cap(doc[start]) or doc[start].text in NON_NAME_START:
        return start
    end = start + 1
    while end < len(doc) and end - start < max_tokens:
        token = doc[end]
        prev = doc[end - 1]
        if _is_cap(token) or (token.like_num and len(token.text) <= 4):
            if "\n" in prev.whitespace_ or "\n" in token.text:
                break
            end += 1
            continue
        glued = token.text in _NAME_PUNCT and not prev.whitespace_ and not token.whitespace_
        if (glued or token.lower_ in _PARTICLES) and end + 1 < len(doc) and _is_cap(doc[end + 1]):
            if "\n" in token.whitespace_ or "\n" in prev.whitespace_:
                break
            if (
                token.lower_ in {"and", "&", "in", "on", "of", "for"}
                and not glued
                and doc[end + 1].text in NON_NAME_START
            ):
                break
            end += 2
            continue
        break
    return end


def descriptor_matches(doc: Doc, is_known: Callable[[str], bool]) -> list[tuple[int, int, str]]:
    """(start, end, actor_type) of organisation names a descriptor introduces or follows in apposition."""
    out: list[tuple[int, int, str]] = []
    n = len(doc)
    for token in doc:
        word = token.lower_
        if word == "up" and token.i >= 2 and doc[token.i - 1].text == "-" and doc[token.i - 2].lower_ == "start":
            word = "start-up"  # the tokenizer splits "start-up" into three tokens
        actor_type = DESCRIPTOR_TYPES.get(word)
        if actor_type is None or token.text[:1].isupper():
            continue
        if word == "tank" and (token.i == 0 or doc[token.i - 1].lower_ not in {"think", "-"}):
            continue
        prev = doc[token.i - 1].lower_ if token.i > 0 else ""
        if prev in DESCRIPTOR_MODIFIERS:
            actor_type = DESCRIPTOR_MODIFIERS[prev]
        # "the rights group X" / "a contractor called X"
        start = token.i + 1
        if start < n and doc[start].lower_ in _NAMING:
            start += 1
            if start < n and doc[start].lower_ == "as":
                start += 1
        if start < n and doc[start].text in {"“", '"', "‘"}:
            start += 1
        end = name_run(doc, start)
        if end > start and not is_known(doc[start:end].text):
            determiner = _determiner_before(doc, token.i)
            if determiner or start > token.i + 1:
                out.append((start, end, actor_type))
        # "X, a digital rights association" / "X, the company that ..." (the descriptor heads its phrase: not "a
        # university student")
        after = doc[token.i + 1] if token.i + 1 < n else None
        heads_phrase = after is None or not after.is_alpha or not after.is_lower or after.lower_ in _AFTER_HEAD
        if token.i >= 3 and heads_phrase and word in _APPOSITION_OK:
            k = token.i - 1
            steps = 0
            while k > 0 and steps < 4 and doc[k].lower_ not in {"a", "an", "the"} and doc[k].text not in {",", "."}:
                k -= 1
                steps += 1
            if doc[k].lower_ in {"a", "an", "the"} and k >= 2 and doc[k - 1].text == ",":
                name_end = k - 1
                name_start = name_end
                while name_start > 0 and (
                    _is_cap(doc[name_start - 1])
                    or (
                        doc[name_start - 1].lower_ in _PARTICLES
                        and name_start - 2 >= 0
                        and _is_cap(doc[name_start - 2])
                    )
                    or (doc[name_start - 1].text in _NAME_PUNCT and not doc[name_start - 1].whitespace_)
                ):
                    name_start -= 1
                while name_start < name_end and (
                    doc[name_start].text in NON_NAME_START or doc[name_start].lower_ in _PARTICLES
                ):
                    name_start += 1
                if name_end > name_start and not is_known(doc[name_start:name_end].text):
                    out.append((name_start, name_end, actor_type))
    return out


_AFTER_HEAD = {
    "that",
    "which",
    "who",
    "whose",
    "based",
    "in",
    "of",
    "for",
    "with",
    "from",
    "at",
    "on",
    "and",
    "founded",
    "run",
    "known",
    "set",
    "called",
    "named",
    "behind",
    "by",
    "to",
    "said",
    "says",
    "has",
    "had",
    "is",
    "was",
}
# Descriptors trusted in apposition after a name ("X, a rights group"); person-like ones ("a local vendor") are not.
_APPOSITION_OK = {
    "group",
    "organisation",
    "organization",
    "association",
    "coalition",
    "campaign",
    "charity",
    "ngo",
    "watchdog",
    "collective",
    "alliance",
    "network",
    "movement",
    "nonprofit",
    "non-profit",
    "foundation",
    "initiative",
    "company",
    "firm",
    "start-up",
    "startup",
    "contractor",
    "supplier",
    "manufacturer",
    "conglomerate",
    "giant",
    "outlet",
    "newspaper",
    "daily",
    "weekly",
    "magazine",
    "broadcaster",
    "tabloid",
    "site",
    "website",
    "agency",
    "regulator",
    "lab",
    "laboratory",
    "institute",
    "university",
    "tank",
    "unit",
    "squad",
    "party",
}


def _determiner_before(doc: Doc, i: int) -> bool:
    """A determiner within the three words before the descriptor ("the digital rights group", "a local firm")."""
    for k in range(i - 1, max(-1, i - 5), -1):
        if doc[k].lower_ in {"the", "a", "an", "its", "their", "rights", "local"}:
            return True
        if doc[k].text in {",", ".", ";", ":"}:
            return False
    return False


# ------------------------------------------------------------------------------------- foreign org names

FOREIGN_OPENERS: dict[str, str] = {
    "Universidad": "academic",
    "Universidade": "academic",
    "Université": "academic",
    "Universität": "academic",
    "Università": "academic",
    "Universiteit": "academic",
    "Instituto": "academic",
    "Institut": "academic",
    "Laboratório": "academic",
    "Laboratorio": "academic",
    "Laboratoire": "academic",
    "Centro": "civil_society",
    "Fundación": "civil_society",
    "Fundação": "civil_society",
    "Fondation": "civil_society",
    "Stiftung": "civil_society",
    "Asociación": "civil_society",
    "Associação": "civil_society",
    "Association": "civil_society",
    "Ligue": "civil_society",
    "Liga": "civil_society",
    "Red": "civil_society",
    "Rede": "civil_society",
    "Observatorio": "civil_society",
    "Observatório": "civil_society",
    "Dirección": "government",
    "Fiscalía": "government",
    "Procuraduría": "government",
    "Contraloría": "government",
    "Direção": "government",
    "Autoridade": "government",
    "Autoridad": "government",
    "Secretaría": "government",
    "Secretaria": "government",
    "Ministerio": "government",
    "Ministério": "government",
    "Ministère": "government",
    "Comisión": "government",
    "Comissão": "government",
    "Commission": "government",
    "Defensoria": "government",
    "Defensoría": "government",
    "Tribunal": "government",
    "Corte": "government",
    "Cour": "government",
    "Conseil": "government",
    "Consejo": "government",
    "Conselho": "government",
    "Agencia": "government",
    "Agência": "government",
    "Agence": "government",
    "Policía": "law_enforcement",
    "Polícia": "law_enforcement",
    "Policia": "law_enforcement",
    "Police": "law_enforcement",
    "Service": "government",
    "Servicio": "government",
    "Serviço": "government",
    "Guardia": "law_enforcement",
    "Gendarmería": "law_enforcement",
    "Carabineros": "law_enforcement",
    "Ejército": "military",
    "Exército": "military",
    "Fuerza": "military",
    "Armée": "military",
    "Partido": "political_party",
    "Parti": "political_party",
}
# Lower-case words that continue such a name ("de la Ville de", "d'accès à l'information", "del").
_FOREIGN_CONTINUE = {
    "de",
    "del",
    "della",
    "da",
    "do",
    "dos",
    "das",
    "des",
    "du",
    "la",
    "le",
    "les",
    "los",
    "las",
    "e",
    "y",
    "et",
    "d'",
    "l'",
    "à",
    "para",
    "pour",
    "por",
    "a",
    "en",
    "em",
    "no",
    "na",
    "nos",
    "in",
    "für",
    "der",
    "zur",
    "zum",
}
_FOREIGN_CONTENT = {
    "police",
    "policía",
    "sécurité",
    "seguridad",
    "segurança",
    "justicia",
    "justiça",
    "justice",
    "droits",
    "derechos",
    "direitos",
    "libertés",
    "libertades",
    "liberdades",
    "datos",
    "dados",
    "données",
    "públicas",
    "pública",
    "público",
    "públicos",
    "internet",
    "información",
    "informação",
    "information",
    "accès",
    "acceso",
    "acesso",
    "políticas",
    "investigación",
    "pesquisa",
    "recherche",
    "sociedad",
    "sociedade",
    "société",
    "ville",
    "ciudad",
    "cidade",
    "nacional",
    "national",
    "nationale",
    "federal",
    "estado",
    "état",
    "defensa",
    "defesa",
    "défense",
}


def foreign_org_matches(doc: Doc) -> list[tuple[int, int, str]]:
    out: list[tuple[int, int, str]] = []
    n = len(doc)
    for token in doc:
        actor_type = FOREIGN_OPENERS.get(token.text)
        if actor_type is None:
            continue
        end = token.i + 1
        last_good = end
        while end < n and "\n" not in doc[end - 1].whitespace_:
            word = doc[end]
            if _is_cap(word) or word.lower_ in _FOREIGN_CONTENT:
                end += 1
                last_good = end
            elif word.lower_ in _FOREIGN_CONTINUE or word.text.lower() in {"d'", "l'"} or word.text in {"'", "’"}:
                end += 1
            else:
                break
        # An English opener ("Police", "Service", "Association", "Commission") needs a French-style complement.
        english = token.text in {"Police", "Service", "Association", "Commission", "Institut", "Red", "Liga"}
        if english and (
            last_good == token.i + 1 or doc[token.i + 1].lower_ not in _FOREIGN_CONTINUE - {"in", "a", "e"}
        ):
            continue
        if last_good - token.i >= 2:
            out.append((token.i, last_good, actor_type))
    return out


# --------------------------------------------------------------------------------------------- persons

PERSON_TITLES = {
    "mr",
    "mrs",
    "ms",
    "miss",
    "mx",
    "dr",
    "prof",
    "professor",
    "sir",
    "dame",
    "lord",
    "lady",
    "councillor",
    "councilor",
    "councilman",
    "councilwoman",
    "councilmember",
    "alderman",
    "alderwoman",
    "senator",
    "sen",
    "rep",
    "representative",
    "congressman",
    "congresswoman",
    "mp",
    "mep",
    "minister",
    "governor",
    "mayor",
    "president",
    "judge",
    "justice",
    "brigadier",
    "general",
    "gen",
    "colonel",
    "col",
    "lt",
    "lieutenant",
    "sgt",
    "sergeant",
    "major",
    "captain",
    "capt",
    "commander",
    "officer",
    "detective",
    "det",
    "sheriff",
    "inspector",
    "superintendent",
    "chief",
    "commissioner",
    "ambassador",
    "secretary",
    "chancellor",
    "premier",
    "deputy",
    "principal",
    "headteacher",
    "bishop",
    "imam",
    "rabbi",
    "father",
    "sister",
    "brother",
    "researcher",
    "criminologist",
    "lawyer",
    "attorney",
    "spokesperson",
    "spokesman",
    "spokeswoman",
    "resident",
    "student",
    "activist",
    "journalist",
    "reporter",
    "editor",
    "cabinet",
    "vice",
}
SPEECH_AFTER = {
    "said",
    "says",
    "told",
    "added",
    "explained",
    "wrote",
    "argued",
    "asked",
    "recalled",
    "warned",
    "noted",
    "insisted",
    "admitted",
    "claimed",
    "replied",
    "responded",
    "remembers",
    "recalls",
    "believes",
    "thinks",
    "fears",
    "worries",
    "was",
    "is",
    "has",
    "had",
    "who",
    "whose",
}


def person_matches(doc: Doc, is_known: Callable[[str], bool]) -> list[tuple[int, int]]:
    """(start, end) of people's names the context vouches for, whatever the NER says."""
    out: list[tuple[int, int]] = []
    n = len(doc)
    i = 0
    while i < n:
        token = doc[i]
        if not token.text[:1].isupper() or not token.is_alpha or token.text in NON_NAME_START:
            i += 1
            continue
        end = _person_run(doc, i)
        for k in range(end - 1, i, -1):  # "Green Party MP Teanau Tuiono": the name starts after the title
            if doc[k].lower_.rstrip(".") in PERSON_TITLES and doc[k].text[:1].isupper():
                i = k + 1
                break
        words = [t for t in doc[i:end] if t.is_alpha and t.lower_ not in _PARTICLES and not _glued_part(doc, t.i)]
        if len(words) < 2 or len(words) > 4 or not all(w.text[:1].isupper() and w.text[1:2].islower() for w in words):
            i = max(end, i + 1)
            continue
        start = i
        if doc[start].lower_.rstrip(".") in PERSON_TITLES:
            start += 1  # "Councillor Derek Hamlyn": the title stays outside
            if end - start < 2:
                i = end
                continue
        text = doc[start:end].text
        if is_known(text):
            i = end
            continue
        if _person_context(doc, start, end):
            out.append((start, end))
        i = end
    return out


def _glued_part(doc: Doc, i: int) -> bool:
    """The lower-case part of a hyphenated given name ("seo" in "Min-seo")."""
    return i >= 2 and doc[i - 1].text == "-" and not doc[i - 1].whitespace_ and not doc[i - 2].whitespace_


def _person_run(doc: Doc, start: int) -> int:
    """Like ``name_run``, with lower-case hyphenated parts ("Park Min-seo") and no "and"/"of" inside."""
    end = start
    n = len(doc)
    while end < n and end - start < 7:
        token = doc[end]
        if end > start and "\n" in doc[end - 1].whitespace_:
            break
        if token.text[:1].isupper() and token.is_alpha:
            end += 1
        elif (
            token.text == "-"
            and end > start
            and not doc[end - 1].whitespace_
            and not token.whitespace_
            and end + 1 < n
            and doc[end + 1].is_alpha
        ):
            end += 2
        elif token.lower_ in _NAME_PARTICLES_PERSON and end > start and end + 1 < n and doc[end + 1].text[:1].isupper():
            end += 1
        else:
            break
    return end


_NAME_PARTICLES_PERSON = {
    "de",
    "del",
    "da",
    "do",
    "dos",
    "das",
    "di",
    "van",
    "von",
    "der",
    "bin",
    "binti",
    "al",
    "el",
    "la",
    "le",
    "dela",
    "ter",
    "ten",
    "du",
}


def _person_context(doc: Doc, start: int, end: int) -> bool:
    n = len(doc)
    prev = doc[start - 1] if start > 0 else None
    if prev is not None and prev.lower_.rstrip(".") in PERSON_TITLES and prev.text[:1].isupper():
        return True
    if prev is not None and prev.is_lower and prev.lower_.rstrip(".") in PERSON_TITLES:
        return True  # "researcher Nomvula Khumalo", "student Tomás Araya"
    if end < n and doc[end].lower_ in SPEECH_AFTER:
        return True
    if end + 1 < n and doc[end].text == ",":
        nxt = doc[end + 1]
        if nxt.lower_ in {"a", "an", "the", "who", "whose", "aged"} or nxt.like_num:
            return True
        if nxt.lower_ in {"his", "her", "their"}:
            return True
    if prev is not None and prev.text in {",", ":"} and start >= 2:
        before = [t.lower_ for t in doc[max(0, start - 6) : start - 1]]
        if any(w in _RELATIVE_WORDS or w in PERSON_TITLES or w in _ROLE_NOUNS for w in before):
            return True  # "His mother, Abena Osei,", "A local farmer, Mykola Bondarenko, said"
    return (
        prev is not None
        and prev.lower_ in {"said", "says", "told", "according"}
        and end < n
        and doc[end].text
        in {
            ",",
            ".",
        }
    )


_ROLE_NOUNS = {
    "farmer",
    "resident",
    "owner",
    "worker",
    "student",
    "teacher",
    "nurse",
    "driver",
    "vendor",
    "trader",
    "depositor",
    "minister",
    "official",
    "spokesperson",
    "spokesman",
    "spokeswoman",
    "director",
    "executive",
    "founder",
    "chief",
    "head",
    "leader",
    "member",
    "activist",
    "protester",
    "victim",
    "witness",
    "engineer",
    "contractor",
    "lawyer",
    "researcher",
    "professor",
    "journalist",
    "reporter",
    "editor",
    "commissioner",
    "secretary",
    "mp",
    "senator",
    "mayor",
    "governor",
    "officer",
    "commander",
    "general",
    "judge",
    "pensioner",
    "retiree",
    "survivor",
    "relative",
    "passenger",
    "commuter",
    "shopkeeper",
    "seller",
    "hawker",
    "cleaner",
    "waiter",
    "programmer",
    "pharmacist",
}
_RELATIVE_WORDS = {
    "mother",
    "father",
    "sister",
    "brother",
    "son",
    "daughter",
    "wife",
    "husband",
    "aunt",
    "uncle",
    "cousin",
    "grandmother",
    "grandfather",
    "grandson",
    "granddaughter",
    "niece",
    "nephew",
    "partner",
    "friend",
    "neighbour",
    "neighbor",
    "widow",
    "fiancée",
    "fiancé",
    "girlfriend",
    "boyfriend",
    "child",
    "parent",
}
