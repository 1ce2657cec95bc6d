"""Small constructed policies: charsets, CSS font size/contrast, Traditional-only, tables, limits."""

import pytest
from conftest import judge

from pica.extract.policy import extract, extract_text
from pica.extract.policy.css import contrast_ratio, parse_colour
from pica.extract.policy.profile import cn_number, to_working_days
from pica.report import Verdict

BODY = (
    "<h2>一、我们如何收集和使用您的个人信息</h2>"
    "<p>为了帮助您完成注册，我们会收集您的手机号码。</p>"
    "<p>当您使用附近服务时，我们会收集您的位置信息，用于向您推荐附近的门店。</p>"
    "<h2>二、您的权利</h2>"
    "<p>您可以通过【我的】-【设置】-【账号管理】更正或删除您的个人信息。</p>"
    "<p>您可以通过【我的】-【设置】-【注销账号】申请注销账号，我们将在15个工作日内完成处理。</p>"
    "<p>您可以在系统设置中关闭相应权限，撤回您的授权。</p>"
    "<h2>三、如何联系我们</h2>"
    "<p>如您有任何投诉或举报，请发送邮件至privacy@example.com或拨打400-123-4567与我们联系。</p>"
    "<h2>四、本政策如何更新</h2>"
    "<p>本政策更新后，我们会通过弹窗或推送通知的方式提醒您。</p>"
)


def page(body: str = BODY, css: str = "", charset: str = "utf-8") -> str:
    return (
        f'<html><head><meta charset="{charset}"><style>{css}</style></head>'
        f"<body><p>更新日期：2023年5月1日</p>{body}</body></html>"
    )


def test_utf8_html_profile_and_verdicts():
    ev = extract(page().encode("utf-8"), name="p.html")
    p = ev.profile
    assert p.effective_date == "2023-05-01"
    assert {"correct", "delete", "cancel_account", "withdraw_consent"} <= {r.kind for r in p.rights}
    assert any(r.path and "账号管理" in r.path for r in p.rights)
    assert {c.value for c in p.channels} >= {"privacy@example.com", "400-123-4567"}
    assert [lim.working_days for lim in p.response_limits] == [15]
    stm = [
        s
        for s in ev.statements
        if "location_precise" in s.pi_types or "location_coarse" in s.pi_types
    ]
    assert stm and "collect" in stm[0].actions and stm[0].purposes
    for item in ("1.1", "2.1", "2.2", "3.8", "6.1", "6.3", "6.5"):
        assert judge(item, ev).verdict == Verdict.COMPLIANT, item


@pytest.mark.parametrize("charset", ["gbk", "gb18030", "utf-16"])
def test_charsets(charset):
    html = page(charset=charset)
    data = html.encode(charset)
    ev = extract(data, name="p.html")
    assert "手机号码" in ev.text
    assert ev.profile.effective_date == "2023-05-01"


def test_gbk_without_declaration_is_detected():
    html = page().replace('<meta charset="utf-8">', "")
    ev = extract(html.encode("gb18030"), name="p.html")
    assert "手机号码" in ev.text


def test_small_pale_font_violates_1_4():
    css = "body{font-size:10px;color:#cccccc;background:#ffffff}"
    ev = extract(page(css=css).encode(), name="p.html")
    rd = ev.profile.readability
    assert rd.body_font_px == 10.0
    assert rd.contrast_ratio == pytest.approx(
        contrast_ratio((204, 204, 204), (255, 255, 255)), abs=0.01
    )
    f = judge("1.4", ev)
    assert f.verdict == Verdict.VIOLATION
    assert "10.0px" in f.reason and "contrast" in f.reason


def test_rem_and_class_rules():
    css = "html{font-size:20px} .txt p{font-size:0.6rem} #main{color:rgba(0,0,0,0.3)}"
    body = '<div id="main" class="txt">' + BODY + "</div>"
    ev = extract(page(body=body, css=css).encode(), name="p.html")
    rd = ev.profile.readability
    assert rd.body_font_px == 12.0
    assert rd.text_color == "#b2b2b2"  # 30% black over white


def test_wcag_contrast_formula():
    assert contrast_ratio((0, 0, 0), (255, 255, 255)) == pytest.approx(21.0)
    assert contrast_ratio((119, 119, 119), (255, 255, 255)) == pytest.approx(4.48, abs=0.01)
    assert parse_colour("#fff") == (255, 255, 255)


