"""Anyone can read the program's figures on a phone: no sideways scrolling at 360 or 390 px,
charts with names a screen reader says, and the CSV download."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.helpers import box_of

pytestmark = pytest.mark.e2e

CHARTS = (
    "Cameras registered, by what their owners share",
    "Cameras registered, by month of registration",
    "Footage requests sent, by month",
    "How owners answered the cameras asked",
    "Footage requests, by offense category",
    "Live minutes shared, by month",
)


def fits_the_width(page: Page) -> bool:
    return bool(page.evaluate(
        "() => document.documentElement.scrollWidth <= document.documentElement.clientWidth"))


def test_a_visitor_reads_the_figures_on_a_phone_and_downloads_them(phone: Page) -> None:
    phone.goto("/")
    phone.get_by_role("link", name="Transparency").click()
    expect(phone.get_by_role("heading", level=1)).to_contain_text("Transparency")
    expect(phone.get_by_text("without the owner's consent").first).to_be_visible()

    for width in (390, 360):
        phone.set_viewport_size({"width": width, "height": 800})
        assert fits_the_width(phone), f"the page scrolls sideways at {width} px"
        for name in CHARTS:
            chart = phone.get_by_role("img", name=name)
            chart.scroll_into_view_if_needed()
            expect(chart).to_be_visible()
            box = box_of(chart)
            assert 0 <= box["x"] and box["x"] + box["width"] <= width, f"{name} at {width} px"
            assert box["width"] >= 0.6 * width, f"{name} is too small to read at {width} px"
            description = chart.get_attribute("aria-describedby")
            assert description and phone.locator(f"#{description}").text_content()

    expect(phone.get_by_role("table").first).to_be_visible()
    assert phone.locator("table caption").count() == phone.locator("table").count()

    with phone.expect_download() as waiting:
        phone.get_by_role("link", name="Download the figures (CSV)").click()
    download = waiting.value
    assert download.suggested_filename.endswith(".csv")
    text = Path(download.path()).read_text()
    assert text.splitlines()[0] == "month,area,area_label,figure,figure_label,value"
    assert "all,all,All areas,no_consent" in text
