"""The trace reader: every kind, the uiautomator dumps, bad lines, bad files, schema agreement."""

from __future__ import annotations

import json
import re
from pathlib import Path

import jsonschema
import pytest

from pica.errors import InputError
from pica.extract.trace import (
    check_event,
    derive_pi_type,
    parse_uiautomator_dump,
    read_trace,
    read_uiautomator_dump,
    schema,
    write_trace,
)
from pica.extract.trace.camille import import_camille

ROOT = Path(__file__).resolve().parent.parent
TRACES = ROOT / "tests" / "fixtures" / "traces"
CONSENT_TEXTS = (
    "关闭",
    "用户协议与隐私政策",
    "欢迎使用购物Demo！我们依据法律法规收集、使用您的个人信息。使用前请仔细阅读《用户协议》和"
    "《隐私政策》。为向您推送消息，我们集成的推送SDK会收集设备标识信息（IMEI、Android ID）。",
    "我已阅读并同意《用户协议》和《隐私政策》",
    "不同意",
    "同意",
)
PROMPT_TEXTS = (
    "要允许“购物Demo”获取此设备的位置信息吗？",
    "仅在使用该应用时允许",
    "仅限这一次",
    "拒绝",
)


def _validator() -> jsonschema.Draft202012Validator:
    return jsonschema.Draft202012Validator(schema())


def _write(path: Path, *lines: str) -> Path:
    path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    return path


# ---------------------------------------------------------------- a trace with every kind


def test_session_has_every_kind_typed_and_in_order() -> None:
    trace = read_trace(TRACES / "session.jsonl")
    assert trace.name == "session.jsonl"
    assert trace.warnings == ()
    assert trace.duration_ms == 50000

    assert [(e.line, e.t, e.event) for e in trace.lifecycle] == [
        (1, 0, "launch"),
        (13, 15000, "background"),
        (15, 30000, "foreground"),
        (17, 41000, "kill"),
        (18, 45000, "update"),
        (19, 50000, "relaunch"),
    ]
    assert [(e.line, e.t, e.api, e.pi_type, e.foreground) for e in trace.api] == [
        (2, 180, "android.telephony.TelephonyManager.getDeviceId", "imei", True),
        (3, 195, "android.provider.Settings$Secure.getString", "android_id", True),
        (
            11,
            8300,
            "android.location.LocationManager.getLastKnownLocation",
            "location_precise",
            True,
        ),
        (14, 21000, "android.content.ContentResolver.query", "contacts", False),
    ]
    first = trace.api[0]
    assert first.stack == (
        "android.telephony.TelephonyManager.getDeviceId",
        "cn.fakepush.sdk.DeviceInfo.imei",
        "cn.fakepush.sdk.PushClient.init",
        "com.example.shopdemo.ShopApplication.onCreate",
    )
    assert (first.thread, first.args, first.ret) == ("main", "", "sha256:9f2c…")
    assert first.source == "session.jsonl:2"
    assert trace.api[3].thread == "fakepush-sync"

    assert [(e.line, e.t, e.event, e.checkbox_prechecked) for e in trace.consent] == [
        (5, 1500, "shown", True),
        (7, 6200, "accepted", None),
        (16, 40000, "withdrawn", None),
    ]
    assert trace.consent[0].text == "欢迎使用购物Demo！我们依据法律法规收集、使用您的个人信息。"
    assert [(e.line, e.t, e.event, e.permissions) for e in trace.permissions] == [
        (8, 6500, "requested", ("android.permission.ACCESS_FINE_LOCATION",
                                "android.permission.ACCESS_COARSE_LOCATION")),
        (10, 8000, "granted", ("android.permission.ACCESS_FINE_LOCATION",)),
    ]  # fmt: skip

    assert [(e.line, e.t, e.screen, e.texts, e.checked_boxes) for e in trace.ui] == [
        (
            4,
            1500,
            "consent_dialog.xml",
            CONSENT_TEXTS,
            ("我已阅读并同意《用户协议》和《隐私政策》",),
        ),
        (9, 6500, "permission_prompt.xml", PROMPT_TEXTS, ()),
    ]
    assert trace.ui[1].source == "session.jsonl:9"

    stat, report = trace.net
    assert (stat.index, stat.t, stat.host, stat.ip, stat.port, stat.method, stat.sni) == (
        6, 2100, "stat.fakepush.example", "203.0.113.7", 443, "POST", "stat.fakepush.example"
    )  # fmt: skip
    assert stat.url == "https://stat.fakepush.example/v1/device"
    assert stat.headers == (("Content-Type", "application/json"), ("User-Agent", "fakepush/3.2"))
    assert stat.body == '{"imei":"sha256:9f2c…","aid":"sha256:41d0…"}'.encode()
    assert (stat.aligned, stat.source) == (True, "session.jsonl:6")
    assert (report.host, report.ip, report.port, report.sni) == (
        "198.51.100.20", "198.51.100.20", 8080, ""
    )  # fmt: skip
    assert report.headers == (("Host", "198.51.100.20:8080"), ("X-Device", "sha256:9f2c…"))
    assert report.body == b"loc=31.23,121.47"


