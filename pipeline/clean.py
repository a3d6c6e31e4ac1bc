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
from datetime import date, timedelta

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
    # Numeric dates put the day first in most of the world (04.03.2020, 04-03-2020, 04/03/2020); a slashed
    # date that cannot be day-first (03/24/2020) is read month-first, as in the United States.
    re.compile(rf"(?<![\d.:/-])(?P<day>[0-3]?\d)([./-])(?P<month>[01]?\d)\2{_YEAR}\b"),
    re.compile(rf"(?<![\d.:/-])(?P<month>[01]?\d)/(?P<day>[0-3]?\d)/{_YEAR}\b"),
)
# Words that may surround a date on a line that only states when the story was published.
DATE_LINE_FILLER = re.compile(
    r"\b(?:published|updated|posted|last|modified|first|on|at|date|dated|am|pm|a\.m\.|p\.m\.|"
    r"mon|tue|tues|wed|thu|thur|thurs|fri|sat|sun|"
    r"monday|tuesday|wednesday|thursday|friday|saturday|sunday|"
    r"gmt|utc|bst|cet|cest|est|edt|cst|cdt|mst|mdt|pst|pdt|et|pt|ist|jst|hkt|aest|aedt|uhr)\b\.?|"
    r"\b\d{1,2}[:.h]\d{2}(?::\d{2})?\s*(?:am|pm|a\.m\.|p\.m\.)?(?!\w)|[+-]\d{2}:?\d{2}\b|"
    r"\b(?:gmt|utc)\s*[+-]\s*\d{1,2}(?::?\d{2})?(?!\w)|"  # GMT+2, UTC+05:30
    # "Updated 2 hours ago", "updated about an hour ago"
    r"\b(?:(?:about|around|over|nearly|almost|just)\s+)?(?:\d+|an?|one)\s+(?:seconds?|minutes?|mins?|hours?|hrs?|"
    r"days?|weeks?|months?)\s+ago\b",
    re.IGNORECASE,
)
UPDATED_WORD = re.compile(r"\b(?:updated|modified)\b", re.IGNORECASE)
# "Feb 14, 2023 07:00 JST Updated Feb 14, 2023 12:30 JST": two dates on one line, split before the second.
SECOND_DATE_SPLIT = re.compile(r"\s+(?=(?:last\s+)?(?:updated|modified|edited)\b)", re.IGNORECASE)


EARLIEST_YEAR = 1900  # older "dates" on a news page are history being told, not when the story was published


def plausible_date(iso: str | None) -> str | None:
    """``iso`` when it is a real calendar day between 1900 and tomorrow (time zones), else None."""
    if not iso:
        return None
    try:
        day = date.fromisoformat(iso[:10])
    except ValueError:
        return None
    if day.year < EARLIEST_YEAR or day > date.today() + timedelta(days=1):
        return None
    return day.isoformat()


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
            if plausible_date(iso) is None:  # decades ahead, or before any news site
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

SOCIAL = r"(?:telegram|whatsapp|facebook|twitter|x\.com|x(?![\w.])|instagram|linkedin|youtube|tiktok|reddit|" \
    r"pinterest|threads|mastodon|bluesky|signal|viber|gab|truth social|rumble|flipboard|google news|apple news|" \
    r"pocket|hatena|line|kakaotalk|weibo|wechat|vk|tumblr|snapchat|mailto)"  # fmt: skip

