"""Attribution by evidence: whose code a class is when no catalog prefix names it.

Rules, in order; each call site records the one that held (``ApiUse.attributed_by``):

1. ``prefix`` — a catalog SDK's or library's package tree (longest match; ``sdks.py``).
2. ``app-package`` — the app's own packages (manifest package, Application and component
   packages): the first party.
3. ``jni`` — the class declares ``native`` methods that a native library of an SDK exports
   (``Java_…`` symbols) or registers (class-name strings), or it loads an SDK's library by
   name (``System.loadLibrary("x")`` with ``libx.so`` in the catalog's ``native_libs``).
4. ``reach`` — the class is only reached from, and only reaches, one SDK's code: take the
   connected region of classes no rule above names (linked by calls, static field accesses,
   ``new-instance`` and ``X.class``, in either direction); when every class of it has a caller,
   and every named class it touches is SDK S (callees may also be the platform or a library),
   the whole region is S's — an obfuscated package (``u.aly``, ``com.vendor.a.a``) or an inner
   helper reached only from S. A region touched by two SDKs, by the app or called by a
   library, or holding a class nothing calls, stays unattributed.
5. ``unattributed`` — none holds: unknown code, never the app's and never a third party.

Why a region and not class by class: obfuscated packages call each other in cycles, so "all
callers are S" has to be decided for the cycle as a whole; the region is exactly the set of
classes whose answers depend on each other. The walk stops as soon as a second owner appears,
and at ``MAX_REGION`` classes, so unknown code that is large (a bundled server, an
uncatalogued framework) costs little and stays unattributed.

The layout comes from the APK (``extract.apk.classrefs.ClassRefs`` plus the native libraries'
JNI classes) or from a JSON class layout (``ClassLayout``: tests and the scoring script).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from pica.knowledge.sdks import SdkEntry

__all__ = [
    "APP_PACKAGE",
    "JNI",
    "PREFIX",
    "REACH",
    "UNATTRIBUTED",
    "Attributor",
    "ClassLayout",
    "Layout",
    "Owner",
]

PREFIX, APP_PACKAGE, JNI, REACH, UNATTRIBUTED = (
    "prefix",
    "app-package",
    "jni",
    "reach",
    "unattributed",
)
MAX_REGION = 2000  # classes one reach walk may visit before giving up (stays unattributed)

_APP, _LIBRARY, _NOBODY = "\0app", "\0library", "\0nobody"  # region tokens that are not SDKs


class Layout(Protocol):
    """What attribution reads about an APK's classes (dotted names)."""

    def defined(self, name: str) -> bool: ...
    def native(self, name: str) -> bool: ...
    def callees(self, name: str) -> Iterable[str]: ...
    def callers(self, names: Iterable[str]) -> Mapping[str, Iterable[str]]: ...
    def library_loads(self) -> Mapping[str, Iterable[str]]: ...


@dataclass(frozen=True)
class Owner:
    """Whose code a class is, and by which rule. ``entry`` None: the app's, or unknown."""

    entry: SdkEntry | None
    rule: str


