"""The app type proposed without --category (pica.analysis.category) and item 4.1 judged
against it: real APKs, hand-built evidence for several types, the report block."""

from __future__ import annotations

import json
import math
import random

import jsonschema
import pytest
from conftest import APKS, androguard_quiet

from pica import knowledge
from pica.analysis.apk import analyse_apk
from pica.analysis.category import propose_category
from pica.audit import build_report, gather
from pica.evidence import (
    ApiUse,
    AppInfo,
    CategoryProposal,
    ChecklistAnswer,
    Component,
    Evidence,
    Permission,
    SdkPresence,
)
from pica.extract.apk import extract
from pica.extract.policy import extract_text
from pica.render import render, schema
from pica.report import Verdict
from pica.rules import run_rules

THRESHOLD = knowledge.app_type_signals().threshold


def perm(short: str) -> Permission:
    name = short if "." in short else f"android.permission.{short}"
    info = knowledge.permissions().get(name)
    protection = info.protection if info else "normal"
    pi = info.pi_types if info else ()
    return Permission(name, protection, pi, f"AndroidManifest.xml uses-permission {name}")


def sdk(sdk_id: str) -> SdkPresence:
    """A detected SDK as analysis.sdks reports it, from the catalog entry."""
    from pica.knowledge.sdks import catalog_by_id

    e = catalog_by_id()[sdk_id]
    return SdkPresence(
        sdk_id=e.id,
        name=e.name_en,
        name_zh=e.name_zh,
        vendor=e.vendor,
        category=e.category,
        chinese=e.chinese,
        signals=(f"code: {e.code_signatures[0] if e.code_signatures else e.id}",),
    )


def ime_service(name: str = "com.example.keys.KeyboardService") -> Component:
    return Component(
        "service",
        name,
        True,
        "AndroidManifest.xml service[0]",
        actions=("android.view.InputMethod",),
    )


def propose(
    label=None, package="com.example.app", components=(), sdks=(), permissions=(), policy=None
):
    app = AppInfo(package=package, label=label, file_name="app.apk")
    return propose_category(app, components, sdks, permissions, policy)


def judge_4_1(evidence: Evidence):
    return next(f for f in run_rules(evidence) if f.item_id == "4.1")


def apk_evidence(app: AppInfo, **kwargs) -> Evidence:
    return Evidence(inputs={"apk": app.file_name or "app.apk"}, app=app, **kwargs)


# ------------------------------------------------------------------ the real APKs
# None of these is a store app of any of the 39 types, so none should be assumed: the
# test apps carry no name, SDK or component of a type; the ones that do carry one carry one.
REAL = {
    # ApiDemos demonstrates every API: one device-admin receiver (security, 0.75) and a
    # wallpaper/camera permission spread thin over many types.
    "ApiDemos-debug.apk": ("security_management", "DEVICE_ADMIN_ENABLED"),
    # A banking demo: label and package both say "bank", one name, counted once (0.24).
    "InsecureBank.apk": ("mobile_banking", 'label "InsecureBank" contains bank'),
    # Appium Settings declares three input-method services (it types for test scripts).
    "settings_apk-debug.apk": ("input_method", "android.view.InputMethod"),
    # FlowDroid's test apps: nothing at all.
    "ReturnParameterTest.apk": (None, None),
    **{f"SourceToSink{i}.apk": (None, None) for i in range(1, 7)},
}


@pytest.mark.parametrize("apk", sorted(REAL))
def test_real_apks_are_never_assumed(apk):
    androguard_quiet()
    facts = extract(APKS / apk)
    derived = analyse_apk(facts, reachability=False)
    proposal = propose_category(facts.app, facts.components, derived.sdks, facts.permissions, None)
    expected, signal = REAL[apk]
    if expected is None:
        assert proposal is None
        return
    assert proposal is not None and proposal.category == expected
    assert not proposal.confident and proposal.confidence < 0.3
    assert any(signal in s.text for s in proposal.signals)


