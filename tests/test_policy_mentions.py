"""Issue 18 point 4 in the reader: which PI mentions disclose collection (extract.policy.mentions).

Real sentences of the two VioDroid-Finder policies in tests/fixtures/policies/viodroid (AGPL-3.0,
test data only), read whole by ``pica.extract.policy.extract`` so the topics and sections are the
ones the reader really gives them.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import pytest

from pica.evidence import PolicyEvidence
from pica.extract.policy import extract
from pica.extract.policy.mentions import covered_types, lead_ins, why_not_collected

FIX = Path(__file__).parent / "fixtures" / "policies" / "viodroid"


@cache
def _policy(name: str) -> PolicyEvidence:
    return extract(FIX / name)


def _statement(name: str, needle: str):
    return next(s for s in _policy(name).statements if needle in s.text)


@pytest.mark.parametrize(
    ("name", "needle", "pi"),
    [
        # SMS as a channel for change notices (section 八、隐私政策的变更): revisions, not collection
        ("C107228073-1.0.0.txt", "邮件、短信或在浏览页面做特别提示", "sms"),
        # the DPO's e-mail address: contact, not the user's e-mail
        ("C100003425-1.3.10.txt", "负责人邮箱", "email"),
    ],
)
def test_pi_named_outside_a_collection_statement_is_no_disclosure(name, needle, pi) -> None:
    s = _statement(name, needle)
    assert pi in s.pi_types  # the term is there …
    assert s.collected == ()  # … but discloses nothing
    assert s.not_collected


def test_a_collection_statement_discloses_its_pi_and_general_terms() -> None:
    pol = _policy("C100003425-1.3.10.txt")
    collected = {pi for s in pol.statements for pi in s.collected}
    assert {"phone_number", "location_precise"} <= collected
    # a general term discloses the group it names (pi_generalisation.yaml)
    assert {"imei", "android_id"} <= set(covered_types("我们会收集您的设备信息"))
    assert "imei" in covered_types("我们会收集您的设备标识符")


def test_lead_in_items_take_the_collecting_frame_of_their_lead_in() -> None:
    texts = ["我们会收集以下信息：", "1. 手机号码；", "2. 设备型号；", "其他", "3. 通讯录"]
    sections = ["一", "一", "一", "一", "二"]
    assert lead_ins(texts, sections) == [None, 0, 0, 0, None]
    assert why_not_collected("1. 手机号码；", "一", has_lead_in=True) == ""
    assert why_not_collected("1. 手机号码；", "一", has_lead_in=False)


def test_topics_of_other_matters_override_a_collecting_verb() -> None:
    text = "在您使用本服务时，我们会读取您的设备信息"  # a collecting verb …
    assert why_not_collected(text, "变更", False) == ""
    assert why_not_collected(text, "变更", False, ("revisions",))  # … in a sentence on revisions
    assert why_not_collected(text, "变更", False, ("revisions", "collection")) == ""
    # management (the user's rights) is no gate: the classifier gives it to real collections
    assert (
        why_not_collected(
            "你可以自主填写性别、生日、地区及个人介绍来完善你的信息。",
            "1.1.3",
            False,
            ("management",),
        )
        == ""
    )


def test_the_join_reads_the_same_decision_as_the_rules() -> None:
    from pica.analysis.disclosure import _app_disclosures
    from pica.rules.policy_cites import disclosed_pi

    pol = _policy("C107228073-1.0.0.txt")
    disclosed, _denied = _app_disclosures(pol)
    by_rules = {pi for i in range(len(pol.statements)) for pi in disclosed_pi(pol, i)}
    table = {pi for r in pol.profile.collection_rows for pi in r.pi_types}
    assert "sms" not in disclosed
    assert set(disclosed) <= by_rules | table | set().union(
        *(covered_types(r.ref.text) for r in pol.profile.collection_rows)
    )


def test_wrapped_sdk_table_lines_belong_to_the_row_above() -> None:
    # 片场's SDK list is space-separated lines; a long PI cell wraps onto lines of its own
    rows = _policy("C100003425-1.3.10.txt").profile.sdk_rows
    assert [r.name for r in rows] == ["友盟", "百度地图SDK", "创蓝闪验SDK"]
    assert {"imei", "imsi", "mac_address"} <= set(rows[0].pi_types)  # from the wrapped line


def test_pi_table_names_party_statement_and_purpose_for_every_disclosed_type() -> None:
    pol = _policy("C100003425-1.3.10.txt")
    table = pol.pi_table
    disclosed = {pi for s in pol.statements for pi in s.collected}
    assert disclosed <= {r.pi_type for r in table if r.party == "app"}
    umeng = {r.pi_type for r in table if r.party == "友盟"}
    assert {"imei", "imsi"} <= umeng
    phone = next(r for r in table if r.pi_type == "phone_number" and r.party == "app")
    assert phone.purpose_from and phone.ref.text in pol.text
    assert len({(r.pi_type, r.party) for r in table}) == len(table)  # one row per (type, party)
