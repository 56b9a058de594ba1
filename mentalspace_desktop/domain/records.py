"""Frozen records made by the thousand: the same instance the constructor makes, at a fraction of its cost.

A frozen dataclass's generated ``__init__`` sets each field through ``object.__setattr__`` (its own
``__setattr__`` refuses): for the 29 fields of a calendar item that is about 8 µs, and the week view
makes two such records for each of 1,200 blocks on every reload. :func:`record` hands the instance
its complete ``__dict__`` in one step instead (about 1 µs). It is for the few hot paths that fill
every field themselves; the result compares, copies (``dataclasses.replace``) and prints as the
constructor's would, and stays frozen.
"""

from __future__ import annotations

import dataclasses
from typing import Any, TypeVar

T = TypeVar("T")

_FIELDS: dict[type, frozenset[str]] = {}


def record(cls: type[T], values: dict[str, Any]) -> T:
    """An instance of the frozen dataclass ``cls`` holding ``values`` (fields only).

    ``values`` becomes the instance's ``__dict__``: pass a fresh dict. A field left out reads its
    plain default (the class attribute the dataclass keeps for it), so leave out only fields whose
    default is a plain value, not a ``default_factory`` or a required field. ``__post_init__`` does
    not run, so only classes without one may be built this way.
    """
    obj = object.__new__(cls)
    object.__setattr__(obj, "__dict__", values)
    return obj


def fields_of(cls: type) -> frozenset[str]:
    """The field names of a dataclass (what :func:`record` must be given), cached."""
    names = _FIELDS.get(cls)
    if names is None:
        names = _FIELDS[cls] = frozenset(f.name for f in dataclasses.fields(cls))
    return names


__all__ = ["fields_of", "record"]