@dataclass
class ClassLayout:
    """A class layout without code: classes, what each reaches, native flags, library loads,
    and the JNI classes of each native library. Read from the JSON fixtures of
    ``tests/fixtures/sdk_layouts`` (made by ``tools/build_sdk_layouts.py``)."""

    calls: dict[str, frozenset[str]]  # class -> classes it reaches (defined or not)
    natives: frozenset[str] = frozenset()
    loads: dict[str, tuple[str, ...]] = field(default_factory=dict)
    jni_classes: dict[str, frozenset[str]] = field(default_factory=dict)  # lib file -> classes
    package: str | None = None
    components: tuple[str, ...] = ()
    application_class: str | None = None

    @classmethod
    def from_json(cls, path: str | Path) -> ClassLayout:
        data = json.loads(Path(path).read_text("utf-8"))
        classes = data["classes"]
        return cls(
            calls={c: frozenset(v.get("calls", ())) for c, v in classes.items()},
            natives=frozenset(c for c, v in classes.items() if v.get("native")),
            loads={c: tuple(v["loads"]) for c, v in classes.items() if v.get("loads")},
            jni_classes={k: frozenset(v) for k, v in data.get("native_libs", {}).items()},
            package=data.get("package"),
            components=tuple(data.get("components", ())),
            application_class=data.get("application_class"),
        )

    def merged(self, *others: ClassLayout) -> ClassLayout:
        """One layout holding this one's classes and the others' (an app bundling several
        SDKs); the first layout's app fields win."""
        out = ClassLayout(dict(self.calls), self.natives, dict(self.loads), dict(self.jni_classes),
                          self.package, self.components, self.application_class)  # fmt: skip
        for o in others:
            for c, v in o.calls.items():
                out.calls[c] = out.calls.get(c, frozenset()) | v
            out.natives |= o.natives
            out.loads.update(o.loads)
            out.jni_classes.update(o.jni_classes)
        return out

    def defined(self, name: str) -> bool:
        return name in self.calls

    def native(self, name: str) -> bool:
        return name in self.natives

    def callees(self, name: str) -> frozenset[str]:
        return self.calls.get(name, frozenset())

    def callers(self, names: Iterable[str]) -> dict[str, set[str]]:
        wanted = set(names)
        out: dict[str, set[str]] = {n: set() for n in wanted}
        for c, targets in self.calls.items():
            for t in targets & wanted:
                if t != c:
                    out[t].add(c)
        return out

    def library_loads(self) -> dict[str, tuple[str, ...]]:
        return self.loads


_UNDECIDED = Owner(None, "")


