"""One sentence -> what it says about PI (types, actions, purposes, receivers, conditions) and
the sentence classes the profile and the rules are built on.

Sentence classes (each from reviewed patterns in policy_lexicon.yaml):
``effective_date, controller_identity, contact, minors, change_notice, withdraw_consent,
personalisation, personalisation_optout, user_rights, collect, purpose, share, cross_border``.

Precedence: ``cross_border``, ``personalisation_optout`` and ``change_notice`` exclude
``share``; ``contact`` excludes ``user_rights`` unless a right is named, and (without a
registered-address cue) ``controller_identity``; a sentence about sharing, cross-border transfer,
entrusting/transferring/disclosing, retention, security, rights, withdrawal, turning
personalisation off, policy changes, minors or contact is not also ``collect``/``purpose``/
``personalisation`` (what it says about PI is still in ``actions``/``pi_types``). The class
definitions are in pica.eval.policy's docstring.

Speed: ``analyse_with`` takes the sentence's ``lexicon.searcher`` so the profile's per-sentence
pass (``profile.ProfileAccumulator``) shares it; pattern families are checked as groups
(``has.which``); rarely decisive searches (the rights enabler, security) are made only where
they decide the outcome.
"""

from __future__ import annotations

import re
from typing import NamedTuple

from pica.extract.policy.lexicon import (
    Lexicon,
    PatternGroup,
    gate,
    lexicon,
    pi_matcher,
    register,
    searcher,
)

CLASSES = (
    "effective_date",
    "controller_identity",
    "contact",
    "minors",
    "change_notice",
    "withdraw_consent",
    "personalisation",
    "personalisation_optout",
    "user_rights",
    "collect",
    "purpose",
    "share",
    "cross_border",
)

RIGHT_KINDS = ("access", "correct", "delete", "cancel_account")


class SentenceFacts(NamedTuple):
    """What one sentence says (a named tuple: one is made per sentence, and a tuple is made
    several times faster than a frozen dataclass)."""

    pi_types: tuple[str, ...]
    names_pi: bool  # a taxonomy type or a generic PI noun
    actions: tuple[str, ...]
    purposes: tuple[str, ...]
    receivers: tuple[str, ...]
    conditions: tuple[str, ...]
    rights: tuple[str, ...]  # access | correct | delete | cancel_account (with an enabler)
    labels: tuple[str, ...]


_SHARE_ACTIONS = ("share", "entrust", "transfer", "disclose")
_LABEL_LINE = re.compile(r"^[^，。,]{0,20}[:：]")
_DATE_ONLY = re.compile(r"^[\s【\[（(]*(?:[^\d:：]{0,16})[:：]?\s*[【\[]?\d{4}")
_CONTACT_CUE = re.compile(
    r"联系|联络|咨询|投诉|举报|反馈|客服|热线|邮箱|邮件|电话|contact|e-?mail|phone", re.I
)
_CONTACT_MEANS = re.compile(
    r"(通过|发送|致电|拨打|发邮件|写信|邮寄|在线|客服|反馈|热线|邮箱|邮件|电话|以下方式|如下方式|下列方式|联系方式|与我们(取得)?联系|联系我们)",
    re.I,
)
_PURPOSE_WEAK_ONLY = re.compile(
    r"^(为了?|用于)?(向(您|你))?提供(服务|产品|产品(和|与|及)服务|相关服务)$"
)


