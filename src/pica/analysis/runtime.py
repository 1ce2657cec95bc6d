"""A recording joined: consent phases, the party behind each call and each host, how often each
API was called, and which seeded identifiers left the device in which requests.

- **Consent phases**: an event belongs to the phase opened by the last consent event at or
  before its time: none (or only ``shown``) → ``before_consent``; ``accepted`` → ``after_accept``;
  ``declined`` → ``after_decline``; ``withdrawn`` → ``after_withdraw``.
- **Party of a call**: the nearest stack frame, innermost first, that is neither framework code
  (android., java., dalvik.…) nor an open-source library acting for the app; its class is looked
  up in the SDK catalog (an SDK's id) or else is the app's own code ("app").
- **Party of a host**: the catalog's SDK domains by suffix; the app's own domain (its package
  name reversed: io.appium.settings → appium.io) is "app"; anything else is "unknown".
- **Seeded identifiers**: each value of the device profile is looked for in every request's URL,
  headers and body, as written, upper and lower case, without separators (``:`` ``-``),
  URL-encoded, base64 (standard and URL-safe, padded or not), hex of its bytes, and as MD5, SHA-1
  and SHA-256 digests (lower and upper hex). A match must not continue into more characters of
  its own alphabet (a digit string inside a longer number, a digest inside a longer hex run), so
  a substring of a longer value or another value's digest does not match. A precise location
  ``"lat,lon"`` matches when both coordinates appear in one part of one request.
"""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Callable, Iterable, Sequence
from urllib.parse import quote

from pica import knowledge
from pica.analysis.sdks import match_host_sdk, sdk_for_class
from pica.evidence import (
    ApiEvent,
    ApiFrequency,
    ConsentEvent,
    IdentifierMatch,
    NetRequest,
    PhasedApiEvent,
    RuntimeAnalysis,
    Trace,
)

APP = "app"
UNKNOWN = "unknown"
FRAMEWORK = (
    "android.", "java.", "javax.", "dalvik.", "com.android.", "libcore.", "sun.", "jdk.",
    "org.apache.harmony.", "kotlin.", "kotlinx.", "com.google.android.collect.", "frida.",
    "re.frida.",
)  # fmt: skip
PHASE_OF = {"accepted": "after_accept", "declined": "after_decline", "withdrawn": "after_withdraw"}
EXCERPT = 60  # characters of context either side of a match

_DIGITS = frozenset(b"0123456789")
_HEX = frozenset(b"0123456789abcdefABCDEF")
_B64 = frozenset(
    b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/-_"
)  # no "=": it ends a value
_ALNUM = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789")


def phase_at(t: int, consent: Sequence[ConsentEvent]) -> str:
    """The consent phase at time ``t`` (consent events in time order)."""
    phase = "before_consent"
    for event in consent:
        if event.t > t:
            break
        phase = PHASE_OF.get(event.event, phase)
    return phase


def _background_spans(trace: Trace) -> list[tuple[int, int]]:
    spans, start = [], None
    for event in trace.lifecycle:
        if event.event == "background" and start is None:
            start = event.t
        elif event.event in ("foreground", "launch", "relaunch") and start is not None:
            spans.append((start, event.t))
            start = None
    if start is not None:
        spans.append((start, 2**62))
    return spans


def party_of_stack(stack: Iterable[str], app_package: str | None) -> tuple[str, str]:
    """(party, the frame that decided it) for a call's stack, innermost frame first."""
    for frame in stack:
        cls = frame.rsplit(".", 1)[0] if "." in frame else frame
        if not cls or cls.startswith(FRAMEWORK):
            continue
        entry = sdk_for_class(cls, app_package=app_package)
        if entry is not None and entry.is_library:
            continue  # a library acts for whoever called it: look further out
        return (entry.id if entry is not None else APP), frame
    return APP, ""


