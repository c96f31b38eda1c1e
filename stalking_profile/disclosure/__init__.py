"""Disclosure control: who an output is for, and small-count suppression for partner and public audiences."""

__all__: list[str] = []
