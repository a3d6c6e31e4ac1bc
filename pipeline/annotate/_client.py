"""A thin wrapper over label-studio-sdk 2.x: one place that turns transport and API failures into one-line
``ServiceError`` messages (never carrying the token), and that pages through tasks as plain dicts."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any, TypeVar

import httpx
from label_studio_sdk import LabelStudio
from label_studio_sdk.core.api_error import ApiError

from pipeline.annotate.config import LabelStudioSettings
from pipeline.errors import ServiceError

T = TypeVar("T")

# The SDK retries a request after a dropped connection; for a POST that creates something the server may
# already have applied it, so creating calls (and the fail-fast connection check) go out exactly once.
ONCE: dict[str, Any] = {"request_options": {"max_retries": 0}}


def _reason(exc: BaseException) -> str:
    if isinstance(exc, ApiError):
        if exc.status_code in (401, 403):
            return f"HTTP {exc.status_code}: the API key was rejected (check LABEL_STUDIO_API_KEY)"
        body = exc.body
        if isinstance(body, dict):
            body = body.get("detail") or body.get("validation_errors") or body
        return f"HTTP {exc.status_code}: {str(body)[:200]}"
    if isinstance(exc, httpx.ConnectError):
        return "cannot connect (is the server running?)"
    if isinstance(exc, httpx.TimeoutException):
        return "timed out"
    return f"{type(exc).__name__}: {str(exc)[:200]}"


class LabelStudioClient:
    """A connection to one Label Studio server."""

    def __init__(self, settings: LabelStudioSettings) -> None:
        self.url = settings.url.rstrip("/")
        self.sdk = LabelStudio(base_url=self.url, api_key=settings.token(), timeout=settings.timeout_s)

    def call(self, what: str, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Run one SDK call; any failure becomes ``ServiceError("Label Studio at URL: WHAT: REASON")``."""
        try:
            return fn(*args, **kwargs)
        except (ApiError, httpx.HTTPError) as exc:
            raise ServiceError(f"Label Studio at {self.url}: {what}: {_reason(exc)}") from None

    def check(self) -> str:
        """Fail fast with one clear line when the server is down or the key is wrong; returns the user's email."""
        user = self.call("connect", self.sdk.users.whoami, **ONCE)
        return str(getattr(user, "email", "") or getattr(user, "username", ""))

    def find_project(self, title: str) -> int | None:
        """Id of the project with exactly this title (the lowest id if several), or None."""
        projects: list[Any] = self.call("list projects", lambda: list(self.sdk.projects.list(title=title)))
        ids = [int(p.id) for p in projects if p.title == title and p.id is not None]
        return min(ids) if ids else None

    def require_project(self, title: str) -> int:
        project_id = self.find_project(title)
        if project_id is None:
            raise ServiceError(f"Label Studio at {self.url}: no project titled {title!r}; run `annotate setup` first")
        return project_id

    def iter_tasks(self, project_id: int, *, with_annotations: bool = True) -> Iterator[dict[str, Any]]:
        """Every task of a project as a plain dict (with annotations and predictions when asked)."""
        pages: Any = self.call(
            "list tasks",
            self.sdk.tasks.list,
            project=project_id,
            fields="all" if with_annotations else "task_only",
            page_size=100,
        )
        items = iter(pages)
        while True:
            try:
                item = next(items)
            except StopIteration:
                return
            except (ApiError, httpx.HTTPError) as exc:
                raise ServiceError(f"Label Studio at {self.url}: list tasks: {_reason(exc)}") from None
            yield item.model_dump(mode="json")

    def users_by_id(self) -> dict[int, str]:
        """Id → email (or username) for the people who may have annotated."""
        users = self.call("list users", lambda: list(self.sdk.users.list()))
        return {int(u.id): str(u.email or u.username or u.id) for u in users if u.id is not None}