def party_of_host(host: str, app_package: str | None) -> str:
    """An SDK's id for its catalog domains, "app" for the app's own domain, else "unknown"."""
    host = host.lower().strip(".")
    entry = match_host_sdk(host)
    if entry is not None:
        return entry.id
    if app_package:
        parts = app_package.split(".")
        own = ".".join(reversed(parts[:2])) if len(parts) >= 2 else ""
        if own and (host == own or host.endswith("." + own)):
            return APP
    return UNKNOWN


def _frequencies(phased: Sequence[PhasedApiEvent], window_ms: int) -> tuple[ApiFrequency, ...]:
    groups: dict[tuple[str, str], list[ApiEvent]] = {}
    for p in phased:
        groups.setdefault((p.event.api, p.party), []).append(p.event)
    out = []
    for (api, party), events in sorted(groups.items()):
        events.sort(key=lambda e: e.t)
        best: tuple[int, int] = (0, 0)  # (count, start index)
        lo = 0
        for hi, event in enumerate(events):
            while event.t - events[lo].t >= window_ms:
                lo += 1
            if hi - lo + 1 > best[0]:
                best = (hi - lo + 1, lo)
        count, start = best
        out.append(
            ApiFrequency(
                api,
                party,
                len(events),
                window_ms,
                count,
                tuple(e.line for e in events[start : start + count]),
            )  # fmt: skip
        )
    return tuple(out)


# ------------------------------------------------------------------ seeded identifiers


def _mask(value: str) -> str:
    return value if len(value) <= 6 else f"{value[:3]}…{value[-2:]}"


def encodings(value: str) -> list[tuple[str, bytes, frozenset[int]]]:
    """(encoding name, needle, the alphabet a match must not run on into) for one value."""
    alphabet = _DIGITS if value.isdigit() else _ALNUM
    out: list[tuple[str, bytes, frozenset[int]]] = []
    seen: set[bytes] = set()

    def add(name: str, text: str, alpha: frozenset[int]) -> None:
        needle = text.encode("utf-8")
        if len(needle) >= 4 and needle not in seen:
            seen.add(needle)
            out.append((name, needle, alpha))

    bare = re.sub(r"[:\-\s]", "", value)
    add("plain", value, alphabet)
    add("lower", value.lower(), alphabet)
    add("upper", value.upper(), alphabet)
    for name, variant in (("no_separators", bare), ("dashes", value.replace(":", "-"))):
        add(name, variant, alphabet)
        add(name + "_upper", variant.upper(), alphabet)
        add(name + "_lower", variant.lower(), alphabet)
    add("url", quote(value, safe=""), alphabet)
    add("url_lower", quote(value, safe="").replace("%3A", "%3a"), alphabet)
    raw = value.encode("utf-8")
    for name, encoded in (
        ("base64", base64.b64encode(raw)),
        ("base64_url", base64.urlsafe_b64encode(raw)),
    ):
        text = encoded.decode("ascii")
        add(name, text, _B64)
        add(name + "_unpadded", text.rstrip("="), _B64)
    add("hex", raw.hex(), _HEX)
    add("hex_upper", raw.hex().upper(), _HEX)
    for variant_name, variant in (
        ("", value),
        ("lower_", value.lower()),
        ("upper_", value.upper()),
        ("no_separators_", bare),
        ("no_separators_upper_", bare.upper()),
    ):
        for algo in ("md5", "sha1", "sha256"):
            digest = hashlib.new(algo, variant.encode("utf-8")).hexdigest()
            add(f"{variant_name}{algo}", digest, _HEX)
            add(f"{variant_name}{algo}_upper", digest.upper(), _HEX)
    return out


def _find(haystack: bytes, needle: bytes, alphabet: frozenset[int]) -> int:
    """First position of ``needle`` not run on into by characters of ``alphabet``, or -1."""
    start = 0
    while (pos := haystack.find(needle, start)) >= 0:
        end = pos + len(needle)
        before = haystack[pos - 1] if pos else None
        after = haystack[end] if end < len(haystack) else None
        if before not in alphabet and after not in alphabet:
            return pos
        start = pos + 1
    return -1


