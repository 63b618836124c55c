"""The serving process's cycle collector: `Collector.settle` collects the garbage cycles of the
moment and freezes what survives; it freezes again only after its interval or when the serving
generation changes, and a change first unfreezes, so a cycle frozen while alive is collected once
it is garbage. On Python's own collector (gc), in this process: each test unfreezes after itself."""
from __future__ import annotations

import gc
import weakref

import pytest

from search.web.process_memory import Collector


class Node:
    """A container the collector tracks; two of them referring to each other are a cycle."""

    def __init__(self):
        self.other = None


def cycle() -> weakref.ref:
    """A reference cycle nothing else holds, and a weak reference to see whether it is freed."""
    a, b = Node(), Node()
    a.other, b.other = b, a
    return weakref.ref(a)


@pytest.fixture
def collector():
    yield Collector()
    gc.unfreeze()


def test_settle_collects_the_garbage_cycles_and_freezes_the_rest(collector):
    garbage = cycle()
    kept = Node()
    collector.settle(1)
    assert garbage() is None
    assert gc.get_freeze_count() > 0
    assert gc.is_tracked(kept)
    assert all(o is not kept for o in gc.get_objects())  # frozen: out of every generation


def test_settle_waits_for_its_interval_on_the_same_generation(collector):
    collector.settle(1)
    frozen = gc.get_freeze_count()
    garbage = cycle()
    collector.settle(1)
    assert gc.get_freeze_count() == frozen
    gc.collect()
    assert garbage() is None  # left to the collector: not frozen


def test_a_new_generation_frees_the_cycles_frozen_while_they_were_alive(collector):
    a = Node()
    a.other = Node()
    a.other.other = a
    held = weakref.ref(a)
    collector.settle(1)
    del a
    gc.collect()
    assert held() is not None  # frozen: no collection reaches it
    collector.settle(2)
    assert held() is None
