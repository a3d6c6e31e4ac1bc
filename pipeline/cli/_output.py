"""What commands print: plain lines on stdout (every user-controlled name escaped), progress on stderr, JSON."""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from rich.console import Console

# No markup, highlighting or emoji codes are interpreted and nothing is wrapped: what is printed is the text itself
# (a "[/b]" in a file name stays a file name, and a pipe gets whole lines whatever its width).
out = Console(markup=False, highlight=False, emoji=False, soft_wrap=True)
err = Console(stderr=True, markup=False, highlight=False, emoji=False, soft_wrap=True)

# Characters that could forge lines or drive the terminal: C0/C1 controls (newline, ESC), line and paragraph
# separators, bidirectional overrides and zero-width marks.
_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202e\u2066-\u2069\ufeff]")


def safe(value: object) -> str:
    """User-controlled text as one inert line: unsafe characters and undecodable bytes shown as escapes."""
    text = str(value)
    try:
        text = text.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
    except UnicodeEncodeError:  # lone surrogates that are not escaped bytes
        text = text.encode("utf-8", "backslashreplace").decode("utf-8")
    return _UNSAFE.sub(lambda m: m.group().encode("unicode_escape").decode("ascii"), text)


def emit_json(data: Any) -> None:
    """One JSON document on stdout (ASCII-only, so any byte a name held arrives escaped, never raw)."""
    sys.stdout.write(json.dumps(data, default=str, sort_keys=False) + "\n")
    sys.stdout.flush()


@contextmanager
def progress_bars() -> Iterator[Callable[[str, int | None], Callable[[int], None]]]:
    """A progress factory for the stage functions, drawn on stderr (silent when not a terminal)."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    with Progress(
        TextColumn("{task.description:>8}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err,
        transient=True,
        disable=not err.is_terminal,
    ) as bars:

        def factory(stage: str, total: int | None) -> Callable[[int], None]:
            task = bars.add_task(stage, total=total)
            return lambda n: bars.advance(task, n)

        yield factory


def counts_text(counts: Mapping[str, int]) -> str:
    """``ACTOR 3, LOCATION 5`` (sorted), or empty when there are none."""
    return ", ".join(f"{safe(key)} {n}" for key, n in sorted(counts.items()))


def print_rejects(rejects: list[dict[str, str]], limit: int | None = None) -> None:
    shown = rejects if limit is None else rejects[:limit]
    for row in shown:
        out.print(f"rejected [{safe(row['stage'])}] {safe(row['item'])}: {safe(row['reason'])}")
    if limit is not None and len(rejects) > limit:
        out.print(f"... and {len(rejects) - limit} more (survnews rejects)")
