"""An owner draws a privacy mask over the view on a phone: taps its corners on the photo (and
adds one with the keyboard), finishes it, saves it; the page says so and draws it again."""

from __future__ import annotations

import json
from typing import Any

import cv2
import numpy as np
import pytest
from playwright.sync_api import Page, expect

from app.core import masks as mask_rules
from app.models.cameras import Camera
from tests.builders.cameras import camera_body
from tests.e2e.helpers import box_of, collect_page_errors, log_in, no_horizontal_scroll
from tests.support import make_user, session_client

pytestmark = pytest.mark.e2e


def _camera_with_photo(base_url: str, settings: Any, devstack: Any) -> tuple[Any, str]:
    owner = make_user("owner")
    client = session_client(base_url, settings, owner)
    cam = client.send_json("POST", "/api/cameras", camera_body(
        nickname="Shop door")).json()["camera"]["id"]
    view = np.zeros((480, 640, 3), np.uint8)
    view[:, :, 1] = np.linspace(40, 200, 640, dtype=np.uint8)[None, :]
    ok, jpeg = cv2.imencode(".jpg", view)
    assert ok
    key = f"camera-photos/{cam}/view"
    devstack.client("s3").put_object(Bucket=settings.uploads_bucket, Key=key,
                                     Body=jpeg.tobytes(), ContentType="image/jpeg")
    Camera.get(cam).update(actions=[Camera.photo_key.set(key)])
    return owner, cam


def test_an_owner_draws_and_saves_a_mask_on_a_phone(phone: Page, base_url: str,
                                                    settings: Any, devstack: Any) -> None:
    owner, cam = _camera_with_photo(base_url, settings, devstack)
    errors = collect_page_errors(phone)
    log_in(phone, owner)
    phone.goto(f"{base_url}/cameras/{cam}/edit#masks-h")
    canvas = phone.locator(".js-mask-canvas")
    expect(canvas).to_be_visible()
    phone.wait_for_function("document.querySelector('.js-mask-canvas').width > 0")
    canvas.scroll_into_view_if_needed()
    box = box_of(canvas)
    for x, y in ((0.5, 0.2), (0.9, 0.2), (0.9, 0.8)):
        phone.mouse.click(box["x"] + x * box["width"], box["y"] + y * box["height"])
    expect(phone.locator(".js-mask-status")).to_contain_text("Corner 3 added")
    canvas.focus()  # the fourth corner by keyboard: the cross starts where the last tap was
    for _ in range(40):
        phone.keyboard.press("ArrowLeft")
    phone.keyboard.press("Enter")
    expect(phone.locator(".js-mask-status")).to_contain_text("Corner 4 added")
    phone.get_by_role("button", name="Finish shape").click()
    expect(phone.get_by_role("button", name="Remove mask 1")).to_be_visible()
    assert no_horizontal_scroll(phone)
    phone.get_by_role("button", name="Save masks").click()
    expect(phone.get_by_role("status").filter(has_text="Masks saved.")).to_be_visible()
    expect(phone.get_by_text("This camera has 1 mask.")).to_be_visible()

    saved = mask_rules.loads(Camera.get(cam).masks)
    assert [m["id"] for m in saved] == ["m1"]
    corners = saved[0]["points"]
    assert len(corners) == 4
    for (x, y), (wx, wy) in zip(corners, [(0.5, 0.2), (0.9, 0.2), (0.9, 0.8), (0.5, 0.8)],
                                strict=True):
        assert abs(x - wx) < 0.02 and abs(y - wy) < 0.02, corners
    drawn = json.loads(phone.locator(".js-mask-field").input_value())
    assert drawn == saved
    assert not errors
