"""Worklists: record-level lists of crimes for someone to check or act on (internal only)."""

__all__: list[str] = []
