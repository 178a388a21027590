"""Turning frames and readings into detections. Pure functions and small state objects;
nothing here imports another tianwang room, so it runs the same in the service and offline."""
