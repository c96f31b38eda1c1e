"""The online audit: technology in MO text and the cyber-enabled flag."""

__all__: list[str] = []
