"""Settings: defaults from config/default.yaml, a YAML file over them, TIANWANG_* env over both."""

from pathlib import Path

import pytest
from alembic.script import ScriptDirectory
from pydantic import ValidationError
from typer.testing import CliRunner

from config.settings import load_settings
from tianwang.cli import app
from tianwang.migrate import alembic_config


def test_defaults_come_from_default_yaml() -> None:
    settings = load_settings()
    assert settings.mqtt.port == 1883
    assert settings.county_code == "520626"
    assert settings.resolved_database_url.startswith("sqlite+aiosqlite:///")
    assert settings.resolved_database_url.endswith("data/tianwang.db")


def test_yaml_file_overrides_defaults_and_keeps_the_rest(tmp_path: Path) -> None:
    config = tmp_path / "site.yaml"
    config.write_text("mqtt:\n  port: 1884\ningest:\n  focus_fps: 2\n")
    settings = load_settings(config)
    assert settings.mqtt.port == 1884
    assert settings.mqtt.host == "127.0.0.1"
    assert settings.ingest.focus_fps == 2


def test_environment_beats_the_yaml_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = tmp_path / "site.yaml"
    config.write_text("mqtt:\n  port: 1884\n")
    monkeypatch.setenv("TIANWANG_MQTT__PORT", "1999")
    monkeypatch.setenv("TIANWANG_DATABASE_URL", "postgresql+asyncpg://postgres@127.0.0.1/x")
    settings = load_settings(config)
    assert settings.mqtt.port == 1999
    assert settings.resolved_database_url == "postgresql+asyncpg://postgres@127.0.0.1/x"


def test_unknown_key_is_an_error_naming_it(tmp_path: Path) -> None:
    config = tmp_path / "typo.yaml"
    config.write_text("mqtt:\n  prot: 1884\n")
    with pytest.raises(ValidationError, match=r"mqtt\.prot"):
        load_settings(config)


def test_out_of_range_value_is_an_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TIANWANG_MQTT__PORT", "70000")
    with pytest.raises(ValidationError, match=r"mqtt\.port"):
        load_settings()


def test_cli_reports_a_bad_config_clearly_and_exits_2(tmp_path: Path) -> None:
    config = tmp_path / "bad.yaml"
    config.write_text("delivery:\n  endpoint: not-a-url\nmqtt:\n  prot: 1\n")
    result = CliRunner().invoke(app, ["db", "upgrade", "--config", str(config)])
    assert result.exit_code == 2
    assert "config error" in result.output
    assert "delivery.endpoint" in result.output and "mqtt.prot" in result.output


def test_cli_reports_a_missing_config_file(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["db", "upgrade", "--config", str(tmp_path / "nope.yaml")])
    assert result.exit_code == 2
    assert "config file not found" in result.output


def test_db_upgrade_creates_the_schema(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    db = tmp_path / "fresh.db"
    monkeypatch.setenv("TIANWANG_DATABASE_URL", f"sqlite+aiosqlite:///{db}")
    result = CliRunner().invoke(app, ["db", "upgrade"])
    assert result.exit_code == 0, result.output
    import sqlite3

    with sqlite3.connect(db) as conn:
        tables = {
            row[0] for row in conn.execute("select name from sqlite_master where type='table'")
        }
        revisions = {row[0] for row in conn.execute("select version_num from alembic_version")}
    assert {"cameras", "grids", "sensors", "incidents", "outbox", "streets", "sites"} <= tables
    heads = set(ScriptDirectory.from_config(alembic_config()).get_heads())
    assert revisions == heads and len(heads) >= 1
