"""Issue 18: violations from the policy alone rest on clear evidence. Real sentences from the
CAPP-130 policies (CC BY 4.0) that used to make a wrong violation, and ones that still must."""

from __future__ import annotations

from pica.evidence import Evidence
from pica.extract.policy import extract_text
from pica.report import Verdict
from pica.rules import run_rules
from pica.rules.policy_cites import not_disclosure, purpose_context


def _policy(text: str):
    return extract_text(text, name="p.txt", html=False)


def _finding(text: str, item: str):
    ev = Evidence(inputs={"policy": "p.txt"}, policy=_policy(text))
    return next(f for f in run_rules(ev) if f.item_id == item)


def _index(policy, needle: str) -> int:
    return next(i for i, s in enumerate(policy.statements) if needle in s.text)


# -- point 4: PI terms that disclose no collection -------------------------------------------


def test_consent_exception_boilerplate_is_no_health_collection() -> None:
    text = (
        "一、我们如何收集和使用您的个人信息\n为向您提供账号注册功能，我们会收集您的手机号码。\n"
        "二、征得授权同意的例外\n为履行法定职责或者法定义务所必需；\n"
        "为应对突发公共卫生事件，或者紧急情况下为保护自然人的生命健康和财产安全所必需；\n"
    )
    pol = _policy(text)
    assert not_disclosure(pol, _index(pol, "生命健康"))
    assert not_disclosure(pol, _index(pol, "手机号码")) == ""


def test_postal_address_for_complaints_and_sms_as_channel_are_no_collection() -> None:
    text = (
        "10. 与我们联系\n3) 通过 https://kf.qq.com/ 与我们联系；\n4) 将您的问题邮寄至下列地址：\n"
        "7.1 信息推送\n您在使用我们的服务时，我们可能向您发送电子邮件、短信、资讯或推送通知。\n"
    )
    pol = _policy(text)
    assert not_disclosure(pol, _index(pol, "邮寄至"))
    assert not_disclosure(pol, _index(pol, "推送通知"))


def test_definition_of_sensitive_pi_is_no_collection() -> None:
    text = (
        "（五）有关敏感信息的提示\n某些个人信息因其特殊性可能被认为是个人敏感信息，包括您的身份证号码、"
        "个人生物识别信息、银行账号、通信记录和内容、财产信息、征信信息、行踪轨迹、住宿信息、"
        "健康生理信息、交易信息等。\n"
    )
    pol = _policy(text)
    assert not_disclosure(pol, _index(pol, "敏感信息，包括"))


# -- point 5: 2.1 from the policy alone ------------------------------------------------------


def test_purpose_in_the_sentence_heading_or_lead_in_counts() -> None:
    text = (
        "（一）账号注册/登录与身份验证\n"
        "【基本信息维护】您在使用优酷时，为维护您的基本资料，改善您的服务体验，您可自主选择填写"
        "您的性别、头像、昵称、生日、个人简介等。\n"
        "2.2.5. 保障账户安全所需信息\n为提高您使用拼多多服务的安全性，更准确地预防钓鱼网站欺诈和"
        "保护账户安全，我们可能会收集您的以下信息：\n- 设备MAC地址\n- 已安装应用列表\n"
    )
    pol = _policy(text)
    assert purpose_context(pol, _index(pol, "性别")) == "sentence"
    assert purpose_context(pol, _index(pol, "MAC")) != ""
    assert _finding(text, "2.1").verdict is not Verdict.VIOLATION


def test_collection_without_any_purpose_is_a_violation_naming_the_pi() -> None:
    text = (
        "隐私政策\n本政策说明我们处理个人信息的规则。\n"
        "三、其他\n我们会收集您的通讯录。\n本政策自发布之日起生效。\n"
    )
    f = _finding(text, "2.1")
    assert f.verdict is Verdict.VIOLATION
    assert "通讯录" in f.reason and any("通讯录" in c.text for c in f.cites)


def test_sdks_said_used_but_none_named_is_inconclusive_not_violation() -> None:
    text = (
        "一、我们如何收集信息\n为向您提供账号注册功能，我们会收集您的手机号码。\n"
        "1、为实现本政策中声明的目的，我们会接入第三方服务商提供的SDK或其他类似的应用程序与第三方合作。\n"
    )
    f = _finding(text, "2.1")
    assert f.verdict is Verdict.INCONCLUSIVE
    assert f.searched and "SDK" in f.reason


def test_no_collection_statement_is_still_a_violation() -> None:
    f = _finding("隐私政策\n我们重视您的隐私。\n本政策自发布之日起生效。\n", "2.1")
    assert f.verdict is Verdict.VIOLATION and f.searched


# -- 4.5: an improvement ground beside the core one, or optional data, is no forced consent -----