# ---------------------------------------------------------------- bad lines


def test_bad_lines_are_skipped_with_a_warning_naming_each() -> None:
    trace = read_trace(TRACES / "bad_lines.jsonl")
    assert trace.warnings == (
        "line 2: not valid JSON (Expecting ',' delimiter at column 176), skipped",
        "line 3: unknown kind 'foo', skipped",
        "line 4: 't' must be an integer >= 0 (got '300'), skipped",
        "line 5: missing 'kind', skipped",
        "line 7: t=500 is before the previous event's t=900 (line 6); events sorted by t",
        "line 8: screen '../outside.xml' is outside the trace's folder, refused",
        "line 9: uiautomator dump 'bomb.xml' declares a DTD or entities (real dumps have none), "
        "skipped",
        "line 10: uiautomator dump 'xxe.xml' declares a DTD or entities (real dumps have none), "
        "skipped",
        "line 11: uiautomator dump 'missing.xml' not found, skipped",
        "line 12: unsupported version 'v': 2 (this reader reads 1), skipped",
        "line 13: not a JSON object, skipped",
        "line 14: unknown pi_type 'serial_no', derived from the API table instead",
        "line 15: not valid JSON (NaN is not JSON), skipped",
        "line 16: unknown lifecycle event 'sleep' (one of: launch, background, foreground, kill, "
        "update, relaunch), skipped",
        "line 17: screen '/etc/passwd' is outside the trace's folder, refused",
        "line 18: net event needs 'host' or 'ip', skipped",
        "line 19: 'permissions' must not be empty, skipped",
    )
    # what is left, sorted by t: line 7 (t=500) moved before line 6 (t=900)
    assert [(e.line, e.t, e.api, e.pi_type) for e in trace.api] == [
        (7, 500, "android.telephony.TelephonyManager.getSubscriberId", "imsi"),
        (6, 900, "android.net.wifi.WifiInfo.getMacAddress", "mac_address"),
        (14, 1000, "android.os.Build.getSerial", "serial_number"),
    ]
    assert [(e.line, e.event) for e in trace.lifecycle] == [(1, "launch")]
    assert [(e.line, e.screen, e.texts) for e in trace.ui] == [
        (21, "consent_dialog.xml", CONSENT_TEXTS)
    ]
    assert (trace.consent, trace.permissions, trace.net) == ((), (), ())


def test_sorting_is_stable_and_warns_once(tmp_path: Path) -> None:
    path = _write(
        tmp_path / "t.jsonl",
        '{"v":1,"t":50,"kind":"lifecycle","event":"launch"}',
        '{"v":1,"t":20,"kind":"lifecycle","event":"background"}',
        '{"v":1,"t":20,"kind":"lifecycle","event":"foreground"}',
        '{"v":1,"t":10,"kind":"lifecycle","event":"kill"}',
    )
    trace = read_trace(path)
    assert [(e.line, e.t) for e in trace.lifecycle] == [(4, 10), (2, 20), (3, 20), (1, 50)]
    assert trace.warnings == (
        "line 2: t=20 is before the previous event's t=50 (line 1); events sorted by t",
    )


def test_crlf_bom_and_blank_lines_are_fine(tmp_path: Path) -> None:
    path = tmp_path / "win.jsonl"
    path.write_bytes(
        b'\xef\xbb\xbf{"v":1,"t":0,"kind":"lifecycle","event":"launch"}\r\n\r\n'
        b'{"v":1,"t":5,"kind":"lifecycle","event":"kill"}\r\n'
    )
    trace = read_trace(path)
    assert [(e.line, e.event) for e in trace.lifecycle] == [(1, "launch"), (3, "kill")]
    assert trace.warnings == ()


