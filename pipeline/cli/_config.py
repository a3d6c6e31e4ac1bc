"""``survnews config``: the configuration survnews uses."""

from __future__ import annotations

import sys

import typer

from pipeline.cli._errors import handle_errors
from pipeline.cli._options import ConfigOption, JsonOption
from pipeline.cli._output import emit_json

config_app = typer.Typer(help="The configuration survnews uses.", no_args_is_help=True)


@config_app.command("show")
@handle_errors
def config_show_cli(config: ConfigOption = None, json_output: JsonOption = False) -> None:
    """Print the effective configuration (file values over defaults, paths resolved) as TOML, secrets masked."""
    from pipeline.config import load_settings, settings_to_toml

    settings = load_settings(config)
    if json_output:
        emit_json(settings.model_dump(mode="json"))
    else:
        sys.stdout.write(settings_to_toml(settings))
