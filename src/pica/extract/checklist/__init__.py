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

import yaml

from pica import knowledge
from pica.errors import InputError
from pica.evidence import ChecklistAnswer

MAX_BYTES = 1024 * 1024
RESULTS = ("pass", "fail", "not_applicable")


def extract(path: str | os.PathLike[str]) -> tuple[ChecklistAnswer, ...]:
    """Read a checklist file into answers, validating every id and result."""
    path = Path(path)
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise InputError(f"cannot read checklist {path}: {exc.strerror or exc}") from exc
    if size > MAX_BYTES:
        raise InputError(f"checklist {path.name} is {size:,} bytes (limit {MAX_BYTES:,})")
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise InputError(f"checklist {path.name} is not valid UTF-8 YAML/JSON: {exc}") from exc
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
