"""Rebuild the CONSTRUCTED camille workbooks in tests/fixtures/traces/ (byte for byte).

    .venv/bin/python tools/build_trace_fixtures.py          # needs openpyxl; xlwt for the .xls

CI never runs this: the built files are committed. The rows are one constructed camille session
(see tests/fixtures/traces/README.md); the sheet follows camille's writer (zhengjim/camille,
utlis/__init__.py ``write_xlsx``): sheet ``App_privacy_compliance_testing``, a bold 16.5 pt
centred header row, columns 隐私政策状态 | 时间点 | 行为主体 | 操作行为 | 行为描述 | 传入参数 |
调用堆栈, wrapped centred 11 pt cells, and script.js's time strings (zero-based month, no
padding) and stack and argument text (``   frame\\r\\n`` lines; ``参数N：JSON\\r\\n`` with the
last \\n cut off).

Writes:
  camille_session.xlsx   the session as a re-saved .xlsx (what pica imports)
  camille_session.xls    the same session as camille itself writes it (xlwt, Excel 97-2003)
  corrupt_truncated.xlsx the .xlsx cut in half (no zip central directory)
  corrupt_sheet.xlsx     a valid zip whose worksheet XML is broken
"""

from __future__ import annotations

import io
import re
import sys
import zipfile
from datetime import datetime
from pathlib import Path

OUT = Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "traces"
SHEET = "App_privacy_compliance_testing"
WIDTHS = (300, 300, 300, 300, 400, 400, 1200)  # camille: col(i).width = 20 * these
HEADER = ["隐私政策状态", "时间点", "行为主体", "操作行为", "行为描述", "传入参数", "调用堆栈"]
FIXED = datetime(2024, 5, 7, 10, 0, 0)
ZIP_TIME = (2024, 5, 7, 10, 0, 0)


def stack(*frames: str) -> str:
    """script.js getStackTrace(): three spaces, the frame, \\r\\n, for every frame."""
    return "".join(f"   {f}\r\n" for f in frames)


def args(*values: str) -> str:
    """script.js hookMethod(): 参数j：JSON\\r\\n per argument, the last character cut off."""
    if not values:
        return "无参数"
    text = "".join(f"参数{j}：{v}\r\n" for j, v in enumerate(values))
    return text[:-1]


BOOT = (
    "android.app.Instrumentation.callApplicationOnCreate(Instrumentation.java:1211)",
    "android.app.ActivityThread.handleBindApplication(ActivityThread.java:6712)",
    "android.app.ActivityThread.access$1300(ActivityThread.java:237)",
    "android.os.Handler.dispatchMessage(Handler.java:106)",
    "android.os.Looper.loop(Looper.java:223)",
    "android.app.ActivityThread.main(ActivityThread.java:7656)",
    "java.lang.reflect.Method.invoke(Native Method)",
    "com.android.internal.os.ZygoteInit.main(ZygoteInit.java:947)",
)
UI = (
    "android.app.Activity.performCreate(Activity.java:8000)",
    "android.app.ActivityThread.performLaunchActivity(ActivityThread.java:3422)",
    "android.os.Looper.loop(Looper.java:223)",
    "android.app.ActivityThread.main(ActivityThread.java:7656)",
)
BEFORE, AFTER = "同意隐私政策前", "同意隐私政策后"
INSTANCE = '"<instance: android.content.ContentResolver>"'