def test_insecurebank_report_names_the_guess_and_4_1_stays_inconclusive():
    evidence = gather(apk=APKS / "InsecureBank.apk", reachability=False)
    p = evidence.category_proposal
    assert p is not None and (p.category, p.confidence) == ("mobile_banking", 0.24)
    assert p.runner_up is None and len(p.signals) == 1  # one word, written twice, one signal
    report = build_report(evidence)
    block = report.category_proposal
    assert block["id"] == "mobile_banking" and block["number"] == 24 and not block["used"]
    assert block["threshold"] == THRESHOLD and block["signals"][0]["kind"] == "name"
    finding = next(f for f in report.findings if f.item_id == "4.1")
    assert finding.verdict is Verdict.INCONCLUSIVE
    assert "手机银行类" in finding.reason and "0.24" in finding.reason
    assert "--category" in finding.reason and any("--category" in m for m in finding.missing)
    assert any("InsecureBank" in c.text for c in finding.cites)


def test_category_given_means_no_proposal():
    evidence = gather(apk=APKS / "InsecureBank.apk", category="online_payment", reachability=False)
    assert evidence.category_proposal is None
    report = build_report(evidence)
    assert report.category_proposal is None and report.category["id"] == "online_payment"
    finding = next(f for f in report.findings if f.item_id == "4.1")
    assert "assumed" not in finding.reason and finding.confidence == "medium"


# ------------------------------------------------------------------ constructed evidence
MAP_APP = dict(
    label="小鹿地图",
    package="com.example.xiaolu",
    sdks=(sdk("amap"),),
    permissions=(perm("ACCESS_FINE_LOCATION"), perm("ACCESS_BACKGROUND_LOCATION")),
)


def test_map_app_with_amap_and_location_is_map_navigation():
    p = propose(**MAP_APP)
    assert p.category == "map_navigation" and p.confident
    assert p.runner_up == "ride_hailing"  # AMap and location point there too, less
    texts = [s.text for s in p.signals]
    assert 'label "小鹿地图" contains 地图' in texts
    assert any(t.startswith("SDK amap (maps_location)") for t in texts)
    assert "permission android.permission.ACCESS_FINE_LOCATION" in texts
    assert p.score == pytest.approx(2.5 + 1.0 + 1.0)  # name, SDK, permissions (capped)


def test_confidence_is_the_best_types_share():
    p = propose(**MAP_APP)
    scores = _all_scores(MAP_APP)
    assert scores[p.category] == p.score and scores[p.runner_up] == p.runner_up_score
    total = sum(math.exp(s) for s in scores.values())
    assert p.confidence == round(math.exp(p.score) / total, 2)
    assert p.runner_up_confidence == round(math.exp(p.runner_up_score) / total, 2)


def _all_scores(kwargs) -> dict[str, float]:
    """Every type's score, recomputed with the module's own parts."""
    from pica.analysis import category as mod

    app = AppInfo(package=kwargs["package"], label=kwargs["label"], file_name="app.apk")
    scoring = knowledge.app_type_signals()
    places = mod._places(app, None, scoring.weights)
    result = {}
    for type_id, spec in scoring.types.items():
        signals = mod._name_signals(spec, places) + mod._sdk_signals(spec, kwargs["sdks"])
        signals += mod._permission_signals(spec, kwargs["permissions"])
        result[type_id] = mod._score(signals, scoring.caps)
    return result