_DIGIT = re.compile("[0-9]")
# The registered address and operator (CR3). "注册地" also finds "注册地址".
_REGISTERED_ADDRESS = re.compile(r"注册地")
_ADDRESS_CUE = re.compile(r"注册地|运营(主体|者)[是为：:]")
_REGISTERED = re.compile(r"注册地|运营者|运营主体")
_SCOPE = re.compile(r"(政策|声明|协议|条款)[》」”\"]?.{0,8}适用于")
_CONTACT_US = re.compile(
    r"(与|和|同)(我们|本公司|我司)(取得)?联系|联系我们|(反馈|咨询|投诉|举报)给?我们"
)
_WITHDRAW = re.compile(r"撤回|撤销|withdraw|revoke", re.I)
_WITHDRAW_EXPLICIT = re.compile(
    r"(撤回|撤销|收回|取消).{0,6}(授权|同意)|withdraw (your )?consent", re.I
)
_WE_COLLECT = re.compile(
    r"(我们|本平台|本应用)(将|会|可能|需要|需|也)?.{0,12}(收集|获取|访问|读取|申请|请求|记录)|(需要|需|须|应)(您|你)?(提供|填写|设置)|(您|你)(需要|需|须)(提供|填写|设置)"
)
_UNSUBSCRIBE = re.compile(r"退订|unsubscribe", re.I)
# A request by the user, or the user's right. Not a permission request ("申请相机权限" is collection),
# not the controller's ("我们会申请访问您的位置", "我们有权删除违规内容"), and not a regulator's
# or the law's ("监管要求", "法律法规要求", "配合有权机关的查询").
_REQUEST = re.compile(
    r"(?<![会将需管规律])(要求|请求|申请)(?![^，。；;]{0,6}权限)"
    r"|(?<!我们)(?<!我司)(?<!本公司)(?<!平台)有权(?!机关|部门|机构)|权利|\bright",
    re.I,
)
_RIGHT_NOUN = re.compile(
    r"(查阅|复制|更正|删除|注销|可携带|转移)(权|请求权)|(访问|查询|更正|删除|注销).{0,8}(您|你)的.{0,10}(个人信息|账号|帐号|账户)的?(权利|方式)"
    r"|(您|你)的权利(包括|有)|注销(须知|流程|指引)"
)
_SHARE_PI = re.compile(r"共享.{0,10}(您|你)?的?.{0,6}(个人)?信息|信息.{0,6}共享")
# "当您…时", "在您…过程中", "如果您…": the situation a collection happens in, not its purpose.
_SCENE = re.compile(r"^(当|在|如果?|若)(您|你)")
_ANAPHORIC = re.compile(
    r"^(为了?|以便|用于|为实现|为完成|为提供)?(实现|完成|提供)?(此|该|这一|这些|上述|以上|前述|相关|对应|相应)(的)?(功能|服务|目的|业务功能)"
)
_OTHERS = re.compile(r"他人|其他方|合作|开发者|运营者|服务(提供)?商|供应商|others|third", re.I)
_SHARE_GATE = re.compile(
    r"第三方|SDK|合作|关联|服务商|提供商|提供方|运营商|供应商|广告主|广告商|推广方|商家|卖家|商户|中国移动|中国联通|中国电信|有限公司|股份公司|提供给|共享|委托|转让|披露|境外|他人|third|partner|share|affiliat|vendor|service provider",
    re.I,
)
_CHANNEL_GATE = re.compile(
    r"@|\d{5}|地址|邮寄|寄至|信函|客服|反馈|QQ|微信|在线|传真|热线|投诉|举报|帮助|fax|form|feedback|customer|help",
    re.I,
)


def analyse(text: str, lex: Lexicon | None = None) -> SentenceFacts:
    lex = lex or lexicon()
    return analyse_with(text, lex, searcher(text))


