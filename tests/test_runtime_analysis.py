"""The runtime join (pica.analysis.runtime): phases, parties, frequencies, seeded identifiers."""

from __future__ import annotations

import base64
import hashlib
from urllib.parse import quote

import pytest

from pica.analysis.runtime import (
    analyse_runtime,
    encodings,
    match_identifiers,
    party_of_host,
    party_of_stack,
    phase_at,
)
from pica.evidence import ApiEvent, ConsentEvent, LifecycleEvent, NetRequest, Trace

IMEI = "861234567890123"
MAC = "02:00:00:aa:bb:cc"
ANDROID_ID = "9774d56d682e549c"


def _request(url: str = "https://x.example.com/a", body: bytes = b"", headers=()) -> NetRequest:
    return NetRequest(index=1, t=100, host="x.example.com", url=url, body=body,
                      headers=tuple(headers), source="t.har entry 1")  # fmt: skip


def _hits(request: NetRequest, profile: dict[str, str]) -> list[tuple[str, str, str]]:
    matches = match_identifiers([request], profile, lambda r: "unknown", lambda r: "unknown")
    return [(m.pi_type, m.encoding, m.where) for m in matches]


def test_phases_follow_the_last_consent_event() -> None:
    consent = [
        ConsentEvent(2, 1000, "shown"),
        ConsentEvent(3, 2000, "declined"),
        ConsentEvent(9, 9000, "accepted"),
        ConsentEvent(12, 20000, "withdrawn"),
    ]
    assert [phase_at(t, consent) for t in (0, 1500, 2000, 5000, 9000, 25000)] == [
        "before_consent",
        "before_consent",  # the dialog on screen is not consent
        "after_decline",
        "after_decline",
        "after_accept",
        "after_withdraw",
    ]


def test_the_party_is_the_nearest_frame_that_is_neither_framework_nor_library() -> None:
    stack = (
        "android.telephony.TelephonyManager.getDeviceId",
        "androidx.core.telephony.TelephonyManagerCompat.getImei",
        "com.umeng.commonsdk.statistics.common.DeviceConfig.getImei",
        "com.example.app.MainActivity.onCreate",
    )
    assert party_of_stack(stack, "com.example.app") == (
        "umeng_analytics",
        "com.umeng.commonsdk.statistics.common.DeviceConfig.getImei",
    )
    own = ("java.lang.reflect.Method.invoke", "com.example.app.Collector.run")
    assert party_of_stack(own, "com.example.app") == ("app", "com.example.app.Collector.run")
    assert party_of_stack(("android.app.Activity.onCreate",), "com.example.app") == ("app", "")


def test_hosts_are_attributed_by_catalog_domain_or_the_apps_own_domain() -> None:
    assert party_of_host("alog.umeng.com", "com.example.app") == "umeng_analytics"
    assert party_of_host("api.example.com", "com.example.app") == "app"
    assert party_of_host("cdn.unrelated.net", "com.example.app") == "unknown"


@pytest.mark.parametrize(
    "text, encoding",
    [
        (IMEI, "plain"),
        (base64.b64encode(IMEI.encode()).decode(), "base64"),
        (IMEI.encode().hex(), "hex"),
        (hashlib.md5(IMEI.encode()).hexdigest(), "md5"),
        (hashlib.md5(IMEI.encode()).hexdigest().upper(), "md5_upper"),
        (hashlib.sha1(IMEI.encode()).hexdigest(), "sha1"),
        (hashlib.sha256(IMEI.encode()).hexdigest(), "sha256"),
        (hashlib.sha256(IMEI.encode()).hexdigest().upper(), "sha256_upper"),
    ],
)
def test_an_imei_is_found_in_every_encoding(text: str, encoding: str) -> None:
    assert _hits(_request(body=f'{{"d":"{text}"}}'.encode()), {"imei": IMEI}) == [
        ("imei", encoding, "body")
    ]