def test_line_separator_inside_a_json_string_does_not_split_the_line(tmp_path: Path) -> None:
    path = _write(
        tmp_path / "ls.jsonl",
        '{"v":1,"t":0,"kind":"consent","event":"shown","text":"第一段\u2028第二段"}',
    )
    assert read_trace(path).consent[0].text == "第一段\u2028第二段"


def test_invalid_base64_body_is_left_out_with_a_warning(tmp_path: Path) -> None:
    path = _write(
        tmp_path / "b.jsonl",
        '{"v":1,"t":0,"kind":"net","host":"a.example","body":{"base64":"***"}}',
    )
    trace = read_trace(path)
    assert trace.net[0].body == b""
    assert trace.warnings == ("line 1: 'body' is not valid base64, body left out",)


def test_symlinked_dump_leaving_the_folder_is_refused(tmp_path: Path) -> None:
    outside = tmp_path / "outside.xml"
    outside.write_bytes((TRACES / "permission_prompt.xml").read_bytes())
    folder = tmp_path / "trace"
    folder.mkdir()
    (folder / "screen.xml").symlink_to(outside)
    path = _write(
        folder / "t.jsonl",
        '{"v":1,"t":0,"kind":"lifecycle","event":"launch"}',
        '{"v":1,"t":1,"kind":"ui","screen":"screen.xml"}',
        '{"v":1,"t":2,"kind":"ui","screen":"C:\\\\Windows\\\\x.xml"}',
    )
    trace = read_trace(path)
    assert trace.ui == ()
    assert trace.warnings == (
        "line 2: screen 'screen.xml' is outside the trace's folder, refused",
        "line 3: screen 'C:\\\\Windows\\\\x.xml' is outside the trace's folder, refused",
    )


# ---------------------------------------------------------------- bad files


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("empty.jsonl", "trace empty.jsonl is empty"),
        ("binary.jsonl", "trace binary.jsonl is a binary file, not JSON Lines text"),
        ("nothing.jsonl", "trace nothing.jsonl not found"),
    ],
)
def test_bad_files_raise_one_line(name: str, message: str) -> None:
    with pytest.raises(InputError) as err:
        read_trace(TRACES / name)
    assert str(err.value) == message


def test_directory_not_utf8_too_large_too_many_and_nothing_usable(tmp_path: Path) -> None:
    with pytest.raises(InputError) as err:
        read_trace(TRACES)
    assert str(err.value) == "trace traces is a directory, not a JSON Lines file"

    gbk = tmp_path / "gbk.jsonl"
    gbk.write_bytes('{"v":1,"t":0,"kind":"consent","event":"shown","text":"同意"}\n'.encode("gbk"))
    with pytest.raises(InputError) as err:
        read_trace(gbk)
    assert str(err.value) == "trace gbk.jsonl is not UTF-8 text (bad byte at offset 56)"

    with pytest.raises(InputError) as err:
        read_trace(TRACES / "session.jsonl", max_bytes=1000)
    size = (TRACES / "session.jsonl").stat().st_size
    assert str(err.value) == f"trace session.jsonl is {size:,} bytes (limit 1,000)"

    with pytest.raises(InputError) as err:
        read_trace(TRACES / "session.jsonl", max_events=5)
    assert str(err.value) == "trace session.jsonl has more than 5 events"

    junk = _write(tmp_path / "junk.jsonl", "hello", '{"v":1,"t":0,"kind":"foo"}')
    with pytest.raises(InputError) as err:
        read_trace(junk)
    assert str(err.value) == (
        "trace junk.jsonl has no usable event; first: line 1: not valid JSON "
        "(Expecting value at column 1), skipped"
    )


def test_deeply_nested_json_is_a_skipped_line(tmp_path: Path) -> None:
    path = _write(
        tmp_path / "deep.jsonl",
        '{"v":1,"t":0,"kind":"lifecycle","event":"launch","x":' + "[" * 100000 + "]" * 100000 + "}",
        '{"v":1,"t":1,"kind":"lifecycle","event":"kill"}',
    )
    trace = read_trace(path)
    assert trace.warnings == ("line 1: not valid JSON (nested too deeply), skipped",)
    assert [e.event for e in trace.lifecycle] == ["kill"]


# ---------------------------------------------------------------- uiautomator dumps


def test_dumps_read_directly() -> None:
    assert read_uiautomator_dump(TRACES / "consent_dialog.xml") == (
        CONSENT_TEXTS,
        ("我已阅读并同意《用户协议》和《隐私政策》",),
    )
    assert read_uiautomator_dump(TRACES / "permission_prompt.xml") == (PROMPT_TEXTS, ())


