"""The docs contract: every command is in the README with help; every module says what it exports."""

from __future__ import annotations

import importlib
import pkgutil
from pathlib import Path
from typing import Any

import typer.main

import stalking_profile
from stalking_profile.cli import app

README = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")


def _commands(group: Any, prefix: str = "") -> list[tuple[str, Any]]:
    found = []
    for name, cmd in group.commands.items():
        path = f"{prefix}{name}"
        if hasattr(cmd, "commands"):
            found.extend(_commands(cmd, path + " "))
        else:
            found.append((path, cmd))
    return found


def test_every_command_is_documented_and_has_help() -> None:
    commands = _commands(typer.main.get_group(app))
    assert {"ingest", "synth", "demo", "info", "mapping list", "mapping show"} <= {name for name, _ in commands}
    for name, cmd in commands:
        assert f"stalking-profile {name}" in README, f"README shows no example of `stalking-profile {name}`"
        assert cmd.help, f"`{name}` has no help text"
        for param in cmd.params:
            if param.param_type_name == "option":
                assert param.help, f"`{name} {param.opts[0]}` has no help text"


def test_readme_starts_with_the_two_commands() -> None:
    head = README.split("## The command line")[0]
    assert "make demo" in head and "make test" in head


def test_every_module_declares_all() -> None:
    for info in pkgutil.walk_packages(stalking_profile.__path__, "stalking_profile."):
        if info.name.endswith("__main__"):
            continue
        module = importlib.import_module(info.name)
        exported = getattr(module, "__all__", None)
        assert exported is not None, f"{info.name} has no __all__"
        missing = [name for name in exported if not hasattr(module, name)]
        assert not missing, f"{info.name}.__all__ names {missing}, which it does not define"
