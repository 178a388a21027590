"""`tianwang sensors import` and `list`: the sensor ledger in, bad rows named by line."""

import json
from pathlib import Path

import pytest

from tests.conftest import run_cli as run

pytestmark = pytest.mark.integration

LEDGER = """id,kind,street,community,grid,site,building,lat,lon,name,profile,heartbeat_s
smk-qlsq-1,smoke,青龙街道,青龙社区,第3网格,nmy-3,楠木园3栋,28.26,108.12,1栋大堂烟感,,600
heat-qlsq-1,heat,青龙街道,青龙社区,第3网格,nmy-3,楠木园3栋,28.26,108.12,1栋厨房温感,,
gas-bad,gas,青龙街道,青龙社区,第3网格,nmy-3,楠木园3栋,95.0,108.12,,,
"""


def test_sensor_ledger_imports_good_rows_and_names_the_bad_one_by_line(env: Path) -> None:
    path = env / "sensors.csv"
    path.write_text(LEDGER, encoding="utf-8")
    code, out, err = run("sensors", "import", str(path), "--json")
    assert code == 0, err
    assert f"{path}:4: rejected gas-bad" in err
    report = json.loads(out.strip().splitlines()[-1])
    assert report["imported"] == 2 and [r["line"] for r in report["rejected"]] == [4]

    code, out, _ = run("sensors", "list")
    listed = {s["id"]: s for s in map(json.loads, out.strip().splitlines())}
    assert {"smk-qlsq-1", "heat-qlsq-1"} <= set(listed) and "gas-bad" not in listed
    assert listed["smk-qlsq-1"]["heartbeat_s"] == 600 and listed["smk-qlsq-1"]["site_id"] == "nmy-3"


def test_a_sensor_ledger_with_an_unknown_column_exits_2(env: Path) -> None:
    path = env / "odd.csv"
    path.write_text("id,kind,price\n1,smoke,3\n", encoding="utf-8")
    code, _, err = run("sensors", "import", str(path))
    assert code == 2 and "price" in err