NODE = (
    '<node text="{text}" resource-id="{rid}" class="{cls}" content-desc="{desc}" '
    'checkable="{checkable}" checked="{checked}">{children}</node>'
)


def node(text="", rid="", cls="android.view.View", desc="", checkable="false", checked="false",
         children="") -> str:  # fmt: skip
    return NODE.format(text=text, rid=rid, cls=cls, desc=desc, checkable=checkable,
                       checked=checked, children=children)  # fmt: skip


def hierarchy(*children: str) -> bytes:
    return (
        "<?xml version='1.0' encoding='UTF-8' standalone='yes' ?><hierarchy rotation=\"0\">"
        + "".join(children)
        + "</hierarchy>"
    ).encode()


def test_checked_box_labels() -> None:
    box = {"cls": "android.widget.CheckBox", "checkable": "true", "checked": "true"}
    # its own text
    own = hierarchy(node(text="记住我", **box))
    assert parse_uiautomator_dump(own) == (("记住我",), ("记住我",))
    # own content-desc, and a switch that is off is not a checked box
    desc = hierarchy(node(desc="个性化推荐", **box), node(text="夜间模式", checkable="true"))
    assert parse_uiautomator_dump(desc) == (("个性化推荐", "夜间模式"), ("个性化推荐",))
    # the preceding sibling when no sibling follows
    before = hierarchy(node(children=node(text="同意协议") + node(**box)))
    assert parse_uiautomator_dump(before)[1] == ("同意协议",)
    # nearest sibling first, the following one before the preceding one at the same distance
    both = hierarchy(node(children=node(text="左") + node(**box) + node(text="右")))
    assert parse_uiautomator_dump(both)[1] == ("右",)
    # a label inside a sibling's subtree
    deep = hierarchy(node(children=node(**box) + node(children=node(text="我已阅读并同意"))))
    assert parse_uiautomator_dump(deep)[1] == ("我已阅读并同意",)
    # the box alone in a wrapper: one level up
    wrapped = hierarchy(node(children=node(children=node(**box)) + node(text="接收推送")))
    assert parse_uiautomator_dump(wrapped)[1] == ("接收推送",)
    # no text anywhere near: its resource-id, else a marker
    rid = hierarchy(node(rid="com.x:id/cb_agree", **box))
    assert parse_uiautomator_dump(rid) == ((), ("com.x:id/cb_agree",))
    assert parse_uiautomator_dump(hierarchy(node(**box))) == ((), ("(unlabelled checkbox)",))


def test_bad_dumps() -> None:
    cases = {
        b"<hierarchy><node text='a'>": "uiautomator dump 'd.xml' is not well-formed XML "
        "(Premature end of data in tag node line 1, line 1, column 27)",
        b"<html><body>hi</body></html>": "'d.xml' is not a uiautomator dump (root element <html>)",
        (TRACES / "bomb.xml").read_bytes(): "uiautomator dump 'd.xml' declares a DTD or entities "
        "(real dumps have none)",
        (TRACES / "xxe.xml").read_bytes(): "uiautomator dump 'd.xml' declares a DTD or entities "
        "(real dumps have none)",
    }
    for data, message in cases.items():
        with pytest.raises(InputError) as err:
            parse_uiautomator_dump(data, "d.xml")
        assert str(err.value) == message


def test_dump_size_cap(tmp_path: Path) -> None:
    with pytest.raises(InputError) as err:
        read_uiautomator_dump(TRACES / "consent_dialog.xml", max_bytes=100)
    size = (TRACES / "consent_dialog.xml").stat().st_size
    assert str(err.value) == f"uiautomator dump 'consent_dialog.xml' is {size:,} bytes (limit 100)"


# ---------------------------------------------------------------- PI type from the API table


def test_derive_pi_type() -> None:
    assert derive_pi_type("android.telephony.TelephonyManager.getDeviceId") == "imei"
    assert derive_pi_type("android.provider.Settings$Secure.getString", '"android_id"') == (
        "android_id"
    )
    assert (
        derive_pi_type("android.provider.Settings$Secure.getString", '"screen_brightness"') is None
    )
    assert derive_pi_type("android.content.ContentResolver.query", "content://sms/inbox") == "sms"
    assert derive_pi_type("android.content.ContentResolver.query", "content://media/x") is None
    assert derive_pi_type("com.example.Foo.bar") is None
    assert derive_pi_type("") is None