# 隐私政策状态, 时间点, 行为主体, 操作行为, 行为描述, 传入参数, 调用堆栈
ROWS = [
    (BEFORE, "2024-4-7 9:59:58", "极光推送", "获取电话相关信息", "获取IMEI", args(),
     stack("android.telephony.TelephonyManager.getDeviceId(Native Method)",
           "cn.jiguang.aa.c.a(Unknown Source:12)",
           "cn.jpush.android.api.JPushInterface.init(Unknown Source:30)",
           "com.example.shopdemo.ShopApplication.onCreate(ShopApplication.java:41)", *BOOT)),
    (BEFORE, "2024-4-7 9:59:58", "极光推送", "获取系统信息", "获取安卓ID",
     args(INSTANCE, '"android_id"'),
     stack("android.provider.Settings$Secure.getString(Native Method)",
           "cn.jiguang.ab.d.b(Unknown Source:8)",
           "cn.jpush.android.api.JPushInterface.init(Unknown Source:41)",
           "com.example.shopdemo.ShopApplication.onCreate(ShopApplication.java:41)", *BOOT)),
    (BEFORE, "2024-4-7 9:59:59", "APP本身", "获取其他app信息", "APP获取了其他app信息",
     args("0"),
     stack("android.app.ApplicationPackageManager.getInstalledPackages(Native Method)",
           "com.example.shopdemo.util.DeviceUtil.listApps(DeviceUtil.java:57)",
           "com.example.shopdemo.SplashActivity.onCreate(SplashActivity.java:33)", *UI)),
    (BEFORE, "2024-4-7 10:0:1", "APP本身", "获取网络信息", "获取Mac地址", args(),
     stack("android.net.wifi.WifiInfo.getMacAddress(Native Method)",
           "com.example.shopdemo.util.DeviceUtil.mac(DeviceUtil.java:80)",
           "com.example.shopdemo.SplashActivity.onCreate(SplashActivity.java:35)", *UI)),
    (BEFORE, "2024-4-7 10:0:1", "极光推送", "获取系统信息", "获取安卓ID",
     args(INSTANCE, '"device_provisioned"'),
     stack("android.provider.Settings$Secure.getString(Native Method)",
           "cn.jiguang.ab.d.c(Unknown Source:3)",
           "cn.jpush.android.service.PushService.onCreate(Unknown Source:17)")),
    (AFTER, "2024-4-7 10:0:6", "APP本身", "申请权限", '申请具体权限看"参数1"',
     args('"<instance: com.example.shopdemo.MainActivity>"',
          '["android.permission.ACCESS_FINE_LOCATION","android.permission.READ_PHONE_STATE"]',
          "100"),
     stack("androidx.core.app.ActivityCompat.requestPermissions(Native Method)",
           "com.example.shopdemo.MainActivity.askPermissions(MainActivity.java:112)",
           "com.example.shopdemo.MainActivity.onCreate(MainActivity.java:58)", *UI)),
    (AFTER, "2024-4-7 10:0:9", "百度定位", "获取位置信息", "获取位置信息", args('"gps"'),
     stack("android.location.LocationManager.getLastKnownLocation(Native Method)",
           "com.baidu.location.b.g.a(Unknown Source:40)",
           "com.baidu.location.LocationClient.start(Unknown Source:22)",
           "com.example.shopdemo.MainActivity.onResume(MainActivity.java:64)")),
    (AFTER, "2024-4-7 10:1:15", "APP本身", "获取系统信息", "获取手机通信录内容", "",
     stack("android.content.ContentResolver.query(Native Method)",
           "com.example.shopdemo.invite.InviteActivity.loadContacts(InviteActivity.java:45)",
           "com.example.shopdemo.invite.InviteActivity.onCreate(InviteActivity.java:30)", *UI)),
    (AFTER, "2024-4-7 10:1:15", "APP本身", "获取网络信息", "获取IP地址：192.168.1.23", "",
     stack("android.net.wifi.WifiInfo.getIpAddress(Native Method)",
           "com.example.shopdemo.util.NetUtil.localIp(NetUtil.java:22)")),
    # getStackTrace() can come back empty; camille then writes a blank 调用堆栈 cell
    (AFTER, "2024-4-7 10:2:0", "APP本身", "获取电话相关信息", "获取IMEI", args(), None),
    (AFTER, "2024-4-7 10:2:0", "APP本身", "获取系统信息", "读取剪切板信息", args(), None),
]  # fmt: skip