@pytest.mark.parametrize(
    "kwargs, expected",
    [
        # food delivery: names (外卖; 饿了么, a brand of the type), a payment SDK and the policy
        (
            dict(
                label="饿了么外卖",
                package="me.ele",
                sdks=(sdk("alipay_sdk"),),
                policy=extract_text(
                    "隐私政策\n骑手配送外卖时需要您的配送地址。骑手会联系您。\n"
                    "配送地址可在设置中修改。",
                    name="p.txt",
                ),
            ),
            "food_delivery",
        ),
        # a game: no name at all, but a game engine, a game SDK and the policy's words
        (
            dict(
                label="三国志战略",
                package="com.example.sgz",
                sdks=(sdk("unity"), sdk("sdk_gcloudvoice")),
                policy=extract_text(
                    "隐私政策\n玩家须实名认证并受防沉迷限制。防沉迷系统会限制未成年"
                    "玩家的游戏时长。",
                    name="p.txt",
                ),
            ),
            "online_games",
        ),
        # an input method: its name and its IME service
        (
            dict(label="小鹿输入法", package="com.example.shurufa", components=(ime_service(),)),
            "input_method",
        ),
        # mobile banking: the name (label and package: one name) and two banking SDKs
        (
            dict(
                label="小鹿银行",
                package="com.example.bank.mobile",
                sdks=(sdk("cfca"), sdk("sdk_ytkeyboard")),
            ),
            "mobile_banking",
        ),
        # fitness: the name and the activity-recognition and body-sensor permissions
        (
            dict(
                label="小鹿运动",
                package="com.example.yundong",
                permissions=(perm("ACTIVITY_RECOGNITION"), perm("BODY_SENSORS")),
            ),
            "fitness",
        ),
        # live streaming: the name and Tencent's live SDK
        (
            dict(label="小鹿直播", package="com.example.live", sdks=(sdk("sdk_saturn"),)),
            "live_streaming",
        ),
        # music: the name and a media-browser service
        (
            dict(
                label="Deer Music",
                package="com.example.deermusic",
                components=(
                    Component(
                        "service",
                        "com.example.deermusic.PlaybackService",
                        True,
                        "s",
                        actions=("android.media.browse.MediaBrowserService",),
                    ),
                ),
            ),
            "online_audio_video",
        ),
    ],
)
def test_constructed_apps_of_several_types(kwargs, expected):
    p = propose(**kwargs)
    assert p is not None and p.category == expected, (p.category, p.signals)
    assert p.confident, (p.confidence, p.signals)
    assert len({s.kind for s in p.signals}) >= 2  # never one kind of evidence alone


def test_a_name_alone_is_a_guess_not_an_assumption():
    p = propose(label="小鹿地图", package="com.example.xiaolu")
    assert p.category == "map_navigation" and p.confidence == 0.24 and not p.confident


def test_one_kind_alone_never_clears_the_threshold():
    n = len(knowledge.app_categories())
    for kind, cap in knowledge.app_type_signals().caps.items():
        assert math.exp(cap) / (math.exp(cap) + n - 1) < THRESHOLD, kind
    # the strongest names there are: four map names in label, package and policy title
    policy = extract_text("高德地图导航隐私政策\n正文。", name="p.txt")
    p = propose(label="高德地图 北斗导航", package="com.autonavi.minimap", policy=policy)
    assert p.category == "map_navigation" and not p.confident


def test_no_signal_no_proposal_and_4_1_says_what_was_searched():
    app = AppInfo(package="com.example.notes", label="Notes", file_name="notes.apk")
    assert propose_category(app, (), (), (), None) is None
    finding = judge_4_1(apk_evidence(app))
    assert finding.verdict is Verdict.INCONCLUSIVE
    assert "nothing in the APK or policy points to any of the 39 types" in finding.reason
    (searched,) = finding.searched
    assert "app_type_signals.yaml" in searched.patterns[0] and "package name" in searched.scope


def test_competing_types_lower_the_confidence():
    # 视频 is a word of online audio/video; 短视频 of short video too: the two split the share
    p = propose(label="小鹿短视频", package="com.example.video")
    assert {p.category, p.runner_up} == {"short_video", "online_audio_video"}
    assert not p.confident