def analyse_with(
    text: str, lex: Lexicon, has, found: list[tuple[str, int, int, str]] | None = None
) -> SentenceFacts:
    """``analyse`` with the sentence's searcher already built (``lexicon.searcher(text)``), so
    the profile pass can share it, and optionally its PI terms (``PiMatcher.find``, or
    ``find_many`` over the document)."""
    if found is None:
        found = pi_matcher().find(text)
    pis = tuple(dict.fromkeys(pid for pid, *_ in found))
    generic = bool(pis) or has(lex.generic_pi)
    groups = _groups(lex)
    which = has.which
    actions = tuple(which(groups[0]))
    acting = bool(actions)
    leading = _LEADING_PURPOSE.match(text) is not None
    # (the purpose phrases are listed, a slow ``finditer``, only where one exists)
    purposes = _purposes(text, lex) if (acting or generic or leading) and has(lex.purpose) else ()
    # Receivers only next to a sharing cue: alone, the receiver patterns find PI and rules as
    # often as receivers (银行卡号, 快递地址, "除法律法规或监管部门另有规定外"); searched everywhere,
    # 75 more of the 4,985 labelled sentences got a receiver, nearly all wrongly (checked
    # 2026-11-29).
    share_gate = has(_SHARE_GATE)
    receivers = tuple(which(groups[1])) if share_gate else ()
    conditions = tuple(which(groups[2])) if acting else ()
    labels: list[str] = []
    rights: list[str] = []
    C = lex.cls

    if _DIGIT.search(text) is not None:
        has_date = has(lex.date) or has(lex.date_en)
        if has_date and has(lex.date_label) and (len(text) <= 60 or _DATE_ONLY.match(text)):
            labels.append("effective_date")

    # CR3 is the company name or the *registered* address (dataset README); an office address is
    # a contact channel (CR4), and "本政策适用于X公司…" states the policy's scope (CR2).
    if has(lex.company_hint):
        # A short line naming a company is the controller, unless PI is shared with it.
        short = len(text) <= 30 and "share" not in actions
        if has(lex.company) and (has(lex.controller_cue) or short):
            labels.append("controller_identity")
    if "controller_identity" not in labels and has(_ADDRESS_CUE):
        labels.append("controller_identity")
    # searched only where it decides something (most sentences name no controller)
    registered = "controller_identity" in labels and has(_REGISTERED)
    if "controller_identity" in labels and not registered and has(_SCOPE):
        labels.remove("controller_identity")

    if has.maybe(groups[4]) and _is_contact(text, has, lex):
        labels.append("contact")
        if "controller_identity" in labels and not registered:
            labels.remove("controller_identity")

    if has(lex.minors) and has(C["minors_consent"]) and not has(C["minors_not"]):
        labels.append("minors")

    if has(lex.change) and has(lex.notify) and (has(lex.notify_subject) or "重大" in text):
        labels.append("change_notice")

    retention = has(C["retention"])
    # Opt-out, withdrawal and user rights: skipped as a block when none of the patterns that can
    # make one of them true can match (then all three are False and no right is named).
    optout = withdraw = False
    named: list[str] = []  # the rights the sentence names
    if has.maybe(groups[5]):
        optout, withdraw, named = _rights_labels(text, lex, has, groups, labels, rights, retention)

    cross = "cross_border" in actions or has(C["cross_border_more"])
    if cross and has(C["cross_border_product"]) and not has(C["cross_border_transfer"]):
        cross = False  # "当您预订境外流量服务时，您需要提供…": a product, not a transfer
    if cross:
        labels.append("cross_border")

    share_act = "share" in actions and (receivers or has(_OTHERS) or has(_SHARE_PI))
    # The classes are nearly exclusive: a policy-change notice or an opt-out that mentions
    # third parties is still about the change or the opt-out. (The exclusions come first and
    # the third-party patterns, slow ones, are searched only when the sharing verb is missing.)
    share = (
        not cross
        and not optout
        and "change_notice" not in labels
        and "controller_identity" not in labels
        and "contact" not in labels
        and (share_act or (share_gate and (has(C["third_collects"]) or has(C["share_list"]))))
        and not has(C["not_share"])
    )
    if share:
        labels.append("share")

    # Collection and purpose (CR13 / CR11 / CR12): not in sentences that are about sharing,
    # cross-border transfer, keeping or protecting PI, or exercising rights.
    handover = any(a in actions for a in _SHARE_ACTIONS) and (receivers or has(_OTHERS))
    other = (
        cross
        or share
        or handover
        or retention
        or optout
        or withdraw
        or "user_rights" in labels
        or "change_notice" in labels
        or "minors" in labels
        or "contact" in labels
        or "controller_identity" in labels
        # "（四）帐号注销", "删除您的账号": a right, not a collection ("查询订单" can be a function)
        or ("collect" not in actions and any(r in named for r in _NOT_COLLECT_RIGHTS))
        or _DEFINITION.match(text) is not None
    )
    if not other:
        security: bool | None = None  # searched only where it decides something
        function_heading = (
            len(text) <= 24 and has(C["function_heading"]) and not has(C["heading_topic"])
        )
        specific = bool(pis) or has(C["specific_pi"])
        # Security measures (CR15) are not a collection even where a verb such as 获取/访问/记录
        # appears ("防止…被恶意获取"); only 收集/采集 keeps them.
        strict_collect = "collect" in actions and has(_COLLECT_VERB)
        if specific and not strict_collect:
            security = has(C["security"])
        # "收集这些信息是为了…" refers to PI named elsewhere, unless the sentence names a taxonomy
        # type before it ("我们会收集您的昵称、头像…，收集这些信息是为了…"); PI named after it is
        # part of the purpose ("收集这些信息是为了保障您的帐号安全"). Searched only for a sentence
        # that would otherwise count as a collection.
        if (
            specific
            and not (security and not strict_collect)
            and not (
                has(C["collect_anaphoric"]) and _named_after(found, C["collect_anaphoric"], text)
            )
        ):
            # A short business-function item ("1.1注册和登录账号", "2.注册本平台账号") names the
            # function (CR11), not the PI collected.
            heading = not acting and len(text) <= 20 and has(C["function_item"])
            heading = heading or function_heading
            if (acting or has(C["pi_list"]) or len(text) <= 40) and not heading:
                labels.append("collect")
        pers = has(C["personalisation_strong"])
        if pers:
            labels.append("personalisation")
        strong = [p for p in purposes if not _ANAPHORIC.match(p)]
        if (
            (strong and (generic or acting or pers or leading))
            or ("collect" in labels and has(C["scene"]) and not has(_SCENE_PRODUCED))
            or pers
            or (len(text) <= 40 and has(C["function_item"]) and not has(C["heading_topic"]))
            or function_heading
            or has(C["function_desc"])
            or (leading and len(text) <= 40)
        ) and not (has(C["security"]) if security is None else security):
            if not has(C["purpose_not"]):
                labels.append("purpose")

    return SentenceFacts(
        pi_types=pis,
        names_pi=generic,
        actions=actions,
        purposes=purposes,
        receivers=receivers,
        conditions=conditions,
        rights=tuple(rights),
        labels=tuple(labels),
    )


