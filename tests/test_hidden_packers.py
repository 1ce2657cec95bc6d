"""Packers (issue 16, deliver 1): detection from reviewed data, absence verdicts made
inconclusive while code is hidden, and ``--dex-dir`` restoring the plain verdicts.

The APKs are CONSTRUCTED (tests/fixtures/constructed/hidden/README.md): ``packed.apk`` is the
hidden variant of ``preconsent.apk`` — the same manifest, a stub Application named like 360
Jiagu's, ``lib/x86_64/libjiagu.so`` (a real ELF built with gcc) and preconsent's classes.dex
XOR-encrypted in ``assets/libjiagu.so``.
"""

from __future__ import annotations

import json
import subprocess
import sys
import zipfile
from pathlib import Path

import jsonschema
import pytest
from conftest import CONSTRUCTED

from pica import knowledge
from pica.analysis.packers import detect_packers
from pica.audit import audit, build_report, gather
from pica.render import render, schema
from pica.report import Verdict
from pica.rules import RULES, load_rules

PLAIN = CONSTRUCTED / "preconsent.apk"
PACKED = CONSTRUCTED / "hidden" / "packed.apk"
PHRASE = "code hidden by 360加固 (Jiagu) (Qihoo 360): supply a runtime trace or an unpacked DEX"


