"""Signing (Standard Webhooks), the CloudEvent, and the retry backoff."""

import random

import pytest

from incidents.signing import InvalidSignature, sign, signed_headers, verify
from ingest.backoff import Backoff


def test_signature_matches_the_standard_webhooks_example() -> None:
    # The example in the Standard Webhooks specification.
    signature = sign(
        "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
        "msg_p5jXN8AQM9LWM0D4loKWxJek",
        1614265330,
        b'{"test": 2432232314}',
    )
    assert signature == "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="


SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"


def test_signed_headers_verify() -> None:
    headers = signed_headers(SECRET, "evt-1", b"{}", now=1000.0)
    verify(SECRET, headers, b"{}", now=1010.0)


def test_a_changed_body_fails_verification() -> None:
    headers = signed_headers(SECRET, "evt-1", b'{"a":1}', now=1000.0)
    with pytest.raises(InvalidSignature, match="no webhook-signature matches"):
        verify(SECRET, headers, b'{"a":2}', now=1000.0)


def test_an_old_delivery_fails_verification() -> None:
    headers = signed_headers(SECRET, "evt-1", b"{}", now=1000.0)
    with pytest.raises(InvalidSignature, match="tolerance"):
        verify(SECRET, headers, b"{}", now=1000.0 + 301)


def test_missing_headers_fail_verification() -> None:
    with pytest.raises(InvalidSignature, match="missing"):
        verify(SECRET, {}, b"{}")


def test_backoff_stays_under_the_growing_ceiling_and_the_cap() -> None:
    backoff = Backoff(initial_s=1.0, max_s=8.0, rng=random.Random(1))
    delays = [backoff.next_delay() for _ in range(12)]
    ceilings = [min(8.0, 2.0**n) for n in range(12)]
    assert all(0 <= d <= c for d, c in zip(delays, ceilings, strict=True))
    assert max(delays[6:]) > 4.0  # the cap is reached, not just the first steps


def test_backoff_reset_starts_again_small() -> None:
    backoff = Backoff(initial_s=1.0, max_s=60.0, rng=random.Random(2))
    for _ in range(10):
        backoff.next_delay()
    backoff.reset()
    assert backoff.next_delay() <= 1.0
