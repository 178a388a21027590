"""The one settings model: config/default.yaml, then an optional YAML file, then TIANWANG_* env.

Nested keys come from the environment with a double underscore, for example
``TIANWANG_MQTT__PORT=1884``; ``TIANWANG_DATABASE_URL`` names the database.
"""

from pathlib import Path
from typing import Any

from pydantic import Field
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    YamlConfigSettingsSource,
)

from config.auth import AuthSettings
from config.delivery import DeliverySettings
from config.detectors import DetectorSettings
from config.fleet import FleetSettings
from config.incidents import IncidentSettings
from config.ingest import IngestSettings
from config.mqtt import MqttSettings
from config.network import ListenSettings
from config.sensors import SensorSettings

DEFAULT_FILE = Path(__file__).with_name("default.yaml")
SAMPLE_DIR = Path(__file__).with_name("sample")


class Settings(BaseSettings):
    """Everything tianwang can be told; every field has a default and a description."""

    model_config = SettingsConfigDict(
        env_prefix="TIANWANG_",
        env_nested_delimiter="__",
        extra="forbid",
        frozen=True,
        yaml_file=[DEFAULT_FILE],
    )

    data_dir: Path = Field(Path("data"), description="Where the SQLite file and snapshots live.")
    database_url: str | None = Field(
        None,
        description="SQLAlchemy async URL; default sqlite+aiosqlite in data_dir. "
        "PostgreSQL: postgresql+asyncpg://user@host/db.",
    )
    county_code: str = Field(
        "520626",
        pattern=r"^\d{6}$",
        description="Administrative division code of the county (德江县 520626).",
    )
    places_file: Path | None = Field(
        SAMPLE_DIR / "dejiang_places.yaml",
        description="The county's 街道 > 社区 > 网格 > sites, loaded into a registry with no street.",
    )
    seed_file: Path | None = Field(
        None,
        description="Cameras and sensors loaded into a registry with none "
        "(the demo always uses config/sample/dejiang_demo.yaml).",
    )
    public_url: str | None = Field(
        None,
        description="Base URL operators and 一网管 reach the API at (snapshot links); "
        "default http://{api.host}:{api.port}.",
    )
    mqtt: MqttSettings = MqttSettings()
    sensors: SensorSettings = SensorSettings()
    ingest: IngestSettings = IngestSettings()
    detectors: DetectorSettings = DetectorSettings()
    delivery: DeliverySettings = DeliverySettings()
    incidents: IncidentSettings = IncidentSettings()
    fleet: FleetSettings = FleetSettings()
    api: ListenSettings = ListenSettings()
    auth: AuthSettings = AuthSettings()
    receiver: ListenSettings = ListenSettings(port=8900)

    @property
    def resolved_database_url(self) -> str:
        """The database URL to use: the configured one or a SQLite file in data_dir."""
        if self.database_url:
            return self.database_url
        return f"sqlite+aiosqlite:///{(self.data_dir / 'tianwang.db').resolve()}"

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        """Keyword arguments beat the environment, which beats the YAML files."""
        return init_settings, env_settings, YamlConfigSettingsSource(settings_cls, deep_merge=True)


def load_settings(config_file: Path | None = None, **overrides: Any) -> Settings:
    """Load settings from default.yaml, ``config_file`` (if given) and the environment."""
    files = [DEFAULT_FILE]
    if config_file is not None:
        if not config_file.is_file():
            raise FileNotFoundError(f"config file not found: {config_file}")
        files.append(config_file)

    class _FromFiles(Settings):
        model_config = SettingsConfigDict(yaml_file=files)

    return _FromFiles(**overrides)
