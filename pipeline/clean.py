"""Clean raw copied-text dumps of news articles into body text plus metadata.

A dump is what a reader gets by selecting a web page and pasting it into a file: the headline (often twice, once
with the outlet's name), promo and newsletter lines, photo captions and credits, a date line, a byline, the body,
then hashtags, share prompts and the comment form. The rules below are general line classifiers; none names a
particular outlet or article. Each non-empty line is one paragraph candidate.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date

from pipeline.errors import RejectError
from pipeline.language import detect_language
from pipeline.records import Extracted

# ---------------------------------------------------------------------------------------------------------------
# Dates
# ---------------------------------------------------------------------------------------------------------------

MONTHS = {
    "january": 1, "february": 2, "march": 3, "april": 4, "may": 5, "june": 6, "july": 7, "august": 8,
    "september": 9, "october": 10, "november": 11, "december": 12,
    "jan": 1, "feb": 2, "mar": 3, "apr": 4, "jun": 6, "jul": 7, "aug": 8, "sep": 9, "sept": 9, "oct": 10,
    "nov": 11, "dec": 12,
}  # fmt: skip
_MONTH = r"(?P<month>" + "|".join(sorted(MONTHS, key=len, reverse=True)) + r")\.?"
_DAY = r"(?P<day>[0-3]?\d)(?:st|nd|rd|th)?"
_YEAR = r"(?P<year>(?:19|20)\d\d)"
_MONTH_ANY, _DAY_ANY, _YEAR_ANY = (re.sub(r"\?P<\w+>", "?:", p) for p in (_MONTH, _DAY, _YEAR))
DATE_PATTERNS = (
    re.compile(rf"\b{_MONTH}\s+{_DAY},?\s+{_YEAR}\b", re.IGNORECASE),  # March 04, 2020
    re.compile(rf"\b{_DAY}\s+(?:of\s+)?{_MONTH},?\s+{_YEAR}\b", re.IGNORECASE),  # 4 March 2020
    re.compile(rf"\b{_YEAR}-(?P<month>[01]?\d)-{_DAY}\b"),  # 2020-03-04
    re.compile(rf"\b{_YEAR}/(?P<month>[01]?\d)/{_DAY}\b"),  # 2020/03/04
)
# Words that may surround a date on a line that only states when the story was published.
DATE_LINE_FILLER = re.compile(
    r"\b(?:published|updated|posted|last|modified|first|on|at|date|dated|am|pm|a\.m\.|p\.m\.|"
    r"mon|tue|tues|wed|thu|thur|thurs|fri|sat|sun|"
    r"monday|tuesday|wednesday|thursday|friday|saturday|sunday|"
    r"gmt|utc|bst|cet|cest|est|edt|cst|cdt|mst|mdt|pst|pdt|et|pt|ist|jst|hkt|aest|aedt)\b\.?|"
    r"\b\d{1,2}[:.h]\d{2}(?::\d{2})?\s*(?:am|pm|a\.m\.|p\.m\.)?(?!\w)|[+-]\d{2}:?\d{2}\b",
    re.IGNORECASE,
)
UPDATED_WORD = re.compile(r"\b(?:updated|modified)\b", re.IGNORECASE)


def find_date(text: str) -> tuple[str, re.Match[str]] | None:
    """The first calendar date written in ``text`` as ISO ``YYYY-MM-DD``, with its match; None if none is valid."""
    best: tuple[str, re.Match[str]] | None = None
    for pattern in DATE_PATTERNS:
        for match in pattern.finditer(text):
            month_text = match.group("month").lower().rstrip(".")
            month = MONTHS.get(month_text) if not month_text.isdigit() else int(month_text)
            try:
                iso = date(int(match.group("year")), month or 0, int(match.group("day"))).isoformat()
            except ValueError:
                continue
            if best is None or match.start() < best[1].start():
                best = (iso, match)
            break
    return best


def parse_date_line(line: str) -> str | None:
    """ISO date if ``line`` says nothing but a date (with "Published", weekday, time... around it)."""
    if len(line) > 100:
        return None
    found = find_date(line)
    if found is None:
        return None
    iso, match = found
    rest = line[: match.start()] + " " + line[match.end() :]
    rest = DATE_LINE_FILLER.sub(" ", rest)
    # What remains may only be a time zone abbreviation ("MSK", "AEST"), i.e. short capitals.
    if any(not (w.isupper() and len(w) <= 5) for w in re.findall(r"[^\W\d_]{2,}", rest)):
        return None
    return iso


# ---------------------------------------------------------------------------------------------------------------
# Line classifiers
# ---------------------------------------------------------------------------------------------------------------

SOCIAL = r"(?:telegram|whatsapp|facebook|twitter|x\.com|instagram|linkedin|youtube|tiktok|reddit|pinterest|" \
    r"threads|mastodon|bluesky|signal|viber|gab|truth social|rumble|flipboard|google news|apple news)"  # fmt: skip

# Calls to action that promote the outlet rather than telling the story.
PROMO_PATTERNS = [
    re.compile(p, re.IGNORECASE)
    for p in (
        rf"\b(?:join|follow|subscribe to|like)\s+(?:us|our|the)\b.{{0,60}}\b(?:{SOCIAL}|channel|page|newsletter|"
        r"community|account|feed)\b",
        rf"\b(?:follow|join|find|like|add)\s+(?:us|[\w@.’'-]+(?:\s+[\w@.’'-]+){{0,3}})\s+on\s+{SOCIAL}",
        r"\bjoin (?:our|the)\b.{0,40}\b(?:telegram|whatsapp|channel|community|newsletter|mailing list)\b",
        r"\b(?:sign up|subscribe)\b.{0,60}\b(?:newsletter|updates|alerts|briefing|digest|inbox|email)",
        r"\bnewsletter\b.{0,80}\b(?:sign up|subscribe|inbox|free|daily|weekly)\b",
        r"\b(?:sign up|subscribe)\s+(?:now|today|here|for free)\b",
        r"\b(?:get|have)\b.{0,60}\b(?:delivered|sent)\b.{0,30}\b(?:inbox|email|phone)\b",
        r"\bdownload (?:our|the) (?:free )?app\b",
        r"\b(?:support|donate to|become a (?:member|patron|supporter) of)\b.{0,60}\b(?:journalism|reporting|"
        r"newsroom|us|our work)\b",
        r"\bclick here\b",
        r"\b(?:uncensored|breaking) news\b.{0,40}\b(?:channel|join|follow)\b",
        r"\bwe use cookies\b|\bcookie (?:policy|settings|preferences)\b",
        r"\ball rights reserved\b|^(?:copyright\s*)?©",
        r"\bthis (?:site|website) uses\b",
        r"\bskip to (?:main )?content\b",
        r"\b(?:privacy policy|terms of (?:use|service))\b.{0,40}$",
        r"\bturn (?:on|off) (?:desktop )?notifications\b|\ballow notifications\b",
    )
]
PROMO_KEYWORDS = (
    "join", "follow", "subscribe", "like", "add", "find", "sign up", "newsletter", "deliver", "sent", "download",
    "support", "donate", "become a", "click here", "news", "cookie", "rights reserved", "©", "site uses",
    "website uses", "skip to", "privacy policy", "terms of", "notification",
)  # fmt: skip
# Whole-line boilerplate labels, headings and buttons.
LABEL_LINE = re.compile(
    r"^(?:advertisement|advertising|sponsored(?: content)?|ad|promoted|story continues(?: below)?(?: advertisement)?|"
    r"advertisement\W+(?:scroll|continue|story)[\w ]{0,30}|like this|like loading\W*|subscribe|sign up|sign in|"
    r"log ?in|register|"
    r"continue reading(?: below| the main story)?|read more|read next|read also|also read|see also|more on this|"
    r"related(?: articles| stories| posts| content| coverage| topics| news)?|recommended(?: for you| stories)?|"
    r"you (?:may|might) (?:also )?like|most (?:read|popular|viewed|shared)|trending(?: now)?|popular|"
    r"more (?:stories|news|from [\w .'’-]{1,40})|latest(?: news| stories)?|top stories|editor'?s picks?|"
    r"share(?: this)?(?: article| story| post| page)?|share (?:on|via) \w+|share|tweet|email|print|copy link|"
    r"link copied|save|comments?|\d+ comments?|view comments|show comments|listen(?: to (?:this )?article)?|"
    r"\d+ min(?:ute)?s? read|min read|bookmark|reprints?(?: & permissions)?|menu|search|close|home|"
    r"back to top|next article|previous article|loading|image|photo|video|gallery|watch|play video|"
    r"tags|topics|categories|filed under|posted in|go to comments)\s*[:.!»›>|]*$",
    re.IGNORECASE,
)
# "Read more: <headline>", "RELATED: <headline>", "Tags: a, b, c".
PREFIXED_TEASER = re.compile(
    r"^(?:read (?:more|also|next)|also read|see also|related|recommended|watch|listen|tags|topics|"
    r"filed under|more|more from|previously|don'?t miss|posted in|categories|category|tagged|tagged with)"
    r"\s*[:>»›|–—-]\s*\S",
    re.IGNORECASE,
)
# A section of teasers follows these headings; headline-like lines after them are dropped.
TEASER_HEADING = re.compile(
    r"^(?:related(?: articles| stories| posts| content| coverage| news)?|recommended(?: for you| stories)?|"
    r"you (?:may|might) (?:also )?like|most (?:read|popular|viewed|shared)|trending(?: now)?|"
    r"more (?:stories|news|from .{1,40})|latest(?: news| stories)?|top stories|read next|read more|"
    r"editor'?s picks?)\s*:?$",
    re.IGNORECASE,
)
# Line made of nothing but social network names / share verbs: the share bar.
SHARE_BAR = re.compile(rf"^(?:(?:share|tweet|email|print|copy link|comment|{SOCIAL}|messenger|sms|mail)"
                       r"[\s,|·•/]*){1,}$", re.IGNORECASE)  # fmt: skip
SHARE_PROMPT = re.compile(
    r"^(?:click to )?share (?:this|on|via|the|your)\b.{0,60}$|^click to (?:share|email|print|tweet|post|pin)\b|"
    r"\(opens in (?:a )?new window\)$|^(?:please )?share this\b|"
    r"\bshare (?:this|the) (?:article|story|post)\b.{0,40}$|^(?:if you (?:liked|enjoyed)|enjoyed) this\b",
    re.IGNORECASE,
)
# The comment form: a heading starts it; labels, notices and buttons fill it.
COMMENT_FORM_START = re.compile(
    r"^(?:leave a (?:comment|reply)|post a comment|add a comment|join the (?:conversation|discussion)|"
    r"\d* ?(?:comments?|responses?|replies)(?: \(\d+\))?|what do you think\??|have your say|"
    r"write a comment|comment on this (?:article|story))\s*[:.!]?(?:\s*cancel reply)?$",
    re.IGNORECASE,
)
COMMENT_FORM_LINE = re.compile(
    r"your email address will not be published|required fields are marked|"
    r"^(?:name|email|e-mail|website|comment|message)\s*\*?\s*:?$|^cancel reply$|^post (?:a )?comment$|"
    r"^submit(?: comment)?$|save my name,? email|notify me of (?:follow-up|new) (?:comments|posts)|"
    r"you must be logged in to post a comment|^log ?in to (?:reply|comment)|comments are closed|"
    r"this site uses akismet|^reply$|^\d+ (?:likes?|replies)$|be the first to comment",
    re.IGNORECASE,
)
# A credit at the end of a caption: ". (Dreamstime)" - parentheses right after the sentence ends.
CREDIT_AFTER_SENTENCE = re.compile(r"[.!?\"”’]\s*[(\[]([^()\[\]]{2,80})[)\]]\s*$")
CREDIT_WORDS = re.compile(
    r"\b(?:photo(?:graph)?s?|image|picture|pic|credit|courtesy|illustration|file|handout|screenshot|"
    r"getty|(?-i:AP|AFP|EPA)|reuters|shutterstock|istock|alamy|unsplash|pexels|pixabay|dreamstime|xinhua|"
    r"supplied|via)\b|©|/",
    re.IGNORECASE,
)
CREDIT_LINE_START = re.compile(
    r"(?:photo(?:graph)?|image|picture|pictured|illustration|credit|photo credit|image credit|"
    r"main image|top image|featured image|header image|above|file photo|caption|source)\s*(?:by|:|-|–|—)\s*\S|"
    r"\(?(?:photo|image|illustration|picture) by\b|"
    r"(?:file\s*[-–—]|©)",
    re.IGNORECASE,
)
CREDIT_LINE_END = re.compile(
    r"\((?:[^()]*\b(?:photo|image|credit|getty images|ap photo|(?-i:AFP|EPA|AP)|reuters|shutterstock|istock|alamy)\b"
    r"[^()]*)\)\s*$|"
    r"\b(?:getty images|ap photo|afp via getty|shutterstock|istock(?:photo)?|alamy|dreamstime)\s*\)?\s*$|"
    # "... in the control room. Photograph: Jane Roe/Agency" - the credit closes the caption.
    r"[.!?]\s+(?:photograph|photo|picture|image|illustration|composite|video|footage)s?\s*(?::|by)\s*[^.!?]{2,80}$",
    re.IGNORECASE,
)
# "Label: Name/Agency/Agency" in any language: a short label, a colon, then slash-joined credit names.
CREDIT_SLASHED = re.compile(r"^[^\W\d_][\w ]{1,24}:\s+[^.!?:,;]{2,80}?[^\W\d_]\s?/\s?[^\W\d_][^.!?:,;]{0,80}$")
# An uncredited caption: a single present-tense sentence that ends on the full date the picture was taken.
CAPTION_ENDS_WITH_DATE = re.compile(
    rf"\b(?:on|in)\s+(?:\w+day,?\s+)?(?:{_MONTH_ANY}\s+{_DAY_ANY},?\s+{_YEAR_ANY}|{_DAY_ANY}\s+{_MONTH_ANY},?\s+{_YEAR_ANY})\.?$",
    re.IGNORECASE,
)
# Story credits that news agencies append: who reported, wrote, edited; who contributed.
REPORTING_CREDIT = re.compile(
    r"^[(\[]?\s*(?:additional |with additional |further )?(?:reporting|writing|editing|compiled|translated|"
    r"production|graphics|fact-checking) by\b|"
    r"\b(?:contributed|provided) (?:additional )?(?:reporting|to this (?:report|story|article))\b|"
    r"^(?:source|sources|via|credit)\s*:\s*\S.{0,60}$",
    re.IGNORECASE,
)
# A way to reach the author or the outlet: an address, a handle.
CONTACT = re.compile(r"[\w.+-]+@[\w-]+\.[\w.-]+|(?<!\w)@\w{2,}|https?://\S+|\bwww\.\S+")
# Contact lines address the reader: "Follow her on Twitter @x", "Email the author at a@b.org", "Have a tip? ...".
CONTACT_LEAD = re.compile(
    r"(?:^|[.!?]\s+)(?:follow|e-?mail|contact|reach|write to|send (?:us|tips|your)|tweet|listen|download|"
    r"(?:have|got) a (?:news )?tip|tips?\s*:|more (?:on|at|coverage))\b|\b(?:can|may) be (?:reached|contacted)\b",
    re.IGNORECASE,
)
HASHTAG = re.compile(r"(?<!\w)#\w+")
ORIGINAL_PUBLISHER = re.compile(
    r"^(?:[(\[]\s*)?(?:this|the|a version of this|an earlier version of this)\s+"
    r"(?:article|story|post|piece|report|item|interview|op-ed|column|essay|analysis)\s+"
    r"(?:was\s+|is\s+)?(?:originally\s+|first\s+)?(?:published|appeared|posted|ran|produced)\s+"
    r"(?:originally\s+|first\s+)?(?:by|on|in|at|with|for)\s+(?:the\s+website\s+of\s+)?"
    r"(?P<publisher>.+?)"
    r"(?:\s+(?:and|under|on|in|as|at|with)\b.*|\s*[,.;:)\]].*)?$|"
    r"^(?:[(\[]\s*)?(?:republished|reprinted|reposted|syndicated|adapted)\s+"
    r"(?:with permission\s+)?(?:from|by|courtesy of)\s+(?P<publisher2>.+?)"
    r"(?:\s+(?:and|under|on|with)\b.*|\s*[,.;:)\]].*)?$",
    re.IGNORECASE,
)
BYLINE = re.compile(r"^(?:written by|words by|story by|reported by|by|author|authors|posted by)\s*:?\s+(?P<names>.+)$",
                    re.IGNORECASE)  # fmt: skip
AUTHOR_ROLE_WORDS = re.compile(
    r"\b(?:staff|correspondent|reporter|writer|editor|contributor|columnist|bureau|desk|team|news|agency|"
    r"press|media|times|post|journal|daily|online|service|wire|special to|associated|for the)\b",
    re.IGNORECASE,
)
NAME_TOKEN = re.compile(r"^(?:[A-Z][\w'’.-]*|(?:de|da|van|von|der|den|del|la|le|bin|al|el|ibn|di|du|dos|mc)\b\.?)$")
# "NAIROBI, Kenya —", "WASHINGTON (AP) —", "BEIJING (Reuters) -": an all-caps place, then a dash.
DATELINE = re.compile(
    r"^(?P<place>[A-Z][A-Z'’.\- ]{1,40}[A-Z.](?:,\s*[A-Z][\w'’.\-]*(?:\s+[A-Z][\w'’.\-]*){0,3}){0,2})"
    r"\s*(?:\((?:[A-Z][\w&.\- ]{0,30})\)\s*)?(?:[—–]|--?)\s+(?=\S)"
)
SEGMENT_SPLIT = re.compile(r"\s+[|•·]\s+|\s*\|\s*|\s+[—–]\s+")
READING_TIME = re.compile(
    r"^\d+\s*(?:min(?:ute)?s?|mins?)\.?(?:\s+read)?$|^\d+\s+views?$|"
    r"^(?:(?:updated|published|posted)\s*:?\s*)?\d+\s+(?:seconds?|minutes?|mins?|hours?|hrs?|days?|weeks?)\s+ago$",
    re.IGNORECASE,
)
# "Home » News » Public Safety": the navigation trail above a story.
BREADCRUMB = re.compile(r"^(?:[^»›>|]{1,40}\s*[»›>|]\s*){2,}[^»›>|]{1,40}$|^home\s*[»›>/|]", re.IGNORECASE)
NAME_CONNECTORS = {"the", "of", "and", "&", "de", "la", "le", "du", "der", "die", "das", "del", "y", "on", "for"}
NO_WORDS = re.compile(r"^[\W\d_]*$")
SENTENCE_END = re.compile(r"[.!?…\"”’)\]:]$")


def _norm(line: str) -> str:
    return " ".join(line.casefold().split())


def _words(line: str) -> list[str]:
    return line.split()


def is_hashtag_line(line: str) -> bool:
    tags = HASHTAG.findall(line)
    return len(tags) >= 2 and len(tags) * 2 >= len(_words(line))


def is_promo_line(line: str) -> bool:
    if len(_words(line)) > 35:
        return False
    lowered = line.lower()
    if not any(keyword in lowered for keyword in PROMO_KEYWORDS):
        return False  # a cheap test first: every promo pattern contains one of these words
    return any(p.search(line) for p in PROMO_PATTERNS)


def is_caption_line(line: str) -> bool:
    words = _words(line)
    if len(words) > 80:
        return False
    # The credit opens or closes a caption; looking at both ends is enough.
    if len(words) <= 50 and (CREDIT_LINE_START.match(line) or CREDIT_LINE_END.search(line[-160:])):
        return True
    if len(words) <= 15 and CREDIT_SLASHED.match(line):
        return True
    credit = CREDIT_AFTER_SENTENCE.search(line) if line.endswith((")", "]")) else None
    if credit:
        inside = credit.group(1).strip()
        if CREDIT_WORDS.search(inside):
            return True
        # A bare name in parentheses ("(Dreamstime)", "(Jane Roe)"); "(FBI)", "(2019)", "[Book 2]" are asides.
        names = inside.split()
        if (
            1 <= len(names) <= 4
            and all(w[:1].isupper() and not w.isupper() for w in names)
            and inside != "More"
            and not any(c.isdigit() for c in inside)
        ):
            return True
    ends_like_a_date = line[-1:].isdigit() or line.endswith(".")
    if len(words) <= 30 and ends_like_a_date and CAPTION_ENDS_WITH_DATE.search(line):
        # One sentence, no quotation, no attribution: a picture description rather than reporting.
        body = line.rstrip(".")
        if not re.search(r"[.!?;]\s", body) and not re.search(r"[\"“”]|\bsaid\b|\bsays\b|\btold\b", line):
            return True
    return False


def is_contact_or_credit_line(line: str) -> bool:
    """ "Reporting by ...; Editing by ...", "X contributed to this report", "Email the author at ..."."""
    if len(_words(line)) > 60:
        return False
    if REPORTING_CREDIT.search(line):
        return True
    if not ("@" in line or "http" in line or "www." in line):
        return False  # no address to contact: the cheap test spares the regexes below
    return len(_words(line)) <= 40 and bool(CONTACT.search(line)) and bool(CONTACT_LEAD.search(line))


def is_comment_form_line(line: str) -> bool:
    return len(_words(line)) <= 30 and bool(COMMENT_FORM_LINE.search(line))


def is_share_line(line: str) -> bool:
    return len(_words(line)) <= 25 and bool(SHARE_BAR.match(line) or SHARE_PROMPT.search(line))


def is_label_line(line: str) -> bool:
    return bool(LABEL_LINE.match(line) or PREFIXED_TEASER.match(line) or NO_WORDS.match(line) or BREADCRUMB.match(line))


def parse_original_publisher(line: str) -> str | None:
    if len(_words(line)) > 40:
        return None
    match = ORIGINAL_PUBLISHER.match(line.strip())
    if not match:
        return None
    publisher = (match.group("publisher") or match.group("publisher2") or "").strip(" .,:;\"“”'")
    publisher = re.sub(r"^(?:the\s+website\s+of\s+)", "", publisher, flags=re.IGNORECASE)
    if not publisher or len(publisher.split()) > 8:
        return None
    return publisher


def parse_authors(names: str) -> list[str]:
    """Names from the text after "By": "Jane Doe and John Smith, Reuters" -> ["Jane Doe", "John Smith"]."""
    names = SEGMENT_SPLIT.split(names, maxsplit=1)[0]
    parts = re.split(r"\s*(?:,|;|&|\band\b|\bwith\b)\s*", names)
    authors: list[str] = []
    for part in parts:
        tokens = part.strip(" .:").split()
        if not tokens:
            continue
        if AUTHOR_ROLE_WORDS.search(" ".join(tokens)) or len(tokens) == 1:
            continue  # a role or an outlet ("Staff Writer", "Reuters") rather than a person
        if len(tokens) > 5 or not all(NAME_TOKEN.match(t) for t in tokens):
            return []  # "By the time police arrived, ..." is a sentence, not a byline
        authors.append(" ".join(tokens))
    return authors


def parse_byline(line: str) -> list[str] | None:
    """Author names if ``line`` is a byline; None otherwise."""
    if len(_words(line)) > 16:
        return None
    match = BYLINE.match(line.strip())
    if not match:
        return None
    authors = parse_authors(match.group("names"))
    return authors or None


def split_dateline(paragraph: str) -> tuple[str | None, str]:
    """("NAIROBI, Kenya", rest) when the paragraph opens with a dateline; (None, paragraph) otherwise."""
    match = DATELINE.match(paragraph)
    if not match:
        return None, paragraph
    place = match.group("place").strip()
    letters = [c for c in place.split(",")[0] if c.isalpha()]
    # The city must be in capitals (the dateline convention) and the rest must read as a sentence.
    if len(letters) < 3 or not all(c.isupper() for c in letters):
        return None, paragraph
    rest = paragraph[match.end() :]
    if len(rest.split()) < 4:
        return None, paragraph
    return place, rest


# ---------------------------------------------------------------------------------------------------------------
# The cleaner
# ---------------------------------------------------------------------------------------------------------------


@dataclass
class DumpMetadata:
    title: str | None = None
    publisher: str | None = None
    authors: list[str] = field(default_factory=list)
    published: str | None = None
    updated: str | None = None
    original_publisher: str | None = None
    datelines: list[str] = field(default_factory=list)


def _metadata_segments(line: str, meta: DumpMetadata) -> bool:
    """True when every " | "-separated segment of ``line`` is a byline, a date or a reading time (then noted)."""
    if len(line) > 300 or len(_words(line)) > 30:
        return False  # bylines and date lines are short
    segments = [s.strip() for s in SEGMENT_SPLIT.split(line) if s.strip()]
    if not segments:
        return False
    found_authors: list[str] = []
    found_dates: list[tuple[str, bool]] = []
    for segment in segments:
        date_then_byline = re.match(r"^(?P<date>.+?)\s+(?P<byline>by\s+.+)$", segment, re.IGNORECASE)
        if date_then_byline and parse_date_line(date_then_byline.group("date")):
            authors = parse_byline(date_then_byline.group("byline"))
            if authors:
                found_authors.extend(authors)
                when = date_then_byline.group("date")
                found_dates.append((parse_date_line(when) or "", bool(UPDATED_WORD.search(when))))
                continue
        authors = parse_byline(segment)
        if authors:
            found_authors.extend(authors)
            continue
        iso = parse_date_line(segment)
        if iso:
            found_dates.append((iso, bool(UPDATED_WORD.search(segment))))
            continue
        if READING_TIME.match(segment) or LABEL_LINE.match(segment):
            continue
        return False
    if not found_authors and not found_dates:
        return False
    for author in found_authors:
        if author not in meta.authors:
            meta.authors.append(author)
    for iso, updated in found_dates:
        if updated:
            meta.updated = meta.updated or iso
        else:
            meta.published = meta.published or iso
    return True


def _split_title(line: str) -> tuple[str, str | None]:
    """ "Title | Outlet" -> ("Title", "Outlet"); the outlet part is short."""
    match = re.match(r"^(?P<title>.{8,}?)\s+(?:\||[-–—:]|•|·)\s+(?P<site>[^|]{2,40})$", line)
    if match and len(match.group("site").split()) <= 4 and len(match.group("title").split()) >= 2:
        return match.group("title").strip(), match.group("site").strip()
    return line, None


def _looks_like_title(line: str) -> bool:
    words = _words(line)
    if not 2 <= len(words) <= 30 or len(line) > 250:
        return False
    # Headlines do not end with a full stop (but may with "?" or "!" or a quotation mark).
    return not line.rstrip().endswith((".", ",", ";", ":")) or line.rstrip().endswith("...")


def _is_body_paragraph(line: str) -> bool:
    return len(_words(line)) >= 20 and bool(SENTENCE_END.search(line))


# Longer paragraphs than this are never boilerplate lines (the longest rules cap lines at 80 words).
LONGEST_BOILERPLATE_CHARS = 700


def mark_boilerplate(lines: list[str], meta: DumpMetadata, *, captions: bool = True) -> list[bool]:
    """keep[i] for each paragraph: False for boilerplate and metadata lines (whose values go into ``meta``)."""
    keep: list[bool] = [True] * len(lines)

    # The comment form and what follows it (the comments themselves) close the article.
    for index, line in enumerate(lines):
        if COMMENT_FORM_START.match(line) and index > 0:
            following = lines[index + 1 :]
            if all(len(_words(x)) < 60 for x in following) or any(is_comment_form_line(x) for x in following):
                for j in range(index, len(lines)):
                    keep[j] = False
                break

    in_teasers = False
    for index, line in enumerate(lines):
        if not keep[index]:
            continue
        if len(line) > LONGEST_BOILERPLATE_CHARS:
            in_teasers = False
            continue  # every rule below is about short lines; long paragraphs are body text
        if TEASER_HEADING.match(line):
            in_teasers, keep[index] = True, False
            continue
        if in_teasers:
            if _looks_like_title(line) and not _is_body_paragraph(line):
                keep[index] = False
                continue
            in_teasers = False
        publisher = parse_original_publisher(line)
        if publisher:
            meta.original_publisher = meta.original_publisher or publisher
            keep[index] = False
        elif (
            is_hashtag_line(line)
            or is_comment_form_line(line)
            or is_share_line(line)
            or is_label_line(line)
            or is_promo_line(line)
            or is_contact_or_credit_line(line)
            or (captions and is_caption_line(line))
            or READING_TIME.match(line)
            or _metadata_segments(line, meta)
        ):
            keep[index] = False
    return keep


def clean_text_dump(text: str) -> Extracted:
    """Body text and metadata from a raw copied-text dump; paragraphs joined by a blank line.

    Raises ``RejectError("empty", ...)`` when no body text remains.
    """
    if not isinstance(text, str):
        raise RejectError("empty", "text dump is not a string")
    text = unicodedata.normalize("NFC", text.replace("\x00", ""))
    # Zero-width and other format characters break the line rules and carry no text.
    text = "".join(c for c in text if c in "\n\t" or unicodedata.category(c) not in ("Cc", "Cf"))
    lines = [" ".join(line.split()) for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n")]
    lines = [line for line in lines if line]
    if not lines:
        raise RejectError("empty", "text dump has no text")

    meta = DumpMetadata()
    keep = mark_boilerplate(lines, meta)

    # Title: a line that repeats (also as "Title | Outlet"), else the first headline-like line before the body.
    remaining = [i for i in range(len(lines)) if keep[i]]
    counts: dict[str, int] = {}
    for i in remaining:
        key = _norm(_split_title(lines[i])[0])
        counts[key] = counts.get(key, 0) + 1
    head = []  # headline-like lines before the first body paragraph
    for i in remaining:
        if _is_body_paragraph(lines[i]):
            break
        if _looks_like_title(lines[i]):
            head.append(i)
    repeated = [i for i in head if counts[_norm(_split_title(lines[i])[0])] > 1]
    # A masthead or section name is shorter than a headline; the headline is the first line of some length.
    long_enough = [i for i in head if len(_words(lines[i])) >= 5]
    candidates = repeated or long_enough or head
    title_index = candidates[0] if candidates else None
    masthead = None
    if title_index is not None and remaining and remaining[0] != title_index and remaining[0] in head:
        first = lines[remaining[0]]
        if len(_words(first)) <= 5 and all(w[:1].isupper() or w.lower() in NAME_CONNECTORS for w in _words(first)):
            masthead = first
            keep[remaining[0]] = False
    if title_index is not None:
        title, site = _split_title(lines[title_index])
        if not site:
            # "Title - Outlet" splits headlines with dashes too; only trust it when the short form repeats.
            title = lines[title_index]
        else:
            full_count = sum(1 for i in remaining if _norm(lines[i]) == _norm(title))
            if counts[_norm(title)] < 2 and full_count == 0 and "|" not in lines[title_index]:
                title, site = lines[title_index], None
        meta.title, meta.publisher = title, site or masthead
        title_key = _norm(title)
        for i in remaining:
            if _norm(_split_title(lines[i])[0]) == title_key or _norm(lines[i]) == _norm(lines[title_index]):
                keep[i] = False

    paragraphs: list[str] = []
    for i in range(len(lines)):
        if not keep[i]:
            continue
        line = lines[i]
        if not paragraphs:
            place, line = split_dateline(line)
            if place:
                meta.datelines.append(place)
        paragraphs.append(line)
    # A dateline may also open the first paragraph after a lead-in such as a standfirst.
    for position in range(1, min(3, len(paragraphs))):
        place, rest = split_dateline(paragraphs[position])
        if place and not meta.datelines:
            meta.datelines.append(place)
            paragraphs[position] = rest

    if not paragraphs:
        raise RejectError("empty", "nothing but boilerplate in the text dump")
    body = "\n\n".join(paragraphs)
    return Extracted(
        text=body,
        title=meta.title,
        authors=meta.authors,
        published=meta.published or meta.updated,
        publisher=meta.publisher,
        original_publisher=meta.original_publisher,
        language=detect_language(body),
    )
