"""Sensitive-API recall on code hidden from a static reader (issue 16), per technique.

usage: python benchmarks/hidden_recall.py [--markdown]

Each technique is a pair of CONSTRUCTED APKs in tests/fixtures/constructed/ (README.md there):
a plain variant and a hidden variant of the same collection. For each pair this script audits
both and reports which PI reads of the plain variant (by sensitive API, and by PI type) pica
finds in the hidden one, whether it reports hidden code (a packer, an encrypted payload), and
how many items of the hidden variant's report are compliant (the acceptance: none may be, when
their absence rests on hidden code).

"Before" figures: run this same script against an older pica, e.g. the main branch exported to
a folder: ``PYTHONPATH=/tmp/main/src python benchmarks/hidden_recall.py``. It only uses
``pica.audit.gather``/``build_report`` and reads the newer fields with ``getattr``.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FIX = ROOT / "tests" / "fixtures" / "constructed"

# technique, plain APK, hidden APK, what the hidden variant does
PAIRS = [
    ("reflection (7 forms)", "hidden/reflect_plain.apk", "hidden/reflect.apk",
     "constant names, StringBuilder, concat, valueOf, getClass(), a field, a run-time name"),
    ("native code (JNI)", "hidden/jni_plain.apk", "hidden/jni.apk",
     "JNI lookup of getDeviceId, ro.serialno, /sys/class/net/wlan0/address"),
    ("dynamically loaded DEX", "hidden/dynload_plain.apk", "hidden/dynload.apk",
     "a DEX and a JAR in assets/, DexClassLoader"),
    ("encrypted payload", "hidden/dynload_plain.apk", "hidden/dynload_enc.apk",
     "the same payloads encrypted"),
    ("packer", "preconsent.apk", "hidden/packed.apk",
     "stub Application, encrypted DEX asset, libjiagu.so"),
    ("packer + --dex-dir", "preconsent.apk", "hidden/packed.apk",
     "the same, with the DEX dumped at run time (preconsent's classes.dex)"),
]  # fmt: skip


def _facts(apk: Path, dex_dir: Path | None = None):
    from pica.audit import build_report, gather

    evidence = gather(apk, dex_dir=dex_dir) if dex_dir else gather(apk)
    report = build_report(evidence)
    apis = {(u.api, u.pi_type) for u in evidence.api_uses}
    blocking = evidence.code_hidden() if hasattr(evidence, "code_hidden") else ()
    compliant = [f.item_id for f in report.findings if f.verdict.value == "compliant"]
    verdicts = {f.item_id: f.verdict.value for f in report.findings}
    return apis, {pi for _a, pi in apis}, bool(blocking), compliant, verdicts


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.parse_args()
    import pica

    print(f"pica {pica.__version__} from {Path(pica.__file__).parent}", file=sys.stderr)
    rows = []
    total_plain = total_found = 0
    for technique, plain_name, hidden_name, how in PAIRS:
        plain_apis, plain_pi, _b, _c, plain_v = _facts(FIX / plain_name)
        dump = None
        if "--dex-dir" in technique:
            dump = Path(tempfile.mkdtemp(prefix="pica-dump-"))
            with zipfile.ZipFile(FIX / plain_name) as z:
                (dump / "classes.dex").write_bytes(z.read("classes.dex"))
        try:
            hid_apis, hid_pi, blocking, compliant, hid_v = _facts(FIX / hidden_name, dump)
        except TypeError:  # a pica without --dex-dir
            rows.append((technique, how, "n/a", "n/a", "n/a", "n/a", "n/a"))
            continue
        api_names = {a for a, _pi in plain_apis}
        found_apis = api_names & {a for a, _pi in hid_apis}
        found_pi = plain_pi & hid_pi
        if dump is None:  # the --dex-dir row restores, it is not a static find
            total_plain += len(plain_pi)
            total_found += len(found_pi)
        rows.append(
            (
                technique,
                how,
                f"{len(found_apis)}/{len(api_names)}",
                f"{len(found_pi)}/{len(plain_pi)} ({100 * len(found_pi) / len(plain_pi):.0f}%)",
                "yes" if blocking else "no",
                ", ".join(compliant) or "none",
                " / ".join(f"{plain_v[i]} → {hid_v[i]}" for i in ("1.1", "3.1")),
            )
        )
    header = (
        "technique",
        "hidden how",
        "sensitive APIs found",
        "PI types found (recall)",
        "reported hidden",
        "compliant items",
        "1.1 / 3.1: plain → hidden",
    )
    print("| " + " | ".join(header) + " |")
    print("|" + " --- |" * len(header))
    for row in rows:
        print("| " + " | ".join(row) + " |")
    print(
        f"\nall techniques, static alone (no --dex-dir): {total_found}/{total_plain} PI types "
        f"({100 * total_found / total_plain:.0f}%)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
