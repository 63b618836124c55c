"""How a build's child processes set Python's cycle collector.

A sub-writer inherits the gazetteer (millions of objects, never garbage) and holds every
posting of its segment until it writes it (millions more, alive to the end); a counting child
inherits the gazetteer too. Python's full collections walked all of them again and again as the
objects grew: a fifth of a 4x build's time. Each child therefore freezes what it inherited
(`gc.freeze`: never scanned again) and collects its young objects a hundred times less often;
what it creates and drops within a document is still collected.
"""
from __future__ import annotations

import gc

# Allocations between young collections (Python's default: 700), young collections between
# middle ones, middle ones between full ones.
CHILD_THRESHOLDS = (100_000, 50, 1000)


def quiet_collector() -> None:
    """Called first in a build's child process, after it has inherited what it reads."""
    gc.freeze()
    gc.set_threshold(*CHILD_THRESHOLDS)
