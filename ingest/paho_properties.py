"""MQTT 5 properties that cost a dictionary lookup, not a table build, per message.

paho-mqtt 2.2 decodes every MQTT 5 PUBLISH into a fresh ``Properties``, whose constructor
rebuilds its two lookup tables (27 names, 27 property kinds, each kind found by
``list.index``) and whose ``unpack`` first ``clear()``s the fresh object by stripping the
spaces of all 27 names. Profiled under ``tianwang bench sensors`` that was the largest single
cost of the consumer: about a fifth of its CPU, more than JSON parsing, rules and SQLite
together. ``SharedTableProperties`` is the same class with the tables built once and
shared (paho only reads them) and a ``clear`` that deletes what is set. ``install()`` puts it
where paho's packet decoder looks it up; everything paho does with the object is unchanged.
"""

from typing import Any

import paho.mqtt._packet as paho_packet
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

_TABLES = ("types", "names", "properties")
_OWN = frozenset(("packetType", *_TABLES))
_template = Properties(PacketTypes.PUBLISH)  # type: ignore[no-untyped-call]
_SHARED: dict[str, Any] = {name: getattr(_template, name) for name in _TABLES}


class SharedTableProperties(Properties):
    """paho's ``Properties`` with its lookup tables shared between instances."""

    def __init__(self, packetType: int) -> None:
        fields = self.__dict__
        fields["packetType"] = packetType
        fields.update(_SHARED)

    def clear(self) -> None:
        """Forget every property value set (the tables stay)."""
        fields = self.__dict__
        for name in [name for name in fields if name not in _OWN]:
            del fields[name]


def install() -> None:
    """Make paho's packet decoder build ``SharedTableProperties`` (idempotent)."""
    paho_packet.Properties = SharedTableProperties  # type: ignore[attr-defined]
