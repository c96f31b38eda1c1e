"""The store: opening DuckDB or PostgreSQL, migrations, table names and the transactional loader."""

from __future__ import annotations

__all__: list[str] = []
