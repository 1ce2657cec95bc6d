#!/usr/bin/env python3
"""Build pica's SDK catalog (src/pica/knowledge/data/sdk_catalog.json).

Inputs (read at build time only; the product reads the generated JSON):
  <shared>/data/trackers/exodus/exodus_trackers.json         Exodus Privacy trackers (ODbL-1.0)
  <shared>/data/trackers/libchecker/libchecker_rules_merged.json and rules_v3.db
                                                             LibChecker-Rules (Apache-2.0)
  <shared>/data/trackers/appscan/sdk.json                    TongchengOpenSource/AppScan (Apache-2.0)
  src/pica/knowledge/data/sdk_catalog_cn.yaml                pica's hand-reviewed entries
  src/pica/knowledge/data/libraries.yaml                     open-source library package roots
  src/pica/knowledge/data/sdk_aliases.yaml                   reviewed aliases, generic words, brands

One entry per SDK: upstream entries are merged when the hand file says so, when their normalised
names are equal, or when they share a code signature, component or native library (never two
entries of the same source by heuristics). Every code signature belongs to exactly one entry.
Every entry gets "aliases" (assign_aliases): reviewed ones from the hand file and sdk_aliases.yaml,
plus ones derived from its names; the build fails if a Chinese entry has none, or if an alias
belongs to two entries without a reviewed shared_aliases item (see the header of sdk_aliases.yaml).
The output is deterministic: entries sorted by id, lists sorted.

Usage: python tools/build_sdk_catalog.py --shared /work/shared [--out PATH] [--verbose]
"""

from __future__ import annotations

import argparse
import ast
import json
import re
import sqlite3
import sys
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "src" / "pica" / "knowledge" / "data"

CATEGORIES = (
    "push", "analytics", "ads", "maps_location", "payment", "social_login", "crash_reporting",
    "device_id", "risk_control", "im", "cdn_network", "webview", "utility", "library", "shared_library", "other",
)  # fmt: skip

# Open-source libraries compiled into apps (code under their package roots acts for the app):
# the roots live in the reviewed data file libraries.yaml, read by load_library_roots().
LIBRARIES_FILE = DATA / "libraries.yaml"
ALIASES_FILE = DATA / "sdk_aliases.yaml"

PI_TYPES = frozenset(
    "imei meid imsi iccid android_id mac_address serial_number oaid advertising_id "
    "location_precise location_coarse wifi_info bluetooth_info cell_info contacts sms call_log "
    "calendar installed_apps running_processes clipboard camera microphone photos_media "
    "phone_number device_accounts id_number bank_card biometrics health sensors real_name email "
    "postal_address user_account transaction_records browsing_history".split()
)

# Single-segment package prefixes distinctive enough to be a signature on their own.
ALLOW_SINGLE = frozenset(
    {"kotlin", "kotlinx", "okhttp3", "okio", "retrofit2", "dagger", "butterknife", "mtopsdk"}
)

# Two-segment roots of multi-product vendors: "com.tencent." alone would make every Tencent app
# (and the app under audit, if it is one) look like "an SDK". Only deeper prefixes are kept.
BROAD_ROOTS = frozenset(
    """com.google com.android com.facebook com.tencent com.alibaba com.taobao com.baidu com.huawei
    com.xiaomi com.microsoft com.amazon com.samsung com.bytedance com.ss com.qq com.sina com.netease
    com.jd com.meituan com.sohu com.sogou com.qihoo com.qihoo360 com.apple com.adobe com.github
    io.github org.apache com.squareup com.alipay com.kuaishou com.kwai com.yxcorp com.oppo com.heytap
    com.vivo com.meizu com.miui com.mi com.huawei com.hihonor com.aliyun com.sankuai com.ali
    com.oracle com.sun org.chromium com.ibm com.yahoo com.twitter com.linkedin com.amazonaws
    com.umeng com.iqiyi com.xunlei com.youku com.uc com.ucweb com.kugou com.ximalaya
    com.didi com.dianping com.jingdong com.pinduoduo com.xiaohongshu com.zhihu com.bilibili
    com.example org.example com.app com.sdk com.lib com.base com.common io.sdk""".split()
)

# Hosts too generic to name one SDK (links to these appear in any app).
GENERIC_DOMAINS = frozenset(
    """google.com facebook.com qq.com baidu.com taobao.com tmall.com alipay.com weibo.com sina.com.cn
    amazonaws.com amazon.com microsoft.com apple.com github.com googleapis.com gstatic.com
    tencent.com aliyun.com alibaba.com huawei.com xiaomi.com mi.com bytedance.com jd.com 163.com
    126.com twitter.com youtube.com weixin.qq.com cloudfront.net akamaihd.net google.cn""".split()
)

