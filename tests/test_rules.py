"""Rules as pure functions over hand-built evidence."""

from __future__ import annotations

import pytest

from pica.evidence import (
    ApiUse,
    AppInfo,
    ChecklistAnswer,
    EmbeddedPolicy,
    Evidence,
    Permission,
    ReachablePath,
)
from pica.report import Verdict
from pica.rules import RULES, run_rules


def apk_evidence(**kwargs) -> Evidence:
    return Evidence(inputs={"apk": "x.apk"}, app=AppInfo(package="com.example.x"), **kwargs)


def judge(item: str, evidence: Evidence):
    return next(f for f in run_rules(evidence) if f.item_id == item)


def test_all_31_rules_registered_and_never_raise_on_empty_evidence() -> None:
    findings = run_rules(Evidence(inputs={"apk": "x.apk"}))
    assert len(findings) == 31 == len(RULES)
    assert not [f for f in findings if "could not be evaluated" in f.reason]


@pytest.mark.parametrize(
    "policies, verdict",
    [
        ((), Verdict.VIOLATION),
        ((EmbeddedPolicy("url", "https://x.example/privacy.html", "", "s"),), Verdict.INCONCLUSIVE),
        ((EmbeddedPolicy("mention", "@string/p", "《隐私政策》", "s"),), Verdict.INCONCLUSIVE),
    ],
)
def test_1_1_from_the_apk(policies, verdict) -> None:
    assert judge("1.1", apk_evidence(embedded_policies=policies)).verdict is verdict


def test_checklist_answer_settles_any_item() -> None:
    answers = (
        ChecklistAnswer("1.3", "fail", "6 taps from home to policy", "checklist.yaml:3"),
        ChecklistAnswer("6.4", "pass", "account gone after 2 days", "checklist.yaml:9"),
    )
    evidence = apk_evidence(checklist=answers)
    assert judge("1.3", evidence).verdict is Verdict.VIOLATION
    assert "6 taps" in judge("1.3", evidence).reason
    assert judge("6.4", evidence).verdict is Verdict.COMPLIANT
    assert judge("3.4", evidence).verdict is Verdict.MANUAL


def _location_app(category: str) -> Evidence:
    perm = Permission(
        "android.permission.ACCESS_FINE_LOCATION", "dangerous", ("location_precise",), "m"
    )
    use = ApiUse("location_precise", "android.location.LocationManager.getLastKnownLocation",
                 "com.example.x.Map", "show()V", "classes.dex", 16, "src")  # fmt: skip
    return apk_evidence(category=category, permissions=(perm,), api_uses=(use,))


def test_4_1_compliant_when_pi_is_necessary_and_violation_when_not() -> None:
    assert judge("4.1", _location_app("map_navigation")).verdict is Verdict.COMPLIANT
    finding = judge("4.1", _location_app("input_method"))
    assert finding.verdict is Verdict.VIOLATION
    assert any("Map.show" in c.logical or "ACCESS_FINE_LOCATION" in c.text for c in finding.cites)


def _path(gated: str | None, confidence: str = "high") -> ReachablePath:
    return ReachablePath(
        kind="api",
        target="android.telephony.TelephonyManager.getDeviceId",
        entry_point="com.example.x.App.onCreate",
        path=("com.example.x.App.onCreate", "android.telephony.TelephonyManager.getDeviceId"),
        confidence=confidence,
        hop_kinds=("direct",),
        pi_type="imei",
        gated_by=gated,
    )


def test_3_1_violation_only_for_ungated_paths() -> None:
    assert judge("3.1", apk_evidence(reachable=(_path(None),))).verdict is Verdict.VIOLATION
    gated = judge("3.1", apk_evidence(reachable=(_path('getBoolean("agreed")'),)))
    assert gated.verdict is Verdict.INCONCLUSIVE
    assert judge("3.1", apk_evidence(reachable=())).verdict is Verdict.INCONCLUSIVE
    assert judge("3.1", apk_evidence()).verdict is Verdict.INCONCLUSIVE  # not analysed


def test_3_1_confidence_is_that_of_the_strongest_path() -> None:
    finding = judge("3.1", apk_evidence(reachable=(_path(None, "low"), _path(None, "medium"))))
    assert finding.confidence == "medium"


def test_3_1_only_long_class_hierarchy_guesses_stay_inconclusive() -> None:
    finding = judge("3.1", apk_evidence(reachable=(_path(None, "low"),)))
    assert finding.verdict is Verdict.INCONCLUSIVE
    assert "over-approximates" in finding.reason
    assert finding.cites  # the possible path is still shown


def test_4_1_ignores_wrappers_in_bundled_libraries() -> None:
    wrapper = ApiUse("imei", "android.telephony.TelephonyManager.getDeviceId",
                     "androidx.core.telephony.TelephonyManagerCompat", "getImei()V",
                     "classes.dex", 8, "src", library="jetpack_core")  # fmt: skip
    evidence = apk_evidence(category="news", api_uses=(wrapper,))
    assert judge("4.1", evidence).verdict is Verdict.COMPLIANT
    own = ApiUse("imei", "android.telephony.TelephonyManager.getDeviceId",
                 "com.example.x.Login", "go()V", "classes.dex", 8, "src")  # fmt: skip
    assert judge("4.1", apk_evidence(category="news", api_uses=(own,))).verdict is Verdict.VIOLATION
