"""The focus budget: bounded places, the highest priority wins, the rest wait."""

from ingest.focus_budget import FocusBudget
from ingest.metrics import FOCUS_EVICTED, FOCUS_WAITED


def test_cameras_past_the_budget_wait_unless_they_outrank_a_holder() -> None:
    budget = FocusBudget(2)
    waited, evicted = FOCUS_WAITED._value.get(), FOCUS_EVICTED._value.get()
    assert budget.claim("cam-a", 1) and budget.claim("cam-b", 2)
    assert not budget.claim("cam-c", 1)  # no higher than the weakest holder: waits
    assert FOCUS_WAITED._value.get() == waited + 1
    assert budget.claim("cam-d", 3)  # fire outranks cam-a's traffic hit
    assert not budget.holds("cam-a") and budget.holds("cam-b") and budget.holds("cam-d")
    assert FOCUS_EVICTED._value.get() == evicted + 1 and budget.held == 2


def test_a_holder_asking_again_keeps_its_place_and_a_release_frees_one() -> None:
    budget = FocusBudget(1)
    assert budget.claim("cam-a", 2) and budget.claim("cam-a", 1)
    assert not budget.claim("cam-b", 2)
    budget.release("cam-a")
    assert budget.claim("cam-b", 1) and budget.held == 1


def test_no_budget_admits_everyone() -> None:
    budget = FocusBudget(None)
    assert all(budget.claim(f"cam-{n}", 1) for n in range(100))
    assert budget.holds("cam-never-asked")
