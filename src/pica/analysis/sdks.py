"""SDK detection and attribution: which catalog SDKs an APK carries, and whose code a call is.

``detect_sdks(class_names, components, native_libs, hosts)`` matches:

- class names (dotted Java names) against package prefixes / class names, longest match wins;
- manifest components by exact name, else by package prefix (a manifest can't obfuscate them, so
  this finds an SDK whose code was shrunk or shaded);
- native library file names exactly, or by the catalog's ``*`` globs;
- host names by suffix (``alog.umeng.com`` -> ``umeng.com``), longest suffix wins.

Each detection has a confidence: ``strong`` when the SDK's code is in the package (a class
matches), ``medium`` when a native library of the SDK is, or a manifest component of the SDK
whose class is present, ``weak`` when only a domain string or manifest entries whose classes
are absent point to it (a URL or a leftover manifest line is not an SDK in the package).

``sdk_for_class(name)`` attributes one class (a call site) to an SDK, or ``None`` for the app.
Pass ``app_package`` so that a catalog prefix which is an ancestor of the app's own package
never turns the app's code into "third-party" code. ``attribute_call_sites`` marks each call
site with its party.
"""

from __future__ import annotations

import dataclasses
import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from functools import cache

from pica.analysis.attribution import Attributor
from pica.evidence import ApiUse, Party, SdkPresence
from pica.knowledge.sdks import SdkEntry, catalog

__all__ = [
    "app_packages",
    "attribute_call_sites",
    "detect_sdks",
    "match_host_sdk",
    "native_owner",
    "sdk_for_class",
    "strengthen",
]

STRONG, MEDIUM, WEAK = "strong", "medium", "weak"  # SdkPresence.confidence
MAX_CODE_SIGNALS = 6  # per SDK; the rest are summarised


class _Index:
    """Lookup tables over the catalog, built once."""

    def __init__(self, entries: tuple[SdkEntry, ...]):
        # Dotted keys without the trailing dot: a key matches a name equal to it or starting
        # with key + "." (package boundary); "$" inner classes are cut off before matching.
        self.code: dict[str, SdkEntry] = {}
        self.components: dict[str, SdkEntry] = {}
        self.native: dict[str, SdkEntry] = {}
        self.domains: dict[str, SdkEntry] = {}
        globs: list[tuple[str, SdkEntry]] = []
        regexes: list[tuple[str, SdkEntry]] = []
        for e in entries:
            for sig in e.code_signatures:
                self.code.setdefault(sig.rstrip("."), e)
            for c in e.components:
                self.components.setdefault(c, e)
            for lib in e.native_libs:
                if "*" in lib:
                    globs.append((lib, e))
                else:
                    self.native.setdefault(lib, e)
                    self.native.setdefault(lib.lower(), e)
            for d in e.domains:
                self.domains.setdefault(d.lower(), e)
            regexes.extend((r, e) for r in e.code_regex)
        self.globs = [
            (re.compile("^" + ".*".join(map(re.escape, g.split("*"))) + "$", re.I), e)
            for g, e in globs
        ]
        self.regex_entries = [e for _, e in regexes]
        self.regex = (
            re.compile("|".join(f"(?P<g{i}>{r})" for i, (r, _) in enumerate(regexes)))
            if regexes
            else None
        )
        self._pkg_cache: dict[str, tuple[SdkEntry, str] | None] = {}

    def match_package(self, pkg: str) -> tuple[SdkEntry, str] | None:
        """Longest catalog key that is ``pkg`` or one of its ancestor packages."""
        hit = self._pkg_cache.get(pkg, False)
        if hit is not False:
            return hit  # type: ignore[return-value]
        key, found = pkg, None
        while key:
            e = self.code.get(key)
            if e is not None:
                found = (e, key)
                break
            cut = key.rfind(".")
            if cut <= 0:
                break
            key = key[:cut]
        if len(self._pkg_cache) < 500_000:
            self._pkg_cache[pkg] = found
        return found

    def match_class(self, name: str) -> tuple[SdkEntry, str] | None:
        outer = name.split("$", 1)[0]
        e = self.code.get(outer)  # a class-name signature, or a package named like the class
        if e is not None:
            return e, outer
        pkg = outer.rpartition(".")[0]
        hit = self.match_package(pkg) if pkg else None
        if hit is None and self.regex is not None:
            m = self.regex.search(outer)
            if m is not None and m.lastgroup:
                entry = self.regex_entries[int(m.lastgroup[1:])]
                return entry, m.group(0).strip(".")
        return hit

    def match_host(self, host: str) -> tuple[SdkEntry, str] | None:
        labels = host.split(".")
        for i in range(len(labels) - 1):
            suffix = ".".join(labels[i:])
            e = self.domains.get(suffix)
            if e is not None:
                return e, suffix
        return None

    def match_native(self, lib: str) -> SdkEntry | None:
        e = self.native.get(lib) or self.native.get(lib.lower())
        if e is not None:
            return e
        for rx, entry in self.globs:
            if rx.match(lib):
                return entry
        return None


