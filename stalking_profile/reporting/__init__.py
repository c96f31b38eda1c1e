"""Outputs: the profile's tables as CSV, XLSX and JSON (documents come later)."""

from __future__ import annotations

__all__: list[str] = []
