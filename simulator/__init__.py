"""Synthetic 天网 cameras (RTSP clips) and sensors for the demo, tests and benchmarks."""
