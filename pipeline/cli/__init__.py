"""The survnews command line (interim: the commands still live in _app.py)."""

from pipeline.cli._app import *  # noqa: F403
from pipeline.cli._app import LAZY_COMMANDS, app, emit_json, err, load_lazy_command, main, out, report_failure, safe

__all__ = ["LAZY_COMMANDS", "app", "emit_json", "err", "load_lazy_command", "main", "out", "report_failure", "safe"]
