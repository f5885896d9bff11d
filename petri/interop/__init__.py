"""Conversion to and from other Petri net libraries (optional dependencies)."""
__all__: list[str] = []
