"""The `stalking-profile` command: a thin shell over the core API.

Each command parses its options, calls one core function and prints the result. The
commands live in modules by subject; importing them registers them on :data:`app`.
"""

from __future__ import annotations

from typing import Annotated

import typer

from stalking_profile import __version__
from stalking_profile.cli import audit, data, forms, geography, link, profile, referral, spo, training, worklists
from stalking_profile.cli.common import app, out

__all__ = ["app", "main"]
_COMMANDS = (audit, data, forms, geography, link, profile, referral, spo, training, worklists)  # for their commands


def _version(value: bool) -> None:
    if value:
        out.print(f"stalking-profile {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Show the version")
    ] = False,
) -> None:
    """Build a police force's Stalking Problem Profile from crime-record extracts."""


def main() -> None:
    """Console-script entry point."""
    app()
