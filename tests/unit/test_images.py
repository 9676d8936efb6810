"""The photo sniffer: a picture's kind from its first bytes, its size from its header."""

from __future__ import annotations

from app.core import images


def test_the_sniffer_names_kinds_and_header_sizes() -> None:
    png = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR" + (640).to_bytes(4, "big") + (480).to_bytes(4, "big")
    assert images.sniff(png) == images.Picture("image/png", 640, 480)
    jpeg = (b"\xff\xd8\xff\xe0\x00\x04ab\xff\xc0\x00\x11\x08"
            + (3024).to_bytes(2, "big") + (4032).to_bytes(2, "big") + b"\x03")
    assert images.sniff(jpeg) == images.Picture("image/jpeg", 4032, 3024)
    webp = b"RIFF\0\0\0\0WEBPVP8X" + bytes(8) + (19999).to_bytes(3, "little") * 2
    found = images.sniff(webp)
    assert found == images.Picture("image/webp", 20000, 20000) and found.too_large
    assert images.sniff(b"\xff\xd8\xff\xe0 a jpeg") == images.Picture("image/jpeg", None, None)
    assert images.sniff(b"GIF89a") is None and images.sniff(b"") is None
    assert not images.Picture("image/jpeg", 9248, 6936).too_large  # a 64 MP phone photo
    assert images.Picture("image/png", 16385, 10).too_large
