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


class _Rows:
    def __init__(self, host, settled):
        self.host, self.settled = host, settled

    def execute(self, _stmt):
        if self.host == "h2" and not self.settled["done"]:
            from cassandra import ReadFailure
            raise ReadFailure("Operation failed - received 0 responses and 1 failures: "
                              "INCOMPATIBLE_SCHEMA from /h2:7000", consistency=None,
                              required_responses=1, received_responses=0, failures=1)
        return [(1, "a")]


class _Cluster:
    def shutdown(self):
        pass


def test_a_node_that_stays_behind_is_healed_once_and_the_read_goes_on(monkeypatch):
    """read_on_every_node (test_multinode): a node that keeps failing reads with
    INCOMPATIBLE_SCHEMA past half of the timeout gets ring_health.settle() once, and the read
    then succeeds on every node (the last CI run: a node behind for 8 minutes)."""
    import ring_health
    import test_multinode

    settled = {"done": False, "calls": 0}

    def fake_settle(*_args, **_kwargs):
        settled["done"] = True
        settled["calls"] += 1

    monkeypatch.setattr(ring_health, "settle", fake_settle)
    monkeypatch.setattr(test_multinode, "hosts", lambda name: ["h1", "h2"] if name == "source"
                        else ["h3"])
    monkeypatch.setattr(test_multinode, "node_session",
                        lambda name, host: (_Cluster(), _Rows(host, settled)))
    seen = test_multinode.read_on_every_node("SELECT", timeout=2.0)
    assert settled["calls"] == 1
    assert seen == {("source", "h1"): [(1, "a")], ("source", "h2"): [(1, "a")],
                    ("target", "h3"): [(1, "a")]}
