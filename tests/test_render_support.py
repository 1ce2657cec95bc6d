"""Shared builders for the renderer tests (no tests here).

``build_report()`` is a hand-built report on all 31 items covering every verdict, cites with
and without call paths, SDKs, PI by party and permissions. ``build_report(hostile=True)``
puts attack strings into every field that comes from inputs, to test escaping.

The item titles come from pica's rule catalog when its data file is present, and otherwise
from the small stand-in below (ids and category titles of the 2019 regulation; item titles
abbreviated), so the renderers can be tested on their own.
"""

from __future__ import annotations

from pica.knowledge import RuleItem
from pica.report import Cite, Finding, Report, Verdict

ITEM_IDS = (
    [f"1.{i}" for i in range(1, 5)]
    + [f"2.{i}" for i in range(1, 5)]
    + [f"3.{i}" for i in range(1, 10)]
    + [f"4.{i}" for i in range(1, 7)]
    + [f"5.{i}" for i in range(1, 4)]
    + [f"6.{i}" for i in range(1, 6)]
)

_CATEGORIES = {
    1: ("未公开收集使用规则", "Collection and use rules not published"),
    2: ("未明示收集使用个人信息的目的、方式和范围", "Purpose, means and scope not stated"),
    3: ("未经用户同意收集使用个人信息", "Collection and use without consent"),
    4: ("违反必要原则，收集与其提供的服务无关的个人信息", "Necessity principle violated"),
    5: ("未经同意向他人提供个人信息", "PI provided to others without consent"),
    6: (
        "未按法律规定提供删除或更正个人信息功能或未公布投诉、举报方式等信息",
        "No deletion/correction; no complaint channel",
    ),
}

SCRIPT = "<script>alert(1)</script>"
IMG = '"><img src=x onerror=alert(1)>'
JS_URL = "javascript:alert(1)"
MD_ATTACK = "a|b `code` [x](javascript:alert(1)) *em* <b>bold</b>"
HOSTILE = f"{SCRIPT}{IMG}{MD_ATTACK}"


def stand_in_catalog() -> dict[str, RuleItem]:
    return {
        item_id: RuleItem(
            id=item_id,
            category=int(item_id.split(".")[0]),
            category_title_zh=_CATEGORIES[int(item_id.split(".")[0])][0],
            category_title_en=_CATEGORIES[int(item_id.split(".")[0])][1],
            title_zh=f"条目{item_id}",
            title_en=f"Item {item_id}",
            evidence_kinds=("APK",),
            manual_test=f"Manual test for {item_id}",
            fix=f"Fix for {item_id}",
        )
        for item_id in ITEM_IDS
    }


def catalog() -> dict[str, RuleItem]:
    """pica's rule catalog if its data file exists, else the stand-in."""
    from pica.knowledge import rule_catalog

    try:
        return dict(rule_catalog())
    except FileNotFoundError:
        return stand_in_catalog()


# verdict per item: every verdict appears; 3 violations, 1 compliant, 2 n/a, 6 manual
VERDICTS = {item_id: Verdict.INCONCLUSIVE for item_id in ITEM_IDS}
VERDICTS.update(
    {
        "1.1": Verdict.COMPLIANT,
        "3.1": Verdict.VIOLATION,
        "4.1": Verdict.VIOLATION,
        "5.1": Verdict.VIOLATION,
        "3.6": Verdict.NOT_APPLICABLE,
        "5.3": Verdict.NOT_APPLICABLE,
        "1.3": Verdict.MANUAL,
        "3.5": Verdict.MANUAL,
        "6.1": Verdict.MANUAL,
        "6.2": Verdict.MANUAL,
        "6.3": Verdict.MANUAL,
        "6.4": Verdict.MANUAL,
    }
)

PATH_3_1 = (
    "com.example.shop.ShopApp.onCreate",
    "com.example.shop.ShopApp.initSdks",
    "com.igexin.sdk.PushManager.initialize",
    "android.telephony.TelephonyManager.getDeviceId",
)
PATH_5_1 = (
    "com.umeng.commonsdk.UMConfigureProvider.onCreate",
    "com.umeng.commonsdk.UMConfigure.init",
    "android.provider.Settings$Secure.getString",
)


def _finding(item_id: str, h: str) -> Finding:
    verdict = VERDICTS[item_id]
    cites: tuple[Cite, ...] = ()
    missing: tuple[str, ...] = ()
    manual = ""
    if item_id == "3.1":
        cites = (
            Cite(
                text=f"IMEI read before any UI by Getui {h}",
                source=f"classes2.dex@0x1f3a {h}",
                artifact="classes2.dex" if not h else JS_URL,
                logical="com.igexin.sdk.PushManager.initialize" + h,
                path=PATH_3_1 + ((h,) if h else ()),
            ),
            Cite(
                text="Application class declared",
                source="AndroidManifest.xml <application>",
                artifact="AndroidManifest.xml",
                logical="application",
            ),
        )
    elif item_id == "5.1":
        cites = (
            Cite(
                text="Umeng reads Android ID from an auto-init provider",
                source="classes.dex@0x4410",
                artifact="classes.dex",
                logical="com.umeng.commonsdk.UMConfigure.init",
                path=PATH_5_1,
            ),
        )
    elif item_id == "4.1":
        cites = (
            Cite(
                text=f"READ_CONTACTS requested, not necessary for online shopping {h}",
                source="AndroidManifest.xml uses-permission",
                artifact="AndroidManifest.xml",
                logical="uses-permission android.permission.READ_CONTACTS",
            ),
        )
    elif item_id == "1.1":
        cites = (
            Cite(
                text="Privacy policy shipped in assets",
                source="assets/privacy.html",
                artifact="assets/privacy.html",
            ),
        )
    if verdict is Verdict.INCONCLUSIVE:
        missing = ("policy", "trace" + h)
    if verdict is Verdict.MANUAL:
        manual = f"Open the app and try to cancel the account {h}".strip()
    return Finding(
        item_id=item_id,
        verdict=verdict,
        reason=f"Reason for {item_id} {h}".strip(),
        cites=cites,
        missing=missing,
        manual_test=manual,
        fix=f"Fix {item_id} {h}".strip() if verdict is Verdict.VIOLATION else "",
        evidence_kind="static" if cites else "none",
        confidence="medium" if item_id == "3.1" else "",
    )


