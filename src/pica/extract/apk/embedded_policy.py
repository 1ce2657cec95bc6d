"""Find a privacy policy the APK carries: a bundled HTML/text file, or a link to one."""

from __future__ import annotations

import re
from collections.abc import Iterable
from urllib.parse import urlsplit

from pica.evidence import EmbeddedPolicy, HostRef, ResourceString
from pica.extract.apk.container import ApkFile

MAX_POLICY_FILE = 4 * 1024**2
POLICY_WORDS = re.compile(
    r"隐私政策|隐私权政策|隐私协议|隐私保护指引|个人信息保护政策|个人信息保护指引|隐私声明"
    r"|privacy[ _-]?policy|privacy[ _-]?notice|privacy[ _-]?statement",
    re.IGNORECASE,
)
POLICY_URL = re.compile(
    r"privacy|policy|yinsi|yszc|agreement|protocol|/legal|/terms|隐私", re.IGNORECASE
)
TEXT_SUFFIXES = (".html", ".htm", ".txt", ".md", ".xhtml")


def _decode(raw: bytes) -> str:
    """Good enough to spot the policy's title: UTF-16 by BOM, else UTF-8, else GB18030."""
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        return raw.decode("utf-16", "replace")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("gb18030", "replace")


def _candidate_files(apk: ApkFile) -> Iterable[str]:
    for name in apk.names():
        lower = name.lower()
        if lower.startswith(("assets/", "res/raw/")) and lower.endswith(TEXT_SUFFIXES):
            yield name


def find_policy_files(apk: ApkFile) -> list[EmbeddedPolicy]:
    """Bundled HTML/text files that name themselves a privacy policy."""
    found = []
    for name in _candidate_files(apk):
        info = apk.zip.getinfo(name)
        if info.file_size > MAX_POLICY_FILE:
            continue
        raw = apk.read(name, MAX_POLICY_FILE)
        text = _decode(raw)
        match = POLICY_WORDS.search(text) or POLICY_WORDS.search(name)
        if match:
            start = max(match.start() - 40, 0)
            excerpt = re.sub(r"\s+", " ", text[start : match.end() + 60])
            found.append(
                EmbeddedPolicy(
                    kind="file", location=name, excerpt=excerpt, source=f"APK file {name}"
                )
            )
    return found


def find_policy_links(
    hosts: Iterable[HostRef], strings: Iterable[ResourceString]
) -> list[EmbeddedPolicy]:
    """URLs that look like a privacy policy, from code constants and string resources."""
    found: dict[str, EmbeddedPolicy] = {}
    for ref in hosts:
        path = urlsplit(ref.url).path + "?" + (urlsplit(ref.url).query or "")
        if POLICY_URL.search(path) and ref.url not in found:
            found[ref.url] = EmbeddedPolicy(
                kind="url", location=ref.url, excerpt=ref.url, source=ref.source
            )
    for res in strings:
        if res.value.startswith(("http://", "https://")) and (
            POLICY_URL.search(res.name) or POLICY_URL.search(res.value)
        ):
            found.setdefault(
                res.value,
                EmbeddedPolicy(
                    kind="url", location=res.value, excerpt=res.value, source=res.source
                ),
            )
    return list(found.values())


def find_policy_mentions(strings: Iterable[ResourceString]) -> list[EmbeddedPolicy]:
    """String resources that name the privacy policy (a consent dialog or a settings entry)."""
    return [
        EmbeddedPolicy(
            kind="mention",
            location=f"@string/{res.name}",
            excerpt=res.value[:160],
            source=res.source,
        )
        for res in strings
        if POLICY_WORDS.search(res.value)
    ]
