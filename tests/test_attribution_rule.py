"""Attribution by evidence, first step (issue 19, point 1): which rule attributed each call
site, and "unattributed" kept apart from the app, on the constructed fixtures' real layouts."""

from __future__ import annotations

from functools import cache

from conftest import CONSTRUCTED

from pica.analysis.apk import ApkAnalysis, analyse_apk
from pica.analysis.sdks import app_packages, attribute_call_sites, sdk_for_class
from pica.audit import build_report, gather
from pica.evidence import Party
from pica.extract.apk import extract


@cache
def _analysis(name: str) -> ApkAnalysis:
    return analyse_apk(extract(CONSTRUCTED / name), reachability=False)


def _rules(name: str) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for u in _analysis(name).api_uses:
        out.setdefault(u.attributed_by, set()).add(u.caller_class)
    return out


def test_app_packages_are_the_manifest_application_and_component_packages() -> None:
    facts = extract(CONSTRUCTED / "preconsent.apk")
    own = app_packages(
        facts.app.package, facts.manifest.application_class, [c.name for c in facts.components]
    )
    assert "com.example.picafixture.preconsent" in own
    # the fictional cn.fakepush SDK is not in the catalog: its manifest provider makes its
    # package one of the app's own by this rule (a limit of the rule, stated in the docstring)
    assert "cn.fakepush.sdk" in own
    # a catalog SDK's component never adds its package
    assert app_packages("com.example.app", None, ["com.igexin.sdk.PushService"]) == (
        "com.example.app",
    )


def test_code_outside_the_apps_packages_is_unattributed_not_app() -> None:
    # gated.apk calls the fictional cn.fakepush.sdk, which its manifest does not declare
    rules = _rules("gated.apk")
    assert all(c.startswith("cn.fakepush.sdk.") for c in rules["unattributed"])
    assert rules["unattributed"]
    assert all(c.startswith("com.example.picafixture.gated.") for c in rules.get("app-package", ()))
    for u in _analysis("gated.apk").api_uses:
        if u.attributed_by == "unattributed":
            assert u.party == Party.FIRST and u.sdk is None  # unknown, not a third party


def test_a_catalog_prefix_is_said_to_be_the_rule() -> None:
    uses = _analysis("preconsent.apk").api_uses
    umeng = [u for u in uses if u.caller_class.startswith("com.umeng.")]
    assert umeng and all(u.attributed_by == "prefix" and u.sdk for u in umeng)
    own = [u for u in uses if u.caller_class.startswith("com.example.picafixture.preconsent.")]
    assert own and all(u.attributed_by == "app-package" and u.sdk is None for u in own)


def test_without_app_packages_the_default_stays() -> None:
    uses = extract(CONSTRUCTED / "gated.apk").api_uses
    out = attribute_call_sites(uses, sdk_for_class)
    assert {u.attributed_by for u in out} == {"prefix"}


def test_the_report_keeps_unattributed_apart() -> None:
    report = build_report(gather(CONSTRUCTED / "gated.apk"))
    parties = set(report.pi_by_party) | set(report.present_unreached)
    assert "unattributed" in parties
    sites = [
        site
        for by_type in (
            report.pi_by_party.get("unattributed"),
            report.present_unreached.get("unattributed"),
        )
        if by_type
        for calls in by_type.values()
        for site in calls
    ]
    assert sites and all(s.startswith("cn.fakepush.sdk.") for s in sites)
