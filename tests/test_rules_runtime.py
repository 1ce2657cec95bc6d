"""The items a recording settles (1.2, 3.1, 3.2, 3.4, 3.5, 4.4, 4.6, 5.1), each in a violating
and a compliant variant, on hand-built traces (the replay tests run the same through files)."""

from __future__ import annotations

from pica.analysis.runtime import analyse_runtime
from pica.evidence import (
    ApiEvent,
    ConsentEvent,
    Evidence,
    LifecycleEvent,
    NetRequest,
    PermissionEvent,
    ReachablePath,
    Trace,
    UiEvent,
)
from pica.report import Verdict
from pica.rules import RULES, load_rules

IMEI = "861234567890123"
APP = "com.example.app"
DEVICE_ID = "android.telephony.TelephonyManager.getDeviceId"


def call(t: int, line: int, frame: str = f"{APP}.Main.onCreate") -> ApiEvent:
    return ApiEvent(line=line, t=t, api=DEVICE_ID, pi_type="imei", stack=(frame,),
                    source=f"t.jsonl:{line}")  # fmt: skip


def judge(item: str, trace: Trace, network=(), reachable=None, profile=None):
    load_rules()
    evidence = Evidence(inputs={"trace": "t.jsonl"}, trace=trace, network=tuple(network),
                        device_profile=profile or {}, reachable=reachable)  # fmt: skip
    evidence.runtime = analyse_runtime(trace, evidence.network, evidence.device_profile, APP)
    return RULES[item](evidence)


SHOWN = ConsentEvent(2, 1000, "shown", text="欢迎使用，请阅读隐私政策", checkbox_prechecked=False)
ACCEPT = ConsentEvent(3, 5000, "accepted")
DECLINE = ConsentEvent(3, 5000, "declined")


def test_1_2_collection_before_any_prompt_is_a_violation() -> None:
    bad = judge("1.2", Trace("t", api=(call(500, 1),), consent=(SHOWN, ACCEPT)))
    assert bad.verdict is Verdict.VIOLATION and "500 ms" in bad.reason
    good = judge("1.2", Trace("t", api=(call(6000, 4),), consent=(SHOWN, ACCEPT)))
    assert good.verdict is Verdict.COMPLIANT and "1000 ms" in good.reason


def test_3_1_confirms_or_refutes_the_static_finding() -> None:
    static = (
        ReachablePath(kind="api", target=DEVICE_ID, entry_point=f"{APP}.App.onCreate",
                      path=(f"{APP}.App.onCreate", DEVICE_ID), confidence="high",
                      hop_kinds=("direct",), pi_type="imei"),
    )  # fmt: skip
    bad = judge("3.1", Trace("t", api=(call(500, 1),), consent=(SHOWN, ACCEPT)), reachable=static)
    assert bad.verdict is Verdict.VIOLATION and "confirms the static finding" in bad.reason
    assert bad.cites[0].source == "t.jsonl:1" and bad.evidence_kind == "trace"
    good = judge("3.1", Trace("t", api=(call(6000, 4),), consent=(SHOWN, ACCEPT)), reachable=static)
    assert good.verdict is Verdict.COMPLIANT and "refuted for this run" in good.reason


def test_3_1_counts_a_seeded_identifier_sent_before_consent() -> None:
    request = NetRequest(index=9, t=800, host="api.example.com",
                         url=f"https://api.example.com/init?imei={IMEI}")  # fmt: skip
    trace = Trace("t", consent=(SHOWN, ACCEPT), net=(request,))
    finding = judge("3.1", trace, profile={"imei": IMEI})
    assert finding.verdict is Verdict.VIOLATION and "seeded identifiers" in finding.reason
    assert "in the url as plain" in finding.cites[0].text


def test_3_2_after_decline() -> None:
    bad = judge("3.2", Trace("t", api=(call(7000, 5),), consent=(SHOWN, DECLINE)))
    assert bad.verdict is Verdict.VIOLATION and "after the user declined" in bad.reason
    nagging = Trace("t", consent=(SHOWN, DECLINE, ConsentEvent(6, 60_000, "shown")))
    assert judge("3.2", nagging).verdict is Verdict.VIOLATION
    denied = Trace("t", permissions=(
        PermissionEvent(4, 2000, "requested", ("android.permission.READ_CONTACTS",)),
        PermissionEvent(5, 3000, "denied", ("android.permission.READ_CONTACTS",)),
        PermissionEvent(6, 9000, "requested", ("android.permission.READ_CONTACTS",)),
    ))  # fmt: skip
    assert "requested again" in judge("3.2", denied).reason
    good = judge("3.2", Trace("t", consent=(SHOWN, DECLINE)))
    assert good.verdict is Verdict.COMPLIANT
    assert judge("3.2", Trace("t", consent=(SHOWN, ACCEPT))).verdict is Verdict.INCONCLUSIVE


def test_3_4_prechecked_box() -> None:
    checked = ConsentEvent(2, 1000, "shown", checkbox_prechecked=True)
    assert judge("3.4", Trace("t", consent=(checked,))).verdict is Verdict.VIOLATION
    screen = UiEvent(3, 1000, "ui-001.xml", texts=("我已阅读并同意《隐私政策》",),
                     checked_boxes=("我已阅读并同意《隐私政策》",))  # fmt: skip
    assert judge("3.4", Trace("t", ui=(screen,))).verdict is Verdict.VIOLATION
    assert judge("3.4", Trace("t", consent=(SHOWN,))).verdict is Verdict.COMPLIANT
    assert judge("3.4", Trace("t")).verdict is Verdict.MANUAL


