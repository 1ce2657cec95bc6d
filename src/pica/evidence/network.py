"""Facts from network captures (roadmap: HAR, pcap and flow importers fill these)."""

from __future__ import annotations

from dataclasses import dataclass

from pica.evidence.apk import Party


@dataclass(frozen=True)
class Flow:
    """Network: a request to a host, with the party and the PI found in it."""

    host: str
    party: Party
    pi_types: tuple[str, ...]
    time_ms: int | None
    source: str
