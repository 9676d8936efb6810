"""TOTP enrolment and checks (RFC 6238, 30-second steps, one step of clock drift allowed)."""

from __future__ import annotations

import hmac
import time

import pyotp

ISSUER = "Porchlight"
STEP = 30


def new_secret() -> str:
    return pyotp.random_base32()


def provisioning_uri(secret: str, email: str) -> str:
    return pyotp.TOTP(secret).provisioning_uri(name=email, issuer_name=ISSUER)


def qr_svg(uri: str) -> str:
    import segno

    return str(segno.make(uri, error="m").svg_inline(scale=5, dark="#000", light="#fff",
                                                      title="QR code for your authenticator app"))


def accepted_step(secret: str, code: str, last_step: int, at: float | None = None) -> int | None:
    """The time step the code belongs to if it is valid and newer than the last used; else None."""
    code = (code or "").replace(" ", "")
    if not (code.isdigit() and len(code) == 6):
        return None
    totp = pyotp.TOTP(secret)
    moment = time.time() if at is None else at
    current = int(moment // STEP)
    for step in (current, current - 1, current + 1):
        if step > last_step and hmac.compare_digest(totp.at(step * STEP), code):
            return step
    return None
