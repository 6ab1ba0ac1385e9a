"""The parallel run's order (tools/testing/longfirst.py): each worker's
share of the collection begins with its part of the long tests; nothing is
lost or repeated; a MicroPython file moves as one unit."""
from __future__ import annotations

from typing import Any

import longfirst


class _Item:
    def __init__(self, nodeid: str, micropython: bool = False) -> None:
        self.nodeid = nodeid
        self._mpy = micropython

    _fixtureinfo = None

    def get_closest_marker(self, name: str) -> Any:
        return object() if name == "micropython" and self._mpy else None

    def __repr__(self) -> str:
        return self.nodeid


def _items() -> list[Any]:
    items = [_Item("a.py::t%d" % i) for i in range(10)]
    items += [_Item("fw/test_x.py::t%d" % i, micropython=True) for i in range(4)]
    items += [_Item("b.py::t%d" % i) for i in range(10)]
    return items


def test_long_tests_begin_each_workers_share_longest_first():
    items = _items()
    seconds = {"b.py::t9": 40.0, "a.py::t3": 30.0, "b.py::t0": 20.0, "a.py::t5": 5.0}
    out = longfirst.order(items, 2, seconds)
    assert sorted(map(id, out)) == sorted(map(id, items))
    first, second = out[:len(items) // 2], out[len(items) // 2:]
    assert [i.nodeid for i in first[:2]] == ["b.py::t9", "a.py::t5"]
    assert [i.nodeid for i in second[:2]] == ["a.py::t3", "b.py::t0"]


def test_a_micropython_file_stays_together_and_counts_as_one():
    items = _items()
    out = longfirst.order(items, 2, {"fw/test_x.py": 10.0})
    names = [i.nodeid for i in out]
    at = names.index("fw/test_x.py::t0")
    assert names[:4] == names[at:at + 4] == ["fw/test_x.py::t%d" % i for i in range(4)]


def test_one_worker_or_no_table_keeps_the_collections_order():
    items = _items()
    assert longfirst.order(items, 1, {"b.py::t9": 40.0}) == items
    assert longfirst.order(items, 2, {}) == items
