"""Build ``samples.events.jsonl``: event gold for every sample article, written by us.

One row per article of ``corpus/samples/expected.json``: ``id`` (the sample path), ``text`` (its clean text),
``aliases`` (gold entity name -> other names a prediction may use for it) and ``events``: document-level facts
``(actor, relation, object)`` with the evidence sentence and its offsets. Negated facts are marked ``negated``.
Run: ``python corpus/gold/make_event_gold.py`` (rewrites the file; fails if an evidence fragment is not found).
"""

import json
import re
from pathlib import Path

HERE = Path(__file__).resolve().parent
E = json.loads((HERE.parent / "samples" / "expected.json").read_text(encoding="utf-8"))


def sent_of(text: str, frag: str) -> str:
    """The sentence of ``text`` that holds ``frag`` (boundaries: '. ' before a capital, or a newline)."""
    i = text.find(frag)
    assert i >= 0, frag
    starts = [m.end() for m in re.finditer(r'(?<=[.!?"”])\s+(?=[A-Z“"])|\n+', text[: i + 1])]
    s = max(starts) if starts else 0
    m = re.search(r'[.!?]["”]?(?=\s+[A-Z“"]|\s*\n|\s*$)', text[i + len(frag) - 1 :])
    e = i + len(frag) - 1 + (m.end() if m else len(text))
    return text[s:e]


def event_rows(text: str, facts: list[tuple[str, str, str, str, bool]]) -> list[dict[str, object]]:
    """Gold events of one article: (actor, relation, object, evidence fragment, negated) with the sentence that
    holds the fragment as evidence, and its offsets."""
    events: list[dict[str, object]] = []
    for actor, relation, obj, frag, negated in facts:
        evidence = sent_of(text, frag)
        start = text.index(evidence)
        events.append(
            {
                "actor": actor,
                "relation": relation,
                "object": obj,
                "start": start,
                "end": start + len(evidence),
                "evidence": evidence,
                "negated": negated,
            }
        )
    return events


def write_rows(path: Path, rows: list[dict[str, object]]) -> None:
    with open(path, "w", encoding="utf-8") as f:
        for row in rows:
            f.write(json.dumps(row, ensure_ascii=False) + "\n")
    print(f"wrote {sum(len(r['events']) for r in rows)} events for {len(rows)} articles")  # type: ignore[arg-type]


