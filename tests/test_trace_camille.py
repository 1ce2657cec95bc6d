"""camille's Excel output imported as trace events, and every way the workbook can be wrong."""

from __future__ import annotations

import io
import re
import zipfile
from datetime import datetime
from pathlib import Path

import openpyxl
import pytest

from pica.errors import InputError
from pica.extract.trace import camille as camille_mod
from pica.extract.trace import read_trace
from pica.extract.trace.camille import SHEET, convert_camille, import_camille, label_for

TRACES = Path(__file__).resolve().parent / "fixtures" / "traces"
SESSION = TRACES / "camille_session.xlsx"
HEADER = ["隐私政策状态", "时间点", "行为主体", "操作行为", "行为描述", "传入参数", "调用堆栈"]

# (kind, t, api or event, pi_type, args) of every event of the constructed session, in order
EXPECTED = [
    ("api", 0, "android.telephony.TelephonyManager.getDeviceId", "imei", "无参数"),
    ("api", 0, "android.provider.Settings$Secure.getString", None,
     '参数0："<instance: android.content.ContentResolver>"\n参数1："android_id"'),
    ("api", 1000, "android.app.ApplicationPackageManager.getInstalledPackages", "installed_apps",
     "参数0：0"),
    ("api", 3000, "android.net.wifi.WifiInfo.getMacAddress", "mac_address", "无参数"),
    ("api", 3000, "android.provider.Settings$Secure.getString", None,
     '参数0："<instance: android.content.ContentResolver>"\n参数1："device_provisioned"'),
    ("consent", 8000, "accepted", None, None),
    ("api", 8000, "androidx.core.app.ActivityCompat.requestPermissions", None,
     '参数0："<instance: com.example.shopdemo.MainActivity>"\n'
     '参数1：["android.permission.ACCESS_FINE_LOCATION","android.permission.READ_PHONE_STATE"]\n'
     "参数2：100"),
    ("permission", 8000, "requested", None, None),
    ("api", 11000, "android.location.LocationManager.getLastKnownLocation", "location_precise",
     '参数0："gps"'),
    ("api", 77000, "android.content.ContentResolver.query", "contacts", None),
    ("api", 77000, "android.net.wifi.WifiInfo.getIpAddress", "ip_address", None),
    ("api", 122000, "", "imei", "获取电话相关信息：获取IMEI\n无参数"),
    ("api", 122000, "android.content.ClipboardManager.getPrimaryClip", "clipboard", "无参数"),
]  # fmt: skip


def _summary(events: list[dict]) -> list[tuple]:
    return [
        (e["kind"], e["t"], e["api"] if e["kind"] == "api" else e["event"], e.get("pi_type"),
         e.get("args"))
        for e in events
    ]  # fmt: skip


def test_session_imports_row_by_row() -> None:
    events = import_camille(SESSION)
    assert _summary(events) == EXPECTED
    first = events[0]
    assert first["stack"][:5] == [
        "android.telephony.TelephonyManager.getDeviceId",
        "cn.jiguang.aa.c.a",
        "cn.jpush.android.api.JPushInterface.init",
        "com.example.shopdemo.ShopApplication.onCreate",
        "android.app.Instrumentation.callApplicationOnCreate",
    ]
    assert len(first["stack"]) == 12
    assert first["camille"] == {
        "row": 2,
        "state": "同意隐私政策前",
        "time": "2024-4-7 9:59:58",
        "subject": "极光推送",
        "action": "获取电话相关信息",
        "description": "获取IMEI",
    }
    assert events[5]["camille"] == {
        "row": 7,
        "from": "隐私政策状态 同意隐私政策前 → 同意隐私政策后",
    }
    assert events[7]["permissions"] == [
        "android.permission.ACCESS_FINE_LOCATION",
        "android.permission.READ_PHONE_STATE",
    ]
    assert events[10]["camille"]["description"] == "获取IP地址：192.168.1.23"
    assert "stack" not in events[11]  # camille wrote a blank 调用堆栈 cell