def test_traditional_only_violates_1_4():
    trad = (
        "<p>我們會收集您的個人資料，並在您同意後使用這些資訊。為了提供服務，我們將處理您的電話號碼與位置資訊。</p>"
        * 5
    )
    ev = extract(page(body=trad).encode(), name="t.html")
    assert ev.profile.readability.script == "traditional"
    f = judge("1.4", ev)
    assert f.verdict == Verdict.VIOLATION and "Traditional" in f.reason


def test_english_only_is_not_simplified():
    ev = extract_text("We collect your email address to create your account. " * 10, name="en.txt")
    assert not ev.profile.readability.has_simplified_chinese
    assert judge("1.4", ev).verdict == Verdict.VIOLATION


def test_sdk_table():
    table = (
        "<h2>第三方SDK目录</h2><table><tr><th>SDK名称</th><th>第三方公司</th><th>使用目的</th>"
        "<th>收集个人信息</th><th>隐私政策链接</th></tr>"
        "<tr><td>友盟统计SDK</td><td>友盟同欣（北京）科技有限公司</td><td>统计分析</td>"
        "<td>设备标识符（IMEI、OAID）、Android ID</td><td>https://www.umeng.com/page/policy</td></tr>"
        "<tr><td>极光推送SDK</td><td>深圳市和讯华谷信息技术有限公司</td><td></td><td>设备信息</td><td></td></tr>"
        "</table>"
    )
    ev = extract(page(body=BODY + table).encode(), name="p.html")
    rows = ev.profile.sdk_rows
    assert [r.name for r in rows] == ["友盟统计SDK", "极光推送SDK"]
    assert rows[0].purpose == "统计分析" and "oaid" in rows[0].pi_types
    assert rows[0].policy_url == "https://www.umeng.com/page/policy"
    f = judge("2.1", ev, sdk_names=["友盟统计SDK", "极光推送SDK"])
    assert f.verdict == Verdict.VIOLATION and "极光推送SDK is listed without purpose" in f.reason
    assert judge("2.1", ev, sdk_names=["友盟统计SDK"]).verdict == Verdict.COMPLIANT


def test_missing_items_are_violations_with_search_cite():
    ev = extract_text("隐私政策\n我们会收集您的手机号码用于注册。", name="bare.txt")
    for item in ("2.2", "3.8", "6.1", "6.5"):
        f = judge(item, ev)
        assert f.verdict == Verdict.VIOLATION, item
        assert f.searched and f.searched[0].input == "policy", item
        assert f.searched[0].scope.startswith("whole policy (") and f.searched[0].patterns, item
        assert f.evidence_kind == "policy" and f.fix


def test_no_collection_rules_is_1_1_violation():
    ev = extract_text("欢迎使用本应用。本应用致力于为您提供优质服务。", name="x.txt")
    assert judge("1.1", ev).verdict == Verdict.VIOLATION


def test_response_limits():
    assert cn_number("十五") == 15 and cn_number("三十") == 30 and cn_number("两") == 2
    assert to_working_days(30, "天") == 22 and to_working_days(1, "个月") == 22
    ev = extract_text("您提出注销申请后，我们将在30个工作日内完成核查和处理。", name="l.txt")
    f = judge("6.3", ev)
    assert f.verdict == Verdict.VIOLATION and "30" in f.reason
    ev = extract_text("我们将在一个月内回复您的投诉。请发送邮件至a@b.cn联系我们。", name="l.txt")
    assert judge("6.5", ev).verdict == Verdict.VIOLATION


def test_personalisation_without_optout_is_3_6_violation():
    ev = extract_text("我们会根据您的浏览记录向您进行个性化推荐。", name="p.txt")
    assert judge("3.6", ev).verdict == Verdict.VIOLATION
    ev = extract_text(
        "我们会根据您的浏览记录向您进行个性化推荐。您可以在【我的】-【设置】-【个性化推荐】中关闭个性化推荐。",
        name="p.txt",
    )
    f = judge("3.6", ev)
    assert f.verdict == Verdict.COMPLIANT and "个性化推荐" in f.reason


def test_unreasonable_cancellation_condition_is_6_2_violation():
    ev = extract_text("如需注销账号，您需要提供手持身份证照片并邮寄书面申请材料。", name="c.txt")
    assert judge("6.2", ev).verdict == Verdict.VIOLATION


def test_forced_consent_for_improvement_is_4_5_violation():
    ev = extract_text(
        "为了提升用户体验，我们会收集您的设备信息，如您不同意，将无法使用本应用。", name="f.txt"
    )
    assert judge("4.5", ev).verdict == Verdict.VIOLATION