# Package roots -> (vendor, vendor in Chinese, Chinese vendor?). Longest root wins.
VENDOR_ROOTS: dict[str, tuple[str, str, bool]] = {
    "com.tencent": ("Tencent", "腾讯", True),
    "com.qq": ("Tencent", "腾讯", True),
    "cooperation": ("Tencent", "腾讯", True),
    "dov.com.qq": ("Tencent", "腾讯", True),
    "com.tme": ("Tencent Music", "腾讯音乐", True),
    "com.baidu": ("Baidu", "百度", True),
    "com.duoku": ("Baidu", "百度", True),
    "com.alibaba": ("Alibaba", "阿里巴巴", True),
    "com.taobao": ("Alibaba", "阿里巴巴", True),
    "android.taobao": ("Alibaba", "阿里巴巴", True),
    "com.alipay": ("Alipay (Ant Group)", "支付宝", True),
    "com.aliyun": ("Alibaba Cloud", "阿里云", True),
    "com.alimama": ("Alibaba", "阿里巴巴", True),
    "com.ta.utdid2": ("Alibaba", "阿里巴巴", True),
    "com.uc": ("Alibaba (UC)", "阿里巴巴（UC）", True),
    "com.uc2": ("Alibaba (UC)", "阿里巴巴（UC）", True),
    "com.umeng": ("Umeng (Alibaba)", "友盟", True),
    "com.amap": ("AutoNavi (Alibaba)", "高德", True),
    "com.autonavi": ("AutoNavi (Alibaba)", "高德", True),
    "com.bytedance": ("ByteDance", "字节跳动", True),
    "com.ss": ("ByteDance", "字节跳动", True),
    "com.pgl": ("ByteDance", "字节跳动", True),
    "com.pangle": ("ByteDance", "字节跳动", True),
    "com.huawei": ("Huawei", "华为", True),
    "com.hihonor": ("Honor Device", "荣耀", True),
    "com.xiaomi": ("Xiaomi", "小米", True),
    "com.mi": ("Xiaomi", "小米", True),
    "com.miui": ("Xiaomi", "小米", True),
    "com.meizu": ("Meizu", "魅族", True),
    "com.vivo": ("vivo", "vivo", True),
    "com.heytap": ("OPPO (HeyTap)", "OPPO", True),
    "com.coloros": ("OPPO (HeyTap)", "OPPO", True),
    "com.oppo": ("OPPO", "OPPO", True),
    "com.sina": ("Sina Weibo", "新浪微博", True),
    "com.weibo": ("Sina Weibo", "新浪微博", True),
    "tv.xiaoka": ("Yixia / Weibo", "一下科技", True),
    "com.yixia": ("Yixia", "一下科技", True),
    "com.netease": ("NetEase", "网易", True),
    "com.qiyukf": ("NetEase", "网易", True),
    "com.qihoo": ("Qihoo 360", "奇虎360", True),
    "com.qihoo360": ("Qihoo 360", "奇虎360", True),
    "com.iflytek": ("iFlytek", "科大讯飞", True),
    "cn.jpush": ("Aurora Mobile (JIGUANG)", "极光", True),
    "cn.jiguang": ("Aurora Mobile (JIGUANG)", "极光", True),
    "com.igexin": ("Getui", "个推", True),
    "com.getui": ("Getui", "个推", True),
    "com.kwad": ("Kuaishou", "快手", True),
    "com.kuaishou": ("Kuaishou", "快手", True),
    "com.kwai": ("Kuaishou", "快手", True),
    "com.yxcorp": ("Kuaishou", "快手", True),
    "com.mob": ("MobTech", "MobTech 袤博", True),
    "cn.sharesdk": ("MobTech", "MobTech 袤博", True),
    "com.jd": ("JD.com", "京东", True),
    "com.jingdong": ("JD.com", "京东", True),
    "com.jdpay": ("JD.com", "京东", True),
    "com.jdpaysdk": ("JD.com", "京东", True),
    "com.wangyin": ("JD.com", "京东", True),
    "com.kepler.jd": ("JD.com", "京东", True),
    "com.meituan": ("Meituan", "美团", True),
    "com.dianping": ("Meituan", "美团", True),
    "com.sogou": ("Sogou", "搜狗", True),
    "com.sohu": ("Sohu", "搜狐", True),
    "com.xunlei": ("Xunlei", "迅雷", True),
    "com.cmcm": ("Cheetah Mobile", "猎豹移动", True),
    "com.talkingdata": ("TalkingData", "TalkingData", True),
    "com.tendcloud": ("TalkingData", "TalkingData", True),
    "com.sensorsdata": ("Sensors Data", "神策数据", True),
    "com.growingio": ("GrowingIO", "GrowingIO", True),
    "cn.thinkingdata": ("ThinkingData", "数数科技", True),
    "com.mintegral": ("Mobvista", "汇量科技", True),
    "com.mbridge": ("Mobvista", "汇量科技", True),
    "com.mobvista": ("Mobvista", "汇量科技", True),
    "io.rong": ("RongCloud", "融云", True),
    "com.hyphenate": ("Easemob", "环信", True),
    "com.easemob": ("Easemob", "环信", True),
    "io.agora": ("Agora", "声网", True),
    "com.megvii": ("Megvii", "旷视", True),
    "com.sensetime": ("SenseTime", "商汤", True),
    "com.chuanglan": ("Chuanglan", "创蓝", True),
    "com.cmic": ("China Mobile", "中国移动", True),
    "com.cmcc": ("China Mobile", "中国移动", True),
    "cn.com.chinatelecom": ("China Telecom", "中国电信", True),
    "com.unionpay": ("China UnionPay", "中国银联", True),
    "com.ximalaya": ("Ximalaya", "喜马拉雅", True),
    "com.hpplay": ("Hpplay (Lebo)", "乐播", True),
    "com.letv": ("LeEco", "乐视", True),
    "com.le": ("LeEco", "乐视", True),
    "com.letvcloud": ("LeEco", "乐视", True),
    "com.kingsoft": ("Kingsoft", "金山", True),
    "cn.wps": ("Kingsoft", "金山", True),
    "com.qiniu": ("Qiniu", "七牛云", True),
    "io.dcloud": ("DCloud", "数字天堂", True),
    "cn.bmob": ("Bmob", "Bmob 后端云", True),
    "com.pingplusplus": ("Ping++", "Ping++", True),
    "cn.beecloud": ("BeeCloud", "BeeCloud", True),
    "com.bugtags": ("Bugtags", "Bugtags", True),
    "com.wbtech": ("Cobub", "Cobub", True),
    "com.sobot": ("Sobot", "智齿科技", True),
    "com.meiqia": ("Meiqia", "美洽", True),
    "com.zhuge": ("Zhuge IO", "诸葛IO", True),
    "com.networkbench": ("Tingyun", "听云", True),
    "com.pgyersdk": ("Pgyer", "蒲公英", True),
    "com.dataeye": ("DataEye", "DataEye", True),
    "com.eguan": ("Analysys", "易观", True),
    "com.ishumei": ("Shumei", "数美", True),
    "cn.tongdun": ("Tongdun", "同盾", True),
    "com.bangcle": ("Bangcle", "梆梆安全", True),
    "com.ipaynow": ("IPayNow", "现在支付", True),
    "com.youzan": ("Youzan", "有赞", True),
    "com.chukong": ("Chukong", "触控科技", True),
    "com.anysdk": ("Chukong", "触控科技", True),
    "com.lody": ("VirtualApp (Lody)", "VirtualApp", True),
    "com.hpplay.sdk": ("Hpplay (Lebo)", "乐播", True),
    "com.ccb": ("China Construction Bank", "中国建设银行", True),
    "com.cmbchina": ("China Merchants Bank", "招商银行", True),
    "cmbapi": ("China Merchants Bank", "招商银行", True),
    "com.boc": ("Bank of China", "中国银行", True),
    "com.allinpay": ("Allinpay", "通联支付", True),
    "com.lkl": ("Lakala", "拉卡拉", True),
    "com.yeepay": ("YeePay", "易宝支付", True),
    "com.umpay": ("UMPay", "联动优势", True),
    "com.iapppay": ("iApppay", "爱贝", True),
    "com.skymobi": ("Skymobi", "斯凯", True),
    "com.downjoy": ("Downjoy", "当乐", True),
    "com.baofeng": ("Baofeng", "暴风", True),
    "com.meitu": ("Meitu", "美图", True),
    "com.sdu.didi": ("DiDi", "滴滴", True),
    "com.didi": ("DiDi", "滴滴", True),
    "com.qingting": ("Qingting FM", "蜻蜓FM", True),
    "com.liulishuo": ("Liulishuo", "流利说", True),
    "org.lasque": ("Tutucloud", "涂图", True),
    "master.flame.danmaku": ("Bilibili", "哔哩哔哩", True),
    "com.maxthon": ("Maxthon", "遨游", True),
    "com.renn": ("Renren", "人人网", True),
    "im.yixin": ("NetEase Yixin", "网易易信", True),
    "mm.purchasesdk": ("China Mobile", "中国移动", True),
    "mm.sms.purchasesdk": ("China Mobile", "中国移动", True),
    "com.sdk.mobile.manager.login.cucc": ("China Unicom", "中国联通", True),
    "com.avl": ("Antiy", "安天", True),
    "adups": ("Adups", "广升", True),
    "everphoto": ("Everphoto", "时光相册", True),
    "com.chosen.kf5sdk": ("KF5 (Yichuang Cloud)", "逸创云", True),
    "com.evernote": ("Evernote", "印象笔记", False),
    "com.masteratul": ("masteratul (open source)", "masteratul", False),
    "com.google": ("Google", "谷歌", False),
    "com.android": ("Google", "谷歌", False),
    "androidx": ("Google", "谷歌", False),
    "android.support": ("Google", "谷歌", False),
    "com.firebase": ("Google", "谷歌", False),
    "com.crashlytics": ("Google", "谷歌", False),
    "io.fabric": ("Google", "谷歌", False),
    "com.facebook": ("Meta", "Meta（脸书）", False),
    "com.microsoft": ("Microsoft", "微软", False),
    "com.amazon": ("Amazon", "亚马逊", False),
    "com.amazonaws": ("Amazon", "亚马逊", False),
    "com.twitter": ("Twitter / X", "推特", False),
    "com.squareup": ("Square (Block)", "Square", False),
    "com.paypal": ("PayPal", "PayPal", False),
    "com.braintreepayments": ("PayPal", "PayPal", False),
    "com.dropbox": ("Dropbox", "Dropbox", False),
    "com.unity3d": ("Unity Technologies", "Unity", False),
    "com.vungle": ("Vungle (Liftoff)", "Vungle", False),
    "com.ironsource": ("ironSource (Unity)", "ironSource", False),
    "com.flurry": ("Flurry (Yahoo)", "Flurry", False),
    "com.yandex": ("Yandex", "Yandex", False),
    "com.vk": ("VK", "VK", False),
    "jp.line": ("LINE", "LINE", False),
    "com.kakao": ("Kakao", "Kakao", False),
    "com.airbnb": ("Airbnb", "Airbnb", False),
}

