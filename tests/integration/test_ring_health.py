"""ring_health.laggards, the pure choice of which multi-node ring members to restart (no
cluster needed: it runs in the single-node phase)."""

import pytest

from ring_health import laggards


@pytest.mark.parametrize("versions, behind", [
    ({"a": 1, "b": 1, "c": 1}, []),                     # agreement
    ({"a": 1, "b": 2, "c": 1}, ["b"]),                  # one node missed a push
    ({"a": 2, "b": 1, "c": 1}, ["a"]),                  # the majority wins over node 1
    ({"a": 1, "b": 2}, ["b"]),                          # a tie goes to node 1's version
    ({"a": 1, "b": None, "c": 1}, ["b"]),               # a node that did not answer
    ({"a": None, "b": 2, "c": 2}, ["a"]),
    ({"a": None, "b": None}, ["a", "b"]),               # nobody answered
    ({"a": 1, "b": 2, "c": 3}, ["b", "c"]),             # all differ: node 1's version stays
])
def test_laggards_are_the_nodes_off_the_majority_schema(versions, behind):
    assert laggards(versions) == behind
