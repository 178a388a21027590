"""The reconnect policy, in one place: exponential backoff with full jitter and a cap.

"Full jitter" as described in the AWS Architecture Blog post "Exponential Backoff And
Jitter" (Marc Brooker, 2015): sleep a uniform random time in [0, min(cap, base * 2^n)].
"""

import random
from dataclasses import dataclass, field


@dataclass(slots=True)
class Backoff:
    """Delays for successive failed attempts; ``reset()`` after a success."""

    initial_s: float
    max_s: float
    failures: int = 0
    rng: random.Random = field(default_factory=random.Random)

    def next_delay(self) -> float:
        """Count one more failure and return how long to wait before the next attempt."""
        ceiling = min(self.max_s, self.initial_s * 2.0 ** min(self.failures, 30))
        self.failures += 1
        return self.rng.uniform(0.0, ceiling)

    def reset(self) -> None:
        """Forget past failures."""
        self.failures = 0