G = {
    "html/met-police-facial-recognition-croydon.html": (
        {
            "Metropolitan Police": ["Met", "the Met"],
            "live facial recognition": ["facial recognition", "live facial recognition vans"],
            "facial matching service": ["national facial matching service"],
            "Big Brother Watch": [],
        },
        [
            (
                "Metropolitan Police",
                "uses",
                "live facial recognition",
                "The Metropolitan Police will double the number",
                False,
            ),
            (
                "Home Office",
                "acquires",
                "facial matching service",
                "is funding a national facial matching service",
                False,
            ),
            (
                "Big Brother Watch",
                "opposes",
                "live facial recognition",
                "Big Brother Watch, the civil liberties group",
                False,
            ),
        ],
    ),
    "html/oakland-plate-readers-out-of-state-sharing.html": (
        {
            "Automatic license plate readers": [
                "automatic license plate readers",
                "plate reader",
                "plate readers",
                "license plate readers",
                "ALPR",
            ],
            "Oakland Police Department": ["Oakland police"],
        },
        [
            (
                "Oakland Police Department",
                "uses",
                "Automatic license plate readers",
                "The Oakland Police Department told the city council",
                False,
            ),
            (
                "Oakland Police Department",
                "acquires",
                "Automatic license plate readers",
                "The cameras, leased from Flock Safety",
                False,
            ),
            (
                "Flock Safety",
                "supplies",
                "Automatic license plate readers",
                "The cameras, leased from Flock Safety",
                False,
            ),
        ],
    ),
    "html/nairobi-protests-imsi-catchers.html": (
        {
            "Kenyan police": ["National Police Service", "police"],
            "IMSI catchers": ["IMSI catcher", "cell-site simulators", "cell-site simulator"],
            "Amnesty International Kenya": ["Amnesty International"],
        },
        [
            ("Kenyan police", "uses", "IMSI catchers", "Kenyan police deployed devices", False),
            ("Amnesty International Kenya", "opposes", "IMSI catchers", "Kenyan police deployed devices", False),
            ("Kenya Human Rights Commission", "opposes", "IMSI catchers", "Kenyan police deployed devices", False),
        ],
    ),
    "html/delhi-journalists-pegasus-forensics.html": (
        {"NSO Group": ["NSO"], "Pegasus": ["spyware"], "Internet Freedom Foundation": []},
        [
            ("NSO Group", "supplies", "Pegasus", "Forensic analysis of phones belonging", False),
            ("Internet Freedom Foundation", "opposes", "Pegasus", "Forensic analysis of phones belonging", False),
        ],
    ),
    "html/sao-paulo-smart-sampa-wrongful-arrests.html": (
        {
            "Smart Sampa": ["facial recognition", "facial recognition cameras"],
            "São Paulo City Hall": ["City Hall"],
            "Public Defender's Office of the State of São Paulo": ["public defenders", "Public Defender's Office"],
        },
        [
            ("São Paulo City Hall", "uses", "Smart Sampa", "Smart Sampa links more than 20,000 cameras", False),
            (
                "Public Defender's Office of the State of São Paulo",
                "opposes",
                "Smart Sampa",
                "The Public Defender's Office of the State of São Paulo says",
                False,
            ),
            (
                "Data Privacy Brasil",
                "opposes",
                "Smart Sampa",
                "Civil society groups including Data Privacy Brasil",
                False,
            ),
        ],
    ),
    "html/ashford-rovers-late-penalty.html": ({}, []),
    "html/hamburg-police-drones-palantir-summit.html": (
        {
            "Hamburg Police": ["Police in Hamburg", "police"],
            "predictive policing": ["automated data analysis", "data-analysis platform"],
            "drones": ["camera drones", "drone"],
            "Society for Civil Rights": ["GFF"],
        },
        [
            ("Hamburg Police", "acquires", "drones", "Police in Hamburg will fly drones", False),
            ("Hamburg Police", "uses", "predictive policing", "Police in Hamburg will fly drones", False),
            ("Palantir", "supplies", "predictive policing", "Police in Hamburg will fly drones", False),
            ("Palantir", "supplies", "predictive policing", "The company supplies similar systems", False),
            (
                "Society for Civil Rights",
                "opposes",
                "predictive policing",
                "The group has filed an urgent application",
                False,
            ),
            (
                "Federal Constitutional Court",
                "restricts",
                "predictive policing",
                "Germany's Federal Constitutional Court ruled",
                False,
            ),
        ],
    ),
    "text/kunming-health-code-petitioners.txt": (
        {
            "health code": ["health code system", "health code app"],
            "WeChat": ["Tencent's WeChat"],
            "VPN": ["VPN software", "VPN connections"],
        },
        [
            ("Alipay", "supplies", "health code", "The health code system, built into apps", False),
            ("WeChat", "supplies", "health code", "The health code system, built into apps", False),
            ("Chen Yu", "opposes", "health code", "Misusing the health code in this way", False),
            (
                "Cyberspace Administration of China",
                "restricts",
                "VPN",
                "Several residents said friends outside China",
                False,
            ),
        ],
    ),
    "text/moscow-metro-face-recognition-memorial.txt": (
        {
            "Moscow police": ["Police in Moscow", "police"],
            "facial recognition": ["facial recognition network", "facial recognition software"],
            "VPN": ["VPN services", "VPN protocols"],
        },
        [
            (
                "Moscow police",
                "uses",
                "facial recognition",
                "Police in Moscow used the city's facial recognition network",
                False,
            ),
            (
                "OVD-Info",
                "opposes",
                "facial recognition",
                "Police in Moscow used the city's facial recognition network",
                False,
            ),
            (
                "NtechLab",
                "supplies",
                "facial recognition",
                "Moscow has one of the world's densest camera networks",
                False,
            ),
            (
                "Department of Information Technology",
                "uses",
                "facial recognition",
                "The city's Department of Information Technology says",
                False,
            ),
            ("Roskomnadzor", "restricts", "VPN", "Roskomnadzor, the communications regulator, has blocked", False),
        ],
    ),
    "text/victoria-police-location-data-broker.txt": (
        {"location data": ["location signals", "data"], "Victoria Police": ["police", "the force"]},
        [
            ("Victoria Police", "acquires", "location data", "Victoria Police bought access to location data", False),
            ("Victoria Police", "uses", "location data", "Victoria Police bought access to location data", False),
            (
                "Digital Rights Watch",
                "opposes",
                "location data",
                "The documents, obtained by the advocacy group Digital Rights Watch",
                False,
            ),
        ],
    ),
    "text/paris-algorithmic-video-surveillance-extended.txt": (
        {
            "algorithmic video surveillance": ["algorithmic video surveillance system", "CCTV", "software"],
            "Paris Police Prefecture": ["prefecture"],
        },
        [
            (
                "Paris Police Prefecture",
                "uses",
                "algorithmic video surveillance",
                "The Paris Police Prefecture will keep using software",
                False,
            ),
            (
                "Wintics",
                "supplies",
                "algorithmic video surveillance",
                "The software used in Paris is supplied by Wintics",
                False,
            ),
            (
                "La Quadrature du Net",
                "opposes",
                "algorithmic video surveillance",
                "La Quadrature du Net, a digital rights group",
                False,
            ),
        ],
    ),
    "text/cleveland-gunshot-detection-expansion.txt": (
        {"gunshot detection": ["ShotSpotter", "gunshot detection system"]},
        [
            ("SoundThinking", "supplies", "gunshot detection", "The system, sold by SoundThinking", False),
            ("Denise Coleman", "opposes", "gunshot detection", "said Denise Coleman, a Glenville resident", False),
        ],
    ),
}
G["html/kenya-phone-tracking-reprint.html"] = G["html/nairobi-protests-imsi-catchers.html"]
if __name__ == "__main__":
    rows: list[dict[str, object]] = []
    for key in E:
        aliases, facts = G[key]
        text = E[key]["clean_text"]
        rows.append({"id": key, "text": text, "aliases": dict(aliases), "events": event_rows(text, facts)})
    write_rows(HERE / "samples.events.jsonl", rows)
