"""A stand-in for `typing.NamedTuple` on the hook path, where `typing` costs
milliseconds to import (DESIGN section 7).

A module on the hook path writes

    TYPE_CHECKING = False
    if TYPE_CHECKING:
        from typing import NamedTuple
    else:
        from factory_os.records import NamedTuple

and keeps the class syntax: mypy checks the class as typing's, and at run time
it is a plain `collections.namedtuple` carrying the methods of the class body.
"""

from __future__ import annotations

from collections import namedtuple

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

# what a class body holds that is no field and no method
_MACHINERY = frozenset({"__module__", "__qualname__", "__annotations__", "__doc__", "_root"})


class _Maker(type):
    def __new__(mcls, name: str, bases: tuple[type, ...], namespace: dict[str, Any]) -> Any:
        if namespace.get("_root"):
            return super().__new__(mcls, name, bases, namespace)
        fields = list(namespace.get("__annotations__", {}))
        defaults = [namespace[field] for field in fields if field in namespace]
        cls = namedtuple(name, fields, defaults=defaults, module=namespace["__module__"])  # type: ignore[misc]
        cls.__qualname__ = namespace.get("__qualname__", name)
        cls.__doc__ = namespace.get("__doc__", cls.__doc__)
        for key, value in namespace.items():
            if key not in _MACHINERY and key not in fields:
                setattr(cls, key, value)
        return cls


class NamedTuple(metaclass=_Maker):
    """Subclass this as `typing.NamedTuple`: fields are the annotated names."""

    _root = True
