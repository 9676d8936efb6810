"""Password hashing, password rules, tokens, signatures and TOTP acceptance."""

from __future__ import annotations

import pyotp
import pytest

from app.core import passwords, tokens
from app.services.people import mfa


def test_hash_is_argon2id_and_verifies() -> None:
    stored = passwords.hash_password("a long enough secret")
    assert stored.startswith("$argon2id$")
    assert passwords.verify_password(stored, "a long enough secret")
    assert not passwords.verify_password(stored, "a long enough secreT")


def test_verify_survives_garbage_hash() -> None:
    assert not passwords.verify_password("not-a-hash", "whatever")


@pytest.mark.parametrize(
    ("password", "email", "expected"),
    [
        ("short", "", "at least 10"),
        ("aaaaaaaaaaaa", "", "too easy"),
        ("password123", "", "too easy"),
        ("dana.smith-is-me", "dana.smith@example.org", "email address"),
        ("x" * 300, "", "at most"),
    ],
)
def test_weak_passwords_are_refused_in_plain_words(password: str, email: str,
                                                    expected: str) -> None:
    problems = " ".join(passwords.password_problems(password, email))
    assert expected in problems


def test_good_password_has_no_problems() -> None:
    assert passwords.password_problems("porch lights at dusk", "dana@example.org") == []


def test_tokens_are_random_and_stored_as_digest() -> None:
    a, b = tokens.new_token(), tokens.new_token()
    assert a != b and len(a) >= 40
    assert tokens.digest(a) != a and len(tokens.digest(a)) == 64
    assert tokens.digest(a) == tokens.digest(a)


def test_signature_depends_on_secret_purpose_and_value() -> None:
    sig = tokens.sign("k1", "csrf", "v")
    assert tokens.check_signature("k1", "csrf", "v", sig)
    assert not tokens.check_signature("k2", "csrf", "v", sig)
    assert not tokens.check_signature("k1", "other", "v", sig)
    assert not tokens.check_signature("k1", "csrf", "w", sig)
    assert not tokens.check_signature("k1", "csrf", "v", "")


def test_totp_code_accepted_once_per_step() -> None:
    secret = pyotp.random_base32()
    at = 1_800_000_000.0
    code = pyotp.TOTP(secret).at(at)
    step = mfa.accepted_step(secret, code, 0, at=at)
    assert step == int(at // 30)
    assert mfa.accepted_step(secret, code, step, at=at) is None  # replay refused


def test_totp_allows_one_step_of_drift_only() -> None:
    secret = pyotp.random_base32()
    at = 1_800_000_000.0
    previous = pyotp.TOTP(secret).at(at - 30)
    old = pyotp.TOTP(secret).at(at - 90)
    assert mfa.accepted_step(secret, previous, 0, at=at) is not None
    assert mfa.accepted_step(secret, old, 0, at=at) is None


@pytest.mark.parametrize("code", ["", "12345", "abcdef", "1234567"])
def test_malformed_totp_codes_are_refused(code: str) -> None:
    assert mfa.accepted_step(pyotp.random_base32(), code, 0) is None


def test_qr_code_is_inline_svg_without_script() -> None:
    svg = mfa.qr_svg(mfa.provisioning_uri(mfa.new_secret(), "d@example.org"))
    assert svg.startswith("<svg") and "<script" not in svg
