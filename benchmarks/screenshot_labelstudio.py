"""Screenshot one pre-annotated task in the real Label Studio UI and check annotators see the spans we sent.

Starts a throwaway Label Studio (the cached venv from scripts/install_label_studio.sh), creates the project
with `annotate setup`'s code, pushes one article whose text has emoji and other astral characters before the
spans (the case where code-point and UTF-16 offsets differ), logs in, and drives Debian's headless Chromium
over the DevTools protocol on a pipe (no extra packages). Two checks, both must pass:

- DOM: the highlighted regions in the labeling view are exactly the spans sent, with the same text and label;
- pixels: inside each highlight's box, the screenshot shows that label's colour (not plain page background);
- region list: each span's row shows its attribute value (actor type, technology category) beside its label;
- relations: the predicted events are drawn as relation arrows with their names.

    .venv/bin/python benchmarks/screenshot_labelstudio.py [--out PNG] [--chromium PATH]

Prints a JSON summary; exit code 0 when both checks pass, 1 when not, 2 when a prerequisite is missing.
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import fcntl
import io
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
import numpy as np
from PIL import Image

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from pipeline.annotate._client import LabelStudioClient  # noqa: E402
from pipeline.annotate.config import LabelStudioSettings  # noqa: E402
from pipeline.annotate.push import push, setup_project  # noqa: E402
from pipeline.records import Event  # noqa: E402
from tests.labelstudio_server import LS_BIN, LabelStudioServer, make_article, store_with  # noqa: E402

TEXT = (
    "Leaked files 📂 show that the 🕵️ Interior Ministry of Ruritania bought the Pegasus spyware from NSO Group "
    "in 2021.\n\nThe 𝕄inistry used it to watch journalists in Mexico City and Paris, according to the "
    "documents 📄."
)
SPANS: list[tuple[str, str, dict[str, str]]] = [
    ("Interior Ministry", "ACTOR", {"actor_type": "government", "entity_id": "a:ministry", "source": "pattern"}),
    ("Pegasus", "TECHNOLOGY", {"category": "spyware", "entity_id": "t:pegasus", "source": "taxonomy"}),
    ("NSO Group", "ACTOR", {"actor_type": "company", "entity_id": "a:nso", "source": "gazetteer"}),
    ("Mexico City", "LOCATION", {"country": "MX", "source": "geonames"}),
    ("Paris", "LOCATION", {"country": "FR", "source": "geonames"}),
]
# predicted events, pre-drawn as relations: (actor id, relation, object id)
EVENTS = [("a:ministry", "acquires", "t:pegasus"), ("a:nso", "supplies", "t:pegasus")]
# what the region list must show beside each span: its attribute's visible name
ATTRIBUTE_NAMES = {
    "Interior Ministry": "Government / ministry",
    "Pegasus": "Spyware and hacking tools",
    "NSO Group": "Company / vendor",
}
LABEL_COLOURS = {"ACTOR": "#F4A261", "TECHNOLOGY": "#2A9D8F", "LOCATION": "#8AB17D"}
CONTROL_WORD = "Ruritania"  # plain text in the task: its box must not look highlighted
SELECT_WORD, SELECT_LABEL = "journalists", "ACTOR"  # labelled through the UI; three astral characters before it
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--no-default-browser-check",
    "--disable-extensions",
    "--hide-scrollbars",
    "--mute-audio",
    "--remote-debugging-pipe",
]
# Regions the labeling UI draws over the text; read inside any same-origin iframe as well.
READ_HIGHLIGHTS = """
(() => {
  const docs = [document];
  for (const f of document.querySelectorAll('iframe')) {
    try { if (f.contentDocument) docs.push(f.contentDocument); } catch (e) {}
  }
  const out = [];
  for (const d of docs) {
    const offset = d === document ? {x: 0, y: 0} : d.defaultView.frameElement.getBoundingClientRect();
    for (const el of d.querySelectorAll('.htx-highlight')) {
      const r = el.getBoundingClientRect();
      const style = d.defaultView.getComputedStyle(el);
      out.push({text: el.textContent, label: (el.className.match(/htx-highlight-[^ ]*/) || [''])[0],
                labels: el.getAttribute('data-label') || '', background: style.backgroundColor,
                x: r.left + offset.x, y: r.top + offset.y, w: r.width, h: r.height});
    }
  }
  return JSON.stringify(out);
})()
"""


# The region list (outliner): each row's title text, which holds the span text and every label on the region.
READ_REGION_LIST = """
(() => {
  const out = [];
  for (const el of document.querySelectorAll('[class*="outliner-item__title"]')) out.push(el.textContent);
  return JSON.stringify(out);
})()
"""
# Labels of the relation arrows drawn over the text (SVG <text> in the relations overlay).
READ_RELATIONS = """
(() => JSON.stringify(Array.from(document.querySelectorAll('svg text')).map(t => t.textContent)))()
"""


# The box of a word of the task text that is not inside any highlight.
READ_CONTROL = """
(() => {
  const word = %s;
  // search the task text itself: the nearest ancestor of a highlight that also holds the word
  let root = document.querySelector('.htx-highlight');
  while (root && !root.textContent.includes(word)) root = root.parentElement;
  if (!root) return null;
  const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
  while (walker.nextNode()) {
    const node = walker.currentNode, at = node.data.indexOf(word);
    if (at < 0 || node.parentElement.closest('.htx-highlight, [class*=region], [class*=Region]')) continue;
    const range = document.createRange();
    range.setStart(node, at); range.setEnd(node, at + word.length);
    const r = range.getBoundingClientRect();
    if (r.width > 0) return JSON.stringify({text: word, x: r.left, y: r.top, w: r.width, h: r.height});
  }
  return null;
})()
"""


# Centre or edges of an element found by its own text (smallest y first: the label bar is above the text).
FIND_BY_TEXT = """
(() => {
  const wanted = %s, tag = %s;
  const found = [];
  for (const el of document.querySelectorAll(tag)) {
    const own = Array.from(el.childNodes).filter(n => n.nodeType === 3).map(n => n.data.trim()).join('');
    if (own !== wanted) continue;
    const r = el.getBoundingClientRect();
    if (r.width > 0 && r.height > 0) found.push({x: r.left, y: r.top, w: r.width, h: r.height});
  }
  found.sort((a, b) => a.y - b.y);
  return JSON.stringify(found[0] || null);
})()
"""


class DevTools:
    """Chrome DevTools protocol over --remote-debugging-pipe: JSON messages ending in NUL on fds 3 (to the
    browser) and 4 (from the browser)."""

    def __init__(self, chromium: str, profile: Path) -> None:
        to_browser_r, self._to_browser = os.pipe()
        self._from_browser, from_browser_w = os.pipe()

        # the child must see our pipe ends as fds 3 and 4: copy them high first so neither clobbers the other
        def remap() -> None:
            reads, writes = fcntl.fcntl(to_browser_r, fcntl.F_DUPFD, 10), fcntl.fcntl(from_browser_w, fcntl.F_DUPFD, 10)
            os.dup2(reads, 3)
            os.dup2(writes, 4)

        self.process = subprocess.Popen(
            [chromium, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", "--window-size=1400,1000", "about:blank"],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            # crash reports and caches go beside the fresh profile, not into the user's ~/.config
            env={**os.environ, "XDG_CONFIG_HOME": str(profile / "config"), "XDG_CACHE_HOME": str(profile / "cache")},
            preexec_fn=remap,
            pass_fds=(3, 4),
            start_new_session=True,
        )
        os.close(to_browser_r)
        os.close(from_browser_w)
        self._buffer = b""
        self._next_id = 0
        self.session: str | None = None

    def send(
        self, method: str, params: dict[str, Any] | None = None, *, browser: bool = False, timeout: float = 60
    ) -> dict[str, Any]:
        self._next_id += 1
        message: dict[str, Any] = {"id": self._next_id, "method": method, "params": params or {}}
        if self.session and not browser:
            message["sessionId"] = self.session
        os.write(self._to_browser, json.dumps(message).encode() + b"\0")
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            while b"\0" not in self._buffer:
                chunk = os.read(self._from_browser, 1 << 20)
                if not chunk:
                    raise RuntimeError("Chromium closed the DevTools pipe")
                self._buffer += chunk
            raw, self._buffer = self._buffer.split(b"\0", 1)
            reply = json.loads(raw)
            if reply.get("id") == self._next_id:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                return dict(reply.get("result", {}))
        raise TimeoutError(method)

    def evaluate(self, expression: str) -> Any:
        result = self.send("Runtime.evaluate", {"expression": expression, "returnByValue": True})
        return result.get("result", {}).get("value")

    def click(self, x: float, y: float) -> None:
        for kind in ("mousePressed", "mouseReleased"):
            self.send("Input.dispatchMouseEvent", {"type": kind, "x": x, "y": y, "button": "left", "clickCount": 1})

    def drag(self, x0: float, x1: float, y: float) -> None:
        """Select text with the mouse, as a person does: press, move, release."""
        self.send("Input.dispatchMouseEvent", {"type": "mouseMoved", "x": x0, "y": y})
        self.send(
            "Input.dispatchMouseEvent", {"type": "mousePressed", "x": x0, "y": y, "button": "left", "clickCount": 1}
        )
        for step in range(1, 6):
            self.send(
                "Input.dispatchMouseEvent",
                {"type": "mouseMoved", "x": x0 + (x1 - x0) * step / 5, "y": y, "button": "left", "buttons": 1},
            )
        self.send(
            "Input.dispatchMouseEvent", {"type": "mouseReleased", "x": x1, "y": y, "button": "left", "clickCount": 1}
        )

    def close(self) -> None:
        with contextlib.suppress(RuntimeError, TimeoutError, OSError):
            self.send("Browser.close", browser=True, timeout=5)
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=5)
        os.close(self._to_browser)
        os.close(self._from_browser)


def login_cookies(server: LabelStudioServer) -> list[dict[str, Any]]:
    """Log in through the form, as a person does, and hand the session cookies to the browser."""
    with httpx.Client(base_url=server.url, follow_redirects=False, timeout=30) as web:
        page = web.get("/user/login/")
        match = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)
        if not match:
            raise RuntimeError("no CSRF token on the login page")
        response = web.post(
            "/user/login/?next=/",
            data={"email": server.email, "password": server.password, "csrfmiddlewaretoken": match.group(1)},
            headers={"Referer": f"{server.url}/user/login/"},
        )
        if response.status_code != 302:
            raise RuntimeError(f"login failed: HTTP {response.status_code}")
        return [{"name": c.name, "value": c.value or "", "url": server.url} for c in web.cookies.jar]


def blended(background: str) -> tuple[float, float, float]:
    """The colour a CSS ``rgba(r, g, b, a)`` background shows over the white page."""
    parts = [float(x) for x in re.findall(r"[\d.]+", background)]
    r, g, b = parts[:3]
    alpha = parts[3] if len(parts) > 3 else 1.0
    return tuple(alpha * c + (1 - alpha) * 255 for c in (r, g, b))  # type: ignore[return-value]


def tinted_share(image: np.ndarray, box: tuple[int, int, int, int], colour: tuple[float, float, float]) -> float:
    """Share of the pixels in ``box`` within a small distance of ``colour`` (glyph pixels are not)."""
    x0, y0, x1, y1 = box
    crop = image[y0:y1, x0:x1].reshape(-1, 3).astype(float)
    if not len(crop):
        return 0.0
    distance = np.sqrt(((crop - np.array(colour)) ** 2).sum(axis=1))
    return float((distance < 12).mean())


def pixel_check(png: bytes, highlights: list[dict[str, Any]], control: dict[str, Any] | None) -> dict[str, Any]:
    """Each highlight's box must mostly show its label colour as blended over the page; a box of plain text
    (the control) must not, so the check can tell highlighted from unhighlighted text."""
    image = np.asarray(Image.open(io.BytesIO(png)).convert("RGB"))
    spans = []
    for h in highlights:
        box = (int(h["x"]), int(h["y"]), int(h["x"] + h["w"]), int(h["y"] + h["h"]))
        colour = blended(h["background"])
        share = tinted_share(image, box, colour)
        spans.append(
            {
                "text": h["text"],
                "label": h["matched_label"],
                "box": box,
                "expected_rgb": [round(c) for c in colour],
                "share": round(share, 3),
                "ok": share >= 0.4,
            }
        )
    result: dict[str, Any] = {"spans": spans}
    if control and spans:
        box = (int(control["x"]), int(control["y"]), int(control["x"] + control["w"]), int(control["y"] + control["h"]))
        worst = max(tinted_share(image, box, blended(h["background"])) for h in highlights)
        result["control"] = {"text": control["text"], "box": box, "share": round(worst, 3), "ok": worst < 0.1}
    result["ok"] = bool(spans) and all(s["ok"] for s in spans) and result.get("control", {}).get("ok", False)
    return result


def select_and_submit(browser: DevTools, client: LabelStudioClient, task_id: int) -> dict[str, Any]:
    """Label one more span the way a person does (click the label, drag over the word, Submit), then read
    the saved offsets back through the API: they must be the word's code-point offsets."""
    label = json.loads(browser.evaluate(FIND_BY_TEXT % (json.dumps(SELECT_LABEL), json.dumps("*"))) or "null")
    word = json.loads(browser.evaluate(READ_CONTROL % json.dumps(SELECT_WORD)) or "null")
    if not label or not word:
        return {"ok": False, "reason": "label button or word not found on the page"}
    browser.click(label["x"] + label["w"] / 2, label["y"] + label["h"] / 2)
    browser.drag(word["x"] + 1, word["x"] + word["w"] - 1, word["y"] + word["h"] / 2)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        texts = [h["text"] for h in json.loads(browser.evaluate(READ_HIGHLIGHTS) or "[]")]
        if any(t.startswith(SELECT_WORD) for t in texts):
            break
        time.sleep(0.3)
    else:
        return {"ok": False, "reason": f"no highlight appeared after selecting {SELECT_WORD!r}"}
    button = json.loads(
        browser.evaluate(FIND_BY_TEXT % (json.dumps("Submit"), json.dumps("button, button *"))) or "null"
    )
    if not button:
        return {"ok": False, "reason": "no Submit button"}
    browser.click(button["x"] + button["w"] / 2, button["y"] + button["h"] / 2)
    saved: dict[str, Any] | None = None
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and saved is None:
        for annotation in client.sdk.annotations.list(id=task_id):
            for item in annotation.result or []:
                value = item.get("value", {})
                if item.get("type") == "labels" and value.get("text") == SELECT_WORD:
                    saved = dict(value)
        time.sleep(0.5)
    if saved is None:
        return {"ok": False, "reason": "the submitted annotation has no region for the selected word"}
    start = TEXT.index(SELECT_WORD)
    codepoints = [start, start + len(SELECT_WORD)]
    utf16 = [len(TEXT[:start].encode("utf-16-le")) // 2, len(TEXT[:start].encode("utf-16-le")) // 2 + len(SELECT_WORD)]
    got = [saved.get("start"), saved.get("end")]
    return {
        "ok": got == codepoints and saved.get("labels") == [SELECT_LABEL],
        "word": SELECT_WORD,
        "saved": got,
        "labels": saved.get("labels"),
        "code_points": codepoints,
        "utf16": utf16,
    }


def run(out: Path, chromium: str, server: LabelStudioServer | None = None) -> dict[str, Any]:
    """Everything above, on ``server`` if given (it must have been started by LabelStudioServer, whose
    admin password we know for the login), else on a throwaway server of our own."""
    timings: dict[str, float] = {}
    work = Path(tempfile.mkdtemp(prefix="survnews-shot-"))
    own_server = server is None
    if server is None:
        server = LabelStudioServer(work / "ls")
        began = time.monotonic()
        server.start()
        timings["server_start_s"] = round(time.monotonic() - began, 2)
    browser: DevTools | None = None
    try:
        settings = LabelStudioSettings.model_validate(
            {"url": server.url, "api_key": server.token, "project_title": f"survnews screenshot {work.name}"}
        )
        client = LabelStudioClient(settings)
        project_id = setup_project(client, settings).project_id
        article = make_article("shot", TEXT, SPANS, title="Pre-annotated task")
        sentence_end = TEXT.index("\n")
        article.events = [
            Event(relation, actor, actor, obj, obj, "TECHNOLOGY", 0, sentence_end, TEXT[:sentence_end], "screenshot")
            for actor, relation, obj in EVENTS
        ]
        store = store_with(work / "store.sqlite", [article])
        push(store, client, settings, count=1)
        store.close()
        (task,) = list(client.iter_tasks(project_id))

        began = time.monotonic()
        browser = DevTools(chromium, work / "chromium-profile")
        target = browser.send("Target.createTarget", {"url": "about:blank"}, browser=True)["targetId"]
        browser.session = browser.send("Target.attachToTarget", {"targetId": target, "flatten": True}, browser=True)[
            "sessionId"
        ]
        browser.send("Network.enable")
        browser.send("Network.setCookies", {"cookies": login_cookies(server)})
        browser.send(
            "Emulation.setDeviceMetricsOverride",
            {"width": 1400, "height": 1000, "deviceScaleFactor": 1, "mobile": False},
        )
        browser.send("Page.enable")
        browser.send("Page.navigate", {"url": f"{server.url}/projects/{project_id}/data?task={task['id']}"})
        expected = sorted((surface, label) for surface, label, _ in SPANS)
        highlights: list[dict[str, Any]] = []
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            highlights = json.loads(browser.evaluate(READ_HIGHLIGHTS) or "[]")
            if len(highlights) >= len(expected):
                break
            time.sleep(0.5)
        # let fonts and the layout settle before the picture; the editor may redraw the text once more (the
        # per-task country options load after the first render), so read again until the highlights are back
        time.sleep(1.0)
        settle = time.monotonic() + 15
        while True:
            highlights = json.loads(browser.evaluate(READ_HIGHLIGHTS) or "[]")
            if len(highlights) >= len(expected) or time.monotonic() > settle:
                break
            time.sleep(0.3)
        timings["ui_render_s"] = round(time.monotonic() - began, 2)
        shot = browser.send("Page.captureScreenshot", {"format": "png", "captureBeyondViewport": False})
        png = base64.b64decode(shot["data"])
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_bytes(png)

        # a highlight's label: LS draws the label name after the span text; match against what we sent
        by_text = {surface: label for surface, label, _ in SPANS}
        seen = []
        for h in highlights:
            text = h["text"]
            surface = next((s for s in by_text if text == s or text.startswith(s)), None)
            h["matched_label"] = by_text.get(surface or "", "?")
            seen.append((surface or text, h["matched_label"]))
        dom_ok = sorted(seen) == expected
        region_list = json.loads(browser.evaluate(READ_REGION_LIST) or "[]")
        region_list_ok = all(
            any(surface in row and name in row for row in region_list) for surface, name in ATTRIBUTE_NAMES.items()
        )
        drawn = sorted(t for t in json.loads(browser.evaluate(READ_RELATIONS) or "[]") if t)
        relations_ok = sorted(relation for _, relation, _ in EVENTS) == sorted(
            t for t in drawn if t in {relation for _, relation, _ in EVENTS}
        )
        control = json.loads(browser.evaluate(READ_CONTROL % json.dumps(CONTROL_WORD)) or "null")
        pixels = pixel_check(png, [h for h in highlights if h["matched_label"] in LABEL_COLOURS], control)
        pixels_ok = bool(pixels["ok"])
        began = time.monotonic()
        selection = select_and_submit(browser, client, int(task["id"]))
        timings["select_and_submit_s"] = round(time.monotonic() - began, 2)
        return {
            "ok": dom_ok and pixels_ok and region_list_ok and relations_ok and bool(selection["ok"]),
            "png": str(out),
            "dom_ok": dom_ok,
            "pixels_ok": pixels_ok,
            "region_list_ok": region_list_ok,
            "region_list": region_list,
            "relations_ok": relations_ok,
            "relations_drawn": drawn,
            "expected_spans": expected,
            "highlights": [{k: h[k] for k in ("text", "matched_label", "background")} for h in highlights],
            "pixel_check": pixels,
            "selection": selection,
            "timings": timings,
        }
    finally:
        if browser is not None:
            browser.close()
        if own_server:
            server.stop()
        shutil.rmtree(work, ignore_errors=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" / "labelstudio_task.png")
    parser.add_argument("--chromium", default=shutil.which("chromium") or "chromium")
    args = parser.parse_args()
    if not LS_BIN.exists():
        print(f"Label Studio venv missing ({LS_BIN}): run scripts/install_label_studio.sh", file=sys.stderr)
        return 2
    if not shutil.which(args.chromium):
        print("chromium not found: apt-get install -y chromium", file=sys.stderr)
        return 2
    report = run(args.out, args.chromium)
    print(json.dumps(report, indent=2, ensure_ascii=False))
    return 0 if report["ok"] else 1


if __name__ == "__main__":
    raise SystemExit(main())
