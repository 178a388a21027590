"""The pure pieces of access control: password hashes, token shapes, the login throttle."""

from api.auth_model import Principal, Role
from api.auth_secrets import (
    hash_password,
    new_token,
    same_secret,
    sha256_hex,
    split_token,
    verify_password,
)
from api.auth_throttle import LoginThrottle


def test_a_password_hash_is_salted_scrypt_and_verifies_only_the_right_password() -> None:
    first, second = hash_password("correct horse"), hash_password("correct horse")
    assert first.startswith("scrypt$16384$8$1$") and first != second  # a fresh salt each time
    assert "correct horse" not in first
    assert verify_password("correct horse", first) and verify_password("correct horse", second)
    assert not verify_password("correct hors", first)
    assert not verify_password("correct horse", None)
    assert not verify_password("correct horse", "scrypt$garbage")
    assert not verify_password("correct horse", "md5$1$2$3$4$5")


def test_a_token_is_shown_once_and_only_its_hash_matches_later() -> None:
    token_id, secret, token = new_token()
    assert token == f"tw_{token_id}_{secret}"
    assert split_token(token) == (token_id, secret)
    assert same_secret(secret, sha256_hex(secret))
    assert not same_secret(secret + "x", sha256_hex(secret))
    for bad in ("", "tw_", "xx_0123456789abcdef_s", "tw_short_secret", "tw_0123456789abcdef_"):
        assert split_token(bad) is None


def test_the_throttle_refuses_after_n_failures_per_user_until_the_window_passes() -> None:
    now = [1000.0]
    throttle = LoginThrottle(3, 60.0, clock=lambda: now[0])
    for _ in range(3):
        assert throttle.retry_after("op1", "10.0.0.1") is None
        throttle.failed("op1", "10.0.0.1")
    wait = throttle.retry_after("op1", "10.0.0.9")  # another address: the user is still locked
    assert wait is not None and 59 <= wait <= 60
    assert throttle.retry_after("op2", "10.0.0.1") is None  # another user from that address
    now[0] += 60.5
    assert throttle.retry_after("op1", "10.0.0.1") is None


def test_the_throttle_limits_an_address_trying_many_user_names() -> None:
    now = [0.0]
    throttle = LoginThrottle(2, 60.0, clock=lambda: now[0])
    for n in range(8):  # 4 × 2 failures, each under a different name
        throttle.failed(f"guess{n}", "10.0.0.7")
    assert throttle.retry_after("someone-new", "10.0.0.7") is not None
    assert throttle.retry_after("someone-new", "10.0.0.8") is None


def test_a_good_login_clears_the_users_failures() -> None:
    throttle = LoginThrottle(2, 60.0, clock=lambda: 0.0)
    throttle.failed("op1", "a")
    throttle.succeeded("op1")
    throttle.failed("op1", "a")
    assert throttle.retry_after("op1", "b") is None


def test_a_grid_worker_sees_only_their_grids_and_others_the_whole_county() -> None:
    worker = Principal("gw", "网格员", Role.grid_worker, frozenset({"g1"}), "token")
    operator = Principal("op", "值班员", Role.operator, frozenset(), "token")
    assert worker.sees_grid("g1") and not worker.sees_grid("g2") and not worker.sees_grid(None)
    assert operator.sees_grid("g2") and operator.sees_grid(None)