def test_converted_trace_reads_back(tmp_path: Path) -> None:
    out = convert_camille(SESSION, tmp_path / "camille.jsonl")
    trace = read_trace(out)
    assert trace.warnings == ()
    assert [(e.line, e.t, e.api, e.pi_type) for e in trace.api] == [
        (1, 0, "android.telephony.TelephonyManager.getDeviceId", "imei"),
        (2, 0, "android.provider.Settings$Secure.getString", "android_id"),  # derived: "android_id"
        (3, 1000, "android.app.ApplicationPackageManager.getInstalledPackages", "installed_apps"),
        (4, 3000, "android.net.wifi.WifiInfo.getMacAddress", "mac_address"),
        (5, 3000, "android.provider.Settings$Secure.getString", None),  # another key: no PI
        (7, 8000, "androidx.core.app.ActivityCompat.requestPermissions", None),
        (9, 11000, "android.location.LocationManager.getLastKnownLocation", "location_precise"),
        (10, 77000, "android.content.ContentResolver.query", "contacts"),
        (11, 77000, "android.net.wifi.WifiInfo.getIpAddress", "ip_address"),
        (12, 122000, "", "imei"),
        (13, 122000, "android.content.ClipboardManager.getPrimaryClip", "clipboard"),
    ]
    assert [(e.line, e.t, e.event) for e in trace.consent] == [(6, 8000, "accepted")]
    assert [(e.line, e.t, e.event, e.permissions) for e in trace.permissions] == [
        (8, 8000, "requested", ("android.permission.ACCESS_FINE_LOCATION",
                                "android.permission.READ_PHONE_STATE")),
    ]  # fmt: skip
    assert trace.api[0].source == "camille.jsonl:1"
    assert trace.duration_ms == 122000


def test_camilles_own_xls_and_its_xlsx_conversion_import_the_same() -> None:
    # camille_session.xls is written by xlwt, camille's own writer; camille_session_soffice.xlsx
    # is that file saved as .xlsx by LibreOffice
    events = import_camille(SESSION)
    assert import_camille(TRACES / "camille_session.xls") == events
    assert import_camille(TRACES / "camille_session_soffice.xlsx") == events


