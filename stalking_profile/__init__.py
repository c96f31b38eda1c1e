"""stalking-profile: a police force's Stalking Problem Profile from crime-record extracts."""

from __future__ import annotations

__version__ = "0.1.0"

__all__ = ["__version__"]
