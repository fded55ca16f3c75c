"""Methods by name: each method module registers its class; experiments name methods."""
from __future__ import annotations

METHODS: dict = {}


def register(cls):
    """Class decorator: `build_method(cls.name, cfg)` builds it from now on."""
    METHODS[cls.name] = cls
    return cls


def build_method(name: str, cfg):
    if name not in METHODS:
        raise ValueError(f"unknown method {name!r}; choose from {sorted(METHODS)}")
    return METHODS[name](cfg)