def build_report(hostile: bool = False, ids: list[str] | None = None) -> Report:
    h = HOSTILE if hostile else ""
    app = {
        "package": "com.example.shop" + h,
        "version_name": "2.3.1" + h,
        "version_code": "231",
        "min_sdk": 21,
        "target_sdk": 33,
        "label": ("示例商城" + h) if hostile else "示例商城",
        "application_class": "com.example.shop.ShopApp",
        "file_name": "shop.apk" if not hostile else JS_URL,
        "sha256": "ab" * 32,
        "size": 123456,
        "dex_files": ["classes.dex", "classes2.dex"],
        "class_count": 5000,
        "method_count": 40000,
        "developer": "杭州示例网络科技有限公司" + h,
        "signer": {
            "scheme": "v2",
            "subject": {"CN": "张伟" + h, "O": "杭州示例网络科技有限公司" + h, "C": "CN"},
            "issuer": {"CN": "张伟" + h, "O": "杭州示例网络科技有限公司" + h, "C": "CN"},
            "serial": "ff0070ce48769347",
            "not_before": "2026-12-07T11:20:47Z",
            "not_after": "2054-04-24T11:20:47Z",
            "sha256": "cd" * 32,
            "source": "APK Signing Block (v2)",
            "note": None,
        },
    }
    sdks = [
        {
            "id": "getui",
            "name": "Getui Push" + h,
            "name_zh": "个推" + h,
            "vendor": "每日互动 Getui" + h,
            "category": "push",
            "chinese": True,
            "signals": ["code: com.igexin" + h, "component: com.igexin.sdk.PushService"],
            "pi_types": ["imei", "android_id"],
            "reached_pi": ["android_id", "imei"],
            "policy_url": JS_URL if hostile else "https://docs.getui.com/privacy/",
        },
        {
            "id": "umeng",
            "name": "Umeng Analytics",
            "name_zh": "友盟统计",
            "vendor": "友盟+",
            "category": "analytics",
            "chinese": True,
            "signals": ["code: com.umeng", "domain: ulogs.umeng.com"],
            "pi_types": ["android_id"],
            "reached_pi": ["android_id"],
            "policy_url": None,
        },
    ]
    pi_by_party = {
        "app": {"contacts": ["com.example.shop.Invite.load (classes.dex@0x10)" + h]},
        "个推 Getui Push" + h: {
            "imei": ["com.igexin.b.a.c (classes2.dex@0x1f3a)"],
            "android_id": ["com.igexin.b.a.d (classes2.dex@0x1f90)"],
        },
        "友盟统计 Umeng Analytics": {"android_id": ["com.umeng.commonsdk.UMConfigure.init"]},
    }
    permissions = [
        {
            "name": "android.permission.READ_PHONE_STATE",
            "protection": "dangerous",
            "pi_types": ["imei", "phone_number"],
            "source": "AndroidManifest.xml uses-permission[3]",
            "max_sdk": None,
        },
        {
            "name": "android.permission.READ_CONTACTS" + h,
            "protection": "dangerous",
            "pi_types": ["contacts"],
            "source": "AndroidManifest.xml uses-permission[4]" + h,
            "max_sdk": None,
        },
        {
            "name": "android.permission.INTERNET",
            "protection": "normal",
            "pi_types": [],
            "source": "AndroidManifest.xml uses-permission[1]",
            "max_sdk": None,
        },
    ]
    inputs = [
        {"kind": "apk", "name": app["file_name"], "sha256": "ab" * 32, "size": 123456},
        {"kind": "policy", "name": "policy.html" + h},
    ]
    findings = [_finding(item_id, h) for item_id in (ids if ids is not None else ITEM_IDS)]
    return Report(
        tool_version="0.1.0",
        generated_at="2024-05-01T12:00:00Z",
        inputs=inputs,
        findings=findings,
        app=app,
        category={
            "id": "online_shopping",
            "number": 5,
            "name_zh": "网络购物类",
            "name_en": "Online shopping",
        },
        permissions=permissions,
        sdks=sdks,
        pi_by_party=pi_by_party,
        policy={"location": "policy.html" + h, "statements": 42},
        stats={"seconds": 1.25, "api_call_sites" + h: 17},
    )
