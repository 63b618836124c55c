"""The article self-join of index/store/copies.py: joined a slice of groups at a time, it finds
what one join of every group finds, checked against a plain Python count."""
from collections import Counter

import numpy as np
import pytest

from index.store import copies


@pytest.mark.parametrize("join_slice", [1, 50, 1_000_000])
def test_sliced_join_counts_each_articles_paragraphs_shared_with_each_other(monkeypatch, join_slice):
    rng = np.random.default_rng(join_slice)
    groups, owners = rng.integers(0, 200, 3000), rng.integers(0, 500, 3000)
    expected = Counter()
    members: dict[int, set[int]] = {}
    for g, o in zip(groups.tolist(), owners.tolist()):
        members.setdefault(g, set()).add(o)
    for g, o in zip(groups.tolist(), owners.tolist()):
        for other in members[g] - {o}:
            expected[(o, other)] += 1
    monkeypatch.setattr(copies, "JOIN_SLICE", join_slice)
    a, b, shared = copies._articles_sharing(groups, owners)
    assert dict(zip(zip(a.tolist(), b.tolist()), shared.tolist())) == expected
