"""A generated CC-NEWS-like WARC: many news pages, a few about surveillance (for tests and benchmarks)."""

from __future__ import annotations

import io
import random
from pathlib import Path

from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

ON_TOPIC = [
    "Police in {city} have installed {n} facial recognition cameras in the old town, the council confirmed.",
    "Privacy campaigners said the licence plate readers log every car entering {city} and keep the data.",
    "The interior ministry bought spyware able to read messages on the phones of journalists, a report found.",
    "A court in {city} ruled that the mass surveillance of protesters' phones by the police was unlawful.",
]
OFF_TOPIC = [
    "The home side scored twice in the last ten minutes to win the derby in {city}.",
    "Heavy rain is expected across {city} on {day}, with local flooding possible near the river.",
    "The bakery on the main square of {city} won a regional prize for its rye bread this {day}.",
    "Ticket sales for the summer festival in {city} opened on {day} and sold out within hours.",
    "The new bridge over the harbour in {city} will open to cyclists on {day}, the mayor said.",
]
FILLER = [
    "the", "a", "of", "to", "in", "and", "said", "on", "for", "with", "by", "at", "from", "year", "week", "market",
    "school", "team", "city", "river", "road", "new", "old", "local", "people", "families", "visitors", "season",
    "plans", "budget", "project", "board", "members", "residents", "officials", "company", "business",
]  # fmt: skip
CITIES = ["Valdoria", "Porto Lenz", "Marbury", "Ostrava Nova", "Kellin", "Santa Irene", "Brackwater"]
DAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"]


def page(title: str, paragraphs: list[str], lang: str = "en", script: str = "") -> bytes:
    body = "".join(f"<p>{p}</p>" for p in paragraphs)
    nav = "<nav><a href='/'>Home</a> <a href='/world'>World</a> <a href='/sport'>Sport</a></nav>"
    head = f"<meta charset='utf-8'><title>{title}</title>" + (f"<script>{script}</script>" if script else "")
    return (
        f"<!doctype html><html lang='{lang}'><head>{head}</head><body>{nav}"
        f"<article><h1>{title}</h1>{body}</article><footer>© News</footer></body></html>"
    ).encode()


def write_news_warc(
    path: Path,
    records: int,
    *,
    on_topic_every: int = 100,
    seed: int = 7,
    hosts: tuple[str, ...] = ("news.example", "daily.example", "tribune.example"),
    date: str = "2026-03-04T10:00:00Z",
    german_every: int = 0,
    script_kb: int = 0,
) -> int:
    """Write ``records`` HTML response records; every ``on_topic_every``-th is about surveillance. Returns how
    many are on topic. ``script_kb``: that much script in each page's head, as real news pages carry (the
    prefilter reads the raw HTML, so its cost grows with it)."""
    rng = random.Random(seed)
    on_topic = 0
    script_lines = [f"var {rng.choice(FILLER)}{n} = '{' '.join(rng.choices(FILLER, k=9))}';\n" for n in range(500)]
    with path.open("wb") as handle:
        writer = WARCWriter(handle, gzip=True)
        for i in range(records):
            city, day = rng.choice(CITIES), rng.choice(DAYS)
            topical = i % on_topic_every == on_topic_every // 2
            pool = ON_TOPIC if topical else OFF_TOPIC
            paragraphs = [rng.choice(pool).format(city=city, day=day, n=rng.randint(10, 900)) for _ in range(4)]
            paragraphs += [rng.choice(OFF_TOPIC).format(city=city, day=day) for _ in range(3)]
            paragraphs += [" ".join(rng.choice(FILLER) for _ in range(50)).capitalize() + "." for _ in range(2)]
            rng.shuffle(paragraphs)
            lang = "de" if german_every and i % german_every == 1 else "en"
            on_topic += topical and lang == "en"
            script = "".join(rng.choices(script_lines, k=script_kb * 1024 // 80)) if script_kb else ""
            body = page(f"Story {i} from {city}", paragraphs, lang, script)
            url = f"https://{hosts[i % len(hosts)]}/2026/03/story-{i}.html"
            headers = StatusAndHeaders(
                "200 OK", [("Content-Type", "text/html; charset=utf-8"), ("Content-Length", str(len(body)))],
                protocol="HTTP/1.1",
            )  # fmt: skip
            record = writer.create_warc_record(
                url,
                "response",
                payload=io.BytesIO(body),
                length=len(body),
                http_headers=headers,
                warc_headers_dict={"WARC-Date": date},
            )
            writer.write_record(record)
    return on_topic
