"""The heap trim after sessions end runs, and not more than once in its gap."""

import ingest.freed_memory as freed


def test_a_trim_runs_then_waits_its_gap() -> None:
    freed._last = -freed.MIN_GAP_S  # as at start-up
    assert freed.release_freed_memory() is (freed._trim is not None)
    assert freed.release_freed_memory() is False
