"""The baseline of `tianwang bench sensors`: a stock aiomqtt subscriber that does nothing
with its messages, in a process of its own.

It imports aiomqtt and nothing of ours: tianwang's consumer changes how paho decodes MQTT 5
properties for the whole process (``ingest/paho_properties.py``), and the baseline must be
the library as anyone gets it. Run as ``python -m tianwang.bench_mqtt_baseline SPEC``: it
subscribes, prints ``READY``, counts messages until ``expected`` arrived or none came for
``idle_s``, and prints its count and CPU seconds as JSON.
"""

import argparse
import asyncio
import json
import time
import uuid
from typing import Any

import aiomqtt


async def count(spec: dict[str, Any]) -> dict[str, float]:
    """Receive on ``spec["prefix"]/#`` at QoS 1; the messages received and the CPU they cost."""
    version = aiomqtt.ProtocolVersion.V5 if spec["version"] == "5" else aiomqtt.ProtocolVersion.V311
    client = aiomqtt.Client(
        spec["host"],
        spec["port"],
        identifier=f"bench-baseline-{uuid.uuid4().hex[:8]}",
        protocol=version,
    )
    received, cpu0, last = 0, 0.0, 0.0
    async with client:
        await client.subscribe(f"{spec['prefix']}/#", qos=1)
        print("READY", flush=True)
        messages = aiter(client.messages)
        while received < spec["expected"]:
            try:
                await asyncio.wait_for(anext(messages), spec["idle_s"])
            except TimeoutError:
                break
            if received == 0:
                cpu0 = time.process_time()
            received += 1
            last = time.process_time()
    return {"received": received, "cpu_s": max(last - cpu0, 1e-9)}


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description="bench baseline (run by tianwang bench sensors)")
    parser.add_argument("spec")
    print(json.dumps(asyncio.run(count(json.loads(parser.parse_args().spec)))), flush=True)