SOCIAL_WORD = re.compile(rf"(?<!\w){SOCIAL}(?!\w)", re.IGNORECASE)
# Calls to action that promote the outlet rather than telling the story: (words one of which the line must
# contain, pattern). The words gate the patterns: a substring test is far cheaper than a regex search.
_PROMO_RULES: tuple[tuple[tuple[str, ...], str], ...] = (
    (("join", "follow", "subscribe to", "like"),
     rf"\b(?:join|follow|subscribe to|like)\s+(?:us|our|the)\b.{{0,60}}\b(?:{SOCIAL}|channel|page|newsletter|"
     r"community|account|feed)\b"),
    (("follow", "join", "find", "like", "add"),
     rf"\b(?:follow|join|find|like|add)\s+(?:us|[\w@.’'-]+(?:\s+[\w@.’'-]+){{0,3}})\s+on\s+{SOCIAL}"),
    (("join",), r"\bjoin (?:our|the)\b.{0,40}\b(?:telegram|whatsapp|channel|community|newsletter|mailing list)\b"),
    (("sign up", "subscribe"), r"\b(?:sign up|subscribe)\b.{0,60}\b(?:newsletter|updates|alerts|briefing|digest|"
                               r"inbox|email)"),
    (("newsletter",), r"\bnewsletter\b.{0,80}\b(?:sign up|subscribe|inbox|free|daily|weekly)\b"),
    (("sign up", "subscribe"), r"\b(?:sign up|subscribe)\s+(?:now|today|here|for free)\b"),
    (("deliver", "sent"), r"\b(?:get|have)\b.{0,60}\b(?:delivered|sent)\b.{0,30}\b(?:inbox|email|phone)\b"),
    ((" app",), r"\b(?:download|get|install|try|open in) (?:our|the) (?:free |new |official )?(?:[\w-]+ )?app\b"),
    (("inbox",), r"\bin(?:to)? your inbox\b"),
    (("support", "donate", "become a"),
     r"\b(?:support|donate to|become a (?:member|patron|supporter) of)\b.{0,60}\b(?:journalism|reporting|"
     r"newsroom|us|our work)\b"),
    (("click here",), r"\bclick here\b"),
    (("news",), r"\b(?:uncensored|breaking) news\b.{0,40}\b(?:channel|join|follow)\b"),
    (("cookie",),
     r"\bwe use cookies\b|\bcookie (?:policy|settings|preferences)\b|^(?:accept|allow|reject) all cookies\b"),
    (("rights reserved", "©"), r"\ball rights reserved\b|^(?:copyright\s*)?©"),
    (("site uses", "website uses"), r"\bthis (?:site|website) uses\b"),
    (("skip to",), r"\bskip to (?:main )?content\b"),
    (("privacy policy", "terms of"), r"\b(?:privacy policy|terms of (?:use|service))\b.{0,40}$"),
    (("notification",), r"\bturn (?:on|off) (?:desktop )?notifications\b|\ballow notifications\b"),
    # "Sign up to Data Matters", "Subscribe for $1 a week": a call without a sentence around it.
    (("sign up", "subscribe", "register", "join"),
     r"^(?:sign up|subscribe|register|join)(?: now| today| free| for free)?(?: (?:to|for) .{1,40})?(?<![.!?…])$"),
    (("privacy notice", "recaptcha"), r"^privacy notice\b|\brecaptcha\b"),
    (("registering", "signing up", "subscribing", "account"),
     r"\b(?:registering|signing up|subscribing|creating an account)\b.{0,30}\b(?:free|here|account)\b|"
     r"\bsign[ -]?in if you have an account\b"),
)  # fmt: skip
PROMO_RULES = [(words, re.compile(pattern, re.IGNORECASE)) for words, pattern in _PROMO_RULES]
# Any of the words, in one pass: most lines have none and need no further test.
PROMO_HINT = re.compile("|".join(sorted({re.escape(w) for words, _ in _PROMO_RULES for w in words})))
# Reporting: a quotation opening the line, or a reporting verb. Promotions address the reader and quote no one.
QUOTED_SPEECH = re.compile(
    r"^[\"“„«‘']|\b(?:said|says|told|asked|wrote|added|urged|warned|according to)\b|\btells?\b(?! us\b)",
    re.IGNORECASE,
)
# Consent banners: "We and our 842 partners store and/or access information on a device, such as cookies, ..."
COOKIE_BANNER = re.compile(
    r"\bcookies?\b.{0,200}\b(?:consent|partners|personali[sz]ed|preferences|accept|advertising|ads|analytics|"
    r"experience|browsing)\b|\b(?:we|our partners|this (?:site|website)|by (?:using|continuing))\b.{0,120}\bcookies?\b",
    re.IGNORECASE,
)
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
    r"tags|topics|categories|filed under|posted in|go to comments|"
    # consent buttons
    r"(?:accept|reject|allow|decline|refuse|deny)(?: all)?(?: cookies)?|manage (?:preferences|cookies|settings|"
    r"options|consent|choices)|(?:cookie|privacy) settings|i (?:agree|accept)|agree(?: and (?:close|continue))?|"
    r"got it|more options|customi[sz]e|"
    # page furniture
    r"ad(?:vertisement)? feedback|video ad feedback|story continues below(?: this)? (?:ad|advertisement)|"
    r"skip (?:past|to|over) [\w ]{1,40}|after [\w ]{0,30}(?:promotion|advertisement)|"
    r"listen(?: to (?:this )?(?:article|story))?\W*\d+\s*(?:min(?:ute)?s?|m)(?:\s*\d+\s*s(?:ec)?)?|"
    r"follow us|like|restack|copy|show (?:more|less)|\d*\s*shares?|scroll (?:down|up)(?: for [\w ]{1,20})?|"
    r"(?:image|photo|picture|video) (?:caption|source)|"
    r"(?:(?:free|daily|weekly|monthly)\s+)*newsletters?|(?:enter |type )?your e-?mail(?: address)?(?:\s*(?:\.{2,}|…))?|"
    r"e-?mail address|(?:sign up|subscribe|register|join|sign in|log ?in)(?: now| today| here| free| for free)|"
    r"authors?|about the authors?|authors? of (?:the|this) (?:article|story)|disclosure(?: statement)?|"
    r"reuse this content|advertisement \d{1,2}|"
    r"(?:purchase|acquire|buy) licensing rights|languages?)\s*[:.!»›>|]*$",
    re.IGNORECASE,
)
# "Purchase Licensing Rights, opens new tab": link text announcing where it goes is a link, not a paragraph.
LINK_ANNOTATION = re.compile(r"[,(]\s*opens? (?:in )?(?:a )?new (?:tab|window)\)?$", re.IGNORECASE)
# "Read more: <headline>", "RELATED: <headline>", "Tags: a, b, c".
PREFIXED_TEASER = re.compile(
    r"^(?:read (?:more|also|next)|also read|see also|related|recommended|watch|listen|tags|topics|"
    r"filed under|more|more from|previously|don'?t miss|posted in|categories|category|tagged|tagged with)"
    r"\s*[:>»›|–—-]\s*\S",
    re.IGNORECASE,
)
# A section of teasers follows these headings; headline-like lines after them are dropped.
TEASER_HEADING = re.compile(
    r"^(?:related(?: articles?| stories| story| posts?| content| coverage| news| topics| reading)?|"
    r"recommended(?: for you| stories| reading| articles)?|you (?:may|might) (?:also )?(?:like|enjoy|be interested in)|"
    r"most (?:read|popular|viewed|shared|commented)|trending(?: now| stories)?|popular(?: now| stories)?|"
    r"more (?:stories|news|from .{1,40}|on this(?: story| topic)?)|latest(?: news| stories)?|top stories|"
    r"read next|read more|also read|see also|what to read next|in other news|editor'?s picks?|"
    r"sponsored(?: content| stories| links)?|promoted(?: stories| content)?|"
    r"(?:explore|read) more (?:on|about) (?:these|this) (?:topics?|stor(?:y|ies))|"
    r"suggested (?:topics|reading|articles|stories)|topics|tags|tagged(?: with)?|filed under|categories)\s*:?$",
    re.IGNORECASE,
)
# Line made of nothing but social network names / share verbs: the share bar.
SHARE_BAR = re.compile(rf"^(?:(?:share|tweet|email|e-mail|print|copy link|copy|comment|{SOCIAL}|messenger|sms|mail)"
                       r"[\s,|·•/]*){1,}$", re.IGNORECASE)  # fmt: skip