@cache
def _index() -> _Index:
    return _Index(catalog())


def _first_party(name: str, key: str, app_package: str | None) -> bool:
    """True when ``name`` lies in the app's own package and the SDK key does not lie deeper."""
    if not app_package:
        return False
    inside = name == app_package or name.startswith(app_package + ".")
    return inside and not key.startswith(app_package + ".")


def sdk_for_class(class_name: str, app_package: str | None = None) -> SdkEntry | None:
    """The SDK whose code ``class_name`` (dotted, or ``Lcom/foo/Bar;``) is, or None for the app."""
    name = _dotted(class_name)
    hit = _index().match_class(name)
    if hit is None or _first_party(name, hit[1], app_package):
        return None
    return hit[0]


def match_host_sdk(host: str) -> SdkEntry | None:
    """The SDK whose catalog domains hold ``host`` (longest suffix wins), or None."""
    hit = _index().match_host(host.lower().strip("."))
    return hit[0] if hit else None


def _dotted(name: str) -> str:
    if name.startswith("L") and name.endswith(";"):
        return name[1:-1].replace("/", ".")
    return name


_HOST_RE = re.compile(r"^(?:[a-z][a-z0-9+.-]*://)?(?:[^@/]*@)?([^/:?#\s]+)", re.I)


def _host(text: str) -> str | None:
    m = _HOST_RE.match(text.strip())
    if not m:
        return None
    host = m.group(1).strip(".").lower()
    return host if "." in host else None


def detect_sdks(
    class_names: Iterable[str],
    components: Iterable[str] = (),
    native_libs: Iterable[str] = (),
    hosts: Iterable[str] = (),
    *,
    app_package: str | None = None,
) -> list[SdkPresence]:
    """The catalog SDKs present, each with the signals it rests on, sorted by SDK id."""
    idx = _index()
    code_hits: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    signals: dict[str, list[str]] = defaultdict(list)
    found: dict[str, SdkEntry] = {}
    medium: set[str] = set()  # SDK ids with a native library, or a component whose class exists
    component_names = sorted({_dotted(c) for c in components})
    wanted = set(component_names)
    present: set[str] = set()  # component classes the DEX files define

    for raw in class_names:
        name = _dotted(raw)
        if name in wanted:
            present.add(name)
        hit = idx.match_class(name)
        if hit is None:
            comp = idx.components.get(name.split("$", 1)[0])
            if comp is not None and not _first_party(name, name, app_package):
                hit = (comp, name.split("$", 1)[0])
            else:
                continue
        entry, key = hit
        if _first_party(name, key, app_package):
            continue
        found[entry.id] = entry
        code_hits[entry.id][key] += 1

    for eid, keys in code_hits.items():
        ranked = sorted(keys.items(), key=lambda kv: (-kv[1], kv[0]))
        for key, n in ranked[:MAX_CODE_SIGNALS]:
            signals[eid].append(f"code: {key} ({n} class{'es' if n != 1 else ''})")
        if len(ranked) > MAX_CODE_SIGNALS:
            rest = sum(n for _, n in ranked[MAX_CODE_SIGNALS:])
            signals[eid].append(
                f"code: {len(ranked) - MAX_CODE_SIGNALS} more prefixes ({rest} classes)"
            )

    for name in component_names:
        entry = idx.components.get(name)
        key = name
        if entry is None:
            hit = idx.match_class(name)
            if hit is None:
                continue
            entry, key = hit
        if _first_party(name, key, app_package):
            continue
        found[entry.id] = entry
        if name in present:
            medium.add(entry.id)
            signals[entry.id].append(f"component: {name}")
        else:
            signals[entry.id].append(f"component: {name} (class absent)")

    for lib in sorted(set(native_libs)):
        base = lib.replace("\\", "/").rsplit("/", 1)[-1]
        entry = idx.match_native(base)
        if entry is not None:
            found[entry.id] = entry
            medium.add(entry.id)
            sig = f"native: {base}"
            if sig not in signals[entry.id]:
                signals[entry.id].append(sig)

    by_domain: dict[tuple[str, str], set[str]] = defaultdict(set)
    for text in hosts:
        host = _host(text)
        if host is None:
            continue
        hit = idx.match_host(host)
        if hit is not None:
            found[hit[0].id] = hit[0]
            by_domain[(hit[0].id, hit[1])].add(host)
    for (eid, domain), seen in sorted(by_domain.items()):
        others = sorted(seen - {domain})
        if not others:
            signals[eid].append(f"domain: {domain}")
        else:
            more = f" +{len(others) - 1}" if len(others) > 1 else ""
            signals[eid].append(f"domain: {domain} ({others[0]}{more})")

    return [
        SdkPresence(
            sdk_id=e.id,
            name=e.name_en,
            name_zh=e.name_zh,
            vendor=e.vendor,
            category=e.category,
            chinese=e.chinese,
            signals=tuple(signals[e.id]),
            pi_types=e.pi_types,
            policy_url=e.policy_url,
            aliases=e.aliases,
            confidence=(STRONG if e.id in code_hits else MEDIUM if e.id in medium else WEAK),
        )
        for e in sorted(found.values(), key=lambda e: e.id)
    ]


