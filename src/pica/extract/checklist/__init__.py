"""Checklist extractor: a tester's recorded answers for the items only a person can settle.

Format (YAML or JSON), one entry per item id of the regulation:

    items:
      "1.3": {result: fail, note: "6 taps from the home screen to the policy"}
      "6.4": {result: pass, note: "account gone from the back-end after 2 days"}

``result`` is pass, fail or not_applicable. Anything else is an InputError.
"""

from __future__ import annotations

import os
from pathlib import Path

from pica import knowledge
from pica.errors import InputError
from pica.evidence import ChecklistAnswer
from pica.extract.structured import load_yaml

MAX_BYTES = 1024 * 1024
RESULTS = ("pass", "fail", "not_applicable")


def extract(path: str | os.PathLike[str]) -> tuple[ChecklistAnswer, ...]:
    """Read a checklist file into answers, validating every id and result."""
    path = Path(path)
    what = f"checklist {path.name}"
    try:
        if path.is_dir():
            raise InputError(f"{what} is a directory, not a file")
        size = path.stat().st_size
        if size > MAX_BYTES:
            raise InputError(f"{what} is {size:,} bytes (limit {MAX_BYTES:,})")
        raw = path.read_bytes()[: MAX_BYTES + 1]
    except OSError as exc:
        raise InputError(f"cannot read checklist {path}: {exc.strerror or exc}") from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(f"{what} is not UTF-8 (byte {exc.start:,})") from None
    data = load_yaml(text, what)
    items = data.get("items") if isinstance(data, dict) else None
    if not isinstance(items, dict):
        raise InputError(f"checklist {path.name} needs a mapping 'items: {{item id: answer}}'")
    known = knowledge.rule_catalog()
    answers = []
    for item_id, answer in items.items():
        item_id = str(item_id)
        if item_id not in known:
            raise InputError(f"checklist {path.name}: unknown item id {item_id!r}")
        if not isinstance(answer, dict) or answer.get("result") not in RESULTS:
            raise InputError(
                f"checklist {path.name}: item {item_id} needs result: pass | fail | not_applicable"
            )
        note = str(answer.get("note") or "")[:2000]
        answers.append(
            ChecklistAnswer(item_id, answer["result"], note, f"{path.name}: item {item_id}")
        )
    return tuple(answers)