def _parts(request: NetRequest) -> list[tuple[str, bytes]]:
    parts = [("url", request.url.encode("utf-8", "replace"))]
    parts += [(f"header:{k}", v.encode("utf-8", "replace")) for k, v in request.headers]
    if request.body:
        parts.append(("body", request.body))
    return parts


def _excerpt(data: bytes, pos: int, length: int) -> str:
    lo, hi = max(0, pos - EXCERPT), min(len(data), pos + length + EXCERPT)
    return data[lo:hi].decode("utf-8", "replace")


def match_identifiers(
    requests: Sequence[NetRequest],
    profile: dict[str, str],
    party: Callable[[NetRequest], str],
    phase: Callable[[NetRequest], str],
) -> tuple[IdentifierMatch, ...]:
    """Every request part holding a seeded value, in any of ``encodings``; one match per
    (request, part, identifier): the first encoding that matches."""
    needles = {pi: encodings(v) for pi, v in profile.items() if v and pi != "location_precise"}
    location = profile.get("location_precise", "")
    coordinates = [c.strip() for c in location.split(",")] if "," in location else []
    out: list[IdentifierMatch] = []
    for request in requests:
        for where, data in _parts(request):
            for pi, variants in needles.items():
                for encoding, needle, alphabet in variants:
                    pos = _find(data, needle, alphabet)
                    if pos >= 0:
                        out.append(
                            IdentifierMatch(
                                pi,
                                _mask(profile[pi]),
                                encoding,
                                where,
                                _excerpt(data, pos, len(needle)),
                                request,
                                party(request),
                                phase(request),
                            )  # fmt: skip
                        )
                        break
            if len(coordinates) == 2:
                spots = [_find(data, c.encode(), _DIGITS) for c in coordinates]
                if all(p >= 0 for p in spots):
                    out.append(
                        IdentifierMatch(
                            "location_precise",
                            location,
                            "plain",
                            where,
                            _excerpt(data, min(spots), 20),
                            request,
                            party(request),
                            phase(request),
                        )  # fmt: skip
                    )
    return tuple(out)


# ------------------------------------------------------------------------- the join


def analyse_runtime(
    trace: Trace | None,
    network: Sequence[NetRequest],
    profile: dict[str, str],
    app_package: str | None,
) -> RuntimeAnalysis:
    """Phases, parties, frequencies and identifier matches of one recording."""
    consent = tuple(sorted(trace.consent, key=lambda e: e.t)) if trace else ()
    background = _background_spans(trace) if trace else []
    phased = tuple(
        PhasedApiEvent(
            event=e,
            phase=phase_at(e.t, consent),
            background=(e.foreground is False) or any(a <= e.t < b for a, b in background),
            party=(who := party_of_stack(e.stack, app_package))[0],
            frame=who[1],
        )
        for e in (trace.api if trace else ())
    )
    window = int(knowledge.runtime_thresholds()["frequency"]["window_ms"])
    requests = tuple(trace.net if trace else ()) + tuple(network)
    hosts = sorted({r.host for r in requests if r.host})
    host_party = {h: party_of_host(h, app_package) for h in hosts}

    def request_phase(request: NetRequest) -> str:
        if request.t is None or not request.aligned:
            return "unknown"
        return phase_at(request.t, consent)

    matches = match_identifiers(
        requests, profile, lambda r: host_party.get(r.host, UNKNOWN), request_phase
    )

    def first(kind: str) -> int | None:
        return next((e.t for e in consent if e.event == kind), None)

    return RuntimeAnalysis(
        api=phased,
        matches=matches,
        frequencies=_frequencies(phased, window),
        hosts=tuple(host_party.items()),
        first_consent_shown=first("shown"),
        first_accept=first("accepted"),
        first_decline=first("declined"),
        first_withdraw=first("withdrawn"),
    )