def _rights_labels(
    text: str,
    lex: Lexicon,
    has,
    groups: tuple[PatternGroup, ...],
    labels: list[str],
    rights: list[str],
    retention: bool,
) -> tuple[bool, bool, list[str]]:
    """personalisation_optout, withdraw_consent and user_rights (appended to ``labels``; the
    rights named with an enabler to ``rights``). Returns (optout, withdraw, the rights named)."""
    C = lex.cls
    which = has.which
    optout = has(lex.rights["personalisation_off"]) or (
        has(C["optout_more"]) and (has(lex.personalisation) or has(lex.rights_enabler))
    )
    if optout:
        labels.append("personalisation_optout")

    # The enabler ("您可以…", "通过…路径") is searched only when a right is named (speed: it is
    # one of the most frequent prefixes); the outcome is the same as searching it first.
    named = which(groups[3])
    enabler: bool | None = None
    if named:
        enabler = has(lex.rights_enabler)
        if enabler:
            rights.extend(named)

    def enabled() -> bool:
        nonlocal enabler
        if enabler is None:
            enabler = has(lex.rights_enabler)
        return enabler

    # A UI path ("在“我的-设置-隐私”中…") is itself the way to exercise a right.
    ui_step = len(text) <= 80 and has(C["ui_step"])
    withdraw = (
        (has(lex.rights["withdraw_consent"]) or has(C["withdraw_more"]))
        and (enabled() or ui_step or has(_WITHDRAW) or has(C["withdraw_self"]))
        and not has(_UNSUBSCRIBE)
        and not retention
        and (not optout or has(_WITHDRAW_EXPLICIT))
    )
    if withdraw:
        labels.append("withdraw_consent")

    # CR10: a right named with a way to use it, a UI step, or a right that needs no enabler.
    extra = has(C["extra_rights"])
    user_rights = (
        (
            (rights or extra)
            and (has(_REQUEST) or (enabled() and (ui_step or has(C["rights_object"]))))
        )
        or has(_UNSUBSCRIBE)
        or (
            ui_step
            and not optout
            and not withdraw
            and (has(C["ui_step_numbered"]) or has(C["rights_object"]))
        )
        or has(_RIGHT_NOUN)
    )
    if user_rights and has(_WE_COLLECT) and not has(_REQUEST) and not has(C["rights_strong"]):
        user_rights = False  # "我们会访问您的位置信息": collection, not the access right
    if user_rights and (
        has(C["rights_never"])
        or (has(C["operator_right"]) and not has(C["user_right"]))
        or ((has(C["rights_not"]) or has(C["rights_offtopic"])) and not has(C["rights_strong"]))
        or ("contact" in labels and not rights and not extra)
    ):
        user_rights = False
    if user_rights and not retention and "change_notice" not in labels:
        if not (withdraw and not has(_REQUEST) and not has(_RIGHT_NOUN)) and not (
            optout and not has(_UNSUBSCRIBE)
        ):
            labels.append("user_rights")
    return optout, withdraw, named


