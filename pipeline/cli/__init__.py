"""The survnews command line: thin commands over the plain functions of the package.

Every command reads ``survnews.toml`` (or ``--config``), shows progress on stderr, and prints a summary on
stdout: plain lines (never wrapped, every user-controlled name escaped), or one JSON document with ``--json``.
Failures are one line on stderr and an exit code (``EXIT_CODES``), mapped in one place (``_errors.py``).

Layout (small private modules behind this surface): ``_app`` the app and entry point, ``_errors`` the error
handler and exit codes, ``_options`` the shared options, ``_output`` what is printed, ``_lazy`` the lazily
imported later-stage commands, and one module per stage (``_ingest``, ``_tag``, ``_run``, ``_store``,
``_release``, ``_config``, ``_crawl``, ``_annotate``).
"""

from pipeline.cli._app import app, main
from pipeline.cli._errors import EXIT_CODES, handle_errors, report_failure
from pipeline.cli._output import emit_json, err, out, safe

__all__ = ["EXIT_CODES", "app", "emit_json", "err", "handle_errors", "main", "out", "report_failure", "safe"]