def test_a_truncated_xls_is_one_clear_error(tmp_path) -> None:
    data = (TRACES / "camille_session.xls").read_bytes()
    (tmp_path / "cut.xls").write_bytes(data[: len(data) // 3])
    with pytest.raises(InputError) as err:
        import_camille(tmp_path / "cut.xls")
    assert str(err.value).startswith("cut.xls is not a readable .xls workbook (")
    assert "\n" not in str(err.value)


# ---------------------------------------------------------------- the workbook is wrong


@pytest.mark.parametrize(
    ("name", "message"),
    [
        (
            "corrupt_truncated.xlsx",
            "corrupt_truncated.xlsx is not a readable .xlsx workbook (File is not a zip file)",
        ),
        (
            "corrupt_sheet.xlsx",
            "corrupt_sheet.xlsx is not a readable .xlsx workbook "
            "(ParseError: no element found: line 37, column 85)",
        ),
        ("session.jsonl", "session.jsonl is not an Excel workbook (.xls or .xlsx)"),
        ("empty.jsonl", "empty.jsonl is not an Excel workbook (.xls or .xlsx)"),
        ("none.xlsx", "camille file none.xlsx not found"),
    ],
)
def test_bad_workbooks_raise_one_line(name: str, message: str) -> None:
    with pytest.raises(InputError) as err:
        import_camille(TRACES / name)
    assert str(err.value) == message


def _book(path: Path, rows: list[list], *, title: str = SHEET, header=HEADER) -> Path:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = title
    if header is not None:
        ws.append(header)
    for row in rows:
        ws.append(row)
    wb.save(path)
    return path


def test_too_large_directory_no_sheet_no_rows(tmp_path: Path) -> None:
    size = SESSION.stat().st_size
    with pytest.raises(InputError) as err:
        import_camille(SESSION, max_bytes=1000)
    assert str(err.value) == f"camille file camille_session.xlsx is {size:,} bytes (limit 1,000)"

    with pytest.raises(InputError) as err:
        import_camille(tmp_path)
    assert str(err.value) == f"camille file {tmp_path.name} is a directory"

    other = _book(tmp_path / "other.xlsx", [["a", "b"]], title="Sheet1", header=["name", "value"])
    with pytest.raises(InputError) as err:
        import_camille(other)
    assert str(err.value) == (
        "other.xlsx has no camille sheet (a header row with 时间点 and 行为描述; sheets: 'Sheet1')"
    )

    empty = _book(tmp_path / "empty.xlsx", [])
    with pytest.raises(InputError) as err:
        import_camille(empty)
    assert str(err.value) == "empty.xlsx: the camille sheet has a header but no rows"

    bad_time = _book(
        tmp_path / "t.xlsx", [["同意隐私政策前", "yesterday", "APP本身", "x", "获取IMEI", "", ""]]
    )
    with pytest.raises(InputError) as err:
        import_camille(bad_time)
    assert str(err.value) == (
        "t.xlsx row 2: 时间点 'yesterday' is not a time (camille writes YYYY-M-D H:M:S)"
    )


def test_zip_bomb_is_refused_before_openpyxl(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(camille_mod, "MAX_UNZIPPED", 10_000)
    with zipfile.ZipFile(SESSION) as z:
        total = sum(i.file_size for i in z.infolist())
    with pytest.raises(InputError) as err:
        import_camille(SESSION)
    assert str(err.value) == f"camille_session.xlsx unpacks to {total:,} bytes (limit 10,000)"


def test_old_five_column_layout_and_datetime_cells(tmp_path: Path) -> None:
    # camille before 行为主体 and 隐私政策状态: 时间点 | 操作行为 | 行为描述 | 传入参数 | 调用堆栈
    old = _book(
        tmp_path / "old.xlsx",
        [
            ["2023-11-31 23:59:59", "获取电话相关信息", "获取IMSI", "无参数",
             "   android.telephony.TelephonyManager.getSubscriberId(Native Method)\r\n"
             "   com.a.B.c(B.java:1)\r\n"],
            ["2024-0-1 0:0:1", "获取系统信息", "获取设备序列号", "无参数", None],
        ],
        header=["时间点", "操作行为", "行为描述", "传入参数", "调用堆栈"],
    )  # fmt: skip
    events = import_camille(old)
    # zero-based months: 2023-11-31 is 31 December, 2024-0-1 is 1 January, two seconds apart
    assert _summary(events) == [
        ("api", 0, "android.telephony.TelephonyManager.getSubscriberId", "imsi", "无参数"),
        ("api", 2000, "android.os.Build.getSerial", "serial_number", "无参数"),
    ]
    assert events[0]["stack"] == ["android.telephony.TelephonyManager.getSubscriberId", "com.a.B.c"]
    assert events[0]["camille"]["state"] == ""

    # a sheet whose times Excel turned into dates, and the fork's 返回值 column
    fork = _book(
        tmp_path / "fork.xlsx",
        [[datetime(2024, 5, 7, 10, 0, 0), "APP本身", "获取网络信息", "获取wifi SSID", "无参数",
          '"HomeWifi"', None],
         [datetime(2024, 5, 7, 10, 0, 3), "APP本身", "自定义", "获取zhengjim密码", "无参数", "x",
          "   com.zhengjim.myapplication.HookTest.getPassword(Native Method)\r\n"]],
        header=["时间点", "行为主体", "操作行为", "行为描述", "传入参数", "返回值", "调用堆栈"],
    )  # fmt: skip
    assert _summary(import_camille(fork)) == [
        ("api", 0, "android.net.wifi.WifiInfo.getSSID", "wifi_info", "无参数"),
        ("api", 3000, "com.zhengjim.myapplication.HookTest.getPassword", None, "无参数"),
    ]
    assert import_camille(fork)[0]["ret"] == '"HomeWifi"'


def test_consent_boundary_only_from_before_to_after(tmp_path: Path) -> None:
    def row(state: str, second: int) -> list:
        return [
            state,
            f"2024-4-7 10:0:{second}",
            "APP本身",
            "获取网络信息",
            "获取Mac地址",
            "无参数",
            None,
        ]

    # camille -npp: every row "after", so no boundary and no consent event
    after = _book(tmp_path / "after.xlsx", [row("同意隐私政策后", 1), row("同意隐私政策后", 2)])
    assert [e["kind"] for e in import_camille(after)] == ["api", "api"]
    # one boundary only, even if the column goes back and forth
    flips = _book(
        tmp_path / "flips.xlsx",
        [row("同意隐私政策前", 1), row("同意隐私政策后", 4), row("同意隐私政策前", 5),
         row("同意隐私政策后", 6)],
    )  # fmt: skip
    assert [(e["kind"], e["t"]) for e in import_camille(flips)] == [
        ("api", 0), ("consent", 3000), ("api", 3000), ("api", 4000), ("api", 5000)
    ]  # fmt: skip


def test_unmapped_rows_keep_camilles_words_in_args(tmp_path: Path) -> None:
    book = _book(
        tmp_path / "u.xlsx",
        [["同意隐私政策前", "2024-4-7 10:0:0", "APP本身", "获取网络信息", "获取Mac地址", "无参数", None],
         ["同意隐私政策前", "2024-4-7 10:0:0", "APP本身", "新动作", "新的描述", "", None]],
    )  # fmt: skip
    assert _summary(import_camille(book)) == [
        ("api", 0, "", "mac_address", "获取网络信息：获取Mac地址\n无参数"),
        ("api", 0, "", None, "新动作：新的描述"),
    ]


def test_labels() -> None:
    assert label_for("获取IMEI")["pi"] == "imei"
    assert label_for("获取IP地址：10.0.0.2")["apis"] == ["android.net.wifi.WifiInfo.getIpAddress"]
    assert label_for("获取IP地址")["apis"] == ["java.net.InetAddress.getHostAddress"]
    assert label_for("getApplicationInfo获取的数据为：ApplicationInfo{1 com.tencent.mm}")["pi"] == (
        "installed_apps"
    )
    assert label_for("获取安卓ID")["pi"] is None
    assert label_for("随便什么") is None


def test_garbage_inside_a_zip_is_an_input_error(tmp_path: Path) -> None:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("[Content_Types].xml", "<not xml")
    path = tmp_path / "junk.xlsx"
    path.write_bytes(buf.getvalue())
    with pytest.raises(InputError) as err:
        import_camille(path)
    assert str(err.value).startswith("junk.xlsx is not a readable .xlsx workbook (")


_ENTITIES = b"".join(
    b'<!ENTITY %s "%s">' % (bytes([97 + i]), (b"&%s;" % bytes([96 + i])) * 10 if i else b"a" * 10)
    for i in range(9)
)  # &i; would be 10**9 characters


def _with_bomb(part: str) -> bytes:
    """camille_session_soffice.xlsx (it has shared strings) with a billion laughs in ``part``."""
    out = io.BytesIO()
    source = TRACES / "camille_session_soffice.xlsx"
    with zipfile.ZipFile(source) as src, zipfile.ZipFile(out, "w") as dst:
        for info in src.infolist():
            body = src.read(info.filename)
            if info.filename == part:
                body = body.split(b"?>", 1)[1]
                body = re.sub(rb"<(t|v)([^>]*)>[^<]*</", rb"<\1\2>&i;</", body, count=1)
                body = b'<?xml version="1.0"?><!DOCTYPE x [' + _ENTITIES + b"]>" + body
            dst.writestr(info.filename, body)
    return out.getvalue()


@pytest.mark.parametrize(
    ("part", "why"),
    [
        ("xl/worksheets/sheet1.xml", "could not read worksheets from None."),
        ("xl/sharedStrings.xml", "could not read strings from None."),
    ],
)
def test_entity_bomb_in_the_sheet_or_strings_is_refused(
    tmp_path: Path, part: str, why: str
) -> None:
    path = tmp_path / "bomb.xlsx"
    path.write_bytes(_with_bomb(part))
    with pytest.raises(InputError) as err:
        import_camille(path)
    assert str(err.value) == (
        f"bomb.xlsx is not a readable .xlsx workbook (ValueError: Unable to read workbook: {why})"
    )


def test_entity_bomb_in_the_workbook_part_is_not_expanded(tmp_path: Path) -> None:
    path = tmp_path / "bomb.xlsx"
    path.write_bytes(_with_bomb("xl/workbook.xml"))
    assert import_camille(path) == import_camille(SESSION)  # parsed without resolving entities


def test_label_table_is_well_formed() -> None:
    from pica import knowledge
    from pica.extract.trace._check import API_NAME

    labels = knowledge.load_data("camille_labels.yaml")["labels"]
    assert len(labels) == 43
    assert len({(e["text"], e.get("match", "exact")) for e in labels}) == 43
    for entry in labels:
        assert entry["pi"] is None or entry["pi"] in knowledge.taxonomy(), entry
        assert entry["apis"] and all(API_NAME.search(a) for a in entry["apis"]), entry
        assert entry.get("match", "exact") in ("exact", "prefix"), entry
