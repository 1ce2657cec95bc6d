"""JSON renderer and its schema (src/pica/render/report.schema.json, draft 2020-12)."""

from __future__ import annotations

import dataclasses
import json
import random

import jsonschema
import pytest
from test_render_support import ITEM_IDS, VERDICTS, build_report, catalog

from pica.render import FORMATS, RenderError, render, schema
from pica.render.json_report import render_json, report_document
from pica.report import SCHEMA_VERSION, Cite, Finding, Verdict


def _validator() -> jsonschema.Draft202012Validator:
    s = schema()
    jsonschema.Draft202012Validator.check_schema(s)
    return jsonschema.Draft202012Validator(s, format_checker=jsonschema.FormatChecker())


def _doc(**kw) -> dict:
    return json.loads(render_json(build_report(**kw), catalog()).decode("utf-8"))


def test_schema_is_draft_2020_12_versioned_and_documented():
    s = schema()
    assert s["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert s["properties"]["schema_version"]["const"] == SCHEMA_VERSION == "1.1"

    undocumented = []

    def walk(node, where):
        if isinstance(node, dict):
            for name, sub in (node.get("properties") or {}).items():
                if "description" not in sub and "$ref" not in sub:
                    undocumented.append(f"{where}.{name}")
            for key, sub in node.items():
                walk(sub, f"{where}/{key}")
        elif isinstance(node, list):
            for i, sub in enumerate(node):
                walk(sub, f"{where}[{i}]")

    walk({k: v for k, v in s.items() if k != "$defs"}, "#")
    for name in ("finding", "cite", "sdk", "permission"):
        walk(s["$defs"][name], f"#/$defs/{name}")
    assert undocumented == []


@pytest.mark.parametrize("hostile", [False, True])
def test_output_validates_against_schema(hostile):
    _validator().validate(_doc(hostile=hostile))


def test_schema_rejects_broken_documents():
    validator = _validator()
    good = _doc()
    bad_verdict = json.loads(json.dumps(good))
    bad_verdict["findings"][0]["verdict"] = "maybe"
    extra = dict(good, surprise=1)
    no_cites = json.loads(json.dumps(good))
    del no_cites["findings"][3]["cites"]
    bad_counts = json.loads(json.dumps(good))
    bad_counts["counts"]["unknown"] = 1
    for doc in (bad_verdict, extra, no_cites, bad_counts):
        assert not validator.is_valid(doc)


def test_content_titles_and_counts():
    doc = _doc()
    cat = catalog()
    assert doc["schema_version"] == "1.1"
    assert [f["item_id"] for f in doc["findings"]] == ITEM_IDS
    for finding in doc["findings"]:
        item = cat[finding["item_id"]]
        assert finding["title_zh"] == item.title_zh
        assert finding["title_en"] == item.title_en
        assert finding["category"] == item.category
        assert finding["verdict"] == VERDICTS[finding["item_id"]].value
    counts = {v.value: list(VERDICTS.values()).count(v) for v in Verdict}
    assert doc["counts"] == counts
    assert sum(c["counts"][v.value] for c in doc["category_summary"] for v in Verdict) == 31
    assert [c["category"] for c in doc["category_summary"]] == [1, 2, 3, 4, 5, 6]
    assert doc["not_assessed"] == []
    f31 = next(f for f in doc["findings"] if f["item_id"] == "3.1")
    assert f31["cites"][0]["path"][0] == "com.example.shop.ShopApp.onCreate"
    assert doc["sdks"][0]["signals"]
    assert "个推 Getui Push" in doc["pi_by_party"]


def test_utf8_not_ascii_escaped_and_key_order_stable():
    out = render_json(build_report(), catalog())
    text = out.decode("utf-8")
    assert "示例商城" in text and "\\u" not in text
    assert out.endswith(b"\n")
    keys = list(json.loads(text))
    assert keys[:3] == ["schema_version", "tool_version", "generated_at"]
    # shuffled findings give byte-identical output
    report = build_report()
    random.Random(4).shuffle(report.findings)
    assert render_json(report, catalog()) == out
    first = json.loads(text)["findings"][0]
    assert list(first)[:7] == [
        "item_id",
        "category",
        "category_title_zh",
        "category_title_en",
        "title_zh",
        "title_en",
        "verdict",
    ]


def test_unknown_item_fails_clearly_in_every_format():
    report = build_report()
    report.findings.append(Finding(item_id="7.1", verdict=Verdict.VIOLATION, reason="x"))
    for fmt in FORMATS:
        with pytest.raises(RenderError, match="7.1"):
            render(report, fmt, catalog())


def test_duplicate_finding_fails():
    report = build_report()
    report.findings.append(dataclasses.replace(report.findings[0]))
    with pytest.raises(RenderError, match="two findings"):
        render(report, "json", catalog())


def test_unknown_format_fails():
    with pytest.raises(RenderError, match="unknown report format"):
        render(build_report(), "pdf", catalog())


def test_partial_report_lists_items_not_assessed():
    doc = report_document(build_report(ids=["3.1", "1.1"]), catalog())
    _validator().validate(json.loads(json.dumps(doc)))
    assert [f["item_id"] for f in doc["findings"]] == ["1.1", "3.1"]
    assert len(doc["not_assessed"]) == 29 and "6.5" in doc["not_assessed"]


def test_non_json_values_are_made_plain():
    report = build_report()
    report.stats["tuple"] = (1, 2)
    report.stats["set"] = {"b", "a"}
    report.findings[0] = dataclasses.replace(
        report.findings[0], cites=(Cite(text="t", source="s", path=("a", "b")),)
    )
    doc = json.loads(render_json(report, catalog()))
    assert doc["stats"]["tuple"] == [1, 2] and doc["stats"]["set"] == ["a", "b"]
    assert doc["findings"][0]["cites"][0]["path"] == ["a", "b"]


def test_nan_is_rejected():
    report = build_report()
    report.stats["bad"] = float("nan")
    with pytest.raises(RenderError, match="strict JSON"):
        render_json(report, catalog())
