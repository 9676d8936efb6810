"""Privacy masks blacked out of real video: the clip worker's cut and the bridge's live piece.

Every check reads the result back the way its viewers will: OpenCV, which applies a phone's
display rotation (as browsers do), so a mask drawn on the view as the owner sees it must be
black exactly there, whatever the rotation and the resolution. Masked pixels are uniformly
black in every frame; outside the masks the picture is what the same cut without masks gives.
"""

from __future__ import annotations

from pathlib import Path

import av
import cv2
import numpy as np
import pytest

from bridge import masking
from bridge.masked import masked_segment
from bridge.masking import Masks
from bridge.segment import Segment
from lambdas.clip_cutter import cutting
from tests.video.samples import make_h264

# A quadrilateral in the view's lower right and a triangle at its left, as the owner drew them.
DRAWN = [{"id": "m1", "points": [[0.55, 0.5], [0.95, 0.55], [0.9, 0.95], [0.5, 0.9]]},
         {"id": "m2", "points": [[0.05, 0.3], [0.35, 0.45], [0.05, 0.7]]}]
MASKS = masking.from_json(DRAWN)
BLACK = 24  # the most a masked pixel may read (black is 0): H.264 rings a little at an edge
MARGIN = 3  # px kept clear of a mask's drawn outline (it is blacked out 2 px further)


def shown_frames(path: Path) -> list[np.ndarray]:
    """Every picture as a player shows it (OpenCV applies the display rotation)."""
    capture = cv2.VideoCapture(str(path))
    frames = []
    while True:
        ok, picture = capture.read()
        if not ok:
            break
        frames.append(picture)
    capture.release()
    assert frames, f"{path} has no pictures"
    return frames


def regions(width: int, height: int) -> tuple[np.ndarray, np.ndarray]:
    """Pixels well inside the masks, and well outside them, on the view as shown."""
    drawn = np.zeros((height, width), np.uint8)
    for mask in DRAWN:
        corners = np.array([[x * width, y * height] for x, y in mask["points"]], np.int32)
        cv2.fillPoly(drawn, [corners], 255)
    kernel = np.ones((2 * MARGIN + 1, 2 * MARGIN + 1), np.uint8)
    inside = cv2.erode(drawn, kernel) > 0
    outside = cv2.dilate(drawn, kernel) == 0
    outside[:24, :] = False  # the frame number's row, which moves every frame
    return inside, outside


@pytest.mark.parametrize(("rotation", "size"), [(0, (640, 360)), (90, (384, 216)),
                                                (180, (320, 240)), (270, (480, 272))])
def test_a_clip_is_black_under_every_mask_in_every_frame(tmp_path: Path, rotation: int,
                                                         size: tuple[int, int]) -> None:
    source = make_h264(tmp_path / "recorder.mp4", width=size[0], height=size[1], fps=10,
                       seconds=3, gop=10, bframes=0, rotation=rotation)
    plain = cutting.cut(source, tmp_path / "plain.mp4", 0.5, 2.5)
    masked = cutting.cut(source, tmp_path / "masked.mp4", 0.5, 2.5, masks=MASKS)
    assert masked.method == "reencode" and "privacy masks" in masked.why
    assert masked.frames == plain.frames
    ours, theirs = shown_frames(tmp_path / "masked.mp4"), shown_frames(tmp_path / "plain.mp4")
    height, width = ours[0].shape[:2]
    assert (width, height) == ((size[1], size[0]) if rotation in (90, 270) else size)
    inside, outside = regions(width, height)
    assert inside.sum() > 1000
    for number, (picture, reference) in enumerate(zip(ours, theirs, strict=True)):
        assert picture[inside].max() <= BLACK, f"frame {number}: a masked pixel shows"
        difference = np.abs(picture[outside].astype(int) - reference[outside].astype(int))
        assert difference.mean() < 2.5, f"frame {number}: the unmasked view changed"


def test_without_masks_nothing_is_re_encoded_for_them(tmp_path: Path) -> None:
    source = make_h264(tmp_path / "recorder.mp4", width=320, height=240, fps=10, seconds=3,
                       gop=10, bframes=0)
    cut = cutting.cut(source, tmp_path / "clip.mp4", 1.0, 2.0, masks=Masks())
    assert cut.method in ("stream_copy", "smart_cut")


def _segment(path: Path, width: int, height: int) -> Segment:
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        frames = sum(1 for _ in container.decode(stream))
    from datetime import UTC, datetime, timedelta
    start = datetime(2026, 12, 5, 17, 30, tzinfo=UTC)
    return Segment(camera="front", name="20261205T173000.000Z.mp4", path=path, start=start,
                   end=start + timedelta(seconds=2), duration_s=2.0, size=path.stat().st_size,
                   sha256="0" * 64, mode="copy", width=width, height=height, frames=frames,
                   run="run1", media_start_s=40.0)


def first_pts_s(path: Path) -> float:
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        frame = next(container.decode(stream))
        assert frame.pts is not None and stream.time_base is not None
        return float(frame.pts * stream.time_base)


def test_a_live_piece_leaves_the_bridge_masked_on_its_own_timeline(tmp_path: Path) -> None:
    """A camera's segment (fragmented MP4, as the bridge buffers it, 40 s into its run)."""
    source = make_h264(tmp_path / "camera.mp4", width=640, height=360, fps=15, seconds=2,
                       gop=30, bframes=0,
                       options={"movflags": "frag_keyframe+empty_moov+default_base_moof"})
    with av.open(str(source)) as container:  # shift it 40 s into its run, as a later piece is
        stream = container.streams.video[0]
        with av.open(str(tmp_path / "piece.mp4"), "w", format="mp4", options={
                "movflags": "frag_keyframe+empty_moov+default_base_moof",
                "avoid_negative_ts": "disabled", "use_editlist": "0"}) as output:
            copy = output.add_stream_from_template(stream)
            for packet in container.demux(stream):
                if packet.dts is None:
                    continue
                shift = round(40 / stream.time_base)
                packet.pts += shift
                packet.dts += shift
                packet.stream = copy
                output.mux(packet)
    piece = _segment(tmp_path / "piece.mp4", 640, 360)
    sent = masked_segment(piece, MASKS, tmp_path / "out")
    assert sent.name == piece.name and sent.start == piece.start and sent.run == piece.run
    assert sent.path != piece.path and sent.frames == piece.frames == 30
    assert sent.codecs.startswith("avc1.") and sent.sha256 != piece.sha256
    assert abs(first_pts_s(sent.path) - first_pts_s(piece.path)) < 0.001
    ours, theirs = shown_frames(sent.path), shown_frames(piece.path)
    inside, outside = regions(640, 360)
    for number, (picture, reference) in enumerate(zip(ours, theirs, strict=True)):
        assert picture[inside].max() <= BLACK, f"frame {number}: a masked pixel shows"
        difference = np.abs(picture[outside].astype(int) - reference[outside].astype(int))
        assert difference.mean() < 3.5, f"frame {number}: the unmasked view changed"
    assert piece.path.stat().st_size > 0  # the buffer's own copy is untouched
