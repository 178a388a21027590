"""Shared-table MQTT 5 properties decode exactly as paho's own."""

import struct

import paho.mqtt._packet as paho_packet
import pytest
from paho.mqtt.enums import MQTTProtocolVersion
from paho.mqtt.exception import MQTTException
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from ingest.paho_properties import SharedTableProperties, install


def _publish_body(properties: Properties) -> bytes:
    """A QoS 1 PUBLISH's variable header and payload (what follows the fixed header)."""
    topic = b"tianwang/v1/smoke/s-1/event"
    return (
        struct.pack("!H", len(topic))
        + topic
        + struct.pack("!H", 7)
        + properties.pack()
        + b'{"alarm": true}'
    )


def _sent_properties() -> Properties:
    sent = Properties(PacketTypes.PUBLISH)  # type: ignore[no-untyped-call]
    sent.MessageExpiryInterval = 30
    sent.ContentType = "application/json"
    sent.UserProperty = ("site", "djyx-2")
    sent.UserProperty = ("building", "德江印象 2栋")
    return sent


def test_a_publish_decodes_to_the_same_properties_and_payload() -> None:
    body = _publish_body(_sent_properties())
    original = paho_packet.Properties
    try:
        paho_packet.Properties = Properties  # type: ignore[attr-defined]
        theirs = paho_packet.decode_publish(0x32, body, MQTTProtocolVersion.MQTTv5)
        install()
        ours = paho_packet.decode_publish(0x32, body, MQTTProtocolVersion.MQTTv5)
    finally:
        paho_packet.Properties = original  # type: ignore[attr-defined]
    assert isinstance(ours.properties, SharedTableProperties)
    assert ours.properties.json() == theirs.properties.json()
    assert ours.properties.UserProperty == [("site", "djyx-2"), ("building", "德江印象 2栋")]
    assert (ours.topic, ours.mid, ours.payload) == (theirs.topic, theirs.mid, theirs.payload)


def test_clear_forgets_values_but_keeps_the_tables_shared() -> None:
    first = SharedTableProperties(PacketTypes.PUBLISH)
    first.unpack(_sent_properties().pack())
    assert first.ContentType == "application/json"
    first.clear()
    assert first.isEmpty()
    second = SharedTableProperties(PacketTypes.PUBLISH)
    assert second.names is first.names and second.properties is first.properties
    assert second.isEmpty()


def test_setting_a_property_still_checks_it_as_paho_does() -> None:
    props = SharedTableProperties(PacketTypes.PUBLISH)
    props.TopicAlias = 3
    assert props.TopicAlias == 3
    with pytest.raises(MQTTException, match="does not apply"):
        props.SessionExpiryInterval = 5  # a CONNECT property, not a PUBLISH one