# LibChecker "team" values that are Chinese vendors (besides any team written in Chinese).
CN_TEAMS = frozenset(
    """Tencent Alibaba Baidu ByteDance Bytedance Huawei HUAWEI Alipay Volcengine Netease Aliyun
    Xiaomi iQIYI Weibo Bilibili KwaiAppTeam vivo OPPO 360 Qihoo360 Hpplay Didi JD Meizu HONOR
    nubia Douyin TapTap Xiaohongshu China\u00a0Telecom CMB iFlyTek Kingsoft AISPEECH Youme Umeng
    Zhihu LingoChamp Agora Ping++ Bmob MobClub""".split()
) | {"China Telecom", "Volcengine (火山引擎)", "Chromium, HUAWEI", "Alibaba Cloud"}
# Chinese names of LibChecker teams (for entries named only in English by LibChecker).
TEAM_ZH = {
    "Tencent": "腾讯",
    "Alibaba": "阿里巴巴",
    "Aliyun": "阿里云",
    "Alibaba Cloud": "阿里云",
    "Alipay": "支付宝",
    "Baidu": "百度",
    "ByteDance": "字节跳动",
    "Bytedance": "字节跳动",
    "Volcengine": "火山引擎",
    "Volcengine (火山引擎)": "火山引擎",
    "Huawei": "华为",
    "HUAWEI": "华为",
    "Chromium, HUAWEI": "华为",
    "Xiaomi": "小米",
    "iQIYI": "爱奇艺",
    "Bilibili": "哔哩哔哩",
    "KwaiAppTeam": "快手",
    "vivo": "vivo",
    "OPPO": "OPPO",
    "360": "360",
    "Qihoo360": "360",
    "nubia": "努比亚",
    "iFlyTek": "科大讯飞",
    "Netease": "网易",
    "Weibo": "微博",
    "Meizu": "魅族",
    "HONOR": "荣耀",
    "Didi": "滴滴",
    "JD": "京东",
    "Hpplay": "乐播",
    "Douyin": "抖音",
    "TapTap": "TapTap",
    "Xiaohongshu": "小红书",
    "China Telecom": "中国电信",
    "CMB": "招商银行",
    "Kingsoft": "金山",
    "AISPEECH": "思必驰",
    "Youme": "游密",
    "Umeng": "友盟",
    "Zhihu": "知乎",
    "LingoChamp": "流利说",
    "Agora": "声网",
    "Ping++": "Ping++",
    "Bmob": "Bmob",
    "MobClub": "MobTech",
}
FOREIGN_TEAMS = frozenset({"Android", "Google", "CRIWARE", "Unity Technologies", "Unity"})

FOREIGN_NAME_HINTS = ("谷歌", "google", "facebook", "microsoft", "twitter", "paypal", "dropbox")

CATEGORY_KEYWORDS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("push", ("推送", "push", "消息")),
    ("crash_reporting", ("crash", "崩溃", "bug", "apm", "性能", "异常", "acra", "sentry", "监控")),
    ("ads", ("广告", "ads", " ad ", "adsdk", "推广", "admob", "mobads", "联盟")),
    ("analytics", ("统计", "analytics", "分析", "tracking", "数据", "metrics", "telemetry")),
    ("maps_location", ("地图", "定位", "map", "location", "lbs", "导航", "geo")),
    ("payment", ("支付", "pay", "钱包", "wallet", "billing", "计费", "收银")),
    ("risk_control", ("安全", "加固", "风控", "指纹", "captcha", "验证码", "security", "protect",
                      "反外挂", "防", "guard", "jiagu", "认证", "核身", "liveness", "实人")),
    ("social_login", ("登录", "login", "分享", "share", "开放平台", "oauth", "auth", "帐号", "账号", "account")),
    ("im", ("im", "即时通", "聊天", "chat", "rtc", "音视频", "通信", "客服", "voip", "直播", "live")),
    ("webview", ("webview", "浏览", "x5", "tbs", "小程序", "h5")),
    ("cdn_network", ("http", "dns", "cdn", "network", "网络", "quic", "cronet", "okhttp", "mqtt")),
    ("device_id", ("oaid", "msa", "设备标识", "utdid", "device id")),
)  # fmt: skip

CATEGORY_ZH = {
    "push": "推送 SDK",
    "analytics": "统计分析 SDK",
    "ads": "广告 SDK",
    "maps_location": "地图定位 SDK",
    "payment": "支付 SDK",
    "social_login": "登录分享 SDK",
    "crash_reporting": "崩溃监测 SDK",
    "device_id": "设备标识 SDK",
    "risk_control": "安全风控 SDK",
    "im": "即时通信 SDK",
    "cdn_network": "网络 SDK",
    "webview": "浏览器内核 SDK",
    "utility": "工具 SDK",
    "library": "开源库",
    "shared_library": "共享基础库",
    "other": "SDK",
}
EXODUS_CATEGORY = {
    "Crash reporting": "crash_reporting",
    "Advertisement": "ads",
    "Location": "maps_location",
    "Identification": "social_login",
    "Analytics": "analytics",
    "Profiling": "analytics",
}
EXODUS_CATEGORY_ORDER = (
    "Crash reporting",
    "Advertisement",
    "Location",
    "Identification",
    "Analytics",
    "Profiling",
)

CJK = re.compile(r"[\u3400-\u9fff]")
JAVA_NAME = re.compile(r"[A-Za-z_$][\w$]*(?:\.[A-Za-z_$][\w$]*)*\.?")
DOMAIN = re.compile(r"[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)+")
NATIVE = re.compile(r"[\w.+*-]+\.so")
SOURCE_KINDS = ("pica", "exodus", "libchecker", "appscan")


@dataclass
class Raw:
    ref: str  # "exodus:12", "libchecker:<label>", "appscan:<name>", "pica:<id>"
    kind: str
    name_en: str | None = None
    name_zh: str | None = None
    vendor: str | None = None
    category: str | None = None
    chinese: bool | None = None
    code: set[str] = field(default_factory=set)
    code_regex: set[str] = field(default_factory=set)
    components: set[str] = field(default_factory=set)
    native: set[str] = field(default_factory=set)
    domains: set[str] = field(default_factory=set)
    pi_types: list[str] = field(default_factory=list)
    policy_url: str | None = None
    hand_id: str | None = None
    aliases: list[str] = field(default_factory=list)
    merge: list[str] = field(default_factory=list)
    carried_by: list[str] = field(default_factory=list)  # shared libraries: the SDKs shipping them
    team: str | None = None
    exodus_categories: list[str] = field(default_factory=list)


def log(verbose: bool, *args: object) -> None:
    if verbose:
        print(*args, file=sys.stderr)


# ------------------------------------------------------------------ normalisation


