"""Analyses: pure functions (store, period, filters) -> named tables, written in Ibis."""

from __future__ import annotations

__all__: list[str] = []
