"""``release.values``: value classes with the dataclass semantics release relies on."""

from __future__ import annotations

import copy
import pickle

import pytest

from release.values import FrozenInstanceError, field, frozen, mutable, replace


@frozen
class Point:
    x: int
    y: int = 0
    tags: tuple[str, ...] = ()


@frozen
class Labelled(Point):
    label: str = "p"
    note: str = field(default="", compare=False)
    secret: str = field(default="", repr=False)


@mutable
class Bag:
    name: str
    items: list[str] = field(default_factory=list)


def test_fields_are_set_by_position_keyword_and_default() -> None:
    assert (Point(1).x, Point(1).y, Point(1).tags) == (1, 0, ())
    assert Point(1, 2, ("a",)) == Point(x=1, tags=("a",), y=2)
    assert Point.y == 0  # the default stays a class attribute, as with dataclasses


def test_a_default_factory_gives_each_instance_its_own_value() -> None:
    one, two = Bag("one"), Bag("two")
    one.items.append("x")
    assert (one.items, two.items) == (["x"], [])
    assert "items" not in Bag.__dict__


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: Point(), "Point() missing required argument: 'x'"),
        (lambda: Point(1, 2, (), 4), "Point() takes 3 arguments, got 4"),
        (lambda: Point(1, x=2), "Point() got multiple values for argument 'x'"),
        (lambda: Point(1, z=2), "Point() got an unexpected keyword argument 'z'"),
    ],
)
def test_wrong_arguments_are_refused_as_a_call_would_be(make: object, message: str) -> None:
    with pytest.raises(TypeError) as caught:
        make()  # type: ignore[operator]
    assert str(caught.value) == message


def test_equality_is_by_fields_and_only_within_one_class() -> None:
    assert Point(1, 2) == Point(1, 2)
    assert Point(1, 2) != Point(1, 3)
    assert Point(1, 2) != (1, 2, ())  # not a tuple
    assert Point(1, 2) != Labelled(1, 2, label="p")  # a subclass is another class
    assert Labelled(1, note="a") == Labelled(1, note="b")  # compare=False


def test_frozen_values_hash_by_their_compared_fields_and_refuse_assignment() -> None:
    assert hash(Labelled(1, note="a")) == hash(Labelled(1, note="b"))
    assert len({Point(1), Point(1), Point(2)}) == 2
    p = Point(1)
    with pytest.raises(FrozenInstanceError, match="cannot assign to field 'x'"):
        p.x = 2  # type: ignore[misc]
    with pytest.raises(AttributeError, match="cannot delete field 'y'"):
        del p.y  # type: ignore[misc]
    assert p == Point(1)


def test_mutable_values_take_assignment_and_are_unhashable() -> None:
    bag = Bag("b")
    bag.name = "c"
    assert bag == Bag("c")
    with pytest.raises(TypeError, match="unhashable"):
        hash(bag)


def test_repr_names_the_fields_and_leaves_out_repr_false() -> None:
    assert repr(Point(1, 2)) == "Point(x=1, y=2, tags=())"
    shown = repr(Labelled(1, secret="s3cret", note="n"))
    assert shown == "Labelled(x=1, y=0, tags=(), label='p', note='n')"


def test_a_subclass_keeps_its_bases_fields_first() -> None:
    value = Labelled(1, 2, ("t",), "q")
    assert (value.x, value.y, value.tags, value.label) == (1, 2, ("t",), "q")
    assert Labelled.__match_args__ == ("x", "y", "tags", "label", "note", "secret")  # type: ignore[attr-defined]


def test_replace_copies_with_changes_and_refuses_unknown_fields() -> None:
    base = Labelled(1, note="n")
    changed = replace(base, y=5)
    assert (changed.x, changed.y, changed.note, base.y) == (1, 5, "n", 0)
    with pytest.raises(TypeError, match="Labelled has no field 'z'"):
        replace(base, z=1)


def test_values_survive_copy_and_pickle() -> None:
    bag = Bag("b", ["x"])
    assert copy.deepcopy(bag) == bag
    assert pickle.loads(pickle.dumps(Labelled(1, note="n"))) == Labelled(1)


def test_a_field_cannot_take_both_a_default_and_a_factory() -> None:
    with pytest.raises(ValueError, match="default or default_factory"):
        field(default=1, default_factory=list)


def test_a_mutable_default_is_refused_as_dataclasses_refuse_it() -> None:
    with pytest.raises(ValueError, match=r"Shared.items: a mutable default; use default_factory"):

        @frozen
        class Shared:
            items: list[str] = []  # noqa: RUF012


def test_class_variables_are_not_fields() -> None:
    import typing as t
    from typing import ClassVar

    @frozen
    class Counted:
        kind: ClassVar[str] = "k"
        other: t.ClassVar[int] = 0
        value: int = 1

    assert Counted.__match_args__ == ("value",)  # type: ignore[attr-defined]
    assert Counted(2) == Counted(value=2)
