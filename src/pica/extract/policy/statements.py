"""One sentence -> what it says about PI (types, actions, purposes, receivers, conditions) and
the sentence classes the profile and the rules are built on.

Sentence classes (each from reviewed patterns in policy_lexicon.yaml):
``effective_date, controller_identity, contact, minors, change_notice, withdraw_consent,
personalisation, personalisation_optout, user_rights, collect, purpose, share, cross_border``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from pica.extract.policy.lexicon import Lexicon, lexicon, pi_matcher

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


@dataclass(frozen=True)
class SentenceFacts:
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
_CONTACT_CUE = re.compile(r"联系|联络|咨询|投诉|举报|反馈|客服|热线|邮箱|邮件|电话|contact|e-?mail|phone", re.I)
_CONTACT_MEANS = re.compile(
    r"(通过|发送|致电|拨打|发邮件|写信|邮寄|在线|客服|反馈|热线|邮箱|邮件|电话|以下方式|如下方式|下列方式|联系方式|与我们(取得)?联系|联系我们)",
    re.I,
)
_PURPOSE_WEAK_ONLY = re.compile(r"^(为了?|用于)?(向(您|你))?提供(服务|产品|产品(和|与|及)服务|相关服务)$")


def analyse(text: str, lex: Lexicon | None = None) -> SentenceFacts:
    lex = lex or lexicon()
    pis = pi_matcher().ids_in(text)
    generic = bool(pis) or bool(lex.generic_pi.search(text))
    actions = tuple(k for k, rx in lex.actions.items() if rx.search(text))
    purposes = _purposes(text, lex)
    receivers = tuple(k for k, rx in lex.receivers.items() if rx.search(text))
    conditions = tuple(k for k, rx in lex.conditions.items() if rx.search(text))
    labels: list[str] = []
    rights: list[str] = []

    has_date = bool(lex.date.search(text) or lex.date_en.search(text))
    if has_date and lex.date_label.search(text) and (len(text) <= 60 or _DATE_ONLY.match(text)):
        labels.append("effective_date")

    if lex.company_hint.search(text) and lex.company.search(text) and lex.controller_cue.search(text):
        labels.append("controller_identity")
    elif re.search(r"注册地址|注册地|办公地址|公司地址|运营(主体|者)[是为：:]", text):
        labels.append("controller_identity")

    channel = any(lex.contact[k].search(text) for k in ("email", "phone", "address", "online", "fax"))
    if channel and (_CONTACT_CUE.search(text) or _LABEL_LINE.match(text) or len(text) < 40):
        labels.append("contact")
    elif re.search(r"(与|和|同)(我们|本公司|我司)(取得)?联系|联系我们|(反馈|咨询|投诉|举报)给?我们", text) and _CONTACT_MEANS.search(text):
        labels.append("contact")

    if lex.minors.search(text):
        labels.append("minors")

    if lex.change.search(text) and lex.notify.search(text) and (
        lex.notify_subject.search(text) or "重大" in text
    ):
        labels.append("change_notice")

    optout = bool(lex.rights["personalisation_off"].search(text))
    if optout:
        labels.append("personalisation_optout")
    elif lex.personalisation.search(text):
        labels.append("personalisation")

    if lex.rights["withdraw_consent"].search(text) and (
        lex.rights_enabler.search(text) or re.search(r"撤回|撤销|withdraw|revoke", text, re.I)
    ):
        labels.append("withdraw_consent")

    if lex.rights_enabler.search(text):
        for kind in RIGHT_KINDS:
            if lex.rights[kind].search(text):
                rights.append(kind)
        if rights:
            labels.append("user_rights")

    share = any(a in actions for a in _SHARE_ACTIONS) and (
        receivers or re.search(r"他人|其他方|合作|others|third", text, re.I)
    )
    if share:
        labels.append("share")
    if "cross_border" in actions:
        labels.append("cross_border")

    if generic and "collect" in actions:
        labels.append("collect")
    if purposes and (generic or "collect" in actions or "use" in actions):
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


def _purposes(text: str, lex: Lexicon) -> tuple[str, ...]:
    out: list[str] = []
    for m in lex.purpose.finditer(text):
        tail = text[m.end() : m.end() + 80]
        cut = lex.purpose_stop.search(tail)
        clause = (m.group(0) + (tail[: cut.start()] if cut else tail)).strip()
        if len(clause) < 3 or _PURPOSE_WEAK_ONLY.match(clause):
            continue
        if clause not in out:
            out.append(clause)
        if len(out) >= 4:
            break
    return tuple(out)
