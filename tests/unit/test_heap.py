"""Start-up objects leave the collector's passes, the young passes are spaced out, and a
slow pass is timed."""

import gc
import logging

import pytest
from prometheus_client import REGISTRY

from tianwang import heap
from tianwang.heap import YOUNG_THRESHOLD, freeze_start_up_objects, watch_collector_passes


def test_start_up_objects_are_frozen_and_young_passes_spaced() -> None:
    before = gc.get_threshold()
    try:
        frozen = freeze_start_up_objects()
        assert frozen == gc.get_freeze_count() > 1000
        assert gc.get_threshold() == (YOUNG_THRESHOLD, before[1], before[2])
    finally:
        gc.unfreeze()
        gc.set_threshold(*before)


def test_a_slow_collector_pass_is_timed_and_logged(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    watch_collector_passes()
    watch_collector_passes()  # once per process, however often asked
    assert gc.callbacks.count(heap._timed) == 1
    monkeypatch.setattr(heap, "SLOW_PASS_S", 0.0)  # every pass counts as slow here
    kept = [[i] for i in range(50_000)]  # something for the full pass to visit
    with caplog.at_level(logging.WARNING, logger="tianwang.heap"):
        gc.collect()
    assert "generation 2 collector pass took" in caplog.text
    assert (REGISTRY.get_sample_value("tianwang_gc_pause_seconds", {"generation": "2"}) or 0) > 0
    assert len(kept) == 50_000
