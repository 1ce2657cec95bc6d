"""Data quality of the SDK catalog (src/pica/knowledge/data/sdk_catalog.json)."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from importlib import resources
from pathlib import Path

import pytest
import yaml

from pica.knowledge.sdks import SdkEntry, catalog, catalog_by_id

ROOT = Path(__file__).resolve().parent.parent
SHARED = Path("/work/shared")

PI_TYPES = set(
    "imei meid imsi iccid android_id mac_address serial_number oaid advertising_id "
    "location_precise location_coarse wifi_info bluetooth_info cell_info contacts sms call_log "
    "calendar installed_apps running_processes clipboard camera microphone photos_media "
    "phone_number device_accounts id_number bank_card biometrics health sensors real_name email "
    "postal_address user_account transaction_records browsing_history".split()
)
CATEGORIES = {
    "push", "analytics", "ads", "maps_location", "payment", "social_login", "crash_reporting",
    "device_id", "risk_control", "im", "cdn_network", "webview", "utility", "library", "other",
}  # fmt: skip
SINGLE_SEGMENT_OK = {
    "kotlin.",
    "kotlinx.",
    "okhttp3.",
    "okio.",
    "retrofit2.",
    "dagger.",
    "butterknife.",
}
BROAD = {"com.google.", "com.android.", "com.tencent.", "com.alibaba.", "com.baidu.", "com.huawei.",
         "com.xiaomi.", "com.facebook.", "com.bytedance.", "com.alipay.", "android.", "androidx."}  # fmt: skip


def _raw() -> dict:
    text = resources.files("pica.knowledge").joinpath("data", "sdk_catalog.json").read_text("utf-8")
    return json.loads(text)


def test_counts():
    entries = catalog()
    assert len(entries) >= 600
    assert sum(1 for e in entries if e.chinese) >= 200
    raw = _raw()
    assert raw["count"] == len(entries)
    assert raw["count_chinese"] == sum(1 for e in entries if e.chinese)


def test_every_entry_has_a_source_and_a_signal():
    for e in catalog():
        assert e.sources, e.id
        assert all(
            re.fullmatch(r"(exodus:\d+|libchecker:.+|appscan:.+|pica:hand)", s) for s in e.sources
        ), e
        assert e.code_signatures or e.code_regex or e.components or e.native_libs or e.domains, e.id


def test_ids_unique_and_sorted_slugs():
    ids = [e.id for e in catalog()]
    assert len(ids) == len(set(ids))
    assert ids == sorted(ids)
    assert all(re.fullmatch(r"[a-z0-9][a-z0-9_]*", i) for i in ids)


def test_no_two_entries_share_a_code_signature_component_or_native_lib():
    for attr in ("code_signatures", "components", "native_libs", "domains"):
        seen: dict[str, str] = {}
        for e in catalog():
            for v in getattr(e, attr):
                assert v not in seen, f"{attr} {v} in {seen[v]} and {e.id}"
                seen[v] = e.id


def test_code_signatures_are_specific():
    for e in catalog():
        for sig in e.code_signatures:
            assert re.fullmatch(r"[A-Za-z_$][\w$]*(\.[A-Za-z_$][\w$]*)*\.?", sig), sig
            assert sig not in BROAD, (e.id, sig)
            segments = sig.rstrip(".").split(".")
            assert len(segments) >= 2 or sig in SINGLE_SEGMENT_OK, (e.id, sig)
        for pattern in e.code_regex:
            re.compile(pattern)


def test_chinese_entries_have_a_chinese_name():
    for e in catalog():
        if e.chinese:
            assert e.name_zh and re.search(r"[\u3400-\u9fff]", e.name_zh), e.id
        assert e.name_en and e.vendor, e.id


def test_categories_and_pi_types_are_known():
    known = PI_TYPES
    try:  # once the taxonomy file exists it is the authority as well
        from pica.knowledge import taxonomy

        known = PI_TYPES & set(taxonomy())
    except (FileNotFoundError, OSError):
        pass
    for e in catalog():
        assert e.category in CATEGORIES, e.id
        assert set(e.pi_types) <= known, (e.id, set(e.pi_types) - known)


def test_hand_entries_are_in_the_catalog():
    text = (
        resources.files("pica.knowledge").joinpath("data", "sdk_catalog_cn.yaml").read_text("utf-8")
    )
    hand = yaml.safe_load(text)["entries"]
    by_id = catalog_by_id()
    assert len(hand) >= 50
    for h in hand:
        e = by_id[h["id"]]
        assert "pica:hand" in e.sources
        assert e.name_zh == h["name_zh"] and e.category == h["category"]
        assert set(e.pi_types) == set(h.get("pi_types") or [])
    for required in ("getui_push", "jpush", "umeng_analytics", "pangle", "tencent_gdt", "amap",
                     "bugly", "msa_oaid", "shumei", "tongdun", "wechat_opensdk", "alipay_sdk"):  # fmt: skip
        assert by_id[required].chinese


def test_catalog_entries_are_typed():
    e = catalog()[0]
    assert isinstance(e, SdkEntry)
    assert isinstance(e.code_signatures, tuple)


@pytest.mark.skipif(
    not (SHARED / "data" / "trackers").is_dir(), reason="shared tracker data absent"
)
def test_build_is_deterministic_and_matches_committed(tmp_path):
    out = tmp_path / "sdk_catalog.json"
    subprocess.run(
        [
            sys.executable,
            str(ROOT / "tools" / "build_sdk_catalog.py"),
            "--shared",
            str(SHARED),
            "--out",
            str(out),
        ],  # fmt: skip
        check=True,
        capture_output=True,
    )
    committed = resources.files("pica.knowledge").joinpath("data", "sdk_catalog.json").read_bytes()
    assert out.read_bytes() == committed


# ------------------------------------------------------------------ the build tool's data files


def _tool():
    """tools/build_sdk_catalog.py as a module (it is a script, not part of the package)."""
    import importlib.util

    name = "build_sdk_catalog"
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, ROOT / "tools" / "build_sdk_catalog.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def test_library_roots_come_from_the_data_file(tmp_path):
    tool = _tool()
    doc = yaml.safe_load((ROOT / "src/pica/knowledge/data/libraries.yaml").read_text("utf-8"))
    roots = tool.load_library_roots(tool.LIBRARIES_FILE)
    assert roots == tuple(r["prefix"] for r in doc["roots"])
    assert all(r["library"] and r["licence"] for r in doc["roots"])
    assert not hasattr(tool, "LIBRARY_ROOTS")  # no second, literal list in the tool

    okhttp3 = catalog_by_id()["okhttp3"]
    entry = {"category": "cdn_network", "_category_guessed": True, "sources": list(okhttp3.sources),
             "code_signatures": list(okhttp3.code_signatures), "components": list(okhttp3.components)}  # fmt: skip
    assert okhttp3.category == "library" and tool.is_library(entry, roots)
    # Take okhttp3's root out of the data: the same entry is no longer a library.
    doc["roots"] = [r for r in doc["roots"] if r["prefix"] != "okhttp3."]
    edited = tmp_path / "libraries.yaml"
    edited.write_text(yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")
    assert not tool.is_library(entry, tool.load_library_roots(edited))
    # An explicit category (hand entry, override, Exodus) is never replaced by "library".
    assert not tool.is_library({**entry, "_category_guessed": False}, roots)
    # A hand entry is never turned into a library, whatever its signatures.
    assert not tool.is_library({**entry, "sources": ["pica:hand"]}, roots)


def test_library_entries_lie_under_library_roots():
    roots = _tool().load_library_roots(_tool().LIBRARIES_FILE)
    libraries = [e for e in catalog() if e.category == "library"]
    assert len(libraries) >= 70
    for e in libraries:
        names = [*e.code_signatures, *e.components]
        assert names and all(n.startswith(roots) for n in names), e.id
