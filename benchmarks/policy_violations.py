"""Violations per item that ``pica policy`` reports on a folder of privacy policies.

    .venv/bin/python benchmarks/policy_violations.py FOLDER [--json OUT] [--list]

Runs the same audit as ``pica policy FILE`` (``pica.audit.audit(policy=FILE)``) on every
.txt/.md/.html/.htm/.pdf file of FOLDER, in name order, and prints per item how many files it is a
violation on (and inconclusive / compliant). ``--list`` also prints each violation with its
reason and the first cited sentence; ``--json`` writes every violation (file, item, reason,
cites, searched) for a hand review. Asserts nothing. The right/wrong marks of the review are
in docs/policy-precision-review.md.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from collections import Counter
from pathlib import Path

from pica.audit import audit


def _key(item: str) -> tuple[int, ...]:
    return tuple(int(p) for p in item.split("."))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("folder", type=Path)
    ap.add_argument("--json", type=Path, help="write every violation here")
    ap.add_argument("--list", action="store_true", help="print each violation")
    args = ap.parse_args(argv)
    logging.disable(logging.WARNING)
    files = sorted(
        p
        for p in args.folder.iterdir()
        if p.suffix.lower() in {".txt", ".md", ".html", ".htm", ".pdf"}
        and p.stem.upper() != "README"  # a folder's provenance note is no policy
    )

    counts: dict[str, Counter[str]] = {}
    found = []
    for path in files:
        report = audit(policy=str(path)).to_dict()
        for f in report["findings"]:
            counts.setdefault(f["item_id"], Counter())[f["verdict"]] += 1
            if f["verdict"] != "violation":
                continue
            found.append(
                {
                    "file": path.name,
                    "item": f["item_id"],
                    "reason": f["reason"],
                    "cites": [c["text"] for c in f["cites"]],
                    "searched": f.get("searched", []),
                }
            )
            if args.list:
                cite = f["cites"][0]["text"][:160] if f["cites"] else ""
                print(f"{path.name}\t{f['item_id']}\t{f['reason'][:300]}\t{cite}")
    print(f"{len(files)} policies; violations per item (inconclusive, compliant):")
    total = 0
    for item in sorted(counts, key=_key):
        c = counts[item]
        total += c["violation"]
        if c["violation"] or c["inconclusive"]:
            print(f"  {item:5} {c['violation']:4}   ({c['inconclusive']}, {c['compliant']})")
    print(f"  total {total}")
    if args.json:
        args.json.write_text(json.dumps(found, ensure_ascii=False, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
