"""Value classes without the ``dataclasses`` module: ``@frozen``, ``@mutable``, ``field``, ``replace``.

``dataclasses`` imports ``inspect`` (and with it ``ast``, ``dis`` and ``tokenize``) and compiles
six methods for every class with ``exec``. ``release bump --dry-run`` defines 16 value classes
before it prints a line, and that was a third of its start-up. Here every class shares the same
generic methods, driven by the field table the decorator stores on the class, so a class costs
a dictionary walk. The semantics are the dataclass ones that release uses: fields from the
annotations in order (a base's first), defaults and ``field(default_factory=...)``, ``__eq__``
between instances of the same class, ``__hash__`` for frozen classes only, ``__repr__``,
``compare=False`` and ``repr=False``. Type checkers see both decorators as dataclasses
(PEP 681).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

T = TypeVar("T")

if TYPE_CHECKING:  # typing has it from 3.11; at run time it only marks the decorator
    from typing_extensions import dataclass_transform
else:

    def dataclass_transform(**_: Any) -> Callable[[T], T]:
        return lambda decorator: decorator


_MISSING: Any = object()


class Field:
    """One field of a value class, as ``field()`` describes it and the decorator completes it."""

    __slots__ = ("compare", "default", "default_factory", "name", "repr")

    def __init__(
        self, default: Any, default_factory: Callable[[], Any], compare: bool, repr: bool
    ) -> None:
        self.name = ""
        self.default = default
        self.default_factory = default_factory
        self.compare = compare
        self.repr = repr


def field(
    *,
    default: Any = _MISSING,
    default_factory: Callable[[], Any] = _MISSING,
    compare: bool = True,
    repr: bool = True,
) -> Any:
    """A field with a default factory, or left out of ``==``/``hash`` or ``repr``."""
    if default is not _MISSING and default_factory is not _MISSING:
        raise ValueError("field() takes default or default_factory, not both")
    return Field(default, default_factory, compare, repr)


class FrozenInstanceError(AttributeError):
    """An assignment to a field of a frozen value."""


def _fields(cls: type) -> tuple[Field, ...]:
    """The fields of ``cls``: its bases' first, then its own annotations in order."""
    table: dict[str, Field] = {}
    for base in reversed(cls.__mro__[1:]):
        for f in base.__dict__.get("__value_fields__", ()):
            table[f.name] = f
    own = cls.__dict__.get("__annotations__")  # noqa: RUF063 (inspect is what we avoid)
    if own is None:  # Python 3.14 keeps them lazy when the module lacks the __future__ import
        own = cls.__annotations__ if "__annotate__" in cls.__dict__ else {}
    for name, annotation in own.items():
        if str(annotation).split("[", 1)[0].rsplit(".", 1)[-1] == "ClassVar":
            continue  # ClassVar, typing.ClassVar, t.ClassVar
        default = cls.__dict__.get(name, _MISSING)
        if isinstance(default, Field):
            f = default
            if f.default is _MISSING:
                delattr(cls, name)
            else:
                setattr(cls, name, f.default)
        else:
            f = Field(default, _MISSING, True, True)
        if type(f.default).__hash__ is None:  # a list, dict or set shared by every instance
            raise ValueError(f"{cls.__name__}.{name}: a mutable default; use default_factory")
        f.name = name
        table[name] = f
    return tuple(table.values())


def _init(self: Any, *args: Any, **kwargs: Any) -> None:
    cls = type(self)
    fields: tuple[Field, ...] = cls.__value_fields__
    if len(args) > len(fields):
        raise TypeError(f"{cls.__name__}() takes {len(fields)} arguments, got {len(args)}")
    values = self.__dict__
    for f, value in zip(fields, args, strict=False):
        if f.name in kwargs:
            raise TypeError(f"{cls.__name__}() got multiple values for argument {f.name!r}")
        values[f.name] = value
    for f in fields[len(args) :]:
        if f.name in kwargs:
            values[f.name] = kwargs.pop(f.name)
        elif f.default is not _MISSING:
            values[f.name] = f.default
        elif f.default_factory is not _MISSING:
            values[f.name] = f.default_factory()
        else:
            raise TypeError(f"{cls.__name__}() missing required argument: {f.name!r}")
    if kwargs:
        unknown = next(iter(kwargs))
        raise TypeError(f"{cls.__name__}() got an unexpected keyword argument {unknown!r}")


def _compared(self: Any) -> tuple[Any, ...]:
    return tuple(getattr(self, f.name) for f in type(self).__value_fields__ if f.compare)


def _eq(self: Any, other: object) -> Any:  # bool, or NotImplemented for another class
    if other.__class__ is not self.__class__:
        return NotImplemented
    return _compared(self) == _compared(other)


def _hash(self: Any) -> int:
    return hash(_compared(self))


def _repr(self: Any) -> str:
    cls = type(self)
    shown = ", ".join(f"{f.name}={getattr(self, f.name)!r}" for f in cls.__value_fields__ if f.repr)
    return f"{cls.__qualname__}({shown})"


def _setattr(self: Any, name: str, value: Any) -> None:
    raise FrozenInstanceError(f"cannot assign to field {name!r}")


def _delattr(self: Any, name: str) -> None:
    raise FrozenInstanceError(f"cannot delete field {name!r}")


def _make(cls: type[T], frozen: bool) -> type[T]:
    fields = _fields(cls)
    methods: dict[str, Any] = {"__init__": _init, "__repr__": _repr, "__eq__": _eq}
    if frozen:
        methods.update(__hash__=_hash, __setattr__=_setattr, __delattr__=_delattr)
    else:
        methods["__hash__"] = None  # mutable and compared by value: unhashable, as dataclasses do
    for name, method in methods.items():
        if name not in cls.__dict__ or (name == "__hash__" and cls.__dict__[name] is None):
            setattr(cls, name, method)
    cls.__value_fields__ = fields  # type: ignore[attr-defined]
    setattr(cls, "__match_args__", tuple(f.name for f in fields))  # noqa: B010
    return cls


@dataclass_transform(frozen_default=True, field_specifiers=(field,))
def frozen(cls: type[T]) -> type[T]:
    """An immutable, hashable value class: fields from the annotations, as a frozen dataclass."""
    return _make(cls, frozen=True)


@dataclass_transform(field_specifiers=(field,))
def mutable(cls: type[T]) -> type[T]:
    """A value class whose fields may be assigned: as a plain dataclass (and, like it, unhashable)."""
    return _make(cls, frozen=False)


def replace(obj: T, /, **changes: Any) -> T:
    """A copy of the value ``obj`` with ``changes`` applied, as ``dataclasses.replace``."""
    cls = type(obj)
    fields: tuple[Field, ...] = cls.__value_fields__  # type: ignore[attr-defined]
    unknown = changes.keys() - {f.name for f in fields}
    if unknown:
        raise TypeError(f"{cls.__name__} has no field {sorted(unknown)[0]!r}")
    for f in fields:
        if f.name not in changes:
            changes[f.name] = getattr(obj, f.name)
    return cls(**changes)