def test_policy_alone_can_propose_and_sdk_table_rows_do_not_count():
    policy = extract_text(
        "XX外卖隐私政策\n本政策适用于XX外卖。我们提供餐饮购买及外送服务。\n"
        "在您使用外卖服务时，我们会收集您的收货人姓名、配送地址和联系电话，用于骑手送餐。\n"
        "我们会将您的配送地址提供给骑手，以便完成外卖订单的配送。\n第三方SDK列表\n"
        "SDK名称：高德地图SDK；使用目的：导航、定位；收集个人信息：位置信息\n"
        "SDK名称：高德导航SDK；使用目的：为骑手提供导航；收集个人信息：位置信息\n",
        name="policy.txt",
    )
    assert policy.profile.sdk_rows  # the table was read…
    p = propose_category(None, (), (), (), policy)
    assert p.category == "food_delivery" and p.confident
    assert 'policy title "XX外卖隐私政策" contains 外卖' in [s.text for s in p.signals]
    assert p.runner_up is None  # …and its 导航 (three times) did not make a map app
    # with no APK 4.1 is not judged, whatever the proposal
    evidence = Evidence(inputs={"policy": "policy.txt"}, policy=policy, category_proposal=p)
    assert judge_4_1(evidence).verdict is Verdict.INCONCLUSIVE
    assert build_report(evidence).category_proposal["used"] is False


@pytest.mark.parametrize(
    "package, label, expected",
    [
        ("com.baidu.BaiduMap", None, "map"),  # camelCase part
        ("com.autonavi.minimap", None, "autonavi"),  # a 3-letter word must be a whole token
        ("com.tencent.qqlive", None, None),  # "=live": qqlive (Tencent Video) is not live
        ("com.example.x", "Example", None),  # "=exam" does not match example
        ("com.example.cloudmusic", None, "music"),  # a longer word may end a token
    ],
)
def test_name_matching_rules(package, label, expected):
    p = propose(label=label, package=package)
    names = [s.text for s in p.signals if s.kind == "name"] if p else []
    if expected is None:
        assert p is None or p.category not in ("live_streaming", "education"), names
    else:
        assert any(t.endswith(f"contains {expected}") for t in names), names


def test_deterministic_whatever_the_input_order():
    kwargs = dict(MAP_APP)
    first = propose(**kwargs)
    rng = random.Random(7)
    for _ in range(5):
        perms = list(kwargs["permissions"])
        rng.shuffle(perms)
        again = propose(**{**kwargs, "permissions": tuple(perms)})
        assert again == first


# ------------------------------------------------------------------ 4.1 against the proposal
def _map_evidence(**extra) -> Evidence:
    app = AppInfo(package=MAP_APP["package"], label=MAP_APP["label"], file_name="xiaolu.apk")
    p = propose_category(app, (), MAP_APP["sdks"], MAP_APP["permissions"], None)
    return apk_evidence(
        app, sdks=MAP_APP["sdks"], permissions=MAP_APP["permissions"], category_proposal=p, **extra
    )


def test_4_1_compliant_against_an_assumed_music_type():
    app = AppInfo(package="com.example.deermusic", label="Deer Music", file_name="deer.apk")
    service = Component(
        "service",
        "com.example.deermusic.PlaybackService",
        True,
        "manifest",
        actions=("android.media.browse.MediaBrowserService",),
    )
    p = propose_category(app, (service,), (), (), None)
    finding = judge_4_1(apk_evidence(app, components=(service,), category_proposal=p))
    assert finding.verdict is Verdict.COMPLIANT  # reaches no PI; the type needs none
    assert finding.reason.startswith("Judged against the assumed type 在线影音类")
    assert "give --category to override" in finding.reason and "≥ 0.50" in finding.reason
    assert finding.confidence == "low"
    assert any(c.text.startswith('app type signal: label "Deer Music"') for c in finding.cites)
    assert any("MediaBrowserService" in c.text for c in finding.cites)


def test_4_1_violation_against_the_assumed_map_type():
    contacts = ApiUse(
        "contacts",
        "android.content.ContentResolver.query",
        "com.example.xiaolu.Share",
        "invite()V",
        "classes.dex",
        32,
        "src",
    )
    finding = judge_4_1(_map_evidence(api_uses=(contacts,)))
    assert finding.verdict is Verdict.VIOLATION
    assert finding.reason.startswith("Judged against the assumed type 地图导航类")
    assert "Contacts" in finding.reason and "give --category to override" in finding.reason
    assert any(c.text == 'app type signal: label "小鹿地图" contains 地图' for c in finding.cites)
    assert finding.confidence == "low"
    assert any("Share.invite" in c.logical for c in finding.cites)
    assert any(c.text.startswith("app type signal: SDK amap") for c in finding.cites)


