"""Span offsets between our store (Python code points) and what a Label Studio frontend counts.

Label Studio 1.23's editor counts **code points** for ``<Text>`` regions: its DOM manager walks the text with
``for (const char of text)`` and ``[...text]``, so both the highlights it draws and the selections it saves use
code-point offsets, the same unit as Python. This was checked in the real UI with
``benchmarks/screenshot_labelstudio.py``: offsets sent in UTF-16 units drew every highlight shifted right by
the number of emoji before it. Older frontends (and plain JavaScript ``String`` indexing) count UTF-16 code
units, where a character outside the Basic Multilingual Plane (emoji, 𝕄ath letters) takes two; the
``utf16`` unit is kept for those.
"""

from __future__ import annotations

from bisect import bisect_left
from typing import Literal

OffsetUnit = Literal["codepoint", "utf16"]
OFFSET_UNITS: tuple[OffsetUnit, ...] = ("codepoint", "utf16")


class OffsetMap:
    """Converts offsets over one text between code points and the server's unit, O(log n) per offset."""

    def __init__(self, text: str, unit: OffsetUnit = "utf16") -> None:
        if unit not in OFFSET_UNITS:
            raise ValueError(f"unknown offset unit {unit!r}")
        self.text = text
        self.unit = unit
        # code-point positions of astral characters, in order; each adds one extra UTF-16 unit after it
        self._astral = [i for i, ch in enumerate(text) if ord(ch) > 0xFFFF]
        # the same positions in UTF-16 units (the high surrogate's index)
        self._astral_u16 = [cp + n for n, cp in enumerate(self._astral)]
        self.utf16_length = len(text) + len(self._astral)

    def to_utf16(self, offset: int) -> int:
        """Code-point offset → UTF-16 offset."""
        if not 0 <= offset <= len(self.text):
            raise ValueError(f"offset {offset} outside text of length {len(self.text)}")
        return offset + bisect_left(self._astral, offset)

    def to_codepoint(self, offset: int) -> int:
        """UTF-16 offset → code-point offset; raises ValueError inside a surrogate pair or out of range."""
        if not 0 <= offset <= self.utf16_length:
            raise ValueError(f"offset {offset} outside text of {self.utf16_length} UTF-16 units")
        before = bisect_left(self._astral_u16, offset)
        if before and self._astral_u16[before - 1] + 1 == offset:
            raise ValueError(f"offset {offset} splits a surrogate pair")
        return offset - before

    def to_server(self, offset: int) -> int:
        """Code-point offset (ours) → the server's unit."""
        if self.unit == "utf16":
            return self.to_utf16(offset)
        if not 0 <= offset <= len(self.text):
            raise ValueError(f"offset {offset} outside text of length {len(self.text)}")
        return offset

    def from_server(self, offset: int) -> int:
        """The server's unit → code-point offset (ours); ValueError when out of range."""
        if self.unit == "utf16":
            return self.to_codepoint(offset)
        if not 0 <= offset <= len(self.text):
            raise ValueError(f"offset {offset} outside text of length {len(self.text)}")
        return offset
