"""The reconnect policy, in one place: exponential backoff with full jitter and a cap.

"Full jitter" as described in the AWS Architecture Blog post "Exponential Backoff And
Jitter" (Marc Brooker, 2015): sleep a uniform random time in [0, min(cap, base * 2^n)].
"""

import random
from dataclasses import dataclass, field


def full_jitter(failures: int, initial_s: float, max_s: float, rng: random.Random) -> float:
    """The wait after ``failures`` failures so far: uniform in [0, min(max, initial * 2^n)]."""
    return rng.uniform(0.0, min(max_s, initial_s * 2.0 ** min(failures, 30)))


@dataclass(slots=True)
class Backoff:
    """Delays for successive failed attempts; ``reset()`` after a success."""

    initial_s: float
    max_s: float
    failures: int = 0
    rng: random.Random = field(default_factory=random.Random)

    def next_delay(self) -> float:
        """Count one more failure and return how long to wait before the next attempt."""
        delay = full_jitter(self.failures, self.initial_s, self.max_s, self.rng)
        self.failures += 1
        return delay

    def reset(self) -> None:
        """Forget past failures."""
        self.failures = 0
