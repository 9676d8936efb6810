"""Cells of the CSV files we hand out: text a spreadsheet would run is quoted away; numbers and
ordinary text stay as they are."""

from __future__ import annotations

import csv
import io

import pytest

from app.core.csvcells import safe_cell, write_csv

FORMULAS = ('=HYPERLINK("http://evil","x")', "+cmd|' /C calc'!A0", "-2+3+cmd|' /C calc'!A0",
            "@SUM(1+1)*cmd|' /C calc'!A0", "\t=1+1", "\r=1+1", "=1", "-", "+", "@")


@pytest.mark.parametrize("text", FORMULAS)
def test_a_cell_that_would_run_is_quoted(text: str) -> None:
    assert safe_cell(text) == "'" + text


@pytest.mark.parametrize("value", ["-86.77448", "+3", "14", "0.5", "Front door", "", " =x",
                                   "a=b", "'=already quoted", "{\"case\": \"=x\"}"])
def test_numbers_and_ordinary_text_are_left_alone(value: str) -> None:
    assert safe_cell(value) == value


def test_non_text_values_become_text() -> None:
    assert (safe_cell(None), safe_cell(-5), safe_cell(2.5)) == ("", "-5", "2.5")


def test_write_csv_reads_back_quoted_and_whole() -> None:
    text = write_csv([("name", "note"), (FORMULAS[0], 'line one\n"two"'), ("-1", "=2")])
    assert text.endswith("\r\n")
    assert list(csv.reader(io.StringIO(text))) == [
        ["name", "note"], ["'" + FORMULAS[0], 'line one\n"two"'], ["-1", "'=2"]]
