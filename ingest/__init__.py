"""Getting data in: RTSP video workers (PyAV) and MQTT sensor consumers (aiomqtt)."""
