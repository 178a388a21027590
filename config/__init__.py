"""Typed settings for tianwang: one pydantic-settings model, YAML file plus TIANWANG_* env."""

from config.settings import Settings, load_settings

__all__ = ["Settings", "load_settings"]
