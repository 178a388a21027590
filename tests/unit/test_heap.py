"""Start-up objects leave the collector's passes, and the young passes are spaced out."""

import gc

from tianwang.heap import YOUNG_THRESHOLD, freeze_start_up_objects


def test_start_up_objects_are_frozen_and_young_passes_spaced() -> None:
    before = gc.get_threshold()
    try:
        frozen = freeze_start_up_objects()
        assert frozen == gc.get_freeze_count() > 1000
        assert gc.get_threshold() == (YOUNG_THRESHOLD, before[1], before[2])
    finally:
        gc.unfreeze()
        gc.set_threshold(*before)
