"""Make a VAPID key pair for Web Push (DEPLOY.md): `.venv/bin/python tools/vapid_keys.py`.

Prints the public key (it goes to browsers: pass it to infra/zappa_settings.py and the stack's
stage settings) and the private key (it goes into the deployment's secret, never into a file
in the repository). Both are raw base64url, as browsers and pywebpush take them.
"""

from __future__ import annotations

import base64
import json
import sys

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec


def b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def main() -> int:
    key = ec.generate_private_key(ec.SECP256R1())
    private = key.private_numbers().private_value.to_bytes(32, "big")
    public = key.public_key().public_bytes(serialization.Encoding.X962,
                                           serialization.PublicFormat.UncompressedPoint)
    sys.stdout.write(json.dumps({"vapid_public_key": b64url(public),
                                 "vapid_private_key": b64url(private)}, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