def norm_code(sig: str) -> tuple[str, str] | None:
    """A code signature -> ("prefix", "com.foo.") / ("class", "com.foo.Bar") / ("regex", r"...")."""
    s = sig.strip()
    if not s:
        return None
    if s.startswith("."):  # ".tealium." in Exodus: a segment anywhere in the name
        body = s.strip(".")
        if not re.fullmatch(r"[\w$.]+", body):
            return None
        tail = r"\." if s.endswith(".") else r"(?:[.$]|$)"
        return ("regex", r"(?:^|\.)" + re.escape(body) + tail)
    if not JAVA_NAME.fullmatch(s):
        return None
    segs = s.rstrip(".").split(".")
    head = segs[0]
    if head in ("java", "javax", "dalvik") or ".".join(segs[:2]) in (
        "org.json",
        "org.w3c",
        "org.xml",
    ):
        return None
    if head == "android" and segs[1:2] not in (["support"], ["taobao"]):
        return None
    last = segs[-1]
    is_class = not s.endswith(".") and last[:1].isupper() and len(segs) >= 2
    if is_class:
        if len(segs) == 2 and ".".join(segs[:1]) in ("com", "org", "net", "io", "cn"):
            return None
        return ("class", ".".join(segs))
    if len(segs) == 1 and head not in ALLOW_SINGLE:
        return None
    if len(segs) == 2 and ".".join(segs) in BROAD_ROOTS:
        return None
    return ("prefix", ".".join(segs) + ".")


def add_code(raw: Raw, sig: str) -> bool:
    n = norm_code(sig)
    if n is None:
        return False
    kind, value = n
    (raw.code_regex if kind == "regex" else raw.code).add(value)
    return True


def norm_domain(text: str) -> str | None:
    s = text.strip().lower().replace("\\-", "-").replace("\\.", ".")
    if s.startswith(".*"):
        s = s[2:]
    s = s.strip(".")
    if not DOMAIN.fullmatch(s) or s in GENERIC_DOMAINS or re.fullmatch(r"[\d.]+", s):
        return None
    return s


def norm_native(text: str) -> str | None:
    s = text.strip()
    if "(.*)" in s or "\\" in s:
        s = s.replace("(.*)", "*").replace("\\.", ".")
    return s if NATIVE.fullmatch(s) else None


def norm_component(text: str) -> str | None:
    s = text.strip()
    if s.startswith(".") or not JAVA_NAME.fullmatch(s) or s.endswith(".") or "." not in s:
        return None
    return s


def norm_name(name: str | None) -> str:
    if not name:
        return ""
    s = unicodedata.normalize("NFKC", name).lower()
    s = re.sub(r"\(.*?\)|（.*?）", "", s)
    s = re.sub(r"\b(sdk|android|for android|library|lib)\b", "", s)
    s = s.replace("sdk", "")
    return re.sub(r"[\W_]+", "", s)


def slug(text: str) -> str:
    s = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    s = re.sub(r"\(.*?\)", "", s)
    return re.sub(r"[^a-z0-9]+", "_", s).strip("_")


def vendor_for(sigs: list[str]) -> tuple[str, str, bool] | None:
    best = None
    for sig in sigs:
        segs = sig.rstrip(".").split(".")
        for n in range(len(segs), 0, -1):
            root = ".".join(segs[:n])
            if root in VENDOR_ROOTS:
                if best is None or n > best[0]:
                    best = (n, VENDOR_ROOTS[root])
                break
    return best[1] if best else None


def guess_category(*texts: str | None) -> str:
    text = " " + " ".join(t for t in texts if t).lower() + " "
    for cat, words in CATEGORY_KEYWORDS:
        for w in words:
            if w.strip() in ("im", "h5", "ad", "live"):
                if re.search(r"(?<![a-z])" + w.strip() + r"(?![a-z])", text):
                    return cat
            elif w in text:
                return cat
    return "utility"


# ------------------------------------------------------------------ loaders


def load_hand(path: Path) -> tuple[list[Raw], dict[str, dict]]:
    doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    out = []
    for e in doc["entries"]:
        r = Raw(ref=f"pica:{e['id']}", kind="pica", hand_id=e["id"])
        r.name_en, r.name_zh, r.vendor = e["name_en"], e["name_zh"], e["vendor"]
        r.category, r.chinese = e["category"], bool(e["chinese"])
        for sig in e.get("code_signatures") or []:
            n = norm_code(sig)
            if n is None or n[1].rstrip(".") != sig.rstrip(".") and n[0] != "regex":
                raise SystemExit(f"hand entry {e['id']}: bad code signature {sig!r}")
            (r.code_regex if n[0] == "regex" else r.code).add(n[1])
        for c in e.get("components") or []:
            if norm_component(c) != c:
                raise SystemExit(f"hand entry {e['id']}: bad component {c!r}")
            r.components.add(c)
        for lib in e.get("native_libs") or []:
            if norm_native(lib) != lib:
                raise SystemExit(f"hand entry {e['id']}: bad native lib {lib!r}")
            r.native.add(lib)
        for d in e.get("domains") or []:
            if norm_domain(d) != d:
                raise SystemExit(f"hand entry {e['id']}: bad domain {d!r}")
            r.domains.add(d)
        r.pi_types = list(e.get("pi_types") or [])
        r.policy_url = e.get("policy_url")
        r.merge = list(e.get("merge") or [])
        r.carried_by = list(e.get("carried_by") or [])
        if r.carried_by and r.category != "shared_library":
            raise SystemExit(f"hand entry {e['id']}: carried_by is for shared libraries only")
        r.aliases = list(e.get("aliases") or [])
        if r.chinese and not r.aliases:
            raise SystemExit(f"hand entry {e['id']}: a Chinese entry needs aliases")
        if not all(isinstance(a, str) and a.strip() == a and a for a in r.aliases):
            raise SystemExit(f"hand entry {e['id']}: aliases must be non-empty trimmed strings")
        out.append(r)
    return out, dict(doc.get("overrides") or {})


def load_library_roots(path: Path) -> tuple[str, ...]:
    """The package roots of open-source libraries (libraries.yaml), in file order."""
    doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    roots: list[str] = []
    for r in doc["roots"]:
        prefix = r["prefix"]
        if not (r.get("library") and r.get("licence")):
            raise SystemExit(f"{path.name}: {prefix}: library and licence are required")
        if not JAVA_NAME.fullmatch(prefix) or not prefix.endswith("."):
            raise SystemExit(f"{path.name}: bad prefix {prefix!r} (a package ending in '.')")
        if prefix in roots:
            raise SystemExit(f"{path.name}: {prefix} listed twice")
        roots.append(prefix)
    return tuple(roots)


def is_library(entry: dict, roots: tuple[str, ...]) -> bool:
    """True when a generated entry is an open-source library: every code signature and
    component lies under a library root, and its category is only the tool's guess from its
    name (no hand entry, no override, no Exodus category says otherwise)."""
    names = [*entry["code_signatures"], *entry["components"]]
    return (
        entry.get("_category_guessed", True)
        and "pica:hand" not in entry["sources"]
        and bool(names)
        and all(name.startswith(roots) for name in names)
    )


def load_exodus(path: Path) -> list[Raw]:
    trackers = json.loads(path.read_text(encoding="utf-8"))["trackers"]
    out = []
    for t in trackers.values():
        r = Raw(ref=f"exodus:{t['id']}", kind="exodus", name_en=t["name"].strip())
        for sig in t["code_signature"].split("|"):
            add_code(r, sig)
        for sig in t["network_signature"].split("|"):
            d = norm_domain(sig)
            if d:
                r.domains.add(d)
        r.exodus_categories = list(t.get("categories") or [])
        out.append(r)
    return out


# AppScan groups that bundle unrelated open-source libraries under one name.
APPSCAN_SKIP = frozenset({"图片选择 & 图片预览 & 图片加载相关"})

LC_COMPONENT_KINDS = ("activities-libs", "services-libs", "receivers-libs", "providers-libs")


