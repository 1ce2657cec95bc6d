"""Packer detection: which hardening service (加固) packed an APK, from the names it leaves.

A packed APK's ``classes.dex`` is the packer's stub; the app's real code is decrypted at run
time. Whatever a static reader does not find in such an APK says nothing about the app, so
each detected packer becomes a ``HiddenCode`` fact that turns absence verdicts inconclusive
(``pica.rules.common.hidden_code``) until the real code is given (``--dex-dir``) or a runtime
trace settles the item. Signals are reviewed data (``knowledge/data/packers.yaml``).
"""

from __future__ import annotations

import fnmatch
from collections.abc import Iterable

from pica import knowledge
from pica.evidence import HiddenCode, PackerPresence, PackerSignal

__all__ = ["detect_packers", "hidden_by_packers"]


def _glob(pattern: str, names: Iterable[str]) -> list[str]:
    return [n for n in names if fnmatch.fnmatchcase(n, pattern)]


def _classes(pattern: str, names: Iterable[str]) -> list[str]:
    if pattern.endswith("."):
        return [n for n in names if n.startswith(pattern)][:3]  # a few examples suffice
    return [n for n in names if n == pattern]


def detect_packers(
    application_class: str | None,
    class_names: Iterable[str],
    native_libs: Iterable[str],
    asset_names: Iterable[str],
    apk_name: str = "the APK",
) -> tuple[PackerPresence, ...]:
    """Every packer of packers.yaml one of whose signals is in the APK, with the signals."""
    classes, libs, assets = list(class_names), list(native_libs), list(asset_names)
    found = []
    for entry in knowledge.packers():
        signals: list[PackerSignal] = []
        for pat in entry.application:
            if application_class == pat:
                signals.append(
                    PackerSignal(
                        "application",
                        pat,
                        pat,
                        f'AndroidManifest.xml <application android:name="{pat}">',
                    )
                )
        for pat in entry.classes:
            signals += [
                PackerSignal("class", n, pat, f"{apk_name}: class {n} in its DEX")
                for n in _classes(pat, classes)
            ]
        for pat in entry.native_libs:
            signals += [
                PackerSignal("native_lib", n, pat, f"{apk_name}!/lib/*/{n}")
                for n in _glob(pat, libs)
            ]
        for pat in entry.assets:
            signals += [
                PackerSignal("asset", n, pat, f"{apk_name}!/assets/{n}") for n in _glob(pat, assets)
            ]
        if signals:
            found.append(PackerPresence(entry.id, entry.vendor, entry.name, tuple(signals)))
    return tuple(found)


def hidden_by_packers(packers: Iterable[PackerPresence]) -> tuple[HiddenCode, ...]:
    """One ``HiddenCode`` fact per detected packer, citing its first signal."""
    return tuple(
        HiddenCode(
            kind="packer",
            detail=f"{p.name} ({p.vendor})",
            source="; ".join(s.source for s in p.signals[:3]),
        )
        for p in packers
    )