_GROUPS: dict[int, tuple[PatternGroup, ...]] = {}


def _groups(lex: Lexicon) -> tuple[PatternGroup, ...]:
    """The lexicon's pattern families checked as groups: actions, receivers, conditions, rights;
    then the block gates (``has.maybe``) of ``_is_contact`` and ``_rights_labels``."""
    g = _GROUPS.get(id(lex))
    if g is None:
        C = lex.cls
        g = _GROUPS[id(lex)] = (
            PatternGroup(lex.actions),
            PatternGroup(lex.receivers),
            PatternGroup(lex.conditions),
            PatternGroup([(k, lex.rights[k]) for k in RIGHT_KINDS]),
            # 4: what can make ``_is_contact`` true (it is False when none of them can match)
            PatternGroup(
                [
                    ("email", lex.contact["email"]),
                    ("phone", lex.contact["phone"]),
                    ("address", lex.contact["address"]),
                    ("postcode", C["postcode"]),
                    ("street_address", C["street_address"]),
                    ("ui_channel", C["ui_channel"]),
                    ("url", C["url"]),
                    ("online", lex.contact["online"]),
                ]
            ),
            # 5: what can make ``_rights_labels`` add a label or a right
            PatternGroup(
                [(k, lex.rights[k]) for k in RIGHT_KINDS]
                + [
                    ("personalisation_off", lex.rights["personalisation_off"]),
                    ("withdraw_consent", lex.rights["withdraw_consent"]),
                    ("optout_more", C["optout_more"]),
                    ("withdraw_more", C["withdraw_more"]),
                    ("extra_rights", C["extra_rights"]),
                    ("ui_step", C["ui_step"]),
                    ("unsubscribe", _UNSUBSCRIBE),
                    ("right_noun", _RIGHT_NOUN),
                ]
            ),
        )
    return g


def _named_after(found: list[tuple[str, int, int, str]], rx: re.Pattern[str], text: str) -> bool:
    """True when every PI term in ``found`` starts after the first match of ``rx``."""
    m = rx.search(text)
    return m is not None and all(start >= m.end() for _pid, start, _end, _term in found)