def test_improvement_beside_core_purpose_is_not_4_5() -> None:
    text = (
        "3.当您使用电子银行服务时，为了维护服务的正常运行，优化我行的服务体验及保障您的账号安全，"
        "我行会收集以下基础信息，包括您的设备型号、操作系统、唯一设备标识符、登录IP地址，"
        "这些信息是为您提供服务必须收集的基础信息，以保障您正常使用我行的服务。\n"
    )
    assert _finding(text, "4.5").verdict is Verdict.COMPLIANT


def test_optional_data_is_not_4_5() -> None:
    for text in (
        "【非必需信息】为58同城出于提升用户体验、增强服务效果等原因所可能收集的个人信息。\n",
        "这并非要求您必须向我们提供个人信息，但一些情况下，我们需要收集您的一些信息，帮助您成为"
        "我们的用户，向您提供良好服务，为您优化用户体验，并提供安全保障。\n",
    ):
        assert _finding(text, "4.5").verdict is not Verdict.VIOLATION


def test_forced_consent_on_improvement_alone_is_4_5_quoting_it() -> None:
    text = "为了提升用户体验，我们会收集您的设备信息，如您不同意，将无法使用本应用。\n"
    f = _finding(text, "4.5")
    assert f.verdict is Verdict.VIOLATION and "提升用户体验" in f.reason


# -- 3.6: pushes not based on PI; opt-outs named as the feature's switch ------------------------


def test_feature_switch_is_an_opt_out_for_3_6() -> None:
    text = (
        "为了向您提供更加优质的服务与用户体验，我们可能会将您的 Keep 账号、浏览信息、健身需求进行关联"
        "并进行数据分析以形成用户画像，用来向您推荐您感兴趣的商品或服务。\n"
        "您可通过左上角「设置」-「隐私」-「展示我可能感兴趣的内容」自行决定是否变更您的授权行为。\n"
    )
    assert _finding(text, "3.6").verdict is Verdict.COMPLIANT


def test_push_of_cached_content_is_no_targeting() -> None:
    text = "当我们检测您处于无网络、或弱移动网络的环境下，我们将仅为您推送您已经缓存于本地的相关视频内容。\n"
    assert _finding(text, "3.6").verdict is not Verdict.VIOLATION


def test_targeted_ads_without_opt_out_is_3_6_quoting_it() -> None:
    text = (
        "这些 cookies 和 web beacon 可能会收集与您相关的非个人身份信息，以用于分析用户如何使用该等服务、"
        "向您发送您可能感兴趣的广告，或用于评估广告服务的效果。\n"
    )
    f = _finding(text, "3.6")
    assert f.verdict is Verdict.VIOLATION and "感兴趣的广告" in f.reason and f.searched


# -- 6.2: an offline route beside an in-app one; "feedback@" is no fee --------------------------


def test_offline_route_beside_in_app_path_is_not_6_2() -> None:
    text = (
        "（2）您可通过如下路径注销12306网账户：\n"
        "1）您可以通过登录12306 APP进行账户注销，具体路径为：点击 “我的”——点击页面右上方设置按钮——点击“注销”；\n"
        "2）携带注册时填写的有效身份证原件，到就近火车站窗口办理注销。\n"
    )
    assert _finding(text, "6.2").verdict is Verdict.COMPLIANT


def test_feedback_mail_address_is_no_fee() -> None:
    text = (
        "例如您想要删除个人账号，可以发送邮件到 feedback@keep.com 与我们联络并提出您的要求，"
        "我们将在收到后 15 个工作日内联络您并完成核查和处理。\n"
    )
    assert _finding(text, "6.2").verdict is not Verdict.VIOLATION


def test_sole_offline_condition_is_still_6_2() -> None:
    text = "如需注销账号，您需要提供手持身份证照片并邮寄书面申请材料。\n"
    f = _finding(text, "6.2")
    assert f.verdict is Verdict.VIOLATION and "手持身份证" in f.reason


# -- 6.1: 删除账号 and a labelled 注销渠道 line are account cancellation -----------------------


def test_delete_account_in_a_ui_path_and_labelled_channel_count_for_6_1() -> None:
    base = (
        "您可以在“我的-设置-个人资料”中更正您的个人信息。\n"
        "您可以在“我的-设置-隐私”中删除您的浏览记录等个人信息。\n"
    )
    for line in (
        "登录交管12123手机客户端，进入“我的”，点击右上角“设置”，可以进行登录密码修改、手势密码修改、"
        "删除账号、暂停账号、账号迁移。\n",
        "（四）注销账号\n注销渠道：我的-设置-关于我们-注销账号\n",
    ):
        assert _finding(base + line, "6.1").verdict is not Verdict.VIOLATION