@pytest.mark.parametrize(
    "text, encoding",
    [
        (MAC, "plain"),
        (MAC.upper(), "upper"),
        ("020000aabbcc", "no_separators"),
        ("020000AABBCC", "no_separators_upper"),
        ("02-00-00-aa-bb-cc", "dashes"),
        (quote(MAC, safe=""), "url"),
        (quote(MAC, safe="").replace("%3A", "%3a"), "url_lower"),
        (base64.b64encode(MAC.encode()).decode().rstrip("="), "base64_unpadded"),
        (hashlib.md5(b"020000AABBCC").hexdigest(), "no_separators_upper_md5"),
        (hashlib.sha1(MAC.upper().encode()).hexdigest(), "upper_sha1"),
    ],
)
def test_a_mac_is_found_in_every_encoding(text: str, encoding: str) -> None:
    hits = _hits(_request(url=f"https://x.example.com/c?m={text}&z=1"), {"mac_address": MAC})
    assert hits == [("mac_address", encoding, "url")]


def test_headers_and_the_first_matching_encoding_are_reported() -> None:
    request = _request(headers=[("X-Device", ANDROID_ID)])
    assert _hits(request, {"android_id": ANDROID_ID}) == [
        ("android_id", "plain", "header:X-Device")
    ]


@pytest.mark.parametrize(
    "text",
    [
        "98612345678901234",  # the IMEI inside a longer number
        "8612345678901239",  # the IMEI with one more digit after it
        hashlib.md5(b"861234567890124").hexdigest(),  # the digest of another value
        hashlib.md5(IMEI.encode()).hexdigest() + "ab",  # a digest inside a longer hex run
        IMEI[:-1],  # a prefix of the value
    ],
)
def test_no_false_positive(text: str) -> None:
    assert _hits(_request(body=f"v={text}".encode()), {"imei": IMEI}) == []


def test_location_matches_when_both_coordinates_appear() -> None:
    profile = {"location_precise": "39.9042,116.4074"}
    assert _hits(_request(body=b"lat=39.9042&lng=116.4074"), profile) == [
        ("location_precise", "plain", "body")
    ]
    assert _hits(_request(body=b"lat=39.9042&lng=121.4737"), profile) == []
    assert _hits(_request(body=b"lat=39.90421&lng=116.4074"), profile) == []


def test_encodings_are_unique_and_not_too_short() -> None:
    needles = [n for _name, n, _a in encodings(MAC)]
    assert len(needles) == len(set(needles)) and all(len(n) >= 4 for n in needles)


def test_the_join_places_calls_in_phases_and_counts_the_busiest_window() -> None:
    calls = [
        ApiEvent(
            line=i + 2,
            t=500 + i * 1000,
            api="android.telephony.TelephonyManager.getDeviceId",
            pi_type="imei",
            stack=("com.example.app.Main.onCreate",),
        )  # fmt: skip
        for i in range(15)
    ]
    trace = Trace(
        name="t.jsonl",
        api=tuple(calls),
        consent=(ConsentEvent(1, 0, "shown"), ConsentEvent(20, 10_000, "accepted")),
        lifecycle=(LifecycleEvent(30, 12_000, "background"),),
        net=(NetRequest(index=40, t=3000, host="api.example.com", url=f"https://api.example.com/?i={IMEI}"),),
    )  # fmt: skip
    result = analyse_runtime(trace, (), {"imei": IMEI}, "com.example.app")
    phases = [p.phase for p in result.api]
    assert phases.count("before_consent") == 10 and phases.count("after_accept") == 5
    assert [p.background for p in result.api][-3:] == [True, True, True]
    (freq,) = result.frequencies
    assert (freq.count, freq.max_in_window, freq.window_ms) == (15, 15, 60_000)
    (match,) = result.matches
    assert (match.party, match.phase, match.encoding) == ("app", "before_consent", "plain")
    assert result.first_accept == 10_000 and result.first_decline is None
