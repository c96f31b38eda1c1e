"""Ingest: read an extract, map its columns, validate, pseudonymise and load it as one batch."""

from __future__ import annotations

__all__: list[str] = []
