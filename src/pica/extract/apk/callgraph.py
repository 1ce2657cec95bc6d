"""The app's call graph as its bytecode states it: classes across every DEX, resolved lazily.

A reader, not a judge: it answers "what can this method call?" (direct calls, virtual and
interface calls resolved over the class hierarchy, and the common asynchronous hops: a
Runnable/Callable/Thread/AsyncTask/TimerTask created here runs later) and "what does it read?"
(constant strings, SharedPreferences reads). What is reachable from where is decided in
``pica.analysis.reachability``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cached_property
from typing import NamedTuple

from pica.extract.apk.dex import (
    CONST_CLASS,
    CONST_STRING,
    CONST_STRING_JUMBO,
    INVOKE_KIND,
    INVOKE_OPS,
    NEW_INSTANCE,
    ClassDef,
    DexFile,
    descriptor_to_java,
)
from pica.knowledge import android_runtime

PREFS = "Landroid/content/SharedPreferences;"
MAX_VIRTUAL_TARGETS = 30  # beyond this a call site is megamorphic (Object.toString…): skipped

Node = tuple[str, str]  # (class descriptor, method signature "name(args)ret")


class MethodStep(NamedTuple):
    """What one method does that a walk over the graph needs."""

    callees: list[tuple[Node, str]]  # (callee, hop: direct | virtual | async)
    strings: list[str]  # constant strings the method loads
    prefs_read: str | None  # name of its first SharedPreferences get*/contains call
    types: list[str]  # classes it instantiates or loads as constants (new X, X.class)


def label(node: Node) -> str:
    """``com.foo.Bar.method`` for a node."""
    return f"{descriptor_to_java(node[0])}.{node[1].split('(')[0]}"


def java_name(descriptor: str) -> str:
    return descriptor_to_java(descriptor)


@dataclass
class _Class:
    dex: DexFile
    cdef: ClassDef
    superclass: str | None
    interfaces: list[str]
    _methods: dict[str, int] | None = None
    _by_name: dict[str, list[int]] | None = None

    def lookup(self, signature: str) -> int | None:
        """Method idx for a signature, checking the cheap method name before the prototype."""
        if self._by_name is None:
            self._by_name = {}
            for midx, _code in self.dex.class_methods(self.cdef.type_idx):
                self._by_name.setdefault(self.dex.method_name(midx), []).append(midx)
        candidates = self._by_name.get(signature[: signature.index("(")])
        if not candidates:
            return None
        for midx in candidates:
            if self.dex.method_signature(midx) == signature:
                return midx
        return None

    def methods(self) -> dict[str, int]:
        """signature -> method idx in this class's dex (only methods with code or abstract)."""
        if self._methods is None:
            self._methods = {
                self.dex.method_signature(midx): midx
                for midx, _code in self.dex.class_methods(self.cdef.type_idx)
            }
        return self._methods


