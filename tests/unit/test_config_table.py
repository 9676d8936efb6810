"""The README's configuration table is the one tools/config_table.py writes from app/config.py:
every variable the settings read has its row, and the README says exactly that."""

from __future__ import annotations

import pytest

from app import config
from tools import config_table


def test_the_readme_table_is_the_generated_one() -> None:
    readme = config_table.README.read_text()
    wanted = config_table.with_table(readme, config_table.table())
    assert readme == wanted, (
        f"README.md's configuration table differs from app/config.py's DOCUMENTED rows: run "
        f"{config_table.COMMAND} (and commit README.md)")


def test_every_variable_the_settings_read_has_one_row() -> None:
    read = config_table.variables_read(config_table.CONFIG.read_text())
    named = [name for row in config.DOCUMENTED for name in row.names]
    assert set(config.REQUIRED) <= read
    assert {"PORCHLIGHT_CLIPS_BUCKET", "PORCHLIGHT_ERASURE_QUEUE_URL", "PORCHLIGHT_SECRETS_ARN",
            "PORCHLIGHT_CHECKPOINT_KMS_KEY", "PORCHLIGHT_CHECKPOINT_PRIVATE_KEY"} <= read
    assert sorted(named) == sorted(read)


def test_a_setting_added_without_its_row_stops_the_generator() -> None:
    source = config_table.CONFIG.read_text() + (
        '\n\ndef _new(env):\n    return env.get("PORCHLIGHT_SOMETHING_NEW", "")\n')
    read = config_table.variables_read(source)
    with pytest.raises(config_table.Undocumented, match="PORCHLIGHT_SOMETHING_NEW"):
        config_table.check_documented(read, config.DOCUMENTED)


def test_a_row_for_a_variable_nobody_reads_is_refused() -> None:
    rows = (*config.DOCUMENTED, config.Documented(("PORCHLIGHT_GONE",), "was removed"))
    read = config_table.variables_read(config_table.CONFIG.read_text())
    with pytest.raises(config_table.Undocumented, match="never read: PORCHLIGHT_GONE"):
        config_table.check_documented(read, rows)


def test_required_variables_are_marked_so() -> None:
    lines = config_table.table().splitlines()
    row = next(line for line in lines if line.startswith("| `PORCHLIGHT_CLIPS_BUCKET` |"))
    assert row.split("|")[2].strip() == "yes"
    row = next(line for line in lines if line.startswith("| `PORCHLIGHT_LOG_LEVEL` |"))
    assert row.split("|")[2].strip() == ""


def test_the_table_goes_between_the_markers_only() -> None:
    text = f"# Title\n\nbefore\n{config_table.START}\nold table\n{config_table.END}\nafter\n"
    assert config_table.with_table(text, "| new |") == (
        f"# Title\n\nbefore\n{config_table.START}\n| new |\n{config_table.END}\nafter\n")
    with pytest.raises(ValueError, match="config-table:start"):
        config_table.with_table("no markers here", "| new |")
