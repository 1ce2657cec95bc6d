"""Precision of the policy-versus-behaviour findings on real APKs and real policies.

    python -m pica.eval.consistency [PATH/TO/shared/data]

Runs every APK in ``apks/appium`` against every policy in ``policies/viodroid/apps`` (the real
Chinese policies), lists every finding the comparison makes — a PI type a party reaches that the
policy never discloses (2.1, 3.3), an SDK the policy never names (2.1, 5.1), a type the policy
denies collecting that the app reaches (3.9) — and looks each up in the hand judgements of
``consistency_labels.yaml`` beside this module. Prints one line per finding and the precision
(right / judged). A finding with no judgement is listed as such and makes the exit status 1, so
that a change in behaviour is judged before its figure is quoted.

The labels were made by the pica team reading both policies in full; they are not independent
annotations, and the two wrong findings of the first run (a permission-list item naming 录音)
were fixed after they were seen, so the current figure is not a held-out one.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import yaml

LABELS = Path(__file__).with_name("consistency_labels.yaml")
DEFAULT_SHARED = Path(__file__).resolve().parents[4] / "shared" / "data"


def findings(shared: Path) -> Iterator[str]:
    """The key of every comparison finding, in a stable order."""
    from pica.audit import gather

    apks = sorted((shared / "apks" / "appium").glob("*.apk"))
    policies = sorted((shared / "policies" / "viodroid" / "apps").glob("*.txt"))
    for apk in apks:
        for policy in policies:
            consistency = gather(apk, policy).consistency
            assert consistency is not None
            prefix = f"{apk.name} | {policy.name}"
            for d in consistency.pi:
                if d.denied_by is not None and d.reach == "reachable":
                    yield f"{prefix} | denied_pi | {d.pi_type} | {d.party}"
                elif not d.disclosed:
                    yield f"{prefix} | undisclosed_pi | {d.pi_type} | {d.party}"
            for s in consistency.sdks:
                if not s.disclosed:
                    yield f"{prefix} | undisclosed_sdk | {s.sdk_id} | {s.sdk_id}"


def score(keys: list[str], labels: dict[str, dict]) -> tuple[int, int, list[str]]:
    """(right, judged, unlabelled keys)."""
    right = sum(1 for k in keys if k in labels and labels[k]["right"])
    judged = sum(1 for k in keys if k in labels)
    return right, judged, [k for k in keys if k not in labels]


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    shared = Path(args[0]) if args else DEFAULT_SHARED
    labels = yaml.safe_load(LABELS.read_text("utf-8"))["labels"]
    keys = list(findings(shared))
    for key in keys:
        label = labels.get(key)
        mark = "UNLABELLED" if label is None else ("right" if label["right"] else "WRONG")
        print(f"{mark:10} {key}")
    right, judged, unlabelled = score(keys, labels)
    precision = right / judged if judged else float("nan")
    print(f"\n{len(keys)} findings, {judged} judged: {right} right, precision {precision:.3f}")
    if unlabelled:
        print(f"{len(unlabelled)} finding(s) have no judgement in {LABELS.name}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