def load_libchecker(folder: Path) -> list[Raw]:
    rules = json.loads((folder / "libchecker_rules_merged.json").read_text(encoding="utf-8"))[
        "rules"
    ]
    by_label: dict[str, Raw] = {}

    def get(label: str, team: str | None) -> Raw:
        label = label.strip()
        r = by_label.get(label)
        if r is None:
            r = by_label[label] = Raw(ref=f"libchecker:{label}", kind="libchecker")
            if CJK.search(label):
                r.name_zh = label
            else:
                r.name_en = label
        if team and not r.team:
            r.team = team.strip()
        return r

    for kind, table in sorted(rules.items()):
        for key, v in sorted(table.items()):
            if "label" not in v:
                continue
            r = get(v["label"], v.get("team"))
            if key.startswith("regex."):
                continue  # the rule itself is read from the database below
            if kind == "native-libs":
                lib = norm_native(key)
                if lib:
                    r.native.add(lib)
            elif kind in LC_COMPONENT_KINDS:
                c = norm_component(key)
                if c:
                    r.components.add(c)
    # Regex rules and DEX (package) rules live only in the rules database.
    db = sqlite3.connect(f"file:{folder / 'rules_v3.db'}?mode=ro", uri=True)
    try:
        rows = db.execute(
            "SELECT name, label, type, isRegexRule FROM rules_table ORDER BY _id"
        ).fetchall()
    finally:
        db.close()
    for name, label, typ, is_regex in rows:
        if typ == 6:
            continue
        if not is_regex and typ != 5:
            continue  # plain native/component rules: taken from the JSON above
        r = get(label, None)
        if typ == 0:
            lib = norm_native(name)
            if lib:
                r.native.add(lib)
        elif is_regex:
            m = re.fullmatch(r"([\w.]+)\.\(\.\*\)", name)
            if m:
                add_code(r, m.group(1) + ".")
        else:
            add_code(r, name + ".")
    return list(by_label.values())


def load_appscan(path: Path) -> list[Raw]:
    data = ast.literal_eval(path.read_text(encoding="utf-8"))
    by_name: dict[str, Raw] = {}
    for item in data:
        name = " ".join(item["sdk_name"].split())
        if name in APPSCAN_SKIP:
            continue
        r = by_name.get(name)
        if r is None:
            r = by_name[name] = Raw(ref=f"appscan:{name}", kind="appscan")
            if CJK.search(name):
                r.name_zh = name
            else:
                r.name_en = name
        pkg = item["package_name"].strip()
        if pkg.startswith(".") or re.search(
            r"(?i)(api_?key|appkey|appid|\.intent\.action\.)|-", pkg
        ):
            continue  # activity-name suffixes, meta-data keys, intent actions: not code
        n = norm_code(pkg)
        if n is None:
            continue
        if n[0] == "class":
            r.components.add(n[1])  # a class AppScan lists by name is a manifest component
        else:
            r.code.add(n[1])
    return list(by_name.values())


# ------------------------------------------------------------------ aliases


@dataclass
class AliasData:
    """The reviewed alias data (sdk_aliases.yaml) plus the hand entries' own aliases."""

    generic: frozenset[str]  # alias keys of words that describe a kind of SDK
    never_alone: frozenset[str]  # alias keys of vendor brands and data words
    data_words: frozenset[str]  # alias keys of data words (OAID, IMEI)
    brand_names: tuple[str, ...]  # the vendor brands as written
    lead_names: tuple[str, ...]  # words cut from the front of a name part ("incl.", "含")
    packaging: frozenset[str]  # alias keys of words cut from the end of a name ("SDK")
    shared: dict[str, tuple[frozenset[str], str]]  # alias key -> (ids, reason)
    hand: dict[str, list[str]]  # catalog id -> hand-written aliases
    drop: dict[str, set[str]]  # catalog id -> keys of derived aliases the review rejected
    reviewed: frozenset[str]  # ids whose aliases were reviewed in sdk_aliases.yaml


