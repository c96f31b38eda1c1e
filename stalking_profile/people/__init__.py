"""People across crimes: linkage of victims and suspects, their histories and cumulative risk."""

__all__: list[str] = []