def test_no_cancellation_named_at_all_is_6_1_with_searched() -> None:
    text = (
        "您可以在“我的-设置-个人资料”中更正您的个人信息。\n"
        "您可以在“我的-设置-隐私”中删除您的浏览记录等个人信息。\n"
    )
    f = _finding(text, "6.1")
    assert f.verdict is Verdict.VIOLATION and "account cancellation" in f.reason and f.searched


# -- 6.3 / 6.5: deadlines read off the right clause; an in-app feedback entry is a channel ------


def test_retention_period_is_no_response_time() -> None:
    text = (
        "您可以在“我的-设置”中注销账号，我们会在15个工作日内完成处理。\n"
        "个人账号的存储空间在个人账号注销后释放，企业账号的存储空间在企业账号注销或失效后一个月后释放。\n"
    )
    assert _finding(text, "6.3").verdict is Verdict.COMPLIANT


def test_specific_15_working_day_promise_beats_a_general_30_days() -> None:
    text = (
        "您可以通过登录米哈游通行证账号系统 https://user.mihoyo.com 进行操作，我们会在15个工作日内处理您的请求。\n"
        "我们将在三十天内作出答复。\n"
    )
    assert _finding(text, "6.3").verdict is Verdict.COMPLIANT


def test_in_app_feedback_entry_is_a_complaint_channel() -> None:
    text = (
        "如您对本《隐私政策》相关的事宜有任何问题，请通过个人中心里的“用户反馈及帮助”与我们联系。\n"
    )
    assert _finding(text, "6.5").verdict is Verdict.COMPLIANT


def test_thirty_days_for_questions_is_6_5_quoting_it() -> None:
    text = (
        "您可以通过 privacy@example.com 与我们联系。\n"
        "我们将尽快审核所涉问题，并在验证您的用户身份后的三十天内予以回复。\n"
    )
    f = _finding(text, "6.5")
    assert f.verdict is Verdict.VIOLATION and "三十天" in f.reason


# -- 2.4: the SDK list 2.1 requires does not count as jargon -----------------------------------


def test_sdk_list_identifiers_are_not_2_4_jargon() -> None:
    row = (
        "收集的个人信息的类型/字段：设备标识符（如IMEI、OAID、IMSI、ICCID、GAID、MEID、Android ID）、"
        "MAC地址、IP地址、SDK版本\n"
    )
    text = (
        "一、我们如何收集和使用您的个人信息\n为向您提供账号注册功能，我们会收集您的手机号码和昵称。\n"
        "我们会在您同意后读取您的位置信息，用于向您展示附近的门店和天气。\n"
        * 3
        + "附录：第三方SDK目录\n"
        + ("SDK名称：某推送SDK\n" + row) * 6
    )
    f = _finding(text, "2.4")
    assert f.verdict is Verdict.COMPLIANT and "outside the third-party SDK list" in f.reason


# -- point 4: spacing, full-width forms, generic terms ----------------------------------------


def test_spaced_and_full_width_terms_are_normalised() -> None:
    from pica.extract.policy.statements import analyse

    assert analyse("我们会收集您的IP 地址。").pi_types == ("ip_address",)
    assert analyse("我们会收集您的ＩＭＥＩ。").pi_types == ("imei",)
    assert analyse("将您的问题邮寄至下列地址：").pi_types == ()
    assert (
        analyse(
            "为应对突发公共卫生事件，或者紧急情况下为保护自然人的生命健康和财产安全所必需；"
        ).pi_types
        == ()
    )


def test_generic_terms_map_to_their_group() -> None:
    from pica.rules.policy_cites import disclosed_pi

    pol = _policy(
        "为保障账号安全，我们会收集您的设备信息。\n为统计分析，我们会收集设备标识符。\n"
        "We collect device identifiers to prevent fraud.\n"
    )
    for i in range(3):
        got = set(disclosed_pi(pol, i))
        assert {"imei", "android_id", "oaid", "mac_address"} <= got, (i, got)
        assert "contacts" not in got


def test_sms_verification_code_is_a_credential_not_sms() -> None:
    from pica.extract.policy.statements import analyse

    text = "您使用本人手机号码注册成为拼多多用户时，我们将通过发送短信验证码的方式来验证您的身份是否有效。"
    assert "sms" not in analyse(text).pi_types
    assert analyse("我们会读取您的短信。").pi_types == ("sms",)


def test_smart_recommendation_switch_is_an_opt_out() -> None:
    text = (
        "我们会根据您的浏览记录进行分析，形成用户画像，向您推荐您可能感兴趣的内容。\n"
        "您可以在“我的-设置-隐私设置”中关闭【智能推荐】。\n"
    )
    assert _finding(text, "3.6").verdict is Verdict.COMPLIANT