class Attributor:
    """Whose code each class is, by the rules above; memoised per class.

    ``prefix_owner`` is the catalog rule bound to the app's package (``sdks.sdk_for_class``),
    ``app_roots`` the app's own packages, ``native_owner`` maps a native library's file name
    to its catalog entry, ``jni_classes`` each library's JNI classes.
    """

    def __init__(
        self,
        layout: Layout,
        prefix_owner: Callable[[str], SdkEntry | None],
        app_roots: Iterable[str],
        native_owner: Callable[[str], SdkEntry | None],
        jni_classes: Mapping[str, Iterable[str]],
        sdks_with_code: Iterable[str] | None = None,
    ) -> None:
        self.layout = layout
        # a region's owner is an SDK whose code is in the package (a prefix or jni class of
        # it): with none, no walk can succeed, so none is made (None: not known, walk)
        self._can_own = None if sdks_with_code is None else set(sdks_with_code)
        self._prefix = prefix_owner
        self._roots = tuple(sorted({r.strip(".") for r in app_roots if r and r.strip(".")}))
        self._owners: dict[str, Owner] = {}
        self._jni: dict[str, SdkEntry] = {}
        bound: dict[str, set[str]] = {}  # class -> SDK ids binding it, to drop disputed ones
        entries: dict[str, SdkEntry] = {}
        owned_libs = False
        for lib, classes in jni_classes.items():
            entry = native_owner(lib)
            if entry is None:
                continue
            owned_libs = True
            for name in classes:
                if layout.native(name) and self._base(name) is None:
                    bound.setdefault(name, set()).add(entry.id)
                    entries[entry.id] = entry
        # loadLibrary calls are looked for only when some catalog SDK's library is there
        for name, libs in (layout.library_loads() if owned_libs else {}).items():
            if self._base(name) is not None:
                continue
            for lib in libs:
                entry = native_owner(f"lib{lib}.so")
                if entry is not None:
                    bound.setdefault(name, set()).add(entry.id)
                    entries[entry.id] = entry
        for name, ids in bound.items():
            if len(ids) == 1:
                self._jni[name] = entries[next(iter(ids))]
        if self._can_own is not None:
            self._can_own.update(e.id for e in self._jni.values() if not e.is_library)

    def _base(self, name: str) -> Owner | None:
        """The prefix and app-package rules (None: neither holds)."""
        entry = self._prefix(name)
        if entry is not None:
            return Owner(entry, PREFIX)
        if any(name.startswith(r + ".") for r in self._roots):
            return Owner(None, APP_PACKAGE)
        return None

    def _named(self, name: str) -> Owner | None:
        """Every rule but reach: what a class is without looking at its neighbours."""
        base = self._base(name)
        if base is not None:
            return base
        jni = self._jni.get(name)
        return Owner(jni, JNI) if jni is not None else None

    @property
    def jni_owned(self) -> dict[str, SdkEntry]:
        """Classes attributed by the jni rule, each with its SDK."""
        return dict(self._jni)

    def reach_owned(self) -> dict[str, SdkEntry]:
        """Classes attributed by the reach rule so far (those ``owner`` was asked about and
        the regions they lie in)."""
        return {c: o.entry for c, o in self._owners.items() if o.rule == REACH and o.entry}

    def decided(self, name: str) -> SdkEntry | None:
        """The SDK the jni or reach rule gave a class, if already decided (never walks)."""
        jni = self._jni.get(name)
        if jni is not None:
            return jni
        known = self._owners.get(name)
        return known.entry if known is not None and known.rule == REACH else None

    def signals(self) -> dict[str, list[str]]:
        """{SDK id: detection signals} for the classes the jni and reach rules attributed."""
        counts: dict[tuple[str, str], int] = {}
        for rule, owned in ((JNI, self.jni_owned), (REACH, self.reach_owned())):
            for entry in owned.values():
                counts[(entry.id, rule)] = counts.get((entry.id, rule), 0) + 1
        out: dict[str, list[str]] = {}
        for (sdk, rule), n in sorted(counts.items()):
            out.setdefault(sdk, []).append(f"code: {n} class{'es' if n != 1 else ''} by {rule}")
        return out

    def owner(self, name: str) -> Owner:
        cached = self._owners.get(name)
        if cached is not None:
            return cached
        named = self._named(name)
        if named is not None:
            self._owners[name] = named
            return named
        if self._can_own == set() or not self.layout.defined(name):
            return Owner(None, UNATTRIBUTED)
        self._reach(name)
        return self._owners[name]

    def _token(self, name: str, as_caller: bool) -> str | None:
        """What a neighbour says about the region: an SDK id, the app, a library caller, ""
        (neutral: platform, absent class, library callee), or None (unnamed: in the region)."""
        named = self._named(name)
        if named is None:
            return None if self.layout.defined(name) else ""
        if named.entry is None:
            return _APP
        if named.entry.is_library:
            return _LIBRARY if as_caller else ""
        return named.entry.id

    def _reach(self, start: str) -> None:
        """Walk the region of unnamed classes around ``start`` and decide it as a whole."""
        region = {start}
        frontier = [start]
        owners: set[str] = set()
        entry: SdkEntry | None = None
        failed = False
        while frontier and not failed:
            callers = self.layout.callers(frontier)
            found: list[str] = []
            for c in frontier:
                from_ = list(callers.get(c, ()))
                if not from_:
                    owners.add(_NOBODY)
                for n, as_caller in [(d, True) for d in from_] + [
                    (d, False) for d in self.layout.callees(c)
                ]:
                    if n in region:
                        continue
                    tok = self._token(n, as_caller)
                    if tok is None and self._owners.get(n, _UNDECIDED).rule == UNATTRIBUTED:
                        failed = True  # an earlier walk failed in this same region
                        break
                    if tok is None:
                        region.add(n)
                        found.append(n)
                    elif tok:
                        owners.add(tok)
                        if entry is None and not tok.startswith("\0"):
                            entry = self._named(n).entry  # type: ignore[union-attr]
                if failed or len(owners) > 1 or (owners and next(iter(owners)).startswith("\0")):
                    failed = True
                    break
            frontier = found
            if len(region) > MAX_REGION:
                failed = True
        if failed or len(owners) != 1 or entry is None:
            result = Owner(None, UNATTRIBUTED)
        else:
            result = Owner(entry, REACH)
        for c in region:
            self._owners[c] = result
