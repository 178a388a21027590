"""The camera analytics config: what the registry stores per camera and `detect` reads."""

from pathlib import Path

import pytest
from pydantic import ValidationError

from detectors.analytics_config import AnalyticsConfig, load_analytics_config

LANE = {
    "name": "lane_east",
    "kind": "lane",
    "polygon": [[0, 0.6], [1, 0.6], [1, 0.9], [0, 0.9]],
    "direction": [1, 0],
}


def test_a_full_config_validates_and_gives_zone_masks() -> None:
    config = AnalyticsConfig.model_validate(
        {
            "zones": [
                LANE,
                {"name": "kerb", "kind": "no_parking", "polygon": [[0.5, 0.9], [1, 0.9], [1, 1]]},
                {"name": "sky", "kind": "mask", "polygon": [[0, 0], [1, 0], [1, 0.2], [0, 0.2]]},
            ],
            "lines": [{"name": "mid", "points": [[0.5, 0.6], [0.5, 0.9]]}],
        }
    )
    assert [z.name for z in config.zones_of("lane")] == ["lane_east"]
    assert config.zones_of("no_parking")[0].dwell == 60.0  # the kind's default
    lane = config.zones_of("lane")[0].mask(100, 50)
    assert lane[40, 50] and not lane[10, 50]
    keep = config.unmasked(100, 50)
    assert not keep[2, 50] and keep[30, 50]


@pytest.mark.parametrize(
    "bad",
    [
        {"zones": [{**LANE, "colour": "red"}]},
        {"zones": [{**LANE, "polygon": [[0, 0], [1.2, 0], [1, 1]]}]},
        {"zones": [{**LANE, "kind": "sanitation"}]},
        {"zones": [{**LANE, "direction": [0, 0]}]},
        {"zones": [LANE, LANE]},
        {"lines": [{"name": "l", "points": [[0.1, 0.1], [0.1, 0.1]]}]},
        {"zones": [{**LANE, "dwell_s": -3}]},
    ],
)
def test_bad_configs_are_refused(bad: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        AnalyticsConfig.model_validate(bad)


def test_yaml_and_json_files_load_the_same(tmp_path: Path) -> None:
    (tmp_path / "cam.yaml").write_text(
        "lines:\n  - name: mid\n    points: [[0.5, 0.6], [0.5, 0.9]]\n", encoding="utf-8"
    )
    (tmp_path / "cam.json").write_text(
        '{"lines": [{"name": "mid", "points": [[0.5, 0.6], [0.5, 0.9]]}]}', encoding="utf-8"
    )
    assert load_analytics_config(tmp_path / "cam.yaml") == load_analytics_config(
        tmp_path / "cam.json"
    )
