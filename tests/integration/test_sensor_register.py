"""The running pipeline follows the sensor register: what the inventory manager adds, changes
or disables takes effect without a restart."""

from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncEngine

from camera_registry.sensor_store import (
    SensorIn,
    SensorPatch,
    create_sensor,
    get_sensor,
    update_sensor,
)
from config.settings import load_settings
from detectors.model import Reading
from tianwang.pipeline import Pipeline

GRID = "520626001002007"


def heat(device: str, celsius: float) -> Reading:
    return Reading(device, "heat", celsius, datetime.now(UTC))


async def test_a_sensor_added_to_the_register_is_judged_by_its_own_thresholds(
    engine: AsyncEngine, tmp_path: Path
) -> None:
    pipeline = Pipeline(load_settings(data_dir=tmp_path), engine)
    await pipeline.followed_sensors.refresh()
    await create_sensor(
        engine,
        SensorIn(id="heat-kitchen-1", kind="heat", grid_id=GRID, thresholds={"heat_fixed_c": 70}),
    )
    await pipeline.followed_sensors.refresh()
    assert pipeline.sensor_rules.evaluate(heat("heat-kitchen-1", 65.0)) == []
    assert [d.kind for d in pipeline.sensor_rules.evaluate(heat("heat-kitchen-1", 72.0))] == [
        "sensor.heat"
    ]


async def test_a_disabled_sensor_is_no_longer_known_and_readings_mark_when_sensors_spoke(
    engine: AsyncEngine, tmp_path: Path
) -> None:
    pipeline = Pipeline(load_settings(data_dir=tmp_path), engine)
    await pipeline.followed_sensors.refresh()
    assert pipeline.followed_sensors.is_known("heat-djyx-2-101")
    await update_sensor(engine, "heat-djyx-2-101", SensorPatch(enabled=False))
    await pipeline.followed_sensors.refresh()
    assert not pipeline.followed_sensors.is_known("heat-djyx-2-101")

    await pipeline.on_reading(heat("smk-djyx-2-101", 21.0))
    await pipeline.followed_sensors.store_last_seen()
    assert (await get_sensor(engine, "smk-djyx-2-101")).last_seen_at is not None
