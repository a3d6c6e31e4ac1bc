"""A real Label Studio server for tests: started from the cached venv, loopback only, in a temporary HOME.

The venv and a migrated data-dir template come from ``scripts/install_label_studio.sh``; copying the template
makes a start take seconds instead of a minute of migrations. Tests skip with the reason when the venv is absent.
Import the fixtures in a test module with ``from tests.labelstudio_server import labelstudio  # noqa: F401``.
"""

from __future__ import annotations

import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from pipeline.records import Article, Entity, Provenance
from pipeline.store import Store

LS_VENV = Path(os.environ.get("SURVNEWS_LS_VENV") or Path.home() / ".cache/survnews/label-studio-venv")
LS_TEMPLATE = Path(os.environ.get("SURVNEWS_LS_TEMPLATE") or f"{LS_VENV}-template")
LS_BIN = LS_VENV / "bin" / "label-studio"
START_TIMEOUT_S = float(os.environ.get("SURVNEWS_LS_START_TIMEOUT", "240"))

# The server also reads plain HOST/PORT/USERNAME/PASSWORD; ours must not leak in, nor the client's settings.
_SCRUB = ("HOST", "PORT", "USERNAME", "PASSWORD", "LABEL_STUDIO_URL", "LABEL_STUDIO_API_KEY")


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def port_is_free(port: int) -> bool:
    """Nothing accepts connections there: the test Label Studio itself applies before moving to PORT+1
    (a bind test would wrongly fail on connections in TIME_WAIT after a stop; the server binds with reuse)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        return sock.connect_ex(("127.0.0.1", port)) != 0


class LabelStudioServer:
    """One server process over one data dir; can be stopped and started again on the same port and data."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.home = root / "home"
        self.data_dir = root / "data"
        self.log_path = root / "server.log"
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.email = "admin@survnews.test"
        self.password = secrets.token_urlsafe(12)
        self.token = secrets.token_hex(20)  # 40 characters, the legacy token format
        self.process: subprocess.Popen[bytes] | None = None
        self.start_seconds: list[float] = []

    def _env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if k not in _SCRUB and not k.startswith("LABEL_STUDIO_")}
        env.update(
            HOME=str(self.home),
            LABEL_STUDIO_BASE_DATA_DIR=str(self.data_dir),
            LABEL_STUDIO_USERNAME=self.email,
            LABEL_STUDIO_PASSWORD=self.password,
            LABEL_STUDIO_USER_TOKEN=self.token,
            LABEL_STUDIO_ENABLE_LEGACY_API_TOKEN="true",
            LATEST_VERSION_CHECK="false",
            SENTRY_DSN="",
            FRONTEND_SENTRY_DSN="",
            COLLECT_ANALYTICS="false",
        )
        return env

    def start(self) -> None:
        if self.process is not None:
            return
        began = time.monotonic()
        self.home.mkdir(parents=True, exist_ok=True)
        if not self.data_dir.exists() and (LS_TEMPLATE / ".survnews-template-ok").exists():
            shutil.copytree(LS_TEMPLATE, self.data_dir)
        if not port_is_free(self.port):
            raise RuntimeError(f"port {self.port} is taken; Label Studio would silently bind another one")
        log = self.log_path.open("ab")
        self.process = subprocess.Popen(
            [str(LS_BIN), "start", "--no-browser", "--internal-host", "127.0.0.1", "--port", str(self.port)],
            env=self._env(),
            cwd=self.root,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
        log.close()
        deadline = began + START_TIMEOUT_S
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                tail = self.log_path.read_text(errors="replace")[-2000:]
                self.process = None
                raise RuntimeError(f"Label Studio exited during start-up; log tail:\n{tail}")
            try:
                if httpx.get(f"{self.url}/health", timeout=2).status_code == 200:
                    self.start_seconds.append(time.monotonic() - began)
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.5)
        self.stop()
        raise RuntimeError(f"Label Studio not healthy after {START_TIMEOUT_S:.0f} s; see {self.log_path}")

    def stop(self) -> None:
        """SIGTERM the process group we started (the server and any worker it forked), by id."""
        if self.process is None:
            return
        pgid = self.process.pid  # start_new_session=True: the group id is the server's pid
        try:
            os.killpg(pgid, signal.SIGTERM)
            self.process.wait(timeout=20)
        except ProcessLookupError:
            pass
        except subprocess.TimeoutExpired:
            os.killpg(pgid, signal.SIGKILL)
            self.process.wait(timeout=10)
        self.process = None
        deadline = time.monotonic() + 10
        while not port_is_free(self.port) and time.monotonic() < deadline:
            time.sleep(0.2)

    def restart(self) -> None:
        self.stop()
        self.start()

    def add_annotator(self, email: str) -> str:
        """Sign a new person up through the web form, as a human would, and return their own API token."""
        password = secrets.token_urlsafe(12)
        with httpx.Client(base_url=self.url, follow_redirects=False, timeout=30) as web:
            page = web.get("/user/signup/")
            match = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)
            assert match, "no CSRF token on the sign-up page"
            response = web.post(
                "/user/signup/",
                data={
                    "email": email,
                    "password": password,
                    "csrfmiddlewaretoken": match.group(1),
                    "allow_newsletters": "false",
                },
                headers={"Referer": f"{self.url}/user/signup/"},
            )
            assert response.status_code == 302, f"sign-up of {email} failed: HTTP {response.status_code}"
            token = web.get("/api/current-user/token")
            token.raise_for_status()
            return str(token.json()["token"])