# Sentence classes: constructed sentences in the general phrasing of Chinese policies (not rows of
# the evaluation set).
@pytest.mark.parametrize(
    ("sentence", "present", "absent"),
    [
        ("2.3 在线客服", {"purpose"}, {"collect"}),  # business-function heading
        ("（四）会员积分兑换", {"purpose"}, set()),
        ("五、未成年人保护", set(), {"purpose"}),  # heading of another part of the layout
        ("3.1 委托处理", set(), {"purpose", "share"}),
        ("2.定位信息", set(), {"purpose"}),  # PI list item
        ("您可以在【我的】-【设置】-【青少年模式】中开启青少年模式", set(), {"user_rights"}),
        ("如您发布违法违规内容，我们有权删除相关内容", set(), {"user_rights"}),
        ("您至少需要提供乘车人的姓名、手机号码", {"collect"}, set()),
        ("本政策同样适用于我们关联公司提供的产品和服务", set(), {"share"}),
        # Written for this test, after the generic fixes of the second policy pass:
        ("您的信息会与示例信息技术（天津）有限公司共享。", {"share"}, set()),  # a named company
        ("在符合法律法规要求的前提下，我们可能会在以下情形中共享您的个人信息：", {"share"}, set()),
        ("我们的社交服务可让您与世界各地的用户共享信息", set(), {"share"}),  # users, not us
        ("您需提供收货人姓名、收货地址、邮政编码、收货人联系电话", {"collect"}, {"contact"}),
        ("邮政编码：100080", {"contact"}, set()),
        ("我们仍需按照监管要求的时间进行保存，且依法配合有权机关的查询", set(), {"user_rights"}),
        ("百度定位SDK用于地图定位功能，会申请访问您的位置信息展示在应用", set(), {"user_rights"}),
        ("【不让TA看】中可以控制你的内容是否对特定用户展示", set(), {"user_rights"}),
        ("（四）帐号注销", set(), {"collect"}),
        ("个人信息：是指以电子或者其他方式记录的与已识别自然人有关的各种信息", set(), {"collect"}),
        ("4.我们如何保护个人信息的安全", set(), {"purpose"}),
        ("如您想更改您的授权范围，您可以在相关设置界面进行操作", {"withdraw_consent"}, set()),
        ("我们不会向任何第三方出售您的个人信息。", {"share"}, set()),  # a commitment about sharing
        (
            "我们收集这些信息是用于保障您的帐号安全",
            {"purpose"},
            {"collect"},
        ),  # PI is in the purpose
        ("我们会收集您的手机号码，收集这些信息是为了帮助您完成注册", {"collect", "purpose"}, set()),
        (
            "我们的客服会为您提供订单查询服务",
            {"purpose"},
            set(),
        ),  # 为您提供: not the user providing
        ("拒绝提供该信息仅会使你无法使用上述功能", set(), {"purpose"}),  # no scene, no function
        ("当您预订境外流量服务时，您需要提供目的地、手机号", {"collect"}, {"cross_border"}),
        ("您的个人信息可能会在我们设有机构的其他国家/地区进行处理", {"cross_border"}, set()),
        ("您的权利包括：访问、更正和删除您的个人信息", {"user_rights"}, set()),
        ("更新日期：【2022】年【12】月【9】日", {"effective_date"}, set()),  # template brackets
        ("电 话：400-0199-199", {"contact"}, set()),
        ("个人信息保护负责人联系方式：021-61870500-86018", {"contact"}, set()),  # an extension
        (
            "注册地址：上海市松江区示例镇示例路128号114室",
            {"controller_identity"},
            {"contact", "collect"},
        ),
        ("我们会在官方网站发出更新版本并以适当方式提醒您相关内容的更新", {"change_notice"}, set()),
        ("您的订单信息将被提供给商家，以便商家为您发货。", {"share"}, set()),
        ("为实现一键登录，中国移动、中国联通、中国电信会获取您的本机号码。", {"share"}, set()),
        # a third party in one clause, our collection in the next: not sharing
        ("为了向您展示附近的商家，我们会收集您的位置信息", {"collect"}, {"share"}),
    ],
)
def test_sentence_classes_general_phrasing(sentence, present, absent):
    from pica.extract.policy.statements import analyse

    labels = set(analyse(sentence).labels)
    assert present <= labels, labels
    assert not (absent & labels), labels
