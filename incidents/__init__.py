"""Detections become incidents: dedup, lifecycle, outbox and delivery to 一网管."""
