"""The one error handler: every failure of every command ends as one line (or one JSON object) and an exit code."""

from __future__ import annotations

import functools
import json
import os
import sqlite3
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

import typer
from typer.exceptions import TyperException

from pipeline.cli._output import err, safe
from pipeline.errors import StrictError, SurvnewsError

EXIT_CODES = (
    "Exit codes: 0 done; 1 internal error (a bug: please report it); 2 usage, configuration, store or input error "
    "(with --strict also rejected or missing inputs); 3 a service (a web server, Label Studio) failed; "
    "130 interrupted (the store is consistent: run the same command again to resume)."
)
F = TypeVar("F", bound=Callable[..., Any])


def _exit_code_of(exc: BaseException) -> tuple[int, str]:
    """(exit code, one-line message) for an exception that ended a command."""
    if isinstance(exc, SurvnewsError):
        return exc.exit_code, str(exc)
    if isinstance(exc, KeyboardInterrupt):
        return 130, "interrupted: the store is consistent; run the same command again to resume"
    if isinstance(exc, sqlite3.OperationalError | sqlite3.DatabaseError):
        return 2, f"store: {exc}"
    if isinstance(exc, OSError) and exc.filename is not None:
        return 2, f"{exc.filename}: {exc.strerror or exc}"
    return 1, f"internal error (a bug, please report it): {type(exc).__name__}: {exc}"


def report_failure(exc: BaseException, *, as_json: bool = False) -> int:
    """Write one line (or one JSON object with ``--json``) about ``exc`` on stderr; return the exit code."""
    code, message = _exit_code_of(exc)
    if as_json:
        sys.stderr.write(json.dumps({"error": safe(message), "exit_code": code}) + "\n")
    else:
        err.print(f"error: {safe(message)}" if code != 130 else safe(message))
    if code == 1 and os.environ.get("SURVNEWS_DEBUG"):
        import traceback

        traceback.print_exception(exc)
    return code


@contextmanager
def reported_errors(*, as_json: bool = False) -> Iterator[None]:
    """Inside a command: a failure becomes ``report_failure``'s line and its exit code instead of a traceback."""
    try:
        yield
    except (typer.Exit, typer.Abort, TyperException, SystemExit):
        raise  # click's own usage errors and exits: exit codes 2 and as given
    except (Exception, KeyboardInterrupt) as exc:
        raise typer.Exit(report_failure(exc, as_json=as_json)) from None


def handle_errors(func: F) -> F:
    """One clear line and a meaningful exit code instead of a traceback (``--json``: a JSON error object)."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        with reported_errors(as_json=bool(kwargs.get("json_output"))):
            return func(*args, **kwargs)

    return wrapper  # type: ignore[return-value]


def check_strict(strict: bool, rejected: int, what: str = "inputs") -> None:
    if strict and rejected:
        raise StrictError(f"--strict: {rejected} {what} rejected or missing (see survnews rejects)")