def test_category_overrides_a_confident_proposal():
    evidence = _map_evidence()
    assert evidence.category_proposal.confident
    evidence.category = "input_method"  # --category: location is not necessary there
    finding = judge_4_1(evidence)
    assert finding.verdict is Verdict.VIOLATION
    assert "输入法类" in finding.reason and "assumed" not in finding.reason
    assert finding.confidence == "medium"


def test_a_checklist_answer_settles_4_1_and_the_proposal_is_not_used():
    evidence = _map_evidence(
        checklist=(ChecklistAnswer("4.1", "pass", "location is the basic function", "c.yaml:1"),)
    )
    assert judge_4_1(evidence).evidence_kind == "checklist"
    report = build_report(evidence)
    assert report.category_proposal["used"] is False
    assert "Not used" in render(report, "html").decode()
    assert "未采用 Not used" in render(report, "md").decode()


# ------------------------------------------------------------------ the report
def _validator() -> jsonschema.Draft202012Validator:
    return jsonschema.Draft202012Validator(schema(), format_checker=jsonschema.FormatChecker())


def test_report_block_validates_and_shows_in_every_format():
    report = build_report(_map_evidence())
    block = report.category_proposal
    assert block["used"] is True and block["id"] == "map_navigation" and block["number"] == 1
    assert block["runner_up"]["id"] == "ride_hailing" and block["runner_up"]["signals"]
    doc = json.loads(render(report, "json"))
    _validator().validate(doc)
    keys = list(doc)
    assert keys.index("category_proposal") == keys.index("category") + 1
    html = render(report, "html").decode()
    assert "假定类型" in html and "Assumed type" in html and "小鹿地图" in html
    md = render(report, "md").decode()
    assert "假定类型 Assumed type: 地图导航类 / Map and navigation (map\\_navigation)" in md
    assert f"≥ {THRESHOLD}" in md


def test_report_block_below_threshold_validates_and_says_not_assumed():
    app = AppInfo(package="com.example.xiaolu", label="小鹿地图", file_name="xiaolu.apk")
    evidence = apk_evidence(app, category_proposal=propose_category(app, (), (), (), None))
    report = build_report(evidence)
    doc = json.loads(render(report, "json"))
    _validator().validate(doc)
    assert (
        doc["category_proposal"]["used"] is False and doc["category_proposal"]["runner_up"] is None
    )
    assert "Not assumed: confidence below threshold" in render(report, "html").decode()
    assert "未假定 Not assumed" in render(report, "md").decode()


def test_schema_rejects_a_broken_block():
    doc = json.loads(render(build_report(_map_evidence()), "json"))
    bad = json.loads(json.dumps(doc))
    bad["category_proposal"]["confidence"] = 1.5
    assert not _validator().is_valid(bad)
    bad = json.loads(json.dumps(doc))
    del bad["category_proposal"]["used"]
    assert not _validator().is_valid(bad)


def test_proposal_is_a_frozen_fact():
    p = propose(**MAP_APP)
    assert isinstance(p, CategoryProposal)
    with pytest.raises(AttributeError):
        p.confidence = 1.0  # type: ignore[misc]


def test_a_hostile_label_is_escaped_in_the_proposal():
    app = AppInfo(
        package="com.example.x", label="<script>alert(1)</script>地图|*x*", file_name="x.apk"
    )
    evidence = apk_evidence(app, category_proposal=propose_category(app, (), (), (), None))
    report = build_report(evidence)
    html = render(report, "html").decode()
    assert "<script>alert(1)" not in html and "&lt;script&gt;alert(1)" in html
    md = render(report, "md").decode()
    assert "<script>" not in md and "\\|\\*x\\*" in md