def require_label_studio() -> None:
    if not LS_BIN.exists():
        pytest.skip(f"Label Studio server venv missing at {LS_VENV}: run scripts/install_label_studio.sh")


# Each test module that imports the fixture gets its own session-scoped copy of it; they share one server,
# stopped when the last of them is torn down.
_shared: LabelStudioServer | None = None
_holders = 0


@pytest.fixture(scope="session")
def labelstudio(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LabelStudioServer]:
    """A running Label Studio server shared by the session (each test uses its own project)."""
    global _shared, _holders
    require_label_studio()
    if _shared is None:
        server = LabelStudioServer(tmp_path_factory.mktemp("labelstudio"))
        server.start()
        _shared = server
    _holders += 1
    try:
        yield _shared
    finally:
        _holders -= 1
        if _holders == 0 and _shared is not None:
            _shared.stop()
            _shared = None


# test articles ---------------------------------------------------------------------------------------------
def make_article(
    article_id: str,
    text: str,
    spans: list[tuple[str, str, dict[str, str]]] | None = None,
    *,
    relevance: float = 0.8,
    tagger: tuple[str, str] | None = ("survnews_base", "0.1.0"),
    title: str = "A test article",
) -> Article:
    """An article whose entities are given as (surface text, label, attributes); each is found by ``text.find``
    after the previous one, so the offsets are right by construction."""
    entities: list[Entity] = []
    cursor = 0
    for surface, label, attributes in spans or []:
        start = text.index(surface, cursor)
        entity = Entity(start=start, end=start + len(surface), text=surface, label="ACTOR", source="test")
        entity.label = label  # type: ignore[assignment]  # checked by the code under test
        for name, value in attributes.items():
            setattr(entity, name, value)
        entities.append(entity)
        cursor = start + len(surface)
    return Article(
        id=article_id,
        url=f"https://news.invalid/{article_id}",
        source_path=None,
        title=title,
        authors=[],
        published="2024-05-01",
        publisher="news.invalid",
        original_publisher=None,
        language="en",
        text=text,
        relevance=relevance,
        relevant=relevance >= 0.5,
        entities=entities,
        provenance=Provenance(
            retrieved_at="2024-05-02T00:00:00Z",
            sha256="0" * 64,
            pipeline_version="0.1.0",
            spacy_pipeline=tagger[0] if tagger else None,
            spacy_pipeline_version=tagger[1] if tagger else None,
        ),
    )


def store_with(path: Path, articles: list[Article]) -> Store:
    store = Store(path)
    for article in articles:
        store.upsert_article(article, raw_sha256="0" * 64, text_hash=article.id)
    return store