def deterministic(data: bytes) -> bytes:
    """Re-pack an openpyxl .xlsx with fixed zip times and a fixed docProps modified time."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w") as dst:
        for info in src.infolist():
            body = src.read(info.filename)
            if info.filename == "docProps/core.xml":
                body = re.sub(
                    rb"(<dcterms:modified[^>]*>)[^<]*(</dcterms:modified>)",
                    rb"\g<1>2024-05-07T10:00:00Z\g<2>",
                    body,
                )
            fixed = zipfile.ZipInfo(info.filename, date_time=ZIP_TIME)
            fixed.compress_type = zipfile.ZIP_DEFLATED
            fixed.external_attr = 0o600 << 16
            dst.writestr(fixed, body)
    return out.getvalue()


def build_xlsx() -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font

    wb = Workbook()
    ws = wb.active
    ws.title = SHEET
    wb.properties.creator = "pica test fixture"
    wb.properties.created = FIXED
    centre = Alignment(horizontal="center", vertical="center")
    title = Font(bold=True, size=16.5)  # xlwt height 30*11 twips
    for col, (name, width) in enumerate(zip(HEADER, WIDTHS, strict=True), 1):
        cell = ws.cell(row=1, column=col, value=name)
        cell.font, cell.alignment = title, centre
        ws.column_dimensions[cell.column_letter].width = 20 * width / 256  # xlwt 1/256 chars
    ws.row_dimensions[2].height = 25  # camille sets row(1) (the first data row) to 20*25 twips
    body = Font(size=11)
    wrap = Alignment(horizontal="center", vertical="center", wrap_text=True)
    for r, row in enumerate(ROWS, 2):
        for c, value in enumerate(row, 1):
            cell = ws.cell(row=r, column=c, value=value)
            cell.font, cell.alignment = body, wrap
    buf = io.BytesIO()
    wb.save(buf)
    return deterministic(buf.getvalue())


def build_xls() -> bytes | None:
    try:
        import xlwt
    except ImportError:
        return None
    # camille's write_xlsx, line for line in substance
    workbook = xlwt.Workbook(encoding="utf-8")
    worksheet = workbook.add_sheet(SHEET)
    title_style = xlwt.XFStyle()
    title_font = xlwt.Font()
    title_font.bold = True
    title_font.height = 30 * 11
    title_style.font = title_font
    alignment = xlwt.Alignment()
    alignment.horz = xlwt.Alignment.HORZ_CENTER
    alignment.vert = xlwt.Alignment.VERT_CENTER
    title_style.alignment = alignment
    for col, (name, width) in enumerate(zip(HEADER, WIDTHS, strict=True)):
        worksheet.write(0, col, name, title_style)
        worksheet.col(col).width = 20 * width
    worksheet.row(1).height_mismatch = True
    worksheet.row(1).height = 20 * 25
    content_style = xlwt.XFStyle()
    content_font = xlwt.Font()
    content_font.height = 20 * 11
    content_style.font = content_font
    content_style.alignment = alignment
    content_style.alignment.wrap = 1
    for i, row in enumerate(ROWS, 1):
        for col, value in enumerate(row):
            worksheet.write(i, col, value, content_style)
    buf = io.BytesIO()
    workbook.save(buf)
    return buf.getvalue()


def build_corrupt_sheet(xlsx: bytes) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(xlsx)) as src, zipfile.ZipFile(out, "w") as dst:
        for info in src.infolist():
            body = src.read(info.filename)
            if info.filename == "xl/worksheets/sheet1.xml":
                body = body[: len(body) // 2] + b'<row r="99"><c r="A99" t="s"><v>'
            fixed = zipfile.ZipInfo(info.filename, date_time=ZIP_TIME)
            fixed.compress_type = zipfile.ZIP_DEFLATED
            fixed.external_attr = 0o600 << 16
            dst.writestr(fixed, body)
    return out.getvalue()


def main() -> int:
    xlsx = build_xlsx()
    (OUT / "camille_session.xlsx").write_bytes(xlsx)
    (OUT / "corrupt_truncated.xlsx").write_bytes(xlsx[: len(xlsx) // 2])
    (OUT / "corrupt_sheet.xlsx").write_bytes(build_corrupt_sheet(xlsx))
    xls = build_xls()
    if xls is None:
        print("xlwt not installed: camille_session.xls left as it is", file=sys.stderr)
    else:
        (OUT / "camille_session.xls").write_bytes(xls)
    for name in ("camille_session.xlsx", "camille_session.xls", "corrupt_truncated.xlsx",
                 "corrupt_sheet.xlsx"):  # fmt: skip
        path = OUT / name
        if path.exists():
            print(f"{path.stat().st_size:>7}  {name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
