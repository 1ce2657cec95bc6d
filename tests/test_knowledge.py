"""Data-quality tests for the reviewed knowledge files, read through pica.knowledge's loaders."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import pytest

from pica import knowledge
from pica.knowledge import (
    app_categories,
    load_data,
    permissions,
    rule_catalog,
    sensitive_apis,
    taxonomy,
)

# Ids other packages code against: may be added to, never renamed.
CORE_PI_IDS = (
    "imei meid imsi iccid android_id mac_address serial_number oaid advertising_id "
    "location_precise location_coarse wifi_info bluetooth_info cell_info contacts sms call_log "
    "calendar installed_apps running_processes clipboard camera microphone photos_media "
    "phone_number device_accounts id_number bank_card biometrics health sensors real_name email "
    "postal_address user_account transaction_records browsing_history"
).split()

GROUPS = {
    "device_id",
    "location",
    "network",
    "communication",
    "device_usage",
    "media",
    "identity",
    "finance",
    "health",
    "account",
    "behaviour",
}

# Every dangerous (runtime) permission of android.Manifest.permission up to API 35.
DANGEROUS = [
    "android.permission." + p
    for p in (
        "READ_CALENDAR WRITE_CALENDAR READ_CALL_LOG WRITE_CALL_LOG PROCESS_OUTGOING_CALLS CAMERA "
        "READ_CONTACTS WRITE_CONTACTS GET_ACCOUNTS ACCESS_FINE_LOCATION ACCESS_COARSE_LOCATION "
        "ACCESS_BACKGROUND_LOCATION ACCESS_MEDIA_LOCATION RECORD_AUDIO READ_PHONE_STATE "
        "READ_PHONE_NUMBERS CALL_PHONE ANSWER_PHONE_CALLS USE_SIP ACCEPT_HANDOVER BODY_SENSORS "
        "BODY_SENSORS_BACKGROUND ACTIVITY_RECOGNITION SEND_SMS RECEIVE_SMS READ_SMS "
        "RECEIVE_WAP_PUSH RECEIVE_MMS READ_EXTERNAL_STORAGE WRITE_EXTERNAL_STORAGE "
        "READ_MEDIA_IMAGES READ_MEDIA_VIDEO READ_MEDIA_AUDIO READ_MEDIA_VISUAL_USER_SELECTED "
        "BLUETOOTH_SCAN BLUETOOTH_CONNECT BLUETOOTH_ADVERTISE NEARBY_WIFI_DEVICES UWB_RANGING "
        "POST_NOTIFICATIONS"
    ).split()
] + ["com.android.voicemail.permission.ADD_VOICEMAIL"]

RULE_IDS = (
    "1.1 1.2 1.3 1.4 2.1 2.2 2.3 2.4 3.1 3.2 3.3 3.4 3.5 3.6 3.7 3.8 3.9 "
    "4.1 4.2 4.3 4.4 4.5 4.6 5.1 5.2 5.3 6.1 6.2 6.3 6.4 6.5"
).split()

EVIDENCE_KINDS = {"APK", "POLICY", "TRACE", "NET", "UI", "MANUAL", "VERSIONS", "CATEGORY"}
CJK = re.compile(r"[\u4e00-\u9fff]")


# ---------------------------------------------------------------- taxonomy
def test_taxonomy_has_core_ids_and_enough_types():
    tax = taxonomy()
    assert len(tax) >= 30
    assert not set(CORE_PI_IDS) - set(tax)


def test_taxonomy_entries_complete():
    for pid, t in taxonomy().items():
        assert re.fullmatch(r"[a-z][a-z0-9_]*", pid), pid
        assert t.group in GROUPS, (pid, t.group)
        assert CJK.search(t.name_zh), pid
        assert t.name_en.strip(), pid
        assert t.source.strip(), pid
        assert len(t.synonyms_zh) >= 5, pid
        assert len(t.synonyms_en) >= 5, pid
        assert len(t.synonyms_zh) <= 20 and len(t.synonyms_en) <= 20, pid
        assert any(CJK.search(s) for s in t.synonyms_zh), pid


def test_taxonomy_ids_unique_in_file():
    ids = [e["id"] for e in load_data("pi_taxonomy.yaml")["pi_types"]]
    assert len(ids) == len(set(ids))


def test_synonyms_are_specific():
    too_generic = {"信息", "个人信息", "数据", "设备", "设备信息", "information", "data", "device"}
    for pid, t in taxonomy().items():
        for s in (*t.synonyms_zh, *t.synonyms_en):
            assert s.strip() == s and s, (pid, s)
            assert s.lower() not in too_generic, (pid, s)
            assert len(s) >= 2, (pid, s)
        assert len(set(t.synonyms_zh)) == len(t.synonyms_zh), pid
        assert len(set(t.synonyms_en)) == len(t.synonyms_en), pid


def test_synonyms_name_one_type_each():
    owner: dict[str, str] = {}
    clashes = []
    for pid, t in taxonomy().items():
        for s in {x.lower() for x in (*t.synonyms_zh, *t.synonyms_en)}:
            if owner.setdefault(s, pid) != pid:
                clashes.append((s, owner[s], pid))
    assert clashes == []


@pytest.mark.parametrize(
    "pid",
    [
        "id_number",
        "bank_card",
        "biometrics",
        "location_precise",
        "sms",
        "call_log",
        "contacts",
        "health",
        "transaction_records",
        "browsing_history",
    ],
)
def test_gbt35273_sensitive(pid):
    # GB/T 35273-2020 Annex B, Table B.2
    assert taxonomy()[pid].sensitive


@pytest.mark.parametrize(
    "pid", ["android_id", "imei", "oaid", "installed_apps", "location_coarse", "phone_number"]
)
def test_gbt35273_not_sensitive(pid):
    # Table B.1 (personal information) only: device identifiers, software list, coarse location
    assert not taxonomy()[pid].sensitive


def test_synonym_spot_checks():
    tax = taxonomy()
    assert "国际移动设备识别码" in tax["imei"].synonyms_zh
    assert "行踪轨迹" in tax["location_precise"].synonyms_zh
    assert "应用列表" in tax["installed_apps"].synonyms_zh
    assert "IMEI" in tax["imei"].synonyms_en


# ---------------------------------------------------------------- sensitive APIs
def test_enough_sensitive_apis_without_duplicates():
    apis = sensitive_apis()
    assert len(apis) >= 150
    keys = Counter((a.kind, a.class_name, a.member) for a in apis)
    assert [k for k, n in keys.items() if n > 1] == []


def test_sensitive_api_entries_well_formed():
    tax = taxonomy()
    for a in sensitive_apis():
        assert a.kind in {"method", "field", "uri"}, a
        assert a.source.strip(), a
        assert a.pi_types, a
        assert not set(a.pi_types) - set(tax), a
        if a.kind == "uri":
            assert a.class_name == "" and a.member.startswith("content://"), a
        else:
            assert re.fullmatch(r"[a-z][\w]*(\.[\w$]+)+", a.class_name), a
            assert "." not in a.member and a.member, a
            assert re.fullmatch(r"<init>|[A-Za-z_]\w*", a.member), a


def test_sensitive_api_permissions_are_known():
    perms = permissions()
    for a in sensitive_apis():
        if a.permission is not None:
            assert a.permission in perms, a


def test_required_api_coverage():
    have = {(a.kind, a.class_name, a.member) for a in sensitive_apis()}
    required = [
        ("method", "android.telephony.TelephonyManager", "getDeviceId"),
        ("method", "android.telephony.TelephonyManager", "getImei"),
        ("method", "android.telephony.TelephonyManager", "getSubscriberId"),
        ("method", "android.telephony.TelephonyManager", "getSimSerialNumber"),
        ("method", "android.telephony.TelephonyManager", "getLine1Number"),
        ("method", "android.telephony.SubscriptionInfo", "getIccId"),
        ("method", "android.provider.Settings$Secure", "getString"),
        ("method", "android.os.Build", "getSerial"),
        ("field", "android.os.Build", "SERIAL"),
        ("method", "android.net.wifi.WifiInfo", "getMacAddress"),
        ("method", "java.net.NetworkInterface", "getHardwareAddress"),
        ("method", "android.location.LocationManager", "getLastKnownLocation"),
        (
            "method",
            "com.google.android.gms.location.FusedLocationProviderClient",
            "getLastLocation",
        ),
        ("method", "android.content.pm.PackageManager", "getInstalledPackages"),
        ("method", "android.app.ActivityManager", "getRunningAppProcesses"),
        ("method", "android.content.ClipboardManager", "getPrimaryClip"),
        ("method", "android.hardware.Camera", "open"),
        ("method", "android.media.AudioRecord", "<init>"),
        ("method", "android.accounts.AccountManager", "getAccounts"),
        ("method", "android.telephony.SmsManager", "sendTextMessage"),
        (
            "method",
            "com.google.android.gms.ads.identifier.AdvertisingIdClient",
            "getAdvertisingIdInfo",
        ),
        ("method", "com.bun.miitmdid.interfaces.IdSupplier", "getOAID"),
        ("field", "android.provider.ContactsContract$CommonDataKinds$Phone", "CONTENT_URI"),
        ("field", "android.provider.Telephony$Sms", "CONTENT_URI"),
        ("field", "android.provider.CallLog$Calls", "CONTENT_URI"),
        ("field", "android.provider.MediaStore$Images$Media", "EXTERNAL_CONTENT_URI"),
        ("uri", "", "content://sms"),
        ("uri", "", "content://call_log"),
        ("uri", "", "content://com.android.contacts"),
        ("uri", "", "content://com.android.calendar"),
    ]
    assert [r for r in required if r not in have] == []


def test_resolver_methods():
    rows = load_data("sensitive_apis.yaml")["resolver_methods"]
    keys = {(r["class"], r["member"]) for r in rows}
    assert ("android.content.ContentResolver", "query") in keys
    assert len(keys) == len(rows)
    assert all(r.get("source") for r in rows)


# ---------------------------------------------------------------- permissions
def test_all_dangerous_permissions_present():
    perms = permissions()
    missing = [p for p in DANGEROUS if p not in perms]
    assert missing == []
    wrong = [p for p in DANGEROUS if perms[p].protection != "dangerous"]
    assert wrong == []


def test_permission_entries_well_formed():
    tax = taxonomy()
    names = [e["name"] for e in load_data("permissions.yaml")["permissions"]]
    assert len(names) == len(set(names))
    for p in permissions().values():
        assert p.protection in {"dangerous", "normal", "signature", "special"}, p
        assert p.source.strip(), p
        assert not set(p.pi_types) - set(tax), p
    perms = permissions()
    assert perms["android.permission.INTERNET"].pi_types == ()
    assert "imei" in perms["android.permission.READ_PHONE_STATE"].pi_types
    assert "installed_apps" in perms["android.permission.QUERY_ALL_PACKAGES"].pi_types
    assert "advertising_id" in perms["com.google.android.gms.permission.AD_ID"].pi_types
    assert "android.permission.READ_CLIPBOARD" not in perms  # not a real permission


# ---------------------------------------------------------------- app categories
def test_39_categories_in_order():
    cats = app_categories()
    assert len(cats) == 39
    assert sorted(c.number for c in cats.values()) == list(range(1, 40))
    raw = load_data("app_categories.yaml")["categories"]
    assert [e["number"] for e in raw] == list(range(1, 40))
    assert len({e["id"] for e in raw}) == 39


def test_category_entries():
    tax = taxonomy()
    for c in app_categories().values():
        assert re.fullmatch(r"[a-z][a-z0-9_]*", c.id), c.id
        assert c.name_zh.endswith("类") and c.name_en and c.basic_function_zh, c.id
        assert c.necessary_pi_text_zh and c.source, c.id
        assert not set(c.necessary_pi) - set(tax), c.id
        if "无须个人信息" in c.necessary_pi_text_zh:
            assert c.necessary_pi == (), c.id
        else:
            assert c.necessary_pi, c.id


def test_category_spot_checks():
    cats = app_categories()
    assert cats["map_navigation"].number == 1
    assert "location_precise" in cats["map_navigation"].necessary_pi
    assert set(cats["ride_hailing"].necessary_pi) >= {"phone_number", "location_precise"}
    assert cats["instant_messaging"].number == 3
    assert "contacts" not in cats["instant_messaging"].necessary_pi
    assert set(cats["mobile_banking"].necessary_pi) >= {"id_number", "bank_card"}
    assert cats["womens_health"].number == 21 and cats["womens_health"].necessary_pi == ()
    assert cats["performance_ticketing"].number == 39
    no_pi = [c.number for c in cats.values() if not c.necessary_pi]
    assert no_pi == [21, *range(27, 39)]


# ---------------------------------------------------------------- rule catalog
def test_31_rule_items_in_regulation_order():
    rules = rule_catalog()
    assert list(rules) == RULE_IDS
    raw = load_data("rule_catalog.yaml")["items"]
    assert all(isinstance(e["id"], str) for e in raw)


def test_rule_entries():
    for rid, r in rule_catalog().items():
        assert r.category == int(rid.split(".")[0]), rid
        assert CJK.search(r.title_zh) and CJK.search(r.category_title_zh), rid
        assert r.title_en and r.category_title_en, rid
        assert r.evidence_kinds and set(r.evidence_kinds) <= EVIDENCE_KINDS, rid
        assert r.manual_test.strip() and r.fix.strip(), rid
    titles = {}
    for r in rule_catalog().values():
        titles.setdefault(r.category, set()).add(r.category_title_zh)
    assert all(len(t) == 1 for t in titles.values())


def test_rule_text_spot_checks():
    rules = rule_catalog()
    assert rules["1.3"].title_zh.startswith("隐私政策等收集使用规则难以访问")
    assert "4次" in rules["1.3"].title_zh
    assert "15个工作日" in rules["6.5"].title_zh
    assert "CATEGORY" in rules["4.1"].evidence_kinds
    assert "VERSIONS" in rules["2.2"].evidence_kinds


def test_loaders_are_cached():
    assert knowledge.taxonomy() is knowledge.taxonomy()


# ---------------------------------------------------------------- the 2021 provision itself
# The provision's text, as published (shared/data/regulations). Read, never skipped: if the
# file is gone the mapping below can no longer be checked, and that is a failure.
PROVISION = (
    Path(__file__).resolve().parents[2]
    / "shared"
    / "data"
    / "regulations"
    / "2021_常见类型移动互联网应用程序必要个人信息范围规定.txt"
)
_CN_DIGITS = {c: i for i, c in enumerate("零一二三四五六七八九")}


def _cn_number(s: str) -> int:
    if "十" not in s:
        return _CN_DIGITS[s]
    tens, _, units = s.partition("十")
    return (_CN_DIGITS[tens] if tens else 1) * 10 + (_CN_DIGITS[units] if units else 0)


def _norm(text: str) -> str:
    """Whitespace out (the .txt wraps lines mid-word), half-width brackets made full-width."""
    return re.sub(r"\s+", "", text).replace("(", "（").replace(")", "）")


def _provision_types() -> dict[int, tuple[str, str, list[str]]]:
    """{number: (name, basic function, necessary-PI lines)} from article 5 of the provision."""
    assert PROVISION.is_file(), f"the 2021 provision's text is missing: {PROVISION}"
    text = _norm(PROVISION.read_text("utf-8"))
    article = text[text.index("第五条") : text.index("第六条")]
    items = re.findall(
        r"（([一二三四五六七八九十]+)）(\S+?类)，基本功能服务为“(.+?)”，(.+?)"
        r"(?=（[一二三四五六七八九十]+）\S{2,8}类，|$)",
        article,
    )
    result = {}
    for number, name, basic, rest in items:
        lines: list[str] = []
        if "无须个人信息" not in rest:
            body = re.sub(r"^必要个人信息(?:为|包括)：", "", rest)
            lines = [x.strip("；。") for x in re.split(r"(?:^|；)\d+\.", body) if x.strip("；。")]
        result[_cn_number(number)] = (name, basic, lines)
    return result


def _yaml_lines(c) -> list[str]:
    if "无须个人信息" in c.necessary_pi_text_zh:
        return []
    parts = re.split(r"(?:^|；)\d+\.", _norm(c.necessary_pi_text_zh))
    return [p.strip("；。") for p in parts if p.strip("；。")]


def test_every_type_of_the_provision_is_present_with_its_number_name_and_text():
    provision = _provision_types()
    assert sorted(provision) == list(range(1, 40))
    by_number = {c.number: c for c in app_categories().values()}
    for number, (name, basic, lines) in provision.items():
        c = by_number[number]
        assert c.name_zh == name, number
        assert _norm(c.basic_function_zh) == basic, number
        assert _yaml_lines(c) == lines, number


# Connectives and punctuation left once the PI words and qualifiers are taken out of a line.
_GLUE = re.compile(r"[、，；：。（）/和及或等的]")


def test_every_necessary_pi_word_of_the_provision_is_mapped_or_a_reviewed_exception():
    data = load_data("app_categories.yaml")
    qualifiers = data["provision_qualifiers"]
    exceptions = {(e["type"], e["word"]): e["reason"] for e in data["unmapped_pi_words"]}
    assert all(reason.strip() for reason in exceptions.values())
    tax = taxonomy()
    provision = _provision_types()
    nulls = set()
    for c in app_categories().values():
        lines = provision[c.number][2]
        words = dict(c.necessary_pi_words)
        # every key is the provision's own wording for this type
        for word in words:
            assert any(word in line for line in lines), (c.id, word)
        # nothing of a line is left unread once its PI words and qualifiers are taken out
        for line in lines:
            rest = line
            for w in sorted([*words, *qualifiers], key=len, reverse=True):
                rest = rest.replace(w, "|")
            assert _GLUE.sub("", rest.replace("|", "")) == "", (c.id, line, rest)
        # the ids of the words are exactly the type's necessary_pi
        mapped = {v for v in words.values() if v is not None}
        assert mapped == set(c.necessary_pi), (c.id, mapped ^ set(c.necessary_pi))
        assert mapped <= set(tax), c.id
        nulls |= {(c.id, w) for w, v in words.items() if v is None}
        if not lines:
            assert words == {} and c.necessary_pi == (), c.id
    # an unmapped word is one the reviewed exceptions table explains, and vice versa
    assert nulls == set(exceptions)


def test_necessary_pi_word_spot_checks():
    cats = app_categories()
    assert (
        dict(cats["instant_messaging"].necessary_pi_words)["即时通信联系人账号列表"]
        == "friend_list"
    )
    assert dict(cats["mobile_banking"].necessary_pi_words)["银行预留移动电话号码"] == "bank_card"
    assert dict(cats["transport_ticketing"].necessary_pi_words)["座位号"] == "travel_itinerary"
    assert dict(cats["performance_ticketing"].necessary_pi_words)["座位号"] is None


# ---------------------------------------------------------------- app type signals
KINDS = {"label", "package", "policy_title", "policy_text", "sdk", "sdk_category", "permission",
         "component"}  # fmt: skip


def test_app_type_signals_cover_the_39_types_and_reference_real_things():
    from pica.knowledge.sdks import catalog, catalog_by_id

    s = knowledge.app_type_signals()
    assert set(s.types) == set(app_categories())
    assert 0 < s.threshold < 1 and s.policy_text_min_count >= 1
    assert set(s.weights) == KINDS and all(w > 0 for w in s.weights.values())
    assert set(s.caps) == {"name", "policy_text", "sdk", "permission", "component"}
    sdk_ids, sdk_categories = set(catalog_by_id()), {e.category for e in catalog()}
    for type_id, t in s.types.items():
        assert t.names and t.policy_text, type_id
        for w in (*t.policy_text, *t.sdks, *t.sdk_categories, *t.permissions, *t.components):
            assert w.weight > 0 and w.term == w.term.strip(), (type_id, w)
        assert {w.term for w in t.sdks} <= sdk_ids, type_id
        assert {w.term for w in t.sdk_categories} <= sdk_categories, type_id
        for w in t.permissions:
            assert re.fullmatch(r"[a-z.]+\.permission\.[A-Z_]+", w.term), (type_id, w.term)
        for w in t.components:
            assert re.fullmatch(r"android(\.[a-zA-Z]+)+\.[A-Za-z_]+", w.term), (type_id, w.term)
        words = [word for name in t.names for word in name]
        assert len(words) == len(set(words)), type_id
        for word in words:
            plain = word.removeprefix("=")
            assert plain and plain == plain.strip(), (type_id, word)
            if not CJK.search(plain):  # ASCII words are matched on lower-case tokens
                assert plain == plain.lower() and re.fullmatch(r"[a-z0-9]+", plain), (type_id, word)


def test_app_type_signals_leave_out_words_every_policy_uses():
    generic = {
        "位置信息",
        "支付",
        "日历",
        "电子邮件",
        "拍摄",
        "订单",
        "手机号",
        "个人信息",
        "设备信息",
    }
    for type_id, t in knowledge.app_type_signals().types.items():
        assert not generic & {w.term for w in t.policy_text}, type_id


def test_app_type_signals_use_the_provisions_basic_function_words():
    # spot checks that the provision's own words are among the policy-text signals
    s = knowledge.app_type_signals().types
    assert "定位和导航" in {w.term for w in s["map_navigation"].policy_text}
    assert "网络预约出租汽车" in {w.term for w in s["ride_hailing"].policy_text}
    assert "清理恶意插件" in {w.term for w in s["security_management"].policy_text}
    assert "观演场次" in {w.term for w in s["performance_ticketing"].policy_text}
    assert ["地图", "map", "maps", "ditu"] == list(s["map_navigation"].names[0])