class CallGraph:
    """The app's classes across every DEX, resolved lazily method by method."""

    def __init__(self, dexes: Iterable[DexFile]) -> None:
        self.classes: dict[str, _Class] = {}
        for dex in dexes:
            for cdef in dex.class_defs:
                descriptor = dex.type_name(cdef.type_idx)
                if descriptor not in self.classes:  # the first definition wins, as at run time
                    self.classes[descriptor] = _Class(
                        dex, cdef, dex.superclass(cdef), dex.interfaces(cdef)
                    )
        self.children: dict[str, list[str]] = {}
        for descriptor, cls in self.classes.items():
            for parent in [cls.superclass, *cls.interfaces]:
                if parent:
                    self.children.setdefault(parent, []).append(descriptor)
        self._subtypes: dict[str, list[str]] = {}
        self._supersets: dict[str, frozenset[str]] = {}
        self._targets: dict[tuple[str, str, str], tuple[list[Node], str]] = {}
        self._callbacks: dict[str, list[Node]] = {}

    def supertypes(self, descriptor: str) -> list[str]:
        """The class, its superclasses and all interfaces, app and framework alike."""
        seen: list[str] = []
        todo = [descriptor]
        while todo:
            current = todo.pop(0)
            if current in seen:
                continue
            seen.append(current)
            cls = self.classes.get(current)
            if cls:
                todo += [t for t in [cls.superclass, *cls.interfaces] if t]
        return seen

    def subtypes(self, descriptor: str) -> list[str]:
        if descriptor not in self._subtypes:
            out: list[str] = []
            todo = list(self.children.get(descriptor, []))
            seen = set()
            while todo:
                current = todo.pop()
                if current in seen:
                    continue
                seen.add(current)
                out.append(current)
                todo += self.children.get(current, [])
            self._subtypes[descriptor] = out
        return self._subtypes[descriptor]

    def defined(self, descriptor: str, signature: str) -> Node | None:
        cls = self.classes.get(descriptor)
        if cls and cls.lookup(signature) is not None:
            return (descriptor, signature)
        return None

    def resolve_up(self, descriptor: str, signature: str) -> Node | None:
        """The definition a call on this class reaches, walking up the superclasses."""
        current: str | None = descriptor
        while current and current in self.classes:
            node = self.defined(current, signature)
            if node:
                return node
            current = self.classes[current].superclass
        return None

    @cached_property
    def _definers(self) -> dict[str, list[str]]:
        """method name -> classes that define a method of that name (names are cheap to read)."""
        index: dict[str, list[str]] = {}
        for descriptor, cls in self.classes.items():
            dex = cls.dex
            # The bulk class-data parse: every class is visited here, so it beats per-class reads.
            for midx, _code in dex.methods_by_class.get(cls.cdef.type_idx, ()):
                index.setdefault(dex.method_name(midx), []).append(descriptor)
        return index

    def _supertype_set(self, descriptor: str) -> frozenset[str]:
        cached = self._supersets.get(descriptor)
        if cached is None:
            cached = self._supersets[descriptor] = frozenset(self.supertypes(descriptor))
        return cached

    def targets(self, kind: str, descriptor: str, signature: str) -> tuple[list[Node], str]:
        """Possible callees of one invoke, and the hop kind: direct or virtual (memoised)."""
        key = (kind, descriptor, signature)
        cached = self._targets.get(key)
        if cached is None:
            cached = self._targets[key] = self._resolve_targets(kind, descriptor, signature)
        return cached

    def _resolve_targets(
        self, kind: str, descriptor: str, signature: str
    ) -> tuple[list[Node], str]:
        if kind in ("static", "direct", "super"):
            node = self.resolve_up(descriptor, signature)
            return ([node] if node else []), "direct"
        found = []
        base = self.resolve_up(descriptor, signature)
        if base:
            found.append(base)
        name = signature[: signature.index("(")]
        definers = self._definers.get(name, ())
        subtypes = self.subtypes(descriptor)
        if len(subtypes) < len(definers):  # walk whichever side is smaller
            candidates = subtypes
        else:
            candidates = [
                d for d in definers if d != descriptor and descriptor in self._supertype_set(d)
            ]
        for definer in candidates:
            node = self.defined(definer, signature)
            if node and node not in found:
                found.append(node)
                if len(found) > MAX_VIRTUAL_TARGETS:
                    return [], "virtual"
        return found, ("direct" if len(found) == 1 and kind == "virtual" else "virtual")

    def async_targets(self, descriptor: str) -> list[Node]:
        """Methods the runtime later calls on an instance of this class, if it is async work."""
        out = []
        supers = self.supertypes(descriptor)
        for framework_type, names in android_runtime().async_types.items():
            if framework_type in supers:
                for name in names:
                    current: str | None = descriptor
                    while current and current in self.classes:
                        sigs = [
                            s for s in self.classes[current].methods() if s.startswith(name + "(")
                        ]
                        if sigs:
                            out += [(current, s) for s in sigs]
                            break
                        current = self.classes[current].superclass
        return out

    def lifecycle(self, class_name: str, names: Iterable[str]) -> list[Node]:
        """Entry methods of a component, including those it inherits from app superclasses."""
        descriptor = "L" + class_name.replace(".", "/") + ";"
        out: list[Node] = []
        for name in names:
            current: str | None = descriptor
            while current and current in self.classes:
                sigs = [s for s in self.classes[current].methods() if s.split("(")[0] == name]
                out += [(current, s) for s in sigs if (current, s) not in out]
                if sigs and name not in ("<clinit>", "<init>"):
                    break
                current = self.classes[current].superclass
        return out

    def external_supertypes(self, descriptor: str) -> list[str]:
        """Supertypes defined outside the app's DEX files (framework or absent libraries),
        ``java.lang.Object`` aside: what the framework may call this class's methods through."""
        return [
            t
            for t in self.supertypes(descriptor)
            if t not in self.classes and t != "Ljava/lang/Object;"
        ]

    def callbacks(self, descriptor: str) -> list[Node]:
        """Methods of an instance of this class that code outside the app may call, when the
        class has a supertype outside the app (the framework calls it through that type):
        every method the class declares but constructors, and the inherited methods whose
        names ``android_runtime.yaml`` lists as callbacks. Memoised."""
        cached = self._callbacks.get(descriptor)
        if cached is not None:
            return cached
        out: list[Node] = []
        if descriptor in self.classes and self.external_supertypes(descriptor):
            runtime = android_runtime()
            pattern = re.compile(runtime.inherited_callback_pattern)
            names = runtime.inherited_callback_names
            seen: set[str] = set()
            current: str | None = descriptor
            while current and current in self.classes:
                for sig in self.classes[current].methods():
                    name = sig[: sig.index("(")]
                    if sig in seen or name.startswith("<"):
                        continue
                    if current == descriptor or name in names or pattern.match(name):
                        seen.add(sig)
                        out.append((current, sig))
                current = self.classes[current].superclass
        self._callbacks[descriptor] = out
        return out

    def dex_name(self, node: Node) -> str:
        return self.classes[node[0]].dex.name

    def step(
        self, node: Node, services: frozenset[str] | set[str] = frozenset()
    ) -> MethodStep | None:
        """Callees, loaded strings and SharedPreferences reads of one method (None: no code).

        ``services`` are the manifest's service classes: loading one as a class constant
        (``new Intent(ctx, SyncService.class)`` → ``startService``) is an asynchronous hop to
        its lifecycle methods.
        """
        cls = self.classes[node[0]]
        dex = cls.dex
        midx = cls.lookup(node[1])
        if midx is None:
            return None
        refs = dex.refs(midx)
        callees: list[tuple[Node, str]] = []
        strings: list[str] = []
        types: list[str] = []
        prefs_read: str | None = None
        for ref in refs:
            op = ref.opcode
            if op in INVOKE_OPS:
                target_class = dex.method_class(ref.index)
                signature = dex.method_signature(ref.index)
                targets, hop = self.targets(INVOKE_KIND[op], target_class, signature)
                callees.extend((callee, hop) for callee in targets)
                if prefs_read is None and target_class == PREFS:
                    name = dex.method_name(ref.index)
                    if name.startswith(("get", "contains")):
                        prefs_read = name
            elif op == NEW_INSTANCE:
                types.append(dex.type_name(ref.index))
                callees.extend((c, "async") for c in self.async_targets(dex.type_name(ref.index)))
            elif op == CONST_CLASS:
                types.append(dex.type_name(ref.index))
                name = descriptor_to_java(dex.type_name(ref.index))
                if name in services:
                    callees.extend(
                        (c, "async")
                        for c in self.lifecycle(name, android_runtime().lifecycle["service"])
                    )
            elif op in (CONST_STRING, CONST_STRING_JUMBO):
                strings.append(dex.string(ref.index))
        return MethodStep(callees, strings, prefs_read, types)
