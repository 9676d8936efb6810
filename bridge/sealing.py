"""Camera passwords typed in the owner's app reach only this box, and stay encrypted on it.

The bridge makes an RSA key pair once (`sealing-key.pem` in its state folder, readable only by
the bridge's user) and tells the server its public half. The owner's browser encrypts the
recorder's password with it (RSA-OAEP with SHA-256, WebCrypto: frontend/static/js/
bridge-setup.js) before anything is sent: the server stores and relays only that sealed text,
which it cannot open. The bridge keeps the sealed text as it came (in `cameras.json`) and opens
it in memory only when it connects to the camera; nothing prints it.
"""

from __future__ import annotations

import base64
import os
from pathlib import Path

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

KEY_FILE = "sealing-key.pem"
MAX_SEALED = 1024  # base64 of one RSA-2048 block is 344 characters


class SealError(Exception):
    """The sealed text cannot be opened with this box's key (made for another box, or
    damaged)."""


def _oaep() -> padding.OAEP:
    return padding.OAEP(mgf=padding.MGF1(algorithm=hashes.SHA256()),
                        algorithm=hashes.SHA256(), label=None)


class Sealer:
    def __init__(self, state_dir: Path) -> None:
        self.path = state_dir / KEY_FILE
        self._key: rsa.RSAPrivateKey | None = None

    def key(self) -> rsa.RSAPrivateKey:
        if self._key is None:
            if self.path.exists():
                loaded = serialization.load_pem_private_key(self.path.read_bytes(), None)
                if not isinstance(loaded, rsa.RSAPrivateKey):
                    raise SealError(f"{self.path} is not an RSA key.")
                self._key = loaded
            else:
                self._key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
                pem = self._key.private_bytes(serialization.Encoding.PEM,
                                              serialization.PrivateFormat.PKCS8,
                                              serialization.NoEncryption())
                self.path.parent.mkdir(parents=True, exist_ok=True)
                descriptor = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
                with os.fdopen(descriptor, "wb") as out:
                    out.write(pem)
        return self._key

    def public_spki(self) -> str:
        """The public key as base64 DER SubjectPublicKeyInfo (WebCrypto imports it as "spki")."""
        der = self.key().public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
        return base64.b64encode(der).decode()

    def seal(self, secret: str) -> str:
        """What the owner's browser does (tests and the command line use it)."""
        return seal_with(self.public_spki(), secret)

    def open(self, sealed: str) -> str:
        if not sealed or len(sealed) > MAX_SEALED:
            raise SealError("The sealed password is missing or too long.")
        try:
            return self.key().decrypt(base64.b64decode(sealed, validate=True), _oaep()).decode()
        except (ValueError, TypeError) as error:
            raise SealError("The password was sealed for another box, or damaged; type it "
                            "again in the app.") from error


def seal_with(public_spki: str, secret: str) -> str:
    public = serialization.load_der_public_key(base64.b64decode(public_spki))
    if not isinstance(public, rsa.RSAPublicKey):
        raise SealError("Not an RSA public key.")
    return base64.b64encode(public.encrypt(secret.encode(), _oaep())).decode()