# ---------------------------------------------------------------- the schema and the checks agree

BAD_OBJECTS = [
    [],
    "x",
    {},
    {"t": 0, "kind": "lifecycle", "event": "launch"},
    {"v": 1, "kind": "lifecycle", "event": "launch"},
    {"v": 1, "t": 0, "event": "launch"},
    {"v": 2, "t": 0, "kind": "lifecycle", "event": "launch"},
    {"v": True, "t": 0, "kind": "lifecycle", "event": "launch"},
    {"v": "1", "t": 0, "kind": "lifecycle", "event": "launch"},
    {"v": 1, "t": "0", "kind": "lifecycle", "event": "launch"},
    {"v": 1, "t": -1, "kind": "lifecycle", "event": "launch"},
    {"v": 1, "t": 1.5, "kind": "lifecycle", "event": "launch"},
    {"v": 1, "t": True, "kind": "lifecycle", "event": "launch"},
    {"v": 1, "t": 2**53, "kind": "lifecycle", "event": "launch"},
    {"v": 1, "t": None, "kind": "lifecycle", "event": "launch"},
    {"v": 1, "t": 0, "kind": "foo"},
    {"v": 1, "t": 0, "kind": 3},
    {"v": 1, "t": 0, "kind": "lifecycle"},
    {"v": 1, "t": 0, "kind": "lifecycle", "event": "sleep"},
    {"v": 1, "t": 0, "kind": "lifecycle", "event": 1},
    {"v": 1, "t": 0, "kind": "api"},
    {"v": 1, "t": 0, "kind": "api", "api": "getDeviceId"},
    {"v": 1, "t": 0, "kind": "api", "api": "a.b c"},
    {"v": 1, "t": 0, "kind": "api", "api": "a.b()"},
    {"v": 1, "t": 0, "kind": "api", "api": 5},
    {"v": 1, "t": 0, "kind": "api", "api": "a.b", "pi_type": 3},
    {"v": 1, "t": 0, "kind": "api", "api": "a.b", "stack": "a.b"},
    {"v": 1, "t": 0, "kind": "api", "api": "a.b", "stack": ["a.b", 1]},
    {"v": 1, "t": 0, "kind": "api", "api": "a.b", "thread": 1},
    {"v": 1, "t": 0, "kind": "api", "api": "a.b", "foreground": "yes"},
    {"v": 1, "t": 0, "kind": "api", "api": "a.b", "args": ["x"]},
    {"v": 1, "t": 0, "kind": "api", "api": "a.b", "ret": 1},
    {"v": 1, "t": 0, "kind": "consent", "event": "ok"},
    {"v": 1, "t": 0, "kind": "consent", "event": "shown", "text": 1},
    {"v": 1, "t": 0, "kind": "consent", "event": "shown", "checkbox_prechecked": 1},
    {"v": 1, "t": 0, "kind": "permission", "event": "requested"},
    {"v": 1, "t": 0, "kind": "permission", "event": "asked", "permissions": ["a"]},
    {"v": 1, "t": 0, "kind": "permission", "event": "granted", "permissions": []},
    {"v": 1, "t": 0, "kind": "permission", "event": "granted", "permissions": [""]},
    {"v": 1, "t": 0, "kind": "permission", "event": "granted", "permissions": "a"},
    {"v": 1, "t": 0, "kind": "net"},
    {"v": 1, "t": 0, "kind": "net", "host": ""},
    {"v": 1, "t": 0, "kind": "net", "host": 1},
    {"v": 1, "t": 0, "kind": "net", "ip": "1.2.3.4", "port": 70000},
    {"v": 1, "t": 0, "kind": "net", "ip": "1.2.3.4", "port": "443"},
    {"v": 1, "t": 0, "kind": "net", "host": "a", "headers": {"a": 1}},
    {"v": 1, "t": 0, "kind": "net", "host": "a", "headers": [["a"]]},
    {"v": 1, "t": 0, "kind": "net", "host": "a", "headers": [["a", "b", "c"]]},
    {"v": 1, "t": 0, "kind": "net", "host": "a", "headers": "a: b"},
    {"v": 1, "t": 0, "kind": "net", "host": "a", "body": {"hex": "00"}},
    {"v": 1, "t": 0, "kind": "net", "host": "a", "body": {"base64": 1}},
    {"v": 1, "t": 0, "kind": "net", "host": "a", "body": 1},
    {"v": 1, "t": 0, "kind": "net", "host": "a", "method": 1},
    {"v": 1, "t": 0, "kind": "net", "host": "a", "sni": None},
    {"v": 1, "t": 0, "kind": "ui"},
    {"v": 1, "t": 0, "kind": "ui", "screen": ""},
    {"v": 1, "t": 0, "kind": "ui", "screen": ["a.xml"]},
]
ODD_BUT_VALID = [
    {"v": 1.0, "t": 0, "kind": "lifecycle", "event": "launch"},
    {"v": 1, "t": 5.0, "kind": "lifecycle", "event": "launch"},
    {"v": 1, "t": 2**53 - 1, "kind": "lifecycle", "event": "launch", "extra": {"any": "thing"}},
    {"v": 1, "t": 0, "kind": "api", "api": ""},
    {"v": 1, "t": 0, "kind": "api", "api": "java.io.RandomAccessFile.<init>", "pi_type": None},
    {"v": 1, "t": 0, "kind": "api", "api": "a.b$C.d", "pi_type": "not_a_taxonomy_id"},
    {"v": 1, "t": 0, "kind": "net", "ip": "1.2.3.4", "port": 443.0, "headers": []},
    {"v": 1, "t": 0, "kind": "net", "host": "a", "headers": {}, "body": {"base64": "", "x": 1}},
    {"v": 1, "t": 0, "kind": "ui", "screen": "../x.xml"},
]


