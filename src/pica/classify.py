"""``pica classify``: topics, classes and PI types of policy sentences, JSON Lines in and out.

Register with ``app.command("classify")(classify_command)``.

Each input line is ``{"doc": "...", "text": "..."}`` (``doc`` optional): one sentence, the
sentences of one document in order. Each output line, in the same order, is
``{"topics": [...], "classes": [...], "pi_types": [...]}``: the data-practice topics of the
trained model (``pica.extract.policy.topics``), pica's finer sentence classes and the PI
taxonomy ids (``pica.extract.policy.statements.analyse``). A sentence's topics see its context:
the nearest heading or list lead-in among the earlier lines of the same ``doc``, and the line
before it there; a line without ``doc`` is read alone.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Annotated, BinaryIO

import typer

MAX_LINE_BYTES = 1 << 20


class BadLine(Exception):
    pass


def read_sentences(stream: BinaryIO) -> list[tuple[str | None, str]]:
    """(doc, text) of each line; ``BadLine`` names the first bad one."""
    out: list[tuple[str | None, str]] = []
    for number, raw in enumerate(stream, 1):
        if len(raw) > MAX_LINE_BYTES:
            raise BadLine(f"line {number}: over {MAX_LINE_BYTES} bytes")
        try:
            line = raw.decode("utf-8")
        except UnicodeDecodeError:
            raise BadLine(f"line {number}: not UTF-8") from None
        if number == 1:
            line = line.removeprefix("\ufeff")
        try:
            obj = json.loads(line)
        except (ValueError, RecursionError):
            raise BadLine(f"line {number}: not JSON") from None
        if not isinstance(obj, dict):
            raise BadLine(f"line {number}: not a JSON object")
        text = obj.get("text")
        if not isinstance(text, str):
            raise BadLine(f'line {number}: no "text" string')
        doc = obj.get("doc")
        if doc is not None and not isinstance(doc, str | int):
            raise BadLine(f'line {number}: "doc" is not a string')
        out.append((None if doc is None else str(doc), text))
    return out


def classify_lines(sentences: list[tuple[str | None, str]]) -> list[dict[str, list[str]]]:
    from pica.extract.policy.statements import analyse
    from pica.extract.policy.topics import classify, document_context
    from pica.extract.policy.topics_en import classify_english, is_english_document

    texts = [t for _, t in sentences]
    contexts = [""] * len(texts)
    previous = [""] * len(texts)
    docs: dict[str, list[int]] = {}
    for i, (doc, _) in enumerate(sentences):
        if doc is not None:
            docs.setdefault(doc, []).append(i)
    for rows in docs.values():
        ctx, prev = document_context([texts[i] for i in rows])
        for i, c, p in zip(rows, ctx, prev, strict=True):
            contexts[i], previous[i] = c, p
    # Language per document (a line without ``doc`` is its own): English documents take the
    # reviewed English patterns (topics_en), the others the trained model, in one batch.
    groups = list(docs.values()) + [[i] for i, (doc, _) in enumerate(sentences) if doc is None]
    english = [i for rows in groups if is_english_document([texts[i] for i in rows]) for i in rows]
    topics: list[tuple[str, ...]] = [()] * len(texts)
    for i, tops in zip(
        english,
        classify_english([texts[i] for i in english], [contexts[i] for i in english]),
        strict=True,
    ):
        topics[i] = tops
    english_set = set(english)
    rest = [i for i in range(len(texts)) if i not in english_set]
    if rest:
        predicted = classify(
            [texts[i] for i in rest], [contexts[i] for i in rest], [previous[i] for i in rest]
        )
        for i, tops in zip(rest, predicted, strict=True):
            topics[i] = tops
    out = []
    for text, tops in zip(texts, topics, strict=True):
        facts = analyse(text)
        out.append(
            {"topics": list(tops), "classes": list(facts.labels), "pi_types": list(facts.pi_types)}
        )
    return out


def _same_file(a: Path, b: Path) -> bool:
    try:
        return b.exists() and os.path.samefile(a, b)
    except OSError:
        return False


def classify_command(
    file: Annotated[
        Path | None,
        typer.Argument(help='JSON Lines, one sentence a line: {"doc": ..., "text": ...}.'),
    ] = None,
    output: Annotated[
        Path | None, typer.Option("-o", "--output", help="JSON Lines out (default: stdout).")
    ] = None,
) -> None:
    """Topics, classes and PI types of policy sentences (JSON Lines in, JSON Lines out)."""
    if file is not None and output is not None and _same_file(file, output):
        print(f"pica: error: the output {output} would overwrite the input", file=sys.stderr)
        raise typer.Exit(2)
    try:
        if file is None:
            sentences = read_sentences(sys.stdin.buffer)
        else:
            with open(file, "rb") as fh:
                sentences = read_sentences(fh)
    except BadLine as exc:
        where = "stdin" if file is None else str(file)
        print(f"error: {where}: {exc}", file=sys.stderr)
        raise typer.Exit(2) from None
    except OSError as exc:
        print(f"error: {file}: {exc.strerror or exc}", file=sys.stderr)
        raise typer.Exit(2) from None
    body = "".join(
        json.dumps(r, ensure_ascii=False) + "\n" for r in classify_lines(sentences)
    ).encode("utf-8", "backslashreplace")  # a lone surrogate in a sentence stays an escape
    if output is None:
        sys.stdout.buffer.write(body)
        sys.stdout.buffer.flush()
    else:
        output.write_bytes(body)
