"""Spatial layer: the force's geography (default LSOAs, imported wards) and area statistics."""

from __future__ import annotations

__all__: list[str] = []
