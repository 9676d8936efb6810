"""Upload names are stored as plain names that read as they are (app.core.filenames)."""

from __future__ import annotations

import pytest

from app.core.errors import ValidationError
from app.core.filenames import upload_name


@pytest.mark.parametrize("typed,stored", [
    ("Front door 2026-11-22.mp4", "Front door 2026-11-22.mp4"),
    ("C:evil.mp4", "evil.mp4"),  # a drive
    ("a\u202egpj.mp4", "agpj.mp4"),  # right-to-left override: shown as "a4pm.jpg"
    ("\u2066x\u2069\u200b\ufeff.mp4", "x.mp4"),  # isolates, zero width, byte-order mark
    ("clip:stream.mp4", "clip_stream.mp4"),  # an NTFS stream
    ('what?"*<>|.mp4', "what______.mp4"),
    ("CON.mp4", "_CON.mp4"), ("lpt1.mov", "_lpt1.mov"),
    ("export.mp4. ", "export.mp4"),
    ("Caf\u00e9 cam\u00e9ra.mp4", "Caf\u00e9 cam\u00e9ra.mp4"),
])
def test_names_are_stored_normalised(typed: str, stored: str) -> None:
    assert upload_name(typed) == stored


@pytest.mark.parametrize("typed", ["..\\x.mp4", "../x.mp4", "a/b.mp4", "x\x00.mp4",
                                   "line\nbreak.mp4", "a\u2028b.mp4", "\x85.mp4", "..", " . ",
                                   "\u202e", "C:", "", None])
def test_names_with_folders_or_control_characters_are_refused(typed: object) -> None:
    with pytest.raises(ValidationError) as refused:
        upload_name(typed)
    assert "filename" in (refused.value.errors or {})