def _fixture_objects() -> list[object]:
    objects = []
    for path in sorted(TRACES.glob("*.jsonl")):
        for line in path.read_bytes().decode("utf-8", "replace").split("\n"):
            try:
                objects.append(json.loads(line))
            except ValueError:
                continue
    return objects


def test_hand_checks_agree_with_the_schema() -> None:
    validator = _validator()
    camille = import_camille(TRACES / "camille_session.xlsx")
    objects = _fixture_objects() + camille + BAD_OBJECTS + ODD_BUT_VALID
    assert len(objects) > 100
    for obj in objects:
        assert (check_event(obj) is None) == validator.is_valid(obj), obj
    for obj in BAD_OBJECTS:
        assert check_event(obj) is not None, obj
    for obj in ODD_BUT_VALID + camille:
        assert check_event(obj) is None, obj


def test_schema_is_valid_draft_2020_12_and_ships_in_the_package() -> None:
    jsonschema.Draft202012Validator.check_schema(schema())
    assert schema()["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema()["properties"]["kind"]["enum"] == [
        "api", "consent", "permission", "lifecycle", "net", "ui"
    ]  # fmt: skip


def test_every_example_in_the_format_doc_is_valid() -> None:
    doc = (ROOT / "docs" / "trace-format.md").read_text(encoding="utf-8")
    examples = [json.loads(m) for m in re.findall(r"^(\{\"v\":.*\})$", doc, re.MULTILINE)]
    assert {e["kind"] for e in examples} == {
        "api",
        "consent",
        "permission",
        "lifecycle",
        "net",
        "ui",
    }
    validator = _validator()
    for example in examples:
        assert check_event(example) is None, example
        assert validator.is_valid(example), example


# ---------------------------------------------------------------- writing


def test_write_trace_round_trip(tmp_path: Path) -> None:
    events = [
        {"kind": "lifecycle", "event": "launch", "t": 0, "v": 1},
        {"v": 1, "t": 12, "kind": "api", "api": "android.os.Build.getSerial", "note": "中文"},
    ]
    path = write_trace(events, tmp_path / "out.jsonl")
    assert path.read_text(encoding="utf-8") == (
        '{"v":1,"t":0,"kind":"lifecycle","event":"launch"}\n'
        '{"v":1,"t":12,"kind":"api","api":"android.os.Build.getSerial","note":"中文"}\n'
    )
    trace = read_trace(path)
    assert [(e.line, e.t, e.api, e.pi_type, e.source) for e in trace.api] == [
        (2, 12, "android.os.Build.getSerial", "serial_number", "out.jsonl:2")
    ]


def test_write_trace_refuses_an_invalid_event(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=r"^event 2: unknown kind 'foo'$"):
        write_trace(
            [
                {"v": 1, "t": 0, "kind": "lifecycle", "event": "launch"},
                {"v": 1, "t": 0, "kind": "foo"},
            ],
            tmp_path / "x.jsonl",
        )
    assert not (tmp_path / "x.jsonl").exists()