def alias_key(text: str) -> str:
    """What two aliases are compared by: NFKC, case-folded, without spaces."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text).casefold())


def load_aliases(path: Path, hand_aliases: dict[str, list[str]]) -> AliasData:
    doc = yaml.safe_load(path.read_text(encoding="utf-8"))

    def keys(words: list[str]) -> frozenset[str]:
        for w in words:
            if not isinstance(w, str):
                raise SystemExit(f"{path.name}: {w!r} is not a string (quote it)")
        return frozenset(alias_key(w) for w in words)

    shared: dict[str, tuple[frozenset[str], str]] = {}
    for item in doc.get("shared_aliases") or []:
        key, ids, reason = alias_key(item["alias"]), frozenset(item["ids"]), item.get("reason")
        if len(ids) < 2 or not reason or key in shared:
            raise SystemExit(
                f"{path.name}: shared alias {item['alias']!r} needs 2+ ids and a reason"
            )
        shared[key] = (ids, reason)
    hand = {k: list(v) for k, v in hand_aliases.items()}
    for eid, aliases in (doc.get("aliases") or {}).items():
        if eid in hand:
            raise SystemExit(
                f"{path.name}: {eid} is a hand entry: its aliases go in its hand entry"
            )
        hand[eid] = list(aliases or [])
        if not all(isinstance(a, str) and a.strip() == a and a for a in hand[eid]):
            raise SystemExit(f"{path.name}: {eid}: aliases must be non-empty trimmed strings")
    drop = {eid: {alias_key(a) for a in v} for eid, v in (doc.get("drop") or {}).items()}
    return AliasData(
        generic=keys(doc["generic_words"]),
        never_alone=keys(doc["vendor_brands"] + doc["data_words"]),
        data_words=keys(doc["data_words"]),
        brand_names=tuple(doc["vendor_brands"]),
        lead_names=tuple(sorted(doc["lead_words"], key=len, reverse=True)),
        packaging=keys(doc["packaging_words"]),
        shared=shared,
        hand=hand,
        drop=drop,
        reviewed=frozenset(doc.get("aliases") or {}),
    )


_ALIAS_SPLIT = re.compile(r"[()（）/／|、,，;；:：·]|\s[-–—]\s|\s&\s")
_TOKEN = re.compile(r"[\u3400-\u9fff]+|[^\s\u3400-\u9fff]+")


def _tokens(text: str) -> list[str]:
    """Words: runs of CJK, and runs of anything else without spaces ("U-App", "Ping++")."""
    return _TOKEN.findall(text)


def _segment_generic(token: str, generic: frozenset[str]) -> bool:
    """True when ``token`` is a generic word or (CJK) a concatenation of generic words."""
    key = alias_key(token)
    if key in generic:
        return True
    if not CJK.search(key):
        return False
    ok = [True] + [False] * len(key)
    for end in range(1, len(key) + 1):
        ok[end] = any(ok[start] and key[start:end] in generic for start in range(end))
    return ok[-1]


def is_generic(alias: str, generic: frozenset[str], split_chinese: bool = True) -> bool:
    """An alias made only of generic words (and punctuation) names no one SDK. With
    ``split_chinese``, a Chinese run counts as generic when it is a chain of generic words
    (for derived aliases; a reviewed proper name such as 移动安全联盟 is checked whole)."""
    words = [t for t in _tokens(alias) if re.search(r"\w", t)]
    if not split_chinese:
        return all(alias_key(t) in generic for t in words)
    return all(_segment_generic(t, generic) for t in words)


def _vendor_strings(entries: list[dict], data: AliasData) -> list[str]:
    """Vendor names as written (entries' vendors and their parts, the tool's vendor tables,
    the brand list), longest first: what a name may begin with before its product name."""
    names = {n for v, zh, _cn in VENDOR_ROOTS.values() for n in (v, zh)}
    names |= set(TEAM_ZH) | set(TEAM_ZH.values()) | set(CN_TEAMS) | set(data.brand_names)
    for e in entries:
        names |= {e["vendor"], *_ALIAS_SPLIT.split(e["vendor"])}
    names = {" ".join(n.split()) for n in names if len(alias_key(n)) >= 2}
    return sorted(names, key=lambda n: (-len(n), n))


def _cut_vendor(name: str, vendors: list[str]) -> str:
    """``name`` without the vendor names it begins with ("字节跳动 BHook" -> "BHook",
    "腾讯Tinker" -> "Tinker"); a Chinese run is never cut inside ("腾讯微云" stays)."""
    while True:
        for v in vendors:
            head, rest = name[: len(v)], name[len(v) :]
            if not rest or alias_key(head) != alias_key(v):
                continue
            if (rest[0].isspace() or (CJK.match(v[-1]) and not CJK.match(rest[0]))) and re.search(
                r"\w", rest
            ):
                name = rest.strip()
                break
        else:
            return name


def alias_candidates(entry: dict, data: AliasData, vendors: list[str]) -> list[tuple[str, bool]]:
    """The aliases derived from an entry's names, before the uniqueness pass, each with
    whether it was cut out of a longer name.

    Each name; each part of it, and of it without the vendor names in front ("字节跳动 BHook"
    -> "BHook"), between parentheses, slashes and list marks ("Pangle (CSJ)" -> "Pangle",
    "CSJ"), without a leading "incl." / "含" and without vendor words in front; and each of
    those without packaging words at the end ("百度定位 SDK" -> "百度定位"). Words are only cut
    whole: a Chinese run is never split ("腾讯阅读" stays as it is)."""
    vendor_keys = {alias_key(v) for v in vendors}
    out: list[tuple[str, bool]] = []
    for name in (entry["name_en"], entry["name_zh"]):
        if not name:
            continue
        name = " ".join(name.split())
        out.append((name, False))
        # Vendor names are cut off only for Chinese entries, whose upstream names the tool
        # prefixed with the vendor ("字节跳动 BHook"); elsewhere the rest is rarely a name.
        base = _cut_vendor(name, vendors) if entry["chinese"] else name
        parts = [(p, True) for p in _ALIAS_SPLIT.split(base)] if base != name else []
        if not _ALIAS_SPLIT.search(name[: len(name) - len(base)]):
            # (not when the vendor cut off is itself split: "视辰信息科技（上海）有限公司 EasyAR")
            parts += [(p, False) for p in _ALIAS_SPLIT.split(name)]
        for part, cut in parts:
            part = part.strip()
            for lead in data.lead_names:
                if alias_key(part[: len(lead)]) == alias_key(lead) and (
                    CJK.match(lead[0]) or part[len(lead) : len(lead) + 1].isspace()
                ):
                    part = part[len(lead) :].strip()
            words = _tokens(part)
            variants = [(words, cut)]
            while entry["chinese"] and words and alias_key(words[0]) in vendor_keys:
                words = words[1:]
                variants.append((words, True))
            for words, cut in list(variants):
                while words and alias_key(words[-1]) in data.packaging:
                    words = words[:-1]
                    variants.append((words, cut))
            out.extend((_join(words), cut) for words, cut in variants if words)
    return out


def _join(words: list[str]) -> str:
    text = words[0]
    for w in words[1:]:
        # No space between Chinese and Chinese; a space between anything else.
        text += w if CJK.match(w) and CJK.match(text[-1]) else " " + w
    return text


def alias_rejected(
    alias: str, cut: bool, data: AliasData, shared_vendors: frozenset[str]
) -> str | None:
    """Why the derived ``alias`` cannot be an alias of one SDK, or None."""
    key = alias_key(alias)
    words = [alias_key(t) for t in _tokens(alias) if re.search(r"\w", t)]
    if len(key) < 2:
        return "shorter than 2 characters"
    if cut and not re.search(r"[^\u3400-\u9fff]", key) and len(key) < 3:
        return "a 2-character Chinese word cut out of a longer name"
    if is_generic(alias, data.generic):
        return "generic words only"
    if key in data.never_alone or all(w in data.never_alone for w in words):
        return "a vendor brand or data word, never an alias on its own"
    if all(w in data.data_words or _segment_generic(w, data.generic) for w in words) and any(
        w in data.data_words for w in words
    ):
        return "a data word with generic words only"
    if key in shared_vendors:
        return "the vendor of several entries"
    return None


def shared_vendor_keys(entries: list[dict], vendors: list[str]) -> frozenset[str]:
    """Alias keys of the vendor names that two or more entries carry (as their vendor, a part
    of it, or the vendor name in front of an entry's name)."""
    users: dict[str, set[str]] = {}
    for e in entries:
        keys = {alias_key(v) for v in (e["vendor"], *_ALIAS_SPLIT.split(e["vendor"])) if v.strip()}
        for name in (e["name_en"], e["name_zh"]):
            if name:
                name = " ".join(name.split())
                cut = _cut_vendor(name, vendors)
                if cut != name:
                    keys.add(alias_key(name[: len(name) - len(cut)]))
        for k in keys:
            users.setdefault(k, set()).add(e["id"])
    return frozenset(k for k, ids in users.items() if len(ids) > 1)


def assign_aliases(entries: list[dict], data: AliasData, verbose: bool) -> None:
    """Fill every entry's "aliases": hand-written ones, then derived ones that are distinctive
    (not generic, not a shared vendor word, not rejected by review) and belong to one entry
    only (or to the ids a reviewed shared alias lists)."""
    by_id = {e["id"]: e for e in entries}
    for eid in sorted(set(data.hand) | set(data.drop)):
        if eid not in by_id:
            raise SystemExit(f"aliases for unknown catalog id {eid}")
    vendors = _vendor_strings(entries, data)
    shared_vendors = shared_vendor_keys(entries, vendors)
    derived: dict[str, dict[str, str]] = {}  # id -> key -> alias
    owners: dict[str, set[str]] = {}  # key -> ids that derive it or were given it by review
    dropped: set[tuple[str, str]] = set()
    for e in entries:
        mine: dict[str, str] = {}
        for alias, cut in alias_candidates(e, data, vendors):
            key = alias_key(alias)
            if key in data.drop.get(e["id"], ()):
                dropped.add((e["id"], key))
                continue
            if key in mine:
                continue
            why = alias_rejected(alias, cut, data, shared_vendors)
            if why:
                log(verbose, f"alias {alias!r} of {e['id']} not derived: {why}")
                continue
            mine[key] = alias
        derived[e["id"]] = mine
        for key in mine:
            owners.setdefault(key, set()).add(e["id"])
    stale = sorted({(i, k) for i, keys in data.drop.items() for k in keys} - dropped)
    if stale:
        raise SystemExit(f"{ALIASES_FILE.name} drop: no such derived alias: {stale}")
    for eid, aliases in data.hand.items():
        for a in aliases:
            owners.setdefault(alias_key(a), set()).add(eid)
    for e in entries:
        eid = e["id"]
        final: dict[str, str] = {}
        for alias in data.hand.get(eid, []):
            final.setdefault(alias_key(alias), alias)
        for key, alias in derived[eid].items():
            if key in final:
                continue
            others = owners[key] - {eid}
            allowed = data.shared.get(key, (frozenset(), ""))[0]
            if others and not (others | {eid}) <= allowed:
                log(verbose, f"alias {alias!r} of {eid} not derived: also {sorted(others)}")
                continue
            final[key] = alias
        e["aliases"] = sorted(final.values(), key=lambda a: (alias_key(a), a))


def check_aliases(entries: list[dict], data: AliasData) -> list[str]:
    """Errors: an alias of two entries outside the reviewed shared list, a stale shared-list
    item, a generic or brand alias, a Chinese entry without an alias."""
    errors = []
    holders: dict[str, set[str]] = {}
    for e in entries:
        for a in e["aliases"]:
            holders.setdefault(alias_key(a), set()).add(e["id"])
            if is_generic(a, data.generic, split_chinese=False):
                errors.append(f"{e['id']}: alias {a!r} is generic words only")
            if alias_key(a) in data.never_alone:
                errors.append(f"{e['id']}: alias {a!r} is a vendor brand or data word alone")
        if e["chinese"] and not e["aliases"]:
            errors.append(f"{e['id']}: Chinese entry without an alias")
        if e["chinese"] and "pica:hand" not in e["sources"] and e["id"] not in data.reviewed:
            errors.append(f"{e['id']}: Chinese entry not reviewed in {ALIASES_FILE.name} aliases:")
    for key, ids in sorted(holders.items()):
        if len(ids) > 1 and ids != data.shared.get(key, (frozenset(),))[0]:
            errors.append(f"alias {key!r} of {sorted(ids)} is not in the shared-alias list")
    for key, (ids, _reason) in sorted(data.shared.items()):
        if holders.get(key) != ids:
            errors.append(f"shared alias {key!r}: listed for {sorted(ids)}, "
                          f"held by {sorted(holders.get(key, ()))}")  # fmt: skip
    return errors


# ------------------------------------------------------------------ merging


class Clusters:
    def __init__(self, raws: list[Raw]):
        self.raws = raws
        self.parent = list(range(len(raws)))
        self.kinds = [{r.kind: 1} for r in raws]

    def find(self, i: int) -> int:
        while self.parent[i] != i:
            self.parent[i] = self.parent[self.parent[i]]
            i = self.parent[i]
        return i

    def union(self, a: int, b: int, force: bool = False) -> bool:
        ra, rb = self.find(a), self.find(b)
        if ra == rb:
            return True
        if not force and set(self.kinds[ra]) & set(self.kinds[rb]):
            return False
        lo, hi = sorted((ra, rb))
        self.parent[hi] = lo
        for k, n in self.kinds[hi].items():
            self.kinds[lo][k] = self.kinds[lo].get(k, 0) + n
        return True


def build(shared: Path, verbose: bool = False) -> dict:
    trackers = shared / "data" / "trackers"
    hand, overrides = load_hand(DATA / "sdk_catalog_cn.yaml")
    exodus = load_exodus(trackers / "exodus" / "exodus_trackers.json")
    libchecker = load_libchecker(trackers / "libchecker")
    appscan = load_appscan(trackers / "appscan" / "sdk.json")
    raws = hand + exodus + libchecker + appscan
    by_ref = {r.ref: i for i, r in enumerate(raws)}

    for ref, fields in sorted(overrides.items()):
        if ref not in by_ref:
            raise SystemExit(f"override for unknown upstream entry {ref}")
        r = raws[by_ref[ref]]
        for key, value in fields.items():
            setattr(r, key, value)

    cl = Clusters(raws)
    merged_into: dict[int, int] = {}
    for i, r in enumerate(raws):
        for ref in r.merge:
            if ref not in by_ref:
                raise SystemExit(f"{r.ref}: merge of unknown upstream entry {ref}")
            j = by_ref[ref]
            if j in merged_into:
                raise SystemExit(f"{ref} merged into two hand entries")
            merged_into[j] = i
            cl.union(i, j, force=True)

    # A hand entry owns its signatures: take them away from upstream entries merged elsewhere.
    owners: dict[tuple[str, str], int] = {}
    for i, r in enumerate(raws):
        if r.kind == "pica":
            for attr in ("code", "components", "native"):
                for v in getattr(r, attr):
                    owners[(attr, v)] = i
    for i, r in enumerate(raws):
        if r.kind == "pica":
            continue
        for attr in ("code", "components", "native"):
            values = getattr(r, attr)
            for v in sorted(values):
                o = owners.get((attr, v))
                if o is not None and cl.find(o) != cl.find(i):
                    values.discard(v)
                    log(verbose, f"hand {raws[o].ref} owns {v}: removed from {r.ref}")

    # Heuristic merges: equal normalised names, then shared code/component/native signatures.
    names: dict[str, list[int]] = {}
    for i, r in enumerate(raws):
        for n in {norm_name(r.name_en), norm_name(r.name_zh)}:
            if len(n) >= 3:
                names.setdefault(n, []).append(i)
    for _name, idx in sorted(names.items()):
        for j in idx[1:]:
            if cl.union(idx[0], j):
                if raws[idx[0]].ref != raws[j].ref:
                    log(verbose, f"name merge: {raws[idx[0]].ref} + {raws[j].ref}")

    holders: dict[tuple[str, str], list[int]] = {}
    for i, r in enumerate(raws):
        for attr in ("code", "components", "native"):
            for v in getattr(r, attr):
                holders.setdefault((attr, v), []).append(i)
    for (_attr, v), idx in sorted(holders.items()):
        for j in idx[1:]:
            if cl.find(idx[0]) == cl.find(j):
                continue
            if cl.union(idx[0], j):
                log(verbose, f"signature merge on {v}: {raws[idx[0]].ref} + {raws[j].ref}")

    groups: dict[int, list[int]] = {}
    for i in range(len(raws)):
        groups.setdefault(cl.find(i), []).append(i)

    entries = [combine([raws[i] for i in members]) for members in groups.values()]
    entries = [e for e in entries if e is not None]
    resolve_conflicts(entries, verbose)
    library_roots = load_library_roots(LIBRARIES_FILE)
    for e in entries:
        if is_library(e, library_roots):
            e["category"] = "library"
        del e["_category_guessed"]
    entries = [e for e in entries if e["code_signatures"] or e["code_regex"] or e["components"]
               or e["native_libs"] or e["domains"]]  # fmt: skip
    assign_ids(entries)
    entries.sort(key=lambda e: e["id"])
    aliases = load_aliases(ALIASES_FILE, {r.hand_id: r.aliases for r in hand if r.hand_id})
    assign_aliases(entries, aliases, verbose)
    validate(entries, aliases)
    for e in entries:
        if not e["carried_by"]:
            del e["carried_by"]  # only shared libraries carry the field

    return {
        "about": "pica SDK catalog, generated by tools/build_sdk_catalog.py; do not edit by hand "
        "(edit sdk_catalog_cn.yaml, sdk_aliases.yaml or libraries.yaml and rebuild). aliases: the "
        "names a privacy policy's third-party SDK list would use for the entry (derived from "
        "name_en and name_zh, plus reviewed ones; no alias, compared case-folded without spaces, "
        "belongs to two entries unless sdk_aliases.yaml lists it under shared_aliases). Category "
        "library: open-source code under a libraries.yaml root, which acts for the app. Category "
        "shared_library: third-party code several SDKs ship or build on, named as itself; "
        "carried_by: the consumer SDKs that ship it. "
        "Attribution and licences: SDK_CATALOG_LICENSES.md.",
        "sources": {
            "exodus": "Exodus Privacy tracker database (ODbL-1.0), via MobSF's bundled copy",
            "libchecker": "LibChecker/LibChecker-Rules@3ec8753a0bb53843793e19537bcaf7cd73b9a05d (Apache-2.0)",
            "appscan": "TongchengOpenSource/AppScan helper/static/sdk.json@"
            + (trackers / "appscan" / "UPSTREAM_COMMIT").read_text().split()[0]
            + " (Apache-2.0)",
            "pica:hand": "src/pica/knowledge/data/sdk_catalog_cn.yaml",
        },
        "count": len(entries),
        "count_chinese": sum(1 for e in entries if e["chinese"]),
        "entries": entries,
    }


def _first(values):
    for v in values:
        if v:
            return v
    return None


def combine(members: list[Raw]) -> dict | None:
    order = {k: n for n, k in enumerate(SOURCE_KINDS)}
    members = sorted(members, key=lambda r: (order[r.kind], r.ref))
    hand = [r for r in members if r.kind == "pica"]
    code = set().union(*(r.code for r in members))
    regex = set().union(*(r.code_regex for r in members))
    components = set().union(*(r.components for r in members))
    native = set().union(*(r.native for r in members))
    domains = set().union(*(r.domains for r in members))
    # Drop prefixes another prefix of the same entry already covers.
    code = {
        s for s in code if not any(o != s and o.endswith(".") and s.startswith(o) for o in code)
    }
    roots = vendor_for(sorted(code) + sorted(components))

    name_en = _first(r.name_en for r in members)
    name_zh = _first(r.name_zh for r in members)
    team = _first(r.team for r in members)
    vendor = _first(r.vendor for r in members)
    if not vendor and roots:
        vendor = roots[0]
    if not vendor and team:
        vendor = team
    chinese = _first(r.chinese for r in members if r.chinese is not None)
    if chinese is None:
        if hand:
            chinese = hand[0].chinese
        elif roots is not None:
            chinese = roots[2]
        elif team:
            chinese = (team in CN_TEAMS or bool(CJK.search(team))) and team not in FOREIGN_TEAMS
        else:
            zh = name_zh or ""
            chinese = bool(zh) and not any(h in zh.lower() for h in FOREIGN_NAME_HINTS)
            if (
                not chinese
                and name_en
                and not name_zh
                and any(r.kind == "appscan" for r in members)
            ):
                chinese = False
    chinese = bool(chinese)
    category = _first(r.category for r in members)
    if not category:
        ex = [c for r in members for c in r.exodus_categories]
        for c in EXODUS_CATEGORY_ORDER:
            if c in ex:
                category = EXODUS_CATEGORY[c]
                break
    guessed = not category
    if guessed:
        category = guess_category(name_en, name_zh)

    if chinese and not (name_zh and CJK.search(name_zh)):
        # No Chinese name upstream: the vendor's Chinese name, else the kind of SDK, in Chinese.
        zh_vendor = roots[1] if roots else None
        if team and (not zh_vendor or not code):
            zh_vendor = TEAM_ZH.get(team) or (team if CJK.search(team) else zh_vendor)
        base = name_zh or name_en
        if zh_vendor and CJK.search(zh_vendor):
            name_zh = f"{zh_vendor} {base}"
        else:
            name_zh = f"{base}（{CATEGORY_ZH[category]}）"
    if not name_en:
        name_en = name_zh
    if not vendor:
        vendor = name_en if not CJK.search(name_en or "") else "unknown"

    pi = sorted({p for r in hand for p in r.pi_types})
    return {
        "id": hand[0].hand_id if hand else None,
        "name_en": name_en,
        "name_zh": name_zh,
        "aliases": [],  # filled by assign_aliases() once ids are known
        "vendor": vendor,
        "category": category,
        "chinese": chinese,
        "code_signatures": sorted(code),
        "code_regex": sorted(regex),
        "components": sorted(components),
        "native_libs": sorted(native),
        "domains": sorted(domains),
        "pi_types": pi,
        "policy_url": _first(r.policy_url for r in members),
        "carried_by": sorted({c for r in hand for c in r.carried_by}),
        "sources": sorted({r.ref if r.kind != "pica" else "pica:hand" for r in members}),
        "_category_guessed": guessed,  # internal: dropped before the catalog is written
    }


def resolve_conflicts(entries: list[dict], verbose: bool) -> None:
    """No two entries share a code signature, component, native library or domain.

    Remaining clashes (the same string in two upstream entries that could not be merged) go to
    the hand entry if there is one, else to the more specific entry (fewer signatures).
    """
    for attr in ("code_signatures", "components", "native_libs", "domains", "code_regex"):
        holders: dict[str, list[int]] = {}
        for i, e in enumerate(entries):
            for v in e[attr]:
                holders.setdefault(v, []).append(i)
        for v, idx in sorted(holders.items()):
            if len(idx) < 2:
                continue
            if attr == "domains":
                # The hand entry, else the one tracker known only by its hosts; else ambiguous.
                hand = [i for i in idx if "pica:hand" in entries[i]["sources"]]
                net_only = [i for i in idx if not (entries[i]["code_signatures"]
                                                   or entries[i]["components"])]  # fmt: skip
                keep = hand[0] if len(hand) == 1 else net_only[0] if len(net_only) == 1 else None
            else:
                keep = min(idx, key=lambda i: ("pica:hand" not in entries[i]["sources"],
                                               len(entries[i][attr]), entries[i]["sources"]))  # fmt: skip
            for i in idx:
                if i != keep:
                    entries[i][attr].remove(v)
            log(verbose, f"conflict on {attr} {v}: kept by "
                f"{entries[keep]['sources'] if keep is not None else 'nobody'}; "
                f"{[entries[i]['sources'] for i in idx if i != keep]}")  # fmt: skip


def assign_ids(entries: list[dict]) -> None:
    taken = {e["id"] for e in entries if e["id"]}
    for e in sorted(entries, key=lambda e: e["sources"]):
        if e["id"]:
            continue
        name = e["name_en"] or ""
        base = "" if CJK.search(name) else slug(name)
        if len(base) < 3:
            if e["code_signatures"]:
                anchor = e["code_signatures"][0]
            elif e["components"]:
                anchor = ".".join(e["components"][0].split(".")[:-1][:4])  # its package
            elif e["native_libs"]:
                anchor = re.sub(r"^lib|\.so$|[*]", "", e["native_libs"][0])
            else:
                anchor = (e["domains"] or e["code_regex"])[0]
            base = ("sdk_" + slug(anchor))[:48].rstrip("_")
        cand, n = base, 2
        while cand in taken:
            cand, n = f"{base}_{n}", n + 1
        taken.add(cand)
        e["id"] = cand


def validate(entries: list[dict], aliases: AliasData) -> None:
    seen: dict[str, str] = {}
    errors = check_aliases(entries, aliases)
    category = {e["id"]: e["category"] for e in entries}
    for e in entries:
        for carrier in e["carried_by"]:
            if category.get(carrier) in (None, "shared_library", "library"):
                errors.append(f"{e['id']}: carried_by {carrier} is not a consumer SDK's id")
        if e["category"] not in CATEGORIES:
            errors.append(f"{e['id']}: category {e['category']}")
        if e["chinese"] and not (e["name_zh"] and CJK.search(e["name_zh"])):
            errors.append(f"{e['id']}: Chinese vendor without name_zh")
        for p in e["pi_types"]:
            if p not in PI_TYPES:
                errors.append(f"{e['id']}: unknown PI type {p}")
        for s in e["code_signatures"]:
            if s in seen:
                errors.append(f"code signature {s} in {seen[s]} and {e['id']}")
            seen[s] = e["id"]
        for pattern in e["code_regex"]:
            re.compile(pattern)
    if errors:
        raise SystemExit("catalog invalid:\n  " + "\n  ".join(errors))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument(
        "--shared", type=Path, required=True, help="the shared data folder (has data/trackers/)"
    )
    ap.add_argument("--out", type=Path, default=DATA / "sdk_catalog.json")
    ap.add_argument("--verbose", action="store_true", help="log merges and conflicts to stderr")
    args = ap.parse_args(argv)
    catalog = build(args.shared, args.verbose)
    text = json.dumps(catalog, ensure_ascii=False, indent=1, sort_keys=False) + "\n"
    args.out.write_text(text, encoding="utf-8")
    print(f"{args.out}: {catalog['count']} SDKs, {catalog['count_chinese']} from Chinese vendors")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
