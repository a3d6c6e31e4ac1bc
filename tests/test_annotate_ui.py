"""What annotators see: one pre-annotated task in the real Label Studio UI, in Debian's headless Chromium.

Runs benchmarks/screenshot_labelstudio.py against the session's server: the highlights drawn must be exactly
the spans we sent (text and label, with emoji and other astral characters before them), their pixels must show
the label colours, the region list must show the attribute values, the predicted events must be drawn as
relations, and a span labelled with a real mouse selection must come back with code-point offsets.
"""

from __future__ import annotations

import runpy
import shutil
from pathlib import Path

import pytest

from tests.labelstudio_server import LabelStudioServer, labelstudio

__all__ = ["labelstudio"]

pytestmark = [pytest.mark.labelstudio, pytest.mark.slow]
SCRIPT = Path(__file__).resolve().parents[1] / "benchmarks" / "screenshot_labelstudio.py"


def test_annotators_see_the_spans_we_sent(labelstudio: LabelStudioServer, tmp_path: Path) -> None:
    chromium = shutil.which("chromium")
    if chromium is None:
        pytest.skip("Debian chromium not installed (apt-get install -y chromium): UI check not run")
    benchmark = runpy.run_path(str(SCRIPT))
    report = benchmark["run"](tmp_path / "task.png", chromium, labelstudio)
    assert report["dom_ok"], report["highlights"]
    assert report["pixels_ok"], report["pixel_check"]
    assert report["selection"]["ok"], report["selection"]
    # fewer clicks: the region list shows each span's attribute value, and predicted events are pre-drawn
    assert report["region_list_ok"], report["region_list"]
    assert report["relations_ok"], report["relations_drawn"]
    assert (tmp_path / "task.png").read_bytes().startswith(b"\x89PNG")
