"""Errors with stable codes, in the manner of spaCy's ``Errors``: the code names the kind of failure."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pydantic import ValidationError


class SurvnewsError(Exception):
    """Base class; ``str(exc)`` is one line a user can act on."""

    exit_code = 1


class ConfigError(SurvnewsError):
    """The configuration (file or options) is invalid. CLI exit code 2."""

    exit_code = 2


class StrictError(SurvnewsError):
    """``--strict`` was given and some inputs were rejected or missing. CLI exit code 2."""

    exit_code = 2


class RejectError(SurvnewsError):
    """One input item cannot be used. The run records it in the rejects table and goes on.

    ``code`` is a short stable reason key (``empty``, ``binary``, ``encoding``, ``too-large``, ``no-article``,
    ``missing``, ...) used to group the run summary; ``str(exc)`` is the human-readable reason. One that ends a
    command (``survnews evaluate`` of an unreadable gold file) is an input error: exit code 2.
    """

    exit_code = 2

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code

    def __reduce__(self) -> tuple[Any, ...]:
        # records that carry one cross to worker processes and back; a subclass's own fields travel in __dict__
        return (self.__class__, (self.code, str(self)), self.__dict__)


class ServiceError(SurvnewsError):
    """An external service (Label Studio, a web server) is unreachable or failed."""

    exit_code = 3


def first_validation_error(exc: ValidationError) -> str:
    """``section.key: message`` of the first problem pydantic found: one line a user can act on."""
    first = exc.errors()[0]
    where = ".".join(str(part) for part in first["loc"])
    return f"{where}: {first['msg']}"
