"""The inventory manager's commands: generate, import (--json, --dry-run, --strict), export, bench."""

import csv
import io
import json
from pathlib import Path

import pytest

from camera_registry.ledger_csv import COLUMNS
from tests.conftest import run_cli as run

pytestmark = pytest.mark.integration


def test_generated_ledger_imports_with_a_json_report_and_exports_again(env: Path) -> None:
    code, ledger, _ = run("cameras", "generate", "--count", "120", "--seed", "4")
    assert code == 0
    rows = list(csv.DictReader(io.StringIO(ledger)))
    assert len(rows) == 120 and tuple(rows[0]) == COLUMNS
    assert len({r["gb_id"] for r in rows}) == 120
    assert {r["coord_system"] for r in rows} == {"wgs84", "gcj02", "bd09"}
    path = env / "ledger.csv"
    path.write_bytes(ledger.encode("gb18030"))

    code, out, err = run("cameras", "import", str(path), "--json")
    assert code == 0, err
    assert json.loads(out.strip().splitlines()[-1]) == {
        "imported": 120,
        "updated": 0,
        "rejected": [],
        "created_places": 0,
    }

    code, exported, _ = run("cameras", "export")
    assert code == 0
    exported_rows = list(csv.DictReader(io.StringIO(exported)))
    assert {r["gb_id"] for r in exported_rows} == {r["gb_id"] for r in rows}
    assert "admin:" not in exported and all(
        r["rtsp_sub"].startswith("rtsp://10.") for r in exported_rows
    )


def test_bad_rows_are_printed_with_file_and_line_and_strict_writes_nothing(env: Path) -> None:
    _, ledger, _ = run("cameras", "generate", "--count", "5")
    lines = ledger.splitlines()
    lines[3] = lines[3].replace("520626", "110101", 1)  # a Beijing ID in a Dejiang ledger
    path = env / "bad.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")

    code, out, err = run("cameras", "import", str(path), "--strict", "--json")
    assert code == 0
    assert f"{path}:4: rejected 110101" in err and "not 520626" in err
    assert "strict: nothing written" in err
    report = json.loads(out.strip().splitlines()[-1])
    assert report["imported"] == 4 and [r["line"] for r in report["rejected"]] == [4]
    _, exported, _ = run("cameras", "export")
    assert len(exported.strip().splitlines()) == 1  # the header only

    code, out, _ = run("cameras", "import", str(path), "--json")
    assert json.loads(out.strip().splitlines()[-1])["imported"] == 4


def test_a_file_with_a_bad_header_exits_2_with_the_reason(env: Path) -> None:
    path = env / "odd.csv"
    path.write_text("gb_id,name,price\n1,2,3\n", encoding="utf-8")
    code, _, err = run("cameras", "import", str(path))
    assert code == 2 and "unknown columns ['price']" in err


def test_bench_registry_prints_its_figures_as_json(env: Path) -> None:
    code, out, err = run("bench", "registry", "--cameras", "300", "--queries", "20", "--json")
    assert code == 0, err
    figures = json.loads(out.strip().splitlines()[-1])
    assert figures["cameras"] == 300 and figures["queries"] == 20
    assert 0 < figures["filtered_p50_ms"] <= figures["filtered_p95_ms"]
    assert 0 < figures["baseline_p50_ms"] <= figures["baseline_p95_ms"]