SHARE_PROMPT = re.compile(
    r"^(?:click to )?share (?:this|on|via|the|your)\b.{0,60}$|^click to (?:share|email|print|tweet|post|pin)\b|"
    r"\(opens in (?:a )?new window\)$|^(?:please )?share this\b|"
    r"\bshar(?:e|ing) (?:or comment on )?(?:this|the) (?:article|story|post|page)\b.{0,40}$|"
    r"^(?:if you (?:liked|enjoyed)|enjoyed) this\b",
    re.IGNORECASE,
)
# The comment form: a heading starts it; labels, notices and buttons fill it.
COMMENT_FORM_START = re.compile(
    r"^(?:leave a (?:comment|reply)|post a comment|add a comment|join the (?:conversation|discussion)|"
    r"\d* ?(?:comments?|responses?|replies)(?: \(?\d+\)?)?|what do you think\??|have your say|"
    r"write a comment|comment on this (?:article|story)|discussion about this (?:post|article|story))"
    r"\s*[:.!]?(?:\s*cancel reply)?$",
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
CAPTION_LABEL = re.compile(r"^(?:image|photo|picture|video) caption\s*[,:]?$", re.IGNORECASE)
OUTLET_COLON_NAME = re.compile(r"^[A-Z][\w&.'’ -]{1,40}:\s*[A-Z][\w.'’-]+(?:\s+[A-Z][\w.'’-]+){0,3}$")
CREDIT_LINE_START = re.compile(
    r"(?:photo(?:graph)?|image|picture|pictured|illustration|credit|photo credit|image credit|"
    r"main image|top image|featured image|header image|above|file photo|caption|source)\s*(?:by|:|-|–|—)\s*\S|"
    r"(?:image|photo|picture|video) (?:source|caption|credit)\s*,\s*\S|"
    r"\(?(?:photo|image|illustration|picture) by\b|"
    r"(?:file\s*[-–—]|©)",
    re.IGNORECASE,
)
CREDIT_LINE_END = re.compile(
    r"\((?:[^()]*\b(?:photo|image|credit|getty images|ap photo|(?-i:AFP|EPA|AP)|reuters|shutterstock|istock|alamy)\b"
    r"[^()]*)\)\s*$|"
    r"\b(?:getty images|ap photo|afp via getty|shutterstock|istock(?:photo)?|alamy|dreamstime)\s*\)?\s*$|"
    # "... in the control room. Photograph: Jane Roe/Agency", "... in Hyderabad. | Photo Credit: Staff" - the
    # credit closes the caption.
    r"(?:[.!?]|\s[|–—-])\s+(?:file\s+)?(?:photograph|photo|picture|image|illustration|composite|video|footage|"
    r"credit)s?(?:\s+credits?)?\s*(?::|by)\s*[^.!?]{2,80}\.?$",
    re.IGNORECASE,
)
# "... Estonia, January 12, 2023. REUTERS/Jane Roe/File Photo": the agency in capitals, a slash, the name.
CREDIT_AGENCY_SLASH_END = re.compile(
    r"[.!?]\s+[A-Z]{2,}(?:[ -][A-Z]{2,})*(?:\s+[Pp]hoto)?\s*/\s*[^.!?/]{2,60}(?:/[^.!?/]{2,40})?$"
)
# "[1/2] A traveller walks to passport control ...": the position of a picture in a gallery.
GALLERY_COUNTER = re.compile(r"^[\[(]?\d{1,2}\s*(?:/|of)\s*\d{1,2}[\])]?\s+\S")
# "Label: Name/Agency/Agency" in any language: a short label, a colon, then slash-joined credit names.
CREDIT_SLASHED = re.compile(r"^[^\W\d_][\w ]{1,24}:\s+[^.!?:,;]{2,80}?[^\W\d_]\s?/\s?[^\W\d_][^.!?:,;]{0,80}$")
# An uncredited caption: a single present-tense sentence that ends on the full date the picture was taken.
CAPTION_ENDS_WITH_DATE = re.compile(
    rf"\b(?:on|in)\s+(?:\w+day,?\s+)?(?:{_MONTH_ANY}\s+{_DAY_ANY},?\s+{_YEAR_ANY}|{_DAY_ANY}\s+{_MONTH_ANY},?\s+{_YEAR_ANY})\.?$",
    re.IGNORECASE,
)
CAPTION_TENSE_GUARD = re.compile(
    r"\b(?:will|would|shall|was|were|had|has|have|been|did|is due|are due|is expected|are expected|ago|last|next)\b",
    re.IGNORECASE,
)
# Story credits that news agencies append: who reported, wrote, edited; who contributed.
REPORTING_CREDIT = re.compile(
    r"^[(\[]?\s*(?:additional |with additional |further )?(?:reporting|writing|editing|compiled|translated|"
    r"production|graphics|fact-checking) by\b|"
    r"\b(?:contributed|provided) (?:additional )?(?:reporting|to this (?:report|story|article))\b|"
    r"^(?:source|sources|via|credit)\s*:\s*\S.{0,60}$|"
    # "This article was produced with the support of the X Fund."
    r"^(?:this|the) (?:article|story|report|series|project|piece|reporting|coverage) (?:was|is) (?:produced|made "
    r"possible|supported|funded|published|reported) (?:with|by|through|thanks to|in partnership with) "
    r"(?:the )?(?:support|funding|a grant|grants|help|assistance|financial support)\b",
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
    # "is republished from X" names the source; "was reprinted on X" names where the copy is, so "re-" needs "from".
    r"(?:was\s+|is\s+|has\s+been\s+)?(?:originally\s+|first\s+)?"
    r"(?:re(?:published|printed)\s+(?:originally\s+|first\s+)?from|(?:published|appeared|posted|ran|produced)\s+"
    r"(?:originally\s+|first\s+)?(?:by|on|in|at|with|for|from))\s+(?:the\s+website\s+of\s+)?"
    r"(?P<publisher>.+?)"
    r"(?:\s+(?:and|under|on|in|as|at|with)\b.*|\s*[,.;:)\]].*)?$|"
    r"^(?:[(\[]\s*)?(?:republished|reprinted|reposted|syndicated|adapted)\s+"
    r"(?:with permission\s+)?(?:from|by|courtesy of)\s+(?P<publisher2>.+?)"
    r"(?:\s+(?:and|under|on|with)\b.*|\s*[,.;:)\]].*)?$|"
    # "The Civic Desk first published this story."
    r"^(?P<publisher3>(?-i:(?:[A-Z][\w&'’.-]*\s+|(?:of|the|for|and|on)\s+){0,5}[A-Z][\w&'’.-]*))\s+(?:first|originally)\s+"
    r"(?:published|ran|produced|posted)\s+this\s+(?:article|story|report|piece|interview|investigation)"
    r"\s*(?:[.,;]\s*(?:\s.*)?)?$|"
    r"^originally (?:published|appeared|posted) (?:by|on|in|at) (?P<publisher4>[^.,;:()]{2,60}?)\s*[.,;:)]?$|"
    r"^this (?:report|story|article) by (?P<publisher5>[^.,;:()]{2,60}?) was (?:first|originally) published\b.{0,40}$",
    re.IGNORECASE,
)
FUNDING = re.compile(
    r"^(?:the\s+)?(?:support|funding|a grant|grants|help|assistance|financial support)\b", re.IGNORECASE
)
BYLINE = re.compile(r"^(?:written by|words by|story by|reported by|by|author|authors|posted by)\s*:?\s+(?P<names>.+)$",
                    re.IGNORECASE)  # fmt: skip
AUTHOR_ROLE_WORDS = re.compile(
    r"\b(?:staff|correspondent|reporter|writer|editor|contributor|columnist|bureau|desk|team|news|agency|"
    r"press|media|times|post|journal|daily|online|service|wire|special to|associated|for the)\b",
    re.IGNORECASE,
)
ROLE_FILLERS = {"the", "of", "for", "to", "at", "in", "and", "&", "senior", "chief", "deputy", "our", "own"}
NAME_TOKEN = re.compile(r"^(?:[A-Z][\w'’.-]*|(?:de|da|van|von|der|den|del|la|le|bin|al|el|ibn|di|du|dos|mc)\b\.?)$")
# "NAIROBI, Kenya —", "WASHINGTON (AP) —", "BEIJING (Reuters) -": an all-caps place, then a dash.
# "TALLINN, March 3 (Reuters) -": wire services put the day between the place and the agency.
DATELINE = re.compile(
    r"^(?P<place>[A-Z][A-Z'’.\- ]{1,40}[A-Z.](?:,\s*[A-Z][\w'’.\-]*(?:\s+[A-Z][\w'’.\-]*){0,3}){0,2})"
    rf"(?:,\s*(?i:{_MONTH_ANY})\s+\d{{1,2}})?"
    r"\s*(?:\((?:[A-Z][\w&.\- ]{0,30})\)\s*)?(?:(?:[—–]|--?)\s+(?=\S)|:\s+(?=[A-Z“\"]))"
)
# Wire services and news agencies: they sign stories ("— AFP", "(Reuters)") rather than people.
WIRE = (
    r"(?:reuters|afp|ap|associated press|agence france-presse|dpa|efe|ansa|xinhua|kyodo|yonhap|bernama|pti|ians|"
    r"ani|tass|anadolu|bloomberg|upi|aap|lusa|apa|kna|nan|pa media|cna|rfa|voa|bna|wam|spa|ina|irna|ptv)"
)
# "Seoul CNN —", "Hong Kong (AP) —": a place in ordinary case, then the agency in capitals, then a dash.
# "New Delhi, Mar 12 (PTI) The ...": with the agency in parentheses the dash may be left out.
DATELINE_AGENCY = re.compile(
    r"^(?P<place>[A-Z][\w'’.\-]+(?:\s+[A-Z][\w'’.\-]+){0,2})"
    rf"(?:,\s*(?i:{_MONTH_ANY})\s+\d{{1,2}})?"
    r"\s+(?:(?:\(?[A-Z]{2,6}\)?|\((?i:" + WIRE + r")\))\s*(?:[—–]|--?)|\((?:[A-Z]{2,6}|(?i:" + WIRE + r"))\))"
    r"\s+(?=[A-Z“\"])"
)
# "... Onyango said. — AFP": the agency's signature closing the last paragraph, or alone on a line.
# "... third parties. PTI ABC DEF": an agency in capitals with its editors' initials, no dash.
# Alone on a line only a known agency counts: "- GPS" is a list item, "UP NEXT" a heading.
WIRE_SIGNATURE = re.compile(
    r"(?:(?<=[.!?\"”’])\s*(?:[—–]+|--?|\()\s*(?:" + WIRE + r"|(?-i:[A-Z]{2,6}))\s*\)?|"
    r"(?<=[.!?\"”’])\s+(?-i:[A-Z]{2,6}(?:\s+[A-Z]{2,4}){1,3})|"
    r"^\s*(?:[—–]+|--?|\()\s*" + WIRE + r"\s*\)?)\s*$",
    re.IGNORECASE,
)
SEGMENT_SPLIT = re.compile(r"\s+[|•·]\s+|\s*\|\s*|\s+[—–]\s+")
READING_TIME = re.compile(
    r"^\d+\s*(?:min(?:ute)?s?|mins?)\.?(?:\s+read)?$|^\d+\s+views?$|"
    r"^(?:(?:updated|published|posted)\s*:?\s*)?(?:(?:about|around|over|nearly|almost|just)\s+)?(?:\d+|an?|one)\s+"
    r"(?:seconds?|minutes?|mins?|hours?|hrs?|days?|weeks?|months?)\s+ago$",
    re.IGNORECASE,
)
# "Home » News » Public Safety": the navigation trail above a story.
BREADCRUMB = re.compile(r"^(?:[^»›>|]{1,40}\s*[»›>|]\s*){2,}[^»›>|]{1,40}$|^home\s*[»›>/|]", re.IGNORECASE)
NAME_CONNECTORS = {"the", "of", "and", "&", "de", "la", "le", "du", "der", "die", "das", "del", "y", "on", "for"}
NO_WORDS = re.compile(r"^[\W\d_]*$")
SENTENCE_END = re.compile(r"[.!?…\"'”’»)\]:]$")


def _norm(line: str) -> str:
    return " ".join(line.casefold().split())


def _words(line: str) -> list[str]:
    return line.split()


def is_hashtag_line(line: str) -> bool:
    if "#" not in line:
        return False
    tags = HASHTAG.findall(line)
    words = _words(line)
    # "#privacy #police ...", or one tag alone ("#EndSARS"): no sentence is made of hashtags.
    return (len(tags) >= 2 and len(tags) * 2 >= len(words)) or (len(tags) == 1 and len(words) == 1)


def is_promo_line(line: str) -> bool:
    words = len(_words(line))
    if words > 90:
        return False  # consent banners are the longest promotions
    lowered = line.lower()
    if not PROMO_HINT.search(lowered):
        return False
    if "cookie" in lowered and COOKIE_BANNER.search(line) and not QUOTED_SPEECH.search(line):
        return True  # consent banners run long
    if words > 35 and not lowered.startswith("privacy notice"):
        return False
    # "“They made us sign up ... to get emergency alerts,” said ...": a quotation is reporting, not a promo.
    matched = any(pattern.search(line) for words, pattern in PROMO_RULES if any(w in lowered for w in words))
    return matched and not QUOTED_SPEECH.search(line)


def is_caption_line(line: str) -> bool:
    words = _words(line)
    if len(words) > 80:
        return False
    if len(words) <= 60 and GALLERY_COUNTER.match(line):
        return True
    # The credit opens or closes a caption; looking at both ends is enough.
    if len(words) <= 50 and (
        CREDIT_LINE_START.match(line)
        or CREDIT_LINE_END.search(line[-160:])
        or ("/" in line[-100:] and CREDIT_AGENCY_SLASH_END.search(line[-160:]))
    ):
        return True
    if len(words) <= 15 and CREDIT_SLASHED.match(line):
        return True
    credit = CREDIT_AFTER_SENTENCE.search(line) if line.endswith((")", "]")) else None
    if credit:
        inside = credit.group(1).strip()
        if CREDIT_WORDS.search(inside) or OUTLET_COLON_NAME.match(inside):
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
            # Captions describe the picture in the present tense; "was signed on ...", "will fly on ..." report.
            return not CAPTION_TENSE_GUARD.search(body)
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
    if len(_words(line)) > 25:
        return False
    # "Share your location or lose your line, the message warned." reports; share prompts quote no one.
    return bool(SHARE_BAR.match(line) or (SHARE_PROMPT.search(line) and not QUOTED_SPEECH.search(line)))


def is_label_line(line: str) -> bool:
    return bool(
        LABEL_LINE.match(line)
        or PREFIXED_TEASER.match(line)
        or NO_WORDS.match(line)
        or BREADCRUMB.match(line)
        or (len(line) <= 200 and line.endswith(("tab", "tab)", "window", "window)")) and LINK_ANNOTATION.search(line))
        or (len(line) <= 40 and WIRE_SIGNATURE.match(line))  # "— AFP" alone on its line
    )


def parse_original_publisher(line: str) -> str | None:
    if len(_words(line)) > 40:
        return None
    match = ORIGINAL_PUBLISHER.match(line.strip())
    if not match:
        return None
    publisher = next(
        (g for g in match.group("publisher", "publisher2", "publisher3", "publisher4", "publisher5") if g), ""
    )
    publisher = publisher.strip(" .,:;\"“”'")
    if FUNDING.match(publisher):
        return None  # "produced with the support of the X Fund" names a funder, not a publisher
    publisher = re.sub(r"^(?:the\s+website\s+of\s+)", "", publisher, flags=re.IGNORECASE)
    if not publisher or len(publisher.split()) > 8:
        return None
    return publisher


def _person_name(tokens: list[str]) -> str:
    # Bylines set in capitals ("By MARIA GONZALEZ") are names all the same; store them as names are written.
    name = " ".join(tokens)
    return name.title() if name.isupper() and len(name) > 3 else name


def _byline_names(names: str) -> list[str] | None:
    """People named after "By"; [] when only outlets or roles are named ("By AFP", "By Staff"); None when
    the text is a sentence rather than names ("By the time police arrived, ...")."""
    names = SEGMENT_SPLIT.split(names, maxsplit=1)[0]
    parts = re.split(r"\s*(?:,|;|&|\band\b|\bwith\b)\s*", names)
    authors: list[str] = []
    for part in parts:
        # "Jane Doe for The Guardian": the outlet follows "for".
        tokens = (
            re.sub(r"\s+for\s+(?:the\s+)?[A-Z][\w&.'’-]*(?:\s+[A-Z][\w&.'’-]*){0,3}$", "", part, flags=re.IGNORECASE)
            .strip(" .:")
            .split()
        )
        if not tokens:
            continue
        if AUTHOR_ROLE_WORDS.search(" ".join(tokens)):
            # A role or an outlet ("Staff Writer", "special to The Times"), unless other words make it a sentence.
            if not all(NAME_TOKEN.match(t) or AUTHOR_ROLE_WORDS.fullmatch(t) or t.lower() in ROLE_FILLERS
                       for t in tokens):  # fmt: skip
                return None
            continue
        if len(tokens) > 5 or not all(NAME_TOKEN.match(t) for t in tokens):
            return None  # "By the time police arrived, ..." is a sentence, not a byline
        if len(tokens) > 1:  # a single word is an outlet ("Reuters", "AFP") rather than a person
            authors.append(_person_name(tokens))
    return authors


def parse_authors(names: str) -> list[str]:
    """Names from the text after "By": "Jane Doe and John Smith, Reuters" -> ["Jane Doe", "John Smith"]."""
    return _byline_names(names) or []


def _byline(line: str) -> list[str] | None:
    """Author names if ``line`` is a byline, [] for a byline naming no person ("By AFP"), None otherwise."""
    if len(_words(line)) > 16:
        return None
    match = BYLINE.match(line.strip())
    if not match:
        return None
    return _byline_names(match.group("names"))


def parse_byline(line: str) -> list[str] | None:
    """Author names if ``line`` is a byline naming people; None otherwise."""
    return _byline(line) or None


def split_dateline(paragraph: str) -> tuple[str | None, str]:
    """("NAIROBI, Kenya", rest) when the paragraph opens with a dateline; (None, paragraph) otherwise."""
    match = DATELINE.match(paragraph)
    if match:
        place = match.group("place").strip()
        letters = [c for c in place.split(",")[0] if c.isalpha()]
        # The city must be in capitals (the dateline convention) and the rest must read as a sentence.
        if len(letters) < 3 or not all(c.isupper() for c in letters):
            match = None
    if not match:
        match = DATELINE_AGENCY.match(paragraph)
        if not match:
            return None, paragraph
        place = match.group("place").strip()
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
    lowered = line.lower()
    if not ("by " in lowered or "author" in lowered or any(c.isdigit() for c in line)):
        return False  # neither a byline nor a date: the cheap test spares the regexes below
    segments = [s.strip() for part in SEGMENT_SPLIT.split(line) for s in SECOND_DATE_SPLIT.split(part) if s.strip()]
    if not segments:
        return False
    found_authors: list[str] = []
    found_dates: list[tuple[str, bool]] = []
    bylines = 0
    places = 0
    for segment in segments:
        date_then_byline = re.match(r"^(?P<date>.+?)\s+(?P<byline>by\s+.+)$", segment, re.IGNORECASE)
        if date_then_byline and parse_date_line(date_then_byline.group("date")):
            authors = parse_byline(date_then_byline.group("byline"))
            if authors:
                found_authors.extend(authors)
                when = date_then_byline.group("date")
                found_dates.append((parse_date_line(when) or "", bool(UPDATED_WORD.search(when))))
                continue
        byline = _byline(segment)
        if byline is not None:
            found_authors.extend(byline)
            bylines += 1
            continue
        iso = parse_date_line(segment)
        if iso:
            found_dates.append((iso, bool(UPDATED_WORD.search(segment))))
            continue
        if READING_TIME.match(segment) or LABEL_LINE.match(segment):
            continue
        # "Written by Jane Doe | Hyderabad | Updated: ...": a place between the byline and the date.
        if len(segment.split()) <= 3 and all(NAME_TOKEN.match(t) for t in segment.split()) and len(segments) > 2:
            places += 1
            continue
        return False
    if not found_authors and not found_dates and not bylines:
        return False
    if places and not (found_authors or bylines) and not found_dates:
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
    seen_body = False
    for index, line in enumerate(lines):
        seen_body = seen_body or _is_body_paragraph(line)
        # The comments follow the story: a "Join the conversation" button above it starts nothing.
        if COMMENT_FORM_START.match(line) and seen_body:
            following = lines[index + 1 :]
            if all(len(_words(x)) < 60 for x in following) or any(is_comment_form_line(x) for x in following):
                for j in range(index, len(lines)):
                    keep[j] = False
                break

    in_teasers = False
    for index, line in enumerate(lines):
        if not keep[index]:
            continue
        if captions and index and CAPTION_LABEL.match(lines[index - 1]) and len(_words(line)) <= 40:
            keep[index] = False  # "Image caption," then the caption on its own line
            continue
        if len(line) > LONGEST_BOILERPLATE_CHARS:
            in_teasers = False
            continue  # every rule below is about short lines; long paragraphs are body text
        if TEASER_HEADING.match(line):
            in_teasers, keep[index] = True, False
            continue
        if in_teasers:
            # A list of teasers: headlines, with their section names and times between them.
            if READING_TIME.match(line) or parse_date_line(line):
                keep[index] = False
                if PUBLISHED_WORD.search(line):
                    _metadata_segments(line, meta)  # "First published on ...": the story's own date
                continue
            if _is_boilerplate_line(line, meta, captions):
                keep[index], in_teasers = False, False  # another element (an ad label, a share bar) ends the list
                continue
            if _is_teaser_item(line):
                keep[index] = False
                continue
            in_teasers = False  # the body resumes
            continue
        if _is_boilerplate_line(line, meta, captions):
            keep[index] = False
    # A newsletter box: its description ("A weekly look at ...") sits between its title and its sign-up notice.
    for index in range(1, len(lines) - 1):
        line = lines[index]
        if (
            keep[index]
            and not keep[index - 1]
            and not keep[index + 1]
            and len(_words(line)) <= 15
            and not _is_sentence(line)
            and all(_is_promo_or_label(lines[j]) for j in (index - 1, index + 1))
        ):
            keep[index] = False
    return keep


def _is_promo_or_label(line: str) -> bool:
    return is_promo_line(line) or bool(LABEL_LINE.match(line))


def _is_sentence(line: str) -> bool:
    return bool(re.search(r"[.!?…\"'”’»]$", line))


PUBLISHED_WORD = re.compile(r"\b(?:published|updated|posted|modified)\b", re.IGNORECASE)


def _is_teaser_item(line: str) -> bool:
    """A headline or a one-word section name in a list of teasers."""
    if _is_body_paragraph(line):
        return False
    return _looks_like_title(line) or (len(_words(line)) == 1 and not SENTENCE_END.search(line))


def _is_boilerplate_line(line: str, meta: DumpMetadata, captions: bool) -> bool:
    """True for a boilerplate or metadata line; metadata values go into ``meta``."""
    publisher = parse_original_publisher(line)
    if publisher:
        meta.original_publisher = meta.original_publisher or publisher
        return True
    return bool(
        # Metadata first: "Written by X | Hyderabad | Updated ..." has the shape of a breadcrumb, "23/03/2022" of
        # a line without words.
        _metadata_segments(line, meta)
        or is_hashtag_line(line)
        or is_comment_form_line(line)
        or is_share_line(line)
        or is_label_line(line)
        or is_promo_line(line)
        or is_contact_or_credit_line(line)
        or (captions and is_caption_line(line))
        or READING_TIME.match(line)
    )


# A line that names a person and nothing else: "Jamie Fletcher" above "Home affairs correspondent".
ROLE_LINE = re.compile(
    r"^(?:[\w'’.&-]+[ ,]+){0,8}?(?:correspondent|reporter|editor|writer|journalist|columnist|contributor|producer|"
    r"professor|lecturer|researcher|fellow|analyst|director|student|candidate|scientist|chair|author)s?\b[^.!?]{0,80}$",
    re.IGNORECASE,
)
AUTHOR_LABEL = re.compile(
    r"^(?:authors?|written by|words by|about the authors?|authors? of (?:the|this) (?:article|story))\s*:?$",
    re.IGNORECASE,
)
# What a biography says after the name: "Jane Doe is a reporter ...", "Doe covers ...", "Doe has received ...".
BIO_VERB = re.compile(
    r"^(?:is|was|has|had|covers|covered|writes|wrote|reports|reported|joined|edits|edited|leads|receives|received|"
    r"does|holds|teaches|works|worked|previously|also|can be reached|tweets)\b",
    re.IGNORECASE,
)
# A call to action opens the line: "Write an article and join ...", "Register now", "Download ...".
CALL_TO_ACTION = re.compile(
    r"^(?:write|join|register|sign up|sign in|log in|subscribe|download|follow|read|watch|listen|get|support|donate|"
    r"become|share|learn|discover|explore|try|click|tap|see|visit|send|contact|email|tell|got)\b",
    re.IGNORECASE,
)
# Most words a line of page furniture has (a kicker, a menu entry, a language switch).
FURNITURE_WORDS = 4


def _is_name_line(line: str) -> bool:
    words = _words(line)
    return (
        2 <= len(words) <= 4
        and all(NAME_TOKEN.match(w) for w in words)
        and sum(w[:1].isupper() for w in words) >= 2
        and not AUTHOR_ROLE_WORDS.search(line)
        and not any(c.isdigit() for c in line)
        and not SOCIAL_WORD.search(line)  # "Facebook Count", "Twitter Share": share buttons
    )


def _choose_title(lines: list[str], keep: list[bool], head: list[int]) -> int | None:
    """Index of the headline among the headline-like lines ``head`` (before the body).

    Headlines are long (menu entries, section names and taglines are shorter), often repeated (also as
    "Title | Outlet") and usually right above the byline or the date; a standfirst (the line right after a long
    headline-like line) is not the headline.
    """
    counts: dict[str, int] = {}
    for i in range(len(lines)):
        if keep[i]:
            key = _norm(_split_title(lines[i])[0])
            counts[key] = counts.get(key, 0) + 1
    kept_before: dict[int, int] = {}
    previous = -1
    for i in range(len(lines)):
        if keep[i]:
            kept_before[i] = previous
            previous = i
    in_head = set(head)
    pool = [i for i in head if not (kept_before[i] in in_head and len(_words(lines[kept_before[i]])) >= 5)] or head
    if not pool:
        return None

    def score(i: int) -> tuple[int, int]:
        words = len(_words(lines[i]))
        value = min(words, 12)
        if words >= 4 and _above_byline(lines, i):
            value += TITLE_BONUS
        if counts[_norm(_split_title(lines[i])[0])] > 1:
            value += TITLE_BONUS
        return value, -i

    return max(pool, key=score)


# Words that repeating, or standing right above the byline or the date, are worth in the choice of the title.
TITLE_BONUS = 6


def _above_byline(lines: list[str], index: int) -> bool:
    """True when the next line with words, past share buttons and labels, is a byline or a date line."""
    probe = DumpMetadata()
    for line in lines[index + 1 : index + 4]:
        if is_label_line(line) or is_share_line(line):
            continue
        return _byline(line) is not None or _metadata_segments(line, probe)
    return False


def _closes_article(line: str) -> bool:
    """Boilerplate that only comes after the story: share bars, comments, teaser lists, navigation, hashtags,
    credits and reprint notes, copyright, appeals for donations. (Advertisements and newsletter offers also come
    between paragraphs.)"""
    return bool(
        is_share_line(line)
        or COMMENT_FORM_START.match(line)
        or TEASER_HEADING.match(line)
        or BREADCRUMB.match(line)
        or is_hashtag_line(line)
        or REPORTING_CREDIT.search(line)
        or parse_original_publisher(line)
        or (len(_words(line)) <= 35 and CLOSING_PROMO.search(line))
    )


# Promotions that close a story: the copyright line and the appeal for support.
CLOSING_PROMO = re.compile(
    r"\ball rights reserved\b|^(?:copyright\s*)?©|"
    r"\b(?:support|donate to|become a (?:member|patron|supporter|subscriber|insider))\b.{0,60}\b(?:journalism|"
    r"reporting|newsroom|us|our work|our team)\b|^(?:support|donate to) (?:us|our [\w ]{1,30}|[A-Z][\w]*)$",
    re.IGNORECASE,
)


def _neighbour(lines: list[str], index: int, step: int) -> str:
    """The nearest line before (step -1) or after (step 1) ``index`` that is not a button or a label."""
    j = index + step
    while 0 <= j < len(lines) and abs(j - index) <= 3:
        if not (is_share_line(lines[j]) or (LABEL_LINE.match(lines[j]) and not AUTHOR_LABEL.match(lines[j]))):
            return lines[j]
        j += step
    return ""


def _mark_head_authors(lines: list[str], keep: list[bool], start: int, end: int, meta: DumpMetadata) -> None:
    """Author lines without "By" between the headline and the body: a name next to a date, a role or a label."""
    probe = DumpMetadata()
    for i in range(start, end):
        if not keep[i] or not _is_name_line(lines[i]):
            continue
        before = _neighbour(lines, i, -1)
        after = _neighbour(lines, i, 1)
        by_role = [j for j in (i - 1, i + 1) if 0 <= j < len(lines) and ROLE_LINE.match(lines[j])]
        by_date = any(x and (parse_date_line(x) or _metadata_segments(x, probe)) for x in (before, after))
        if by_role or by_date or AUTHOR_LABEL.match(before):
            name = _person_name(_words(lines[i]))
            if name not in meta.authors:
                meta.authors.append(name)
            keep[i] = False
            for j in by_role:
                if j > i or not keep[j]:
                    keep[j] = False


def _is_author_bio(line: str, meta: DumpMetadata, *, surname_too: bool) -> bool:
    """ "Jane Doe", "Jane Doe is a reporter covering ...", "Doe covers ..." for an author of the story."""
    if len(_words(line)) > 60:
        return False
    folded = line.casefold()
    for author in meta.authors:
        names = [author.casefold()]
        if surname_too and len(author.split()) > 1:
            names.append(author.split()[-1].casefold())
        for name in names:
            if folded == name:
                return True
            if folded.startswith(name + " ") and BIO_VERB.match(line[len(name) + 1 :]):
                return True
    return False


def clean_text_dump(text: str) -> Extracted:
    """Body text and metadata from a raw copied-text dump; paragraphs joined by a blank line.

    Beyond the line rules of ``mark_boilerplate``, a dump has a shape: page chrome (menus, consent buttons,
    section names) above the headline; the byline, date and captions between the headline and the body; teasers,
    tags and the author's biography after the last paragraph. Raises ``RejectError("empty", ...)`` when no body
    text remains.
    """
    if not isinstance(text, str):
        raise RejectError("empty", "text dump is not a string")
    # Line ends first (CRLF, old Mac CR, and the Unicode separators), before control characters are dropped:
    # a CR-only dump would otherwise become one line.
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\u2028", "\n").replace("\u2029", "\n\n")
    text = unicodedata.normalize("NFC", text.replace("\x00", ""))
    # Zero-width and other format characters break the line rules and carry no text.
    text = "".join(c for c in text if c in "\n\t" or unicodedata.category(c) not in ("Cc", "Cf"))
    lines = [" ".join(line.split()) for line in text.split("\n")]
    lines = [line for line in lines if line]
    if not lines:
        raise RejectError("empty", "text dump has no text")

    meta = DumpMetadata()
    keep = mark_boilerplate(lines, meta)

    def first_body() -> int:
        return next((i for i in range(len(lines)) if keep[i] and _is_body_paragraph(lines[i])), len(lines))

    # Title: the best headline-like line before the body (see _choose_title); the page above it is chrome.
    body_start = first_body()
    head = [i for i in range(body_start) if keep[i] and _looks_like_title(lines[i])]
    title_index = _choose_title(lines, keep, head)
    masthead = None
    if title_index is not None:
        first = lines[0]
        # The outlet's name is the first thing on the page, a few capitalised words.
        if (
            keep[0]
            and title_index > 0
            and 0 in head
            and len(_words(first)) <= 5
            and all(w[:1].isupper() or w.lower() in NAME_CONNECTORS for w in _words(first))
        ):
            masthead = first
        for i in range(title_index):
            keep[i] = False  # menus, consent buttons, section names: the page above the headline
        title, site = _split_title(lines[title_index])
        if not site:
            # "Title - Outlet" splits headlines with dashes too; only trust it when the short form repeats.
            title = lines[title_index]
        else:
            remaining = [i for i in range(len(lines)) if keep[i]]
            full_count = sum(1 for i in remaining if _norm(lines[i]) == _norm(title))
            short_count = sum(1 for i in remaining if _norm(_split_title(lines[i])[0]) == _norm(title))
            if short_count < 2 and full_count == 0 and "|" not in lines[title_index]:
                title, site = lines[title_index], None
        meta.title, meta.publisher = title, site or masthead
        title_key = _norm(title)
        title_words = len(title_key.split())
        for i in range(len(lines)):
            key = _norm(lines[i])
            if keep[i] and (
                _norm(_split_title(lines[i])[0]) == title_key
                or key == _norm(lines[title_index])
                # a share widget's shortened copy of the headline
                or (len(key.split()) >= max(5, title_words // 2) and title_key.startswith(key) and i > title_index)
            ):
                keep[i] = False

        # Between the headline and the body: bylines without "By", then page furniture (a kicker, a language
        # switch, a "Follow" button); a standfirst is a longer line and stays.
        _mark_head_authors(lines, keep, title_index + 1, first_body(), meta)
        for i in range(len(lines)):
            if keep[i] and _is_author_bio(lines[i], meta, surname_too=False):
                keep[i] = False  # a disclosure or biography under the byline is not the first paragraph
        body_start = first_body()
        for i in range(title_index + 1, body_start):
            if keep[i] and len(_words(lines[i])) <= FURNITURE_WORDS and not _is_sentence(lines[i]):
                keep[i] = False

    # "Article content", "Advertisement 2": short lines that recur are page chrome; subheadings do not repeat.
    short_counts: dict[str, int] = {}
    for i in range(len(lines)):
        if keep[i] and len(_words(lines[i])) <= 6 and not _is_sentence(lines[i]):
            short_counts[_norm(lines[i])] = short_counts.get(_norm(lines[i]), 0) + 1
    for i in range(len(lines)):
        if keep[i] and short_counts.get(_norm(lines[i]), 0) > 1:
            keep[i] = False

    # After the last paragraph of some length: teasers, tags, biographies and calls to action, not body text.
    last_body = max((i for i in range(len(lines)) if keep[i] and _is_body_paragraph(lines[i])), default=None)
    article_closed = False
    for i in range(len(lines)):
        if last_body is not None and i > last_body and not keep[i] and _closes_article(lines[i]):
            article_closed = True  # the share bar, tags or a donation box: what follows is the page, not the story
        if not keep[i]:
            continue
        if last_body is not None and i >= last_body:
            # "... Onyango said. — AFP": the agency signs the last paragraph.
            signed = WIRE_SIGNATURE.search(lines[i])
            if signed and signed.start() > 0 and len(_words(lines[i][: signed.start()])) >= 3:
                lines[i] = lines[i][: signed.start()].rstrip()
        in_tail = last_body is not None and i > last_body
        # "Written by Jane Doe" / "214 Followers" / "Writer on cities, data and ...": the author's box.
        after_author_box = (
            last_body is not None
            and i > last_body
            and any(
                _byline(lines[j]) is not None or _is_author_bio(lines[j], meta, surname_too=True)
                for j in range(max(last_body + 1, i - 2), i)
            )
        )
        is_bio = _is_author_bio(lines[i], meta, surname_too=in_tail) or (
            after_author_box and len(_words(lines[i])) <= 30
        )
        is_tail_furniture = in_tail and (
            not _is_sentence(lines[i]) or (len(_words(lines[i])) <= 40 and bool(CALL_TO_ACTION.match(lines[i])))
        )
        if is_bio or is_tail_furniture or (article_closed and len(_words(lines[i])) <= 40):
            keep[i] = False

    paragraphs = [lines[i] for i in range(len(lines)) if keep[i]]
    # The dateline opens the first paragraph of the story, possibly after a standfirst or a short lead-in.
    for position, paragraph in enumerate(paragraphs[:5]):
        place, rest = split_dateline(paragraph)
        if place:
            meta.datelines.append(place)
            paragraphs[position] = rest
            break
        if _is_body_paragraph(paragraph):
            break
    # "... Onyango said. — AFP": the agency signs the last paragraph.
    if paragraphs:
        signed = WIRE_SIGNATURE.search(paragraphs[-1])
        if signed and len(_words(paragraphs[-1][: signed.start()])) >= 3:
            paragraphs[-1] = paragraphs[-1][: signed.start()].rstrip()

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