def _is_contact(text: str, has, lex: Lexicon) -> bool:
    """CR4: the sentence gives a concrete way to reach the controller (e-mail, phone, postal
    address, postcode, URL, in-app support entry) rather than only saying "contact us"."""
    C = lex.cls
    reachable = has(lex.contact["email"]) or has(lex.contact["phone"]) or has(C["postcode"])
    address = has(lex.contact["address"]) or (len(text) <= 80 and has(C["street_address"]))
    if address and not reachable and has(_REGISTERED_ADDRESS):
        return False  # a registered address identifies the controller (CR3); it is no channel
    if reachable or address:
        # PI the app collects that happens to be an address or a phone number is not a channel.
        return not (has(_COLLECTS_CONTACT) and not has(_CONTACT_CUE))
    if not (has(C["ui_channel"]) or has(C["url"]) or has(lex.contact["online"])):
        return False
    return has(C["question_cue"]) and not has(C["rights_context"])


# A sentence that opens with its purpose ("为了给您带来更便捷的搜索服务…", "帮助我们开发产品和服务；").
_LEADING_PURPOSE = re.compile(
    r"^[\s\d（()）、.．·•a-zA-Z]{0,6}(为了|为(您|你)|为便于|为确保|为保障|以便|帮助(我们|您|你))"
)
_NOT_COLLECT_RIGHTS = ("delete", "cancel_account")
# A definition ("个人信息：是指…", "个人敏感信息是指…") says what a term means, not what is collected.
_DEFINITION = re.compile(r"^[^，。,；;]{0,16}[:：]?\s*(是指|系指|指的是)")
_COLLECT_VERB = re.compile(r"收集|采集|collect", re.I)
_COLLECTS_CONTACT = re.compile(r"收集|提供.{0,10}(姓名|地址|电话)|填写|使用(您|你)的")


# After a scene marker ("在您使用…过程中", "当您…时"): the scene qualifies a PI noun, not a purpose
# ("您使用服务过程中产生的日志"). _PRODUCED follows a purpose phrase; _SCENE_PRODUCED is searched
# in a sentence whose scene would otherwise make a collection a purpose.
_PRODUCED = re.compile(r"(所|而)?(产生|生成|形成|提交|提供|上传|填写|留存|记录|发布)的")
_SCENE_PRODUCED = re.compile(r"(过程中|时|期间)(所|而)?(产生|生成|形成)的")


def _purposes(text: str, lex: Lexicon) -> tuple[str, ...]:
    out: list[str] = []
    # the gated form: the same matches, found faster (lexicon.Gate)
    for m in gate(lex.purpose).fast.finditer(text):
        tail = text[m.end() : m.end() + 80]
        if _PRODUCED.match(tail):
            continue  # "您使用服务过程中产生的日志": describes the PI, is not a purpose
        cut = lex.purpose_stop.search(tail)
        clause = (m.group(0) + (tail[: cut.start()] if cut else tail)).strip()
        if len(clause) < 3 or _PURPOSE_WEAK_ONLY.match(clause):
            continue
        if clause not in out:
            out.append(clause)
        if len(out) >= 4:
            break
    return tuple(out)


# The patterns of this module ``has`` is asked about: gated with the lexicon's, before the first
# sentence, so that the index over the gates is built once (lexicon.register).
register(
    _ADDRESS_CUE,
    _COLLECTS_CONTACT,
    _COLLECT_VERB,
    _CONTACT_CUE,
    _OTHERS,
    _REGISTERED,
    _REGISTERED_ADDRESS,
    _REQUEST,
    _RIGHT_NOUN,
    _SCENE_PRODUCED,
    _SCOPE,
    _SHARE_GATE,
    _SHARE_PI,
    _UNSUBSCRIBE,
    _WE_COLLECT,
    _WITHDRAW,
    _WITHDRAW_EXPLICIT,
)