@pytest.fixture(scope="module")
def dump_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The unpacked DEX: what a recorder or unpacker dumps from the running packed app."""
    folder = tmp_path_factory.mktemp("dump")
    with zipfile.ZipFile(PLAIN) as z:
        (folder / "classes.dex").write_bytes(z.read("classes.dex"))
    return folder


def _verdicts(report) -> dict[str, Verdict]:
    return {f.item_id: f.verdict for f in report.findings}


def test_every_packer_entry_has_a_source_and_a_signal():
    entries = knowledge.packers()
    assert len(entries) >= 15
    assert len({e.id for e in entries}) == len(entries)
    for e in entries:
        assert e.source and e.vendor and e.name
        assert e.application or e.classes or e.native_libs or e.assets, e.id


# One test per signal kind: each alone is enough, and names that merely look alike are not.


def test_signal_application_alone():
    found = detect_packers("com.tencent.StubShell.TxAppEntry", [], [], [])
    assert [p.packer_id for p in found] == ["tencent_legu"]
    assert [s.kind for s in found[0].signals] == ["application"]
    assert not detect_packers("com.tencent.StubShell.TxAppEntryX", [], [], [])


def test_signal_class_alone_exact_and_package_prefix():
    found = detect_packers(None, ["s.h.e.l.l.S", "com.example.Main"], [], [])
    assert [p.packer_id for p in found] == ["ijiami"]
    assert found[0].signals[0].value == "s.h.e.l.l.S"
    found = detect_packers(None, ["com.secneo.apkwrapper.AW"], [], [])
    assert [p.packer_id for p in found] == ["bangcle"]
    assert not detect_packers(None, ["com.secneo.apkwrapperx.AW", "com.stub.StubAppX"], [], [])


def test_signal_native_lib_alone_with_wildcards():
    found = detect_packers(None, [], ["libjiagu_x64.so", "libc++_shared.so"], [])
    assert [p.packer_id for p in found] == ["qihoo360_jiagu"]
    assert found[0].signals[0].pattern == "libjiagu*.so"
    assert [p.packer_id for p in detect_packers(None, [], ["libshella-4.1.0.29.so"], [])] == [
        "tencent_legu"
    ]
    assert [p.packer_id for p in detect_packers(None, [], ["libDexHelper.so"], [])] == ["bangcle"]
    assert not detect_packers(None, [], ["libjiagux.a", "libsecexe.so.bak"], [])


def test_signal_asset_alone():
    found = detect_packers(None, [], [], ["ijiami.dat", "fonts/a.ttf"])
    assert [p.packer_id for p in found] == ["ijiami"]
    assert found[0].signals[0].kind == "asset"
    assert not detect_packers(None, [], [], ["sub/ijiami.dat.txt"])


def test_plain_app_is_not_packed():
    evidence = gather(PLAIN)
    assert evidence.packers == () and evidence.hidden_code == ()
    assert build_report(evidence).hidden_code is None


def test_packed_apk_is_detected_with_every_signal_kind():
    evidence = gather(PACKED)
    assert [p.packer_id for p in evidence.packers] == ["qihoo360_jiagu"]
    kinds = {s.kind for s in evidence.packers[0].signals}
    assert kinds == {"application", "class", "native_lib", "asset"}
    assert evidence.code_hidden()


def test_packed_apk_absence_verdicts_are_inconclusive_never_compliant():
    plain, packed = audit(apk=PLAIN), audit(apk=PACKED)
    assert _verdicts(plain)["3.1"] is Verdict.VIOLATION
    assert _verdicts(plain)["5.1"] is Verdict.VIOLATION
    by_item = {f.item_id: f for f in packed.findings}
    for item in ("1.1", "3.1", "5.1"):
        assert by_item[item].verdict is Verdict.INCONCLUSIVE, item
        assert PHRASE in by_item[item].reason, by_item[item].reason
        assert any("unpacked DEX" in m or "--dex-dir" in m for m in by_item[item].missing)
    assert not [f.item_id for f in packed.findings if f.verdict is Verdict.COMPLIANT]
    assert packed.hidden_code is not None and packed.hidden_code["absence_inconclusive"]


def test_absence_rule_4_1_turns_inconclusive_only_while_code_is_hidden():
    """4.1 on an app whose readable code and manifest reach nothing: compliant when nothing is
    hidden, inconclusive with the packer named when it is."""
    load_rules()
    evidence = gather(PACKED, category="map_navigation")
    evidence.permissions = ()  # nothing reached by the manifest either: a pure absence
    hidden = RULES["4.1"](evidence)
    assert hidden.verdict is Verdict.INCONCLUSIVE and PHRASE in hidden.reason
    evidence.hidden_code = ()
    assert RULES["4.1"](evidence).verdict is Verdict.COMPLIANT


def test_dex_dir_restores_the_plain_verdicts(dump_dir: Path):
    plain = _verdicts(audit(apk=PLAIN))
    restored_report = audit(apk=PACKED, dex_dir=dump_dir)
    restored = _verdicts(restored_report)
    assert restored == plain
    assert restored["3.1"] is Verdict.VIOLATION
    hidden = restored_report.hidden_code
    assert hidden is not None and hidden["unpacked_dex"] == ["dex-dir/classes.dex"]
    assert not hidden["absence_inconclusive"]
    assert {"kind": "dex_dir", "name": dump_dir.name, "sha256": "", "size": 1} in (
        restored_report.inputs
    )
    # the stub hands over to the real Application, which the dumped DEX defines
    evidence = gather(PACKED, dex_dir=dump_dir)
    firm = [p for p in evidence.reachable or () if p.kind == "api" and p.pi_type]
    assert any("FixtureApp" in p.path[0] for p in firm)


def test_reports_say_so_at_the_top():
    report = audit(apk=PACKED)
    doc = json.loads(render(report, "json"))
    jsonschema.Draft202012Validator(schema()).validate(doc)
    assert list(doc).index("hidden_code") < list(doc).index("findings")
    assert doc["hidden_code"]["packers"][0]["vendor"] == "Qihoo 360"
    html = render(report, "html").decode()
    assert html.index('id="hidden-code"') < html.index("检测输入")
    assert "Code hidden by 360加固 (Jiagu)" in html
    markdown = render(report, "md").decode()
    assert markdown.index("Code hidden by 360加固 (Jiagu)") < markdown.index("## 检测输入")
    assert "native\\_lib libjiagu.so" in markdown


def _pica(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pica", *args], cwd=cwd, capture_output=True, text=True, timeout=300
    )


def test_cli_dex_dir(tmp_path: Path, dump_dir: Path):
    out = tmp_path / "r.json"
    done = _pica(
        "audit", str(PACKED), "--dex-dir", str(dump_dir), "-o", str(out), "-q", cwd=tmp_path
    )
    assert done.returncode == 1, done.stderr  # the restored violations
    assert json.loads(out.read_text())["hidden_code"]["unpacked_dex"] == ["dex-dir/classes.dex"]
    empty = tmp_path / "empty"
    empty.mkdir()
    bad = _pica("audit", str(PACKED), "--dex-dir", str(empty), "-q", cwd=tmp_path)
    assert bad.returncode == 2 and bad.stderr.count("\n") == 1 and "no *.dex" in bad.stderr
    (empty / "x.dex").write_bytes(b"not a dex at all" * 10)
    bad = _pica("audit", str(PACKED), "--dex-dir", str(empty), "-q", cwd=tmp_path)
    assert bad.returncode == 2 and "not a DEX" in bad.stderr, bad.stderr
    alone = _pica("audit", "--policy", str(out), "--dex-dir", str(dump_dir), "-q", cwd=tmp_path)
    assert alone.returncode == 2 and "--dex-dir needs the APK" in alone.stderr, alone.stderr


def test_absence_rule_2_1_turns_inconclusive_only_while_code_is_hidden():
    """2.1 with a policy that names its one SDK with purpose and PI (compliant on what the APK
    shows): a packer makes "every reached PI type and SDK disclosed" unprovable."""
    from test_policy_constructed import BODY, page

    from pica.analysis.disclosure import compare
    from pica.evidence import Evidence, HiddenCode, SdkPresence
    from pica.extract.policy import extract

    table = (
        "<h2>第三方SDK目录</h2><table><tr><th>SDK名称</th><th>第三方公司</th><th>使用目的</th>"
        "<th>收集个人信息</th></tr><tr><td>友盟统计SDK</td><td>友盟同欣（北京）科技有限公司</td>"
        "<td>统计分析</td><td>设备标识符（IMEI、OAID）、Android ID</td></tr></table>"
    )
    policy = extract(page(body=BODY + table).encode(), name="p.html")
    sdk = SdkPresence(sdk_id="友盟统计SDK", name="友盟统计SDK", name_zh=None, vendor="",
                      category="analytics", chinese=True, signals=())  # fmt: skip
    evidence = Evidence(
        inputs={"policy": "p.html", "apk": "packed.apk"}, policy=policy, sdks=(sdk,)
    )
    evidence.consistency = compare(policy, (), (), (sdk,), None)
    load_rules()
    assert RULES["2.1"](evidence).verdict is Verdict.COMPLIANT
    evidence.hidden_code = (HiddenCode("packer", "360加固 (Jiagu) (Qihoo 360)", "libjiagu.so"),)
    hidden = RULES["2.1"](evidence)
    assert hidden.verdict is Verdict.INCONCLUSIVE and PHRASE in hidden.reason
    evidence.inputs["dex_dir"] = "dump"  # the dumped DEX restores the plain verdict
    assert RULES["2.1"](evidence).verdict is Verdict.COMPLIANT
