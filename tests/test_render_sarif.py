"""SARIF 2.1.0 renderer, validated against the official OASIS schema.

tests/fixtures/sarif-schema-2.1.0.json is the OASIS SARIF 2.1.0 schema (errata 01), copied
unchanged from oasis-tcs/sarif-spec `sarif-2.1/schema/` (via ../shared/data/schemas/); its
licence terms are in tests/fixtures/LICENSE-sarif-spec.md.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path

import jsonschema
import pytest
from test_render_support import (
    ITEM_IDS,
    JS_URL,
    PATH_3_1,
    PATH_5_1,
    VERDICTS,
    build_report,
    catalog,
)

from pica.render import render
from pica.render.sarif import render_sarif, sarif_log
from pica.report import Verdict

SCHEMA = Path(__file__).parent / "fixtures" / "sarif-schema-2.1.0.json"


@pytest.fixture(scope="module")
def validator():
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    cls = jsonschema.validators.validator_for(schema)
    assert cls is jsonschema.Draft4Validator  # what the schema declares
    cls.check_schema(schema)
    return cls(schema, format_checker=cls.FORMAT_CHECKER)


def _log(hostile: bool = False) -> dict:
    return json.loads(render_sarif(build_report(hostile=hostile), catalog()).decode("utf-8"))


@pytest.mark.parametrize("hostile", [False, True])
def test_validates_against_official_schema(validator, hostile):
    validator.validate(_log(hostile))


def test_validator_rejects_broken_logs(validator):
    good = _log()
    bad_level = copy.deepcopy(good)
    bad_level["runs"][0]["results"][0]["level"] = "fatal"
    no_message = copy.deepcopy(good)
    del no_message["runs"][0]["results"][0]["message"]
    bad_flow = copy.deepcopy(good)
    flow = next(r for r in bad_flow["runs"][0]["results"] if "codeFlows" in r)["codeFlows"][0]
    flow["threadFlows"] = []
    for doc in (bad_level, no_message, bad_flow):
        assert not validator.is_valid(doc)


def test_driver_and_rules():
    log = _log()
    assert log["version"] == "2.1.0" and len(log["runs"]) == 1
    driver = log["runs"][0]["tool"]["driver"]
    assert driver["name"] == "pica" and driver["version"] == "0.1.0"
    assert "informationUri" not in driver
    cat = catalog()
    assert [r["id"] for r in driver["rules"]] == ITEM_IDS
    for rule in driver["rules"]:
        item = cat[rule["id"]]
        assert rule["shortDescription"]["text"] == item.title_en
        assert item.title_zh in rule["fullDescription"]["text"]
        assert item.title_en in rule["fullDescription"]["text"]
        assert rule["help"]["text"] == (item.fix or item.manual_test or item.title_en)
        assert rule["properties"]["category"] == item.category


def test_one_result_per_violation_or_inconclusive():
    run = _log()["runs"][0]
    expected = [i for i in ITEM_IDS if VERDICTS[i] in (Verdict.VIOLATION, Verdict.INCONCLUSIVE)]
    assert [r["ruleId"] for r in run["results"]] == expected
    rules = run["tool"]["driver"]["rules"]
    for result in run["results"]:
        assert rules[result["ruleIndex"]]["id"] == result["ruleId"]
        verdict = VERDICTS[result["ruleId"]]
        assert result["level"] == ("error" if verdict is Verdict.VIOLATION else "note")
        assert result["message"]["text"].startswith(f"Reason for {result['ruleId']}")
        assert result["locations"]  # every result has somewhere to point
    assert run["properties"]["counts"]["violation"] == 3
    assert run["properties"]["verdicts"]["6.1"] == "manual"


def test_locations_and_code_flows():
    results = {r["ruleId"]: r for r in _log()["runs"][0]["results"]}
    r31 = results["3.1"]
    first, second = r31["locations"]
    assert first["physicalLocation"]["artifactLocation"]["uri"] == "classes2.dex"
    assert first["logicalLocations"][0]["fullyQualifiedName"] == PATH_3_1[2]
    assert second["physicalLocation"]["artifactLocation"]["uri"] == "AndroidManifest.xml"
    # one code flow per cite with a path; one thread-flow location per hop
    assert len(r31["codeFlows"]) == 1
    hops = r31["codeFlows"][0]["threadFlows"][0]["locations"]
    assert [h["location"]["logicalLocations"][0]["fullyQualifiedName"] for h in hops] == list(
        PATH_3_1
    )
    assert [h["executionOrder"] for h in hops] == [1, 2, 3, 4]
    hops51 = results["5.1"]["codeFlows"][0]["threadFlows"][0]["locations"]
    assert len(hops51) == len(PATH_5_1)
    assert "codeFlows" not in results["4.1"]
    # no cites: the result points at the input file
    r12 = results["1.2"]
    assert r12["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "shop.apk"
    assert r12["properties"]["missing"] == ["policy", "trace"]


def test_sdks_and_parties_in_run_properties():
    props = _log()["runs"][0]["properties"]
    assert [s["id"] for s in props["sdks"]] == ["getui", "umeng"]
    assert props["sdks"][0]["signals"][0] == "code: com.igexin"
    assert set(props["pi_by_party"]) == {"app", "个推 Getui Push", "友盟统计 Umeng Analytics"}
    assert props["app"]["package"] == "com.example.shop"


def test_artifacts_and_hostile_uris():
    log = sarif_log(build_report(hostile=True), catalog())
    run = log["runs"][0]
    uris = [a["location"]["uri"] for a in run["artifacts"]]
    assert not any(u.lower().startswith("javascript:") for u in uris)
    for result in run["results"]:
        for loc in result.get("locations", []):
            uri = loc.get("physicalLocation", {}).get("artifactLocation", {}).get("uri", "")
            assert not uri.lower().startswith("javascript:")
            assert " " not in uri and "<" not in uri
    assert JS_URL.replace(":", "%3A", 1) in uris
    apk = run["artifacts"][0]
    assert apk["hashes"]["sha-256"] == "ab" * 32 and apk["length"] == 123456


def test_render_dispatch_matches_module():
    assert render(build_report(), "sarif", catalog()) == render_sarif(build_report(), catalog())
