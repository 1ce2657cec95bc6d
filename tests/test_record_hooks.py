"""The generated Frida script: Node parses it, it holds a hook for the table's entries, it is
deterministic, and run under Node against a fake Java bridge (tests/fixtures/record/fake_frida.js)
it reports what it should and never a raw value. No device and no Frida are involved: what the
script does inside a real ART runtime is not tested here."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from pica.knowledge import SensitiveApi, consent_ui, sensitive_apis
from pica.record.hooks import hook_script, skipped_fields

HARNESS = Path(__file__).parent / "fixtures" / "record" / "fake_frida.js"
SALT = "0123456789abcdef"
IMEI = "866123456789012"


@pytest.fixture(scope="module")
def node() -> str:
    path = shutil.which("node")
    if path is None:  # a failure, not a skip: node is on the build machine and in CI
        pytest.fail("node is not on PATH: the hook script cannot be checked")
    return path


@pytest.fixture(scope="module")
def script_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("hooks") / "hooks.js"
    path.write_text(hook_script(), encoding="utf-8")
    return path


def test_node_parses_the_script(node: str, script_file: Path) -> None:
    result = subprocess.run([node, "--check", str(script_file)], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


def test_node_check_catches_a_broken_script(node: str, tmp_path: Path) -> None:
    """The check above is not vacuous: a syntax error fails it."""
    broken = tmp_path / "broken.js"
    broken.write_text(hook_script().replace("function picaInstall() {", "function picaInstall( {"))
    result = subprocess.run([node, "--check", str(broken)], capture_output=True, text=True)
    assert result.returncode != 0


def test_the_script_is_deterministic() -> None:
    """Same table, same bytes: in this process, and in fresh ones with other hash seeds."""
    assert hook_script() == hook_script()
    api = SensitiveApi("method", "a.B", "c", ("imei",), None, "test")
    assert hook_script((api,)) == hook_script((api,))
    assert hook_script((api,)) != hook_script()
    code = "import hashlib; from pica.record.hooks import hook_script; "
    code += "print(hashlib.sha256(hook_script().encode()).hexdigest())"
    digests = {
        subprocess.run(
            [sys.executable, "-c", code],
            capture_output=True,
            text=True,
            check=True,
            env={**os.environ, "PYTHONHASHSEED": seed},
        ).stdout.strip()
        for seed in ("1", "2", "random")
    }
    assert digests == {hashlib.sha256(hook_script().encode()).hexdigest()}


def _rows(script: str, name: str) -> list[list[str | None]]:
    start = script.index(f"var {name} = ") + len(f"var {name} = ")
    end = script.index(";\n", start)
    return json.loads(script[start:end])


def test_every_method_and_uri_entry_is_in_the_script() -> None:
    script = hook_script()
    methods = {(r[0], r[1]) for r in _rows(script, "PICA_METHODS")}
    uris = {r[0] for r in _rows(script, "PICA_URIS")}
    for api in sensitive_apis():
        if api.kind == "method":
            assert (api.class_name, api.member) in methods, api
        elif api.kind == "uri":
            assert api.member in uris, api
    assert len(skipped_fields()) == sum(1 for a in sensitive_apis() if a.kind == "field") > 0
    assert f"{len(skipped_fields())} field entries skipped" in script


def test_sample_entries() -> None:
    script = hook_script()
    rows = {(r[0], r[1]): r for r in _rows(script, "PICA_METHODS")}
    assert rows[("android.telephony.TelephonyManager", "getDeviceId")][2:] == ["imei", None]
    assert rows[("android.provider.Settings$Secure", "getString")][2:] == [
        "android_id",
        "android_id",
    ]
    assert rows[("android.media.AudioRecord", "<init>")][2] == "microphone"
    uris = _rows(script, "PICA_URIS")
    assert ["content://sms", "sms"] in uris
    prefixes = [u[0] for u in uris]  # longest first: content://mms-sms before content://mms
    assert prefixes.index("content://mms-sms") < prefixes.index("content://mms")
    assert _rows(script, "PICA_URI_METHODS") == [["android.content.ContentResolver", "query"]]
    assert _rows(script, "PICA_PERMISSION_METHODS") == [
        [m.class_name, m.member] for m in consent_ui().request_methods
    ]
    for needle in (
        "Java.perform(picaInstall)",
        "Java.use(className)",
        ".overloads",
        "overload.implementation = function",
        'Java.use("android.util.Log")',
        'Java.use("java.lang.Exception")',
        "getStackTraceString",
        'recv("pica:config"',
    ):
        assert needle in script, needle


def run_fake(node: str, script_file: Path, tmp_path: Path, plan: dict) -> dict:
    plan_file = tmp_path / "plan.json"
    plan_file.write_text(json.dumps({"salt": SALT, **plan}), encoding="utf-8")
    result = subprocess.run(
        [node, str(HARNESS), str(script_file), str(plan_file)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def h(text: str) -> str:
    return "sha256:" + hashlib.sha256((SALT + text).encode("utf-8")).hexdigest()[:16]


def api_messages(out: dict) -> list[dict]:
    return [m for m in out["messages"] if m["type"] == "pica:api"]


def test_hooks_report_calls_under_a_fake_bridge(
    node: str, script_file: Path, tmp_path: Path
) -> None:
    tm = "android.telephony.TelephonyManager"
    out = run_fake(
        node,
        script_file,
        tmp_path,
        {
            # absent on this "device": a class early in the table, and one method
            "missing_classes": [
                "android.telephony.gsm.GsmCellLocation",
                "com.amap.api.location.AMapLocationClient",
            ],
            "missing_members": [f"{tm}.getMeid"],
            "overloads": {f"{tm}.getDeviceId": 2, "android.content.ContentResolver.query": 3},
            "calls": [
                {"api": f"{tm}.getDeviceId", "args": [], "ret": IMEI},
                {"api": f"{tm}.getDeviceId", "overload": 1, "args": [0], "ret": IMEI},
                {
                    "api": "android.provider.Settings$Secure.getString",
                    "args": [
                        {"$className": "android.app.ContextImpl$ApplicationContentResolver"},
                        "android_id",
                    ],
                    "ret": "9774d56d682e549c",
                },
                {
                    "api": "android.provider.Settings$Secure.getString",
                    "args": [{"$className": "android.content.ContentResolver"}, "bluetooth_name"],
                    "ret": "Pixel 7",
                },
                {
                    "api": "android.content.ContentResolver.query",
                    "nested": 1,  # the 5-argument query calls the 6-argument one
                    "args": [
                        {"$className": "android.net.Uri", "uri": "content://sms/inbox"},
                        None,
                        None,
                        None,
                        "date DESC",
                    ],
                    "ret": {"$className": "android.database.Cursor"},
                },
                {
                    "api": "android.content.ContentResolver.query",
                    "args": [
                        {
                            "$className": "android.net.Uri",
                            "uri": "content://mms-sms/conversations?simple=true",
                        }
                    ],
                    "ret": None,
                },
                {
                    "api": "android.content.ContentResolver.query",
                    "args": [{"$className": "android.net.Uri", "uri": "content://smsfoo/x"}],
                    "ret": None,
                },
                {
                    "api": "android.content.pm.PackageManager.getInstalledPackages",
                    "args": [0],
                    "ret": {"$className": "java.util.List", "size": 212},
                },
                {"api": "android.location.Location.getLatitude", "args": [], "ret": 39.9042},
                {
                    "api": f"{tm}.getSubscriberId",
                    "args": [],
                    "throws": "java.lang.SecurityException",
                },
                {
                    "api": "android.app.Activity.requestPermissions",
                    "args": [
                        [
                            "android.permission.ACCESS_FINE_LOCATION",
                            "android.permission.READ_PHONE_STATE",
                        ],
                        7,
                    ],
                },
            ],
            "sha256": ["", "abc", "隐私政策 😀"],
        },
    )
    report = next(m for m in out["messages"] if m["type"] == "pica:hooks")
    assert sorted(report["missing"]) == sorted(
        [
            "android.telephony.gsm.GsmCellLocation",
            "com.amap.api.location.AMapLocationClient",
            f"{tm}.getMeid",
        ]
    )
    assert report["failed"] == []
    methods = [a for a in sensitive_apis() if a.kind == "method"]
    absent = sum(
        1
        for a in methods
        if a.class_name
        in ("android.telephony.gsm.GsmCellLocation", "com.amap.api.location.AMapLocationClient")
        or (a.class_name, a.member) == (tm, "getMeid")
    )
    # one overload per hooked entry, plus query and requestPermissions; getDeviceId has 2, query 3
    assert report["hooked"] == len(methods) - absent + 1 + 1 + 1 + 2
    # every call after the missing classes still went through the hooks
    assert out["errors"] == ["threw: java.lang.SecurityException"]  # rethrown to the caller

    api = api_messages(out)
    by_api = [(m["api"], m["pi_type"]) for m in api]
    assert by_api == [
        (f"{tm}.getDeviceId", "imei"),
        (f"{tm}.getDeviceId", "imei"),
        ("android.provider.Settings$Secure.getString", "android_id"),  # bluetooth_name: not PI
        ("android.content.ContentResolver.query", "sms"),  # once, though three overloads ran
        ("android.content.ContentResolver.query", "sms"),  # content://mms-sms, not content://mms
        ("android.content.pm.PackageManager.getInstalledPackages", "installed_apps"),
        ("android.location.Location.getLatitude", "location_precise"),
        (f"{tm}.getSubscriberId", "imsi"),
    ]
    first = api[0]
    assert first["ret"] == f"String(len 15) {h(IMEI)}"
    assert first["args"] == ""
    assert api[1]["args"] == f"number {h('0')}"
    assert first["stack"] == [
        f"{tm}.getDeviceId",
        "com.example.shop.sdk.DeviceInfo.collect",
        "com.example.shop.App.onCreate",
        "android.app.Instrumentation.callApplicationOnCreate",
    ]
    assert first["thread"] == "main"
    assert api[2]["args"] == 'android.app.ContextImpl$ApplicationContentResolver, "android_id"'
    assert api[2]["ret"] == f"String(len 16) {h('9774d56d682e549c')}"
    assert (
        api[3]["args"] == '"content://sms", null, null, null, ' + f"String(len 9) {h('date DESC')}"
    )
    assert api[3]["ret"] == "android.database.Cursor"
    assert api[4]["args"] == '"content://mms-sms"'
    assert api[5]["ret"] == "java.util.List(size 212)"
    assert api[6]["ret"] == f"number {h('39.9042')}"
    assert api[7]["ret"] == "threw java.lang.SecurityException"
    # no raw identifier anywhere in what the script sent
    sent = json.dumps(out["messages"], ensure_ascii=False)
    for raw in (IMEI, "9774d56d682e549c", "39.9042", "inbox", "conversations", "date DESC"):
        assert raw not in sent, raw

    permission = [m for m in out["messages"] if m["type"] == "pica:permission"]
    assert permission == [
        {
            "type": "pica:permission",
            "api": "android.app.Activity.requestPermissions",
            "permissions": [
                "android.permission.ACCESS_FINE_LOCATION",
                "android.permission.READ_PHONE_STATE",
            ],
        }
    ]
    # the script's own SHA-256 (plain JavaScript) agrees with Python's, UTF-8 included
    assert out["hashes"] == [
        hashlib.sha256(t.encode("utf-8")).hexdigest() for t in ("", "abc", "隐私政策 😀")
    ]


def test_no_hooks_before_the_host_sends_the_salt(node: str, tmp_path: Path) -> None:
    """Hooks go in only on pica:config: the script alone, never configured, sends nothing."""
    script = tmp_path / "hooks.js"
    script.write_text(hook_script().replace('recv("pica:config"', 'recv("never"'), encoding="utf-8")
    plan = tmp_path / "plan.json"
    plan.write_text(json.dumps({"salt": SALT}), encoding="utf-8")
    result = subprocess.run(
        [node, str(HARNESS), str(script), str(plan)], capture_output=True, text=True, timeout=120
    )
    assert result.returncode != 0  # the harness finds no pica:config receiver
    assert "pica:config" not in result.stdout


def test_reports_are_rate_limited_per_api(node: str, script_file: Path, tmp_path: Path) -> None:
    """A loop reading the latitude is reported ten times a second, the rest counted."""
    lat = "android.location.Location.getLatitude"
    out = run_fake(
        node,
        script_file,
        tmp_path,
        {
            "calls": [
                {"api": lat, "ret": 39.9, "now": 1_700_000_000_100, "repeat": 25},
                {"api": "android.location.Location.getLongitude", "ret": 116.4, "repeat": 3},
                {"api": lat, "ret": 39.9, "now": 1_700_000_001_000, "repeat": 2},
            ]
        },
    )
    kinds = [(m["type"], m.get("api", "").rsplit(".", 1)[-1]) for m in out["messages"][1:]]
    assert kinds == (
        [("pica:api", "getLatitude")] * 10
        + [("pica:api", "getLongitude")] * 3
        + [
            ("pica:suppressed", "getLatitude"),
            ("pica:api", "getLatitude"),
            ("pica:api", "getLatitude"),
        ]
    )
    assert out["messages"][14] == {"type": "pica:suppressed", "api": lat, "count": 15}
