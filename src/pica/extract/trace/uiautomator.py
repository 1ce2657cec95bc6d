"""A uiautomator XML dump (``adb shell uiautomator dump``) read into what the screen said.

A dump is hostile input like any other: no DTD (real dumps have none), no entity expansion, no
network, lxml's default tree limits, and a size cap.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from lxml import etree

from pica.errors import InputError

MAX_DUMP_BYTES = 4 * 1024 * 1024
UNLABELLED = "(unlabelled checkbox)"
_DTD = re.compile(rb"<!\s*(DOCTYPE|ENTITY)", re.IGNORECASE)
_LEVELS_UP = 2  # how far up the tree a checked box's label is looked for


def read_uiautomator_dump(
    path: str | os.PathLike[str], *, max_bytes: int = MAX_DUMP_BYTES
) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(texts, checked_boxes) of one dump.

    ``texts``: every node's ``text`` and ``content-desc``, in document order, empty ones left out.
    ``checked_boxes``: for each node with ``checkable="true" checked="true"``, its own text (or
    content-desc), else the nearest text beside it (its siblings' subtrees, nearest first, then
    its parent's siblings), else its resource-id, else "(unlabelled checkbox)".
    """
    path = Path(path)
    name = path.name
    try:
        size = path.stat().st_size
        if not path.is_file():
            raise InputError(f"uiautomator dump {name!r} is not a file")
        if size > max_bytes:
            raise InputError(f"uiautomator dump {name!r} is {size:,} bytes (limit {max_bytes:,})")
        data = path.read_bytes()
    except FileNotFoundError:
        raise InputError(f"uiautomator dump {name!r} not found") from None
    except OSError as exc:
        raise InputError(f"uiautomator dump {name!r} cannot be read: {exc.strerror}") from None
    return parse_uiautomator_dump(data, name)


def parse_uiautomator_dump(
    data: bytes, name: str = "dump"
) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """As :func:`read_uiautomator_dump`, from the dump's bytes."""
    if _DTD.search(data[:65536]):
        raise InputError(
            f"uiautomator dump {name!r} declares a DTD or entities (real dumps have none)"
        )
    parser = etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        huge_tree=False,
        load_dtd=False,
        remove_comments=True,
        remove_pis=True,
    )
    try:
        root = etree.fromstring(data, parser)
    except (etree.XMLSyntaxError, ValueError) as exc:
        text = getattr(exc, "msg", None) or str(exc) or "empty"
        first = text.splitlines()[0][:100]
        raise InputError(f"uiautomator dump {name!r} is not well-formed XML ({first})") from None
    if root is None:
        raise InputError(f"uiautomator dump {name!r} is empty")
    docinfo = root.getroottree().docinfo
    if docinfo.internalDTD is not None or docinfo.doctype:
        raise InputError(
            f"uiautomator dump {name!r} declares a DTD or entities (real dumps have none)"
        )
    if root.tag != "hierarchy":
        raise InputError(
            f"{name!r} is not a uiautomator dump (root element <{str(root.tag)[:40]}>)"
        )

    texts: list[str] = []
    checked: list[str] = []
    for node in root.iter("node"):
        texts.extend(_own_texts(node))
        if node.get("checkable") == "true" and node.get("checked") == "true":
            checked.append(_label(node))
    return tuple(texts), tuple(checked)


def _own_texts(node: etree._Element) -> list[str]:
    out = []
    for attr in ("text", "content-desc"):
        value = " ".join((node.get(attr) or "").split())
        if value and value not in out:
            out.append(value)
    return out


def _first_text(node: etree._Element) -> str:
    for n in node.iter("node"):
        own = _own_texts(n)
        if own:
            return own[0]
    return ""


def _label(box: etree._Element) -> str:
    own = _own_texts(box)
    if own:
        return own[0]
    current = box
    for _ in range(_LEVELS_UP):
        parent = current.getparent()
        if parent is None:
            break
        siblings = [c for c in parent if c.tag == "node"]
        i = siblings.index(current)
        for d in range(1, len(siblings)):
            for j in (i + d, i - d):  # the following sibling first, then the preceding one
                if 0 <= j < len(siblings) and (text := _first_text(siblings[j])):
                    return text
        current = parent
    return box.get("resource-id") or UNLABELLED
