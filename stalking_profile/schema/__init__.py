"""The data contract: canonical columns, code lists and the vectorised readers and checks of values."""

from __future__ import annotations

__all__: list[str] = []
