"""A seeded fleet of devices and the network between them and the pipeline.

Each device sends a reading every ``interval_s`` seconds (its own phase, a few ms of
jitter). What reaches the pipeline is what a real gateway delivers, in arrival order:

- most readings a fraction of a second after they were taken;
- some seconds to a minute later (a slow path), so out of order;
- a device's backlog at once when it comes back from an outage (offline 5 to 75 minutes,
  buffering): late, some within the pipeline's lateness window, some beyond it;
- some twice (a retry after a lost acknowledgement): duplicates, seconds apart;
- a few malformed (truncated, a missing field, a number as text, a sensor glitch out of
  range, a timestamp without a time zone, a firmware error string).

The same (devices, minutes, seed) gives the same lines, byte for byte. The output streams:
memory holds the deliveries in flight (outage backlogs), not the whole run.
"""

from __future__ import annotations

import heapq
import json
import math
import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

DEFAULT_START = datetime(2026, 3, 2, tzinfo=UTC)
JITTER_S = 0.1


@dataclass(frozen=True)
class Faults:
    """How often the network misbehaves (shares are per delivery)."""

    slow_share: float = 0.04  # delivered 2 to 45 s late
    retry_share: float = 0.02  # delivered a second time, 1 to 30 s after the first
    malformed_share: float = 0.005
    outages_per_hour: float = 0.3  # per device
    outage_minutes: tuple[float, float] = (5.0, 75.0)


@dataclass(frozen=True)
class _Device:
    name: str
    phase: float  # seconds after the start of its first reading
    temperature: float  # its room's mean temperature
    humidity: float
    outages: tuple[tuple[float, float], ...]  # (offline from, back at), seconds after start

    def back_online(self, t: float) -> float | None:
        """When the device reconnects, if it is offline at second T."""
        for offline, back in self.outages:
            if offline <= t < back:
                return back
        return None


def _fleet(devices: int, end_s: float, interval_s: float, faults: Faults, rng) -> list[_Device]:
    fleet = []
    rate = faults.outages_per_hour / 3600.0
    low, high = faults.outage_minutes
    for number in range(1, devices + 1):
        phase = rng.uniform(0, interval_s - JITTER_S)
        temperature = rng.uniform(18.0, 26.0)
        humidity = rng.uniform(30.0, 60.0)
        outages = []
        t = rng.expovariate(rate) if rate > 0 else math.inf
        while t < end_s:
            back = t + rng.uniform(low, high) * 60.0
            outages.append((t, back))
            t = back + rng.expovariate(rate)
        fleet.append(_Device(f"dev-{number:03d}", phase, temperature, humidity, tuple(outages)))
    return fleet


def _timestamp(start: datetime, t: float) -> str:
    moment = start + timedelta(milliseconds=round(t * 1000))
    return f"{moment:%Y-%m-%dT%H:%M:%S}.{moment.microsecond // 1000:03d}Z"


def _reading(device: _Device, start: datetime, t: float, rng) -> dict:
    moment = start + timedelta(seconds=t)
    hour_of_day = moment.hour + moment.minute / 60.0
    daily = 3.0 * math.sin(2 * math.pi * (hour_of_day - 9.0) / 24.0)
    temperature = device.temperature + daily + rng.gauss(0.0, 0.25)
    humidity = device.humidity - 2.0 * daily + rng.gauss(0.0, 1.0)
    return {
        "device": device.name,
        "ts": _timestamp(start, t),
        "temperature": round(temperature, 2),
        "humidity": round(min(max(humidity, 0.0), 100.0), 1),
    }


def _corrupt(reading: dict, rng) -> str:
    """One of the ways a message goes wrong."""
    kind = rng.randrange(6)
    broken = dict(reading)
    if kind == 0:  # cut off in transit
        line = json.dumps(reading, separators=(",", ":"))
        return line[: rng.randrange(5, len(line) - 5)]
    if kind == 1:  # a firmware that forgot a field
        del broken["humidity"]
    elif kind == 2:  # a number sent as text, with its unit
        broken["temperature"] = f"{reading['temperature']}C"
    elif kind == 3:  # a sensor glitch
        broken["humidity"] = round(100.0 + rng.uniform(1.0, 50.0), 1)
    elif kind == 4:  # a device clock without a time zone
        broken["ts"] = reading["ts"].removesuffix("Z")
    else:
        return "ERR sensor fault 0x1F"
    return json.dumps(broken, separators=(",", ":"))


def deliveries(
    devices: int,
    minutes: float,
    seed: int,
    *,
    start: datetime = DEFAULT_START,
    interval_s: float = 5.0,
    faults: Faults | None = None,
) -> Iterator[tuple[float, str]]:
    """(arrival in seconds after START, JSON line), in arrival order."""
    faults = faults or Faults()
    if devices < 1 or minutes <= 0 or interval_s <= JITTER_S:
        raise ValueError("devices >= 1, minutes > 0 and interval_s > 0.1 are required")
    rng = random.Random(seed)
    end_s = minutes * 60.0
    fleet = _fleet(devices, end_s, interval_s, faults, rng)
    in_flight: list[tuple[float, int, str]] = []
    sent = 0

    def send(arrival: float, reading: dict, line: str) -> None:
        nonlocal sent
        if rng.random() < faults.malformed_share:
            line = _corrupt(reading, rng)
        heapq.heappush(in_flight, (arrival, sent, line))
        sent += 1

    step = 0
    while step * interval_s < end_s:
        for device in fleet:
            t = device.phase + step * interval_s + rng.uniform(0.0, JITTER_S)
            if t >= end_s:
                continue
            reading = _reading(device, start, t, rng)
            line = json.dumps(reading, separators=(",", ":"))
            back = device.back_online(t)
            if back is not None:  # buffered on the device, sent in a burst on reconnect
                arrival = back + rng.uniform(0.0, 2.0)
            elif rng.random() < faults.slow_share:
                arrival = t + rng.uniform(2.0, 45.0)
            else:
                arrival = t + rng.expovariate(1 / 0.3)
            send(arrival, reading, line)
            if rng.random() < faults.retry_share:
                send(arrival + rng.uniform(1.0, 30.0), reading, line)
        step += 1
        # Every reading still to come is taken at or after this second, and arrives later.
        horizon = step * interval_s
        while in_flight and in_flight[0][0] < horizon:
            arrival, _, line = heapq.heappop(in_flight)
            yield arrival, line
    while in_flight:
        arrival, _, line = heapq.heappop(in_flight)
        yield arrival, line


def simulate(devices: int, minutes: float, seed: int, **options) -> Iterator[str]:
    """The JSON lines the pipeline receives, in arrival order (see ``deliveries``)."""
    for _, line in deliveries(devices, minutes, seed, **options):
        yield line
