"""The one exception hierarchy of stalking-profile.

Every error a user can cause is a :class:`StalkingProfileError`. Its message names
the problem and its ``hint`` says how to fix it. The CLI prints both on one line
each and exits with code 2; nothing else in the package catches them.

::

    StalkingProfileError
    ├── ConfigError            bad setting, force file or column-mapping profile
    ├── StoreError             the store cannot be opened or is not ours
    │   └── KeyMismatchError   import made under another pseudonymisation key
    ├── InputFileError         a file-level problem: not found, not a table, empty,
    │   │                      undecodable
    │   └── MissingColumnError a required column is absent
    └── GeographyError         the configured geography cannot be loaded
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

__all__ = [
    "ConfigError",
    "GeographyError",
    "InputFileError",
    "KeyMismatchError",
    "MissingColumnError",
    "StalkingProfileError",
    "StoreError",
    "config_text",
    "config_toml",
    "read_text_file",
]


class StalkingProfileError(Exception):
    """Base class: a problem the user can fix, with a hint saying how."""

    exit_code = 2

    def __init__(self, message: str, hint: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return f"{self.message}\nHint: {self.hint}" if self.hint else self.message


class ConfigError(StalkingProfileError):
    """A setting, force configuration or column-mapping profile is invalid."""


class StoreError(StalkingProfileError):
    """The store cannot be opened, or it was not made by this tool."""


class KeyMismatchError(StoreError):
    """The pseudonymisation key differs from the one the store was built with."""


class InputFileError(StalkingProfileError):
    """A file-level problem with an input file: nothing was imported."""


class MissingColumnError(InputFileError):
    """A required column is missing from an input file."""


class GeographyError(StalkingProfileError):
    """The configured geography cannot be loaded."""


def read_text_file(path: Path, what: str) -> str:
    """A UTF-8 configuration file's text, or a :class:`ConfigError` saying why it cannot be read."""
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise ConfigError(f"{what} {path} is not UTF-8 text", "save it as UTF-8 (plain text) and try again") from None
    except OSError as exc:
        raise ConfigError(f"{what} {path} cannot be read: {exc.strerror}", "check the path and permissions") from None


def config_toml(text: str, source: str, what: str = "") -> dict[str, Any]:
    """A configuration document parsed as TOML; a syntax error is a :class:`ConfigError` naming it.

    Examples
    --------
    >>> config_toml('a = 1', "x.toml")
    {'a': 1}
    >>> config_toml('a = ', "x.toml", "training")
    Traceback (most recent call last):
    ...
    stalking_profile.errors.ConfigError: training x.toml is not valid TOML: Invalid value (at end of document)
    Hint: fix the syntax error it names
    """
    import tomllib

    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{what + ' ' if what else ''}{source} is not valid TOML: {exc}",
                          "fix the syntax error it names") from None


def config_text(path: str | None, what: str, where: str, resource: str) -> tuple[str, str]:
    """The text and name of a configuration file: the user's ``path``, or the one shipped at ``resource``.

    ``where`` names the option or variable that gave the path, for the hint.
    """
    if path:
        p = Path(path)
        if not p.is_file():
            raise ConfigError(f"{what} {p} not found", f"check the path given in {where}")
        return read_text_file(p, what), str(p)
    from importlib import resources

    return resources.files("stalking_profile").joinpath(resource).read_text("utf-8"), Path(resource).name