def app_packages(
    package: str | None, application_class: str | None, components: Iterable[str]
) -> tuple[str, ...]:
    """The app's own packages: the manifest package, the Application class's package and the
    package of every manifest component that no catalog SDK or library claims."""
    found: set[str] = set()
    if package:
        found.add(package)
    for cls in (application_class, *components):
        if not cls:
            continue
        name = _dotted(cls)
        if sdk_for_class(name, package) is not None:
            continue  # an SDK's or a library's component: its package is not the app's
        pkg = name.rpartition(".")[0]
        if pkg:
            found.add(pkg)
    return tuple(sorted(found))


def attribute_call_sites(
    uses: Iterable[ApiUse],
    owner: Callable[[str], SdkEntry | None],
    app_packages: Iterable[str] = (),
    attributor: Attributor | None = None,
) -> tuple[ApiUse, ...]:
    """Mark each call site with the SDK whose code makes it; the rest is the app's own.

    ``owner`` maps a dotted class name to its catalog entry (``sdk_for_class`` bound to the
    app's package). Bundled open-source libraries act for the app (they send nothing anywhere
    by themselves), so their call sites stay first-party and only name the library.

    With ``app_packages`` (the app's own packages: see ``app_packages``), a call site that no
    catalog rule attributes is ``attributed_by="app-package"`` when its class lies under one
    of them, else ``"unattributed"``: unknown code, kept distinct from the app's own (its
    party stays FIRST, since nothing shows a third party). Without, it keeps the default.
    With an ``attributor`` (``pica.analysis.attribution``), such a call site may still be an
    SDK's by evidence: ``"jni"`` or ``"reach"``.
    """
    roots = tuple(sorted({p.strip(".") for p in app_packages if p and p.strip(".")}))
    out = []
    for use in uses:
        entry = owner(use.caller_class)
        rule = "prefix"
        if entry is None and roots:
            name = _dotted(use.caller_class)
            own = any(name.startswith(r + ".") for r in roots)
            rule = "app-package" if own else "unattributed"
            if not own and attributor is not None:
                found = attributor.owner(name)
                entry, rule = found.entry, found.rule
        if entry is None:
            if roots:
                use = dataclasses.replace(use, attributed_by=rule)
            out.append(use)
        elif entry.is_library:
            out.append(dataclasses.replace(use, library=entry.id, attributed_by=rule))
        else:
            out.append(
                dataclasses.replace(use, party=Party.THIRD, sdk=entry.id, attributed_by=rule)
            )
    return tuple(out)


def native_owner(lib: str) -> SdkEntry | None:
    """The catalog entry whose ``native_libs`` name this library file (exactly or by glob)."""
    return _index().match_native(lib.replace("\\", "/").rsplit("/", 1)[-1])


def strengthen(
    detected: Iterable[SdkPresence], evidence: Mapping[str, Iterable[str]]
) -> list[SdkPresence]:
    """Detections made strong by classes attributed by evidence (``{sdk id: rule signals}``):
    a JNI class bound to an SDK's library, or a class reached only from it, is its code in the
    package, so a medium detection (native library, component) becomes strong."""
    out = []
    for s in detected:
        extra = tuple(evidence.get(s.sdk_id, ()))
        if extra and s.confidence != STRONG:
            s = dataclasses.replace(s, confidence=STRONG, signals=(*s.signals, *extra))
        out.append(s)
    return out