def test_3_5_permission_reset_by_an_update() -> None:
    contacts = ("android.permission.READ_CONTACTS",)
    before = (PermissionEvent(4, 2000, "denied", contacts),)
    update = (LifecycleEvent(5, 10_000, "update"),)
    silently = before + (PermissionEvent(7, 12_000, "granted", contacts),)
    assert (
        judge("3.5", Trace("t", permissions=silently, lifecycle=update)).verdict
        is Verdict.VIOLATION
    )
    asked = before + (PermissionEvent(6, 11_000, "requested", contacts),
                      PermissionEvent(7, 12_000, "granted", contacts))  # fmt: skip
    assert (
        judge("3.5", Trace("t", permissions=asked, lifecycle=update)).verdict is Verdict.COMPLIANT
    )
    assert judge("3.5", Trace("t", permissions=silently)).verdict is Verdict.MANUAL


def test_4_4_frequency() -> None:
    busy = tuple(call(1000 + 500 * i, 10 + i) for i in range(12))  # 12 calls in 6 s
    bad = judge("4.4", Trace("t", api=busy))
    assert bad.verdict is Verdict.VIOLATION and "12 times within 60 s" in bad.reason
    calm = tuple(call(1000 + 30_000 * i, 10 + i) for i in range(12))  # one every 30 s
    assert judge("4.4", Trace("t", api=calm)).verdict is Verdict.COMPLIANT


def test_4_6_bundled_permissions_at_launch() -> None:
    launch = (LifecycleEvent(1, 0, "launch"),)
    bundle = (PermissionEvent(2, 800, "requested", ("android.permission.READ_PHONE_STATE",
              "android.permission.ACCESS_FINE_LOCATION", "android.permission.READ_CONTACTS")),)  # fmt: skip
    bad = judge("4.6", Trace("t", permissions=bundle, lifecycle=launch))
    assert bad.verdict is Verdict.VIOLATION and "3 permissions" in bad.reason
    one = (PermissionEvent(2, 60_000, "requested", ("android.permission.CAMERA",)),)
    assert judge("4.6", Trace("t", permissions=one, lifecycle=launch)).verdict is Verdict.COMPLIANT


def test_5_1_identifier_to_an_sdk_host_before_consent() -> None:
    to_umeng = NetRequest(index=3, t=700, host="alog.umeng.com", url="https://alog.umeng.com/app_logs",
                          body=f'{{"imei":"{IMEI}"}}'.encode())  # fmt: skip
    bad = judge("5.1", Trace("t", consent=(SHOWN, ACCEPT), net=(to_umeng,)), profile={"imei": IMEI})
    assert bad.verdict is Verdict.VIOLATION and "umeng_analytics" in bad.reason
    assert "in the body as plain" in bad.cites[0].text
    later = NetRequest(index=3, t=9000, host="alog.umeng.com", url="https://alog.umeng.com/app_logs",
                       body=f'{{"imei":"{IMEI}"}}'.encode())  # fmt: skip
    after = judge("5.1", Trace("t", consent=(SHOWN, ACCEPT), net=(later,)), profile={"imei": IMEI})
    assert after.verdict is not Verdict.VIOLATION


def test_5_1_a_capture_on_its_own_clock_cannot_place_a_request_before_consent(tmp_path) -> None:
    """A HAR of the same run shows the IMEI sent to Umeng; without the trace's clock, pica says
    what it saw and that the phase is unknown (inconclusive), never compliant."""
    import json

    from pica.audit import audit

    har = {"log": {"version": "1.2", "entries": [{
        "startedDateTime": "2026-12-07T10:00:00.000Z", "time": 20,
        "request": {"method": "POST", "url": "https://alog.umeng.com/app_logs",
                    "httpVersion": "HTTP/1.1", "headers": [], "queryString": [], "cookies": [],
                    "headersSize": -1, "bodySize": 30,
                    "postData": {"mimeType": "application/json", "text": f'{{"imei":"{IMEI}"}}'}},
        "response": {"status": 200, "statusText": "OK", "httpVersion": "HTTP/1.1", "headers": [],
                     "cookies": [], "content": {"size": 0, "mimeType": "text/plain"},
                     "redirectURL": "", "headersSize": -1, "bodySize": 0},
        "cache": {}, "timings": {"send": 0, "wait": 20, "receive": 0}}]}}  # fmt: skip
    (tmp_path / "run.har").write_text(json.dumps(har), encoding="utf-8")
    trace = tmp_path / "t.jsonl"
    trace.write_text(
        '{"v":1,"t":0,"kind":"lifecycle","event":"launch"}\n'
        '{"v":1,"t":1000,"kind":"consent","event":"shown"}\n'
        '{"v":1,"t":4000,"kind":"consent","event":"accepted"}\n',
        encoding="utf-8",
    )
    (tmp_path / "p.json").write_text(json.dumps({"imei": IMEI}), encoding="utf-8")
    report = audit(trace=trace, net=[tmp_path / "run.har"], device_profile=tmp_path / "p.json")
    finding = next(f for f in report.findings if f.item_id == "5.1")
    assert finding.verdict is Verdict.INCONCLUSIVE and "umeng_analytics" in finding.reason
    assert "run.har entry 1" in finding.cites[0].source
    assert {row["kind"] for row in report.inputs} == {"trace", "network", "device_profile"}
