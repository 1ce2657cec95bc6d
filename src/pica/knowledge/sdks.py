"""The SDK catalog: every known SDK and open-source library, with the signals that identify it.

``catalog()`` loads ``data/sdk_catalog.json`` (built by ``tools/build_sdk_catalog.py`` from the
Exodus Privacy tracker database, LibChecker-Rules, AppScan and pica's hand-reviewed entries).
Entries of category ``library`` are open-source code compiled into apps: it acts for the app.
Detection (matching an APK's classes, components, libraries and hosts) is analysis: see
``pica.analysis.sdks``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from importlib import resources

__all__ = ["LIBRARY", "SHARED_LIBRARY", "SdkEntry", "catalog", "catalog_by_id"]

# The category of open-source libraries (Jetpack, Kotlin, OkHttp…): their code acts for the app.
LIBRARY = "library"
# Code several SDKs ship or build on (UTDID, JCore, MSA OAID, Tinker…): a third party of its own,
# named as itself, never as one of the consumer SDKs that carry it (``carried_by``).
SHARED_LIBRARY = "shared_library"


@dataclass(frozen=True)
class SdkEntry:
    id: str
    name_en: str
    name_zh: str | None
    aliases: tuple[str, ...]  # names a privacy policy may use for this SDK (see the catalog)
    vendor: str
    category: str
    chinese: bool
    code_signatures: tuple[str, ...]  # "com.umeng.analytics." (package) or "com.foo.Bar" (class)
    code_regex: tuple[str, ...]
    components: tuple[str, ...]
    native_libs: tuple[str, ...]  # file names; "*" is a wildcard
    domains: tuple[str, ...]
    pi_types: tuple[str, ...]
    policy_url: str | None
    sources: tuple[str, ...]
    # shared libraries only: the consumer SDKs that ship this library inside their package
    carried_by: tuple[str, ...] = ()

    @property
    def name(self) -> str:
        return self.name_en

    @property
    def is_library(self) -> bool:
        return self.category == LIBRARY


@cache
def catalog() -> tuple[SdkEntry, ...]:
    """Every catalog entry, sorted by id."""
    text = resources.files("pica.knowledge").joinpath("data", "sdk_catalog.json").read_text("utf-8")
    return tuple(
        SdkEntry(
            id=e["id"],
            name_en=e["name_en"],
            name_zh=e.get("name_zh"),
            aliases=tuple(e.get("aliases") or ()),
            vendor=e["vendor"],
            category=e["category"],
            chinese=bool(e["chinese"]),
            code_signatures=tuple(e.get("code_signatures") or ()),
            code_regex=tuple(e.get("code_regex") or ()),
            components=tuple(e.get("components") or ()),
            native_libs=tuple(e.get("native_libs") or ()),
            domains=tuple(e.get("domains") or ()),
            pi_types=tuple(e.get("pi_types") or ()),
            policy_url=e.get("policy_url"),
            sources=tuple(e.get("sources") or ()),
            carried_by=tuple(e.get("carried_by") or ()),
        )
        for e in json.loads(text)["entries"]
    )


@cache
def catalog_by_id() -> dict[str, SdkEntry]:
    return {e.id: e for e in catalog()}
