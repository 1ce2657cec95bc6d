"""Static pre-consent reachability: what runs before any UI can ask the user anything.

Entry points are the code Android runs before an activity exists: the Application class
(``<clinit>``, ``<init>``, ``attachBaseContext``, ``onCreate``, up its superclasses), every
declared ContentProvider (``onCreate`` runs at process start: SDK auto-init providers live
here), and receivers for system broadcasts such as BOOT_COMPLETED, plus services they start.

From these we walk a call graph built lazily over the app's own DEX code: direct calls,
virtual and interface calls resolved over the class hierarchy, and the common asynchronous
hops (a Runnable/Callable/Thread/AsyncTask/TimerTask created on the path runs later). The walk
is breadth-first, so each finding carries a shortest path. A path that first reads a
consent-looking SharedPreferences key is marked as gated.
"""

from __future__ import annotations

import re
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from pica.evidence import ApiUse, ReachablePath
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

PRE_UI_ACTIONS = frozenset(
    {
        "android.intent.action.BOOT_COMPLETED",
        "android.intent.action.LOCKED_BOOT_COMPLETED",
        "android.intent.action.QUICKBOOT_POWERON",
        "android.intent.action.MY_PACKAGE_REPLACED",
        "android.intent.action.PACKAGE_ADDED",
        "android.intent.action.PACKAGE_REPLACED",
        "android.intent.action.PACKAGE_REMOVED",
        "android.net.conn.CONNECTIVITY_CHANGE",
        "android.net.wifi.STATE_CHANGE",
        "android.net.wifi.WIFI_STATE_CHANGED",
        "android.intent.action.USER_PRESENT",
        "android.intent.action.ACTION_POWER_CONNECTED",
        "android.intent.action.ACTION_POWER_DISCONNECTED",
        "android.intent.action.TIME_SET",
        "android.intent.action.TIMEZONE_CHANGED",
        "android.intent.action.PHONE_STATE",
        "android.provider.Telephony.SMS_RECEIVED",
        "android.intent.action.SIM_STATE_CHANGED",
    }
)
APPLICATION_METHODS = ("<clinit>", "<init>", "attachBaseContext", "onCreate")
PROVIDER_METHODS = ("<clinit>", "<init>", "attachInfo", "onCreate")
INITIALIZER_METHODS = ("<clinit>", "<init>", "create")
RECEIVER_METHODS = ("<clinit>", "<init>", "onReceive")
SERVICE_METHODS = (
    "<clinit>",
    "<init>",
    "onCreate",
    "onStartCommand",
    "onStart",
    "onHandleIntent",
    "onHandleWork",
    "onBind",
)

# Framework types whose instances run later on another thread or turn of the loop, and the
# method the runtime calls on them.
ASYNC_TYPES = {
    "Ljava/lang/Runnable;": ("run",),
    "Ljava/util/concurrent/Callable;": ("call",),
    "Ljava/lang/Thread;": ("run",),
    "Landroid/os/AsyncTask;": ("doInBackground", "onPreExecute", "onPostExecute"),
    "Ljava/util/TimerTask;": ("run",),
    "Landroid/os/Handler$Callback;": ("handleMessage",),
}
CONSENT_KEY = re.compile(
    r"agree|privacy|consent|protocol|policy|accept|authori[sz]|first_?launch|隐私|同意|协议",
    re.IGNORECASE,
)
PREFS = "Landroid/content/SharedPreferences;"
MAX_VIRTUAL_TARGETS = 30  # beyond this a call site is megamorphic (Object.toString…): skipped
MAX_NODES = 200_000

Node = tuple[str, str]  # (class descriptor, method signature "name(args)ret")


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
        for framework_type, names in ASYNC_TYPES.items():
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


def _label(node: Node) -> str:
    return f"{descriptor_to_java(node[0])}.{node[1].split('(')[0]}"


def _confidence(hops: tuple[str, ...]) -> str:
    odd = [h for h in hops if h != "direct"]
    if not odd:
        return "high"
    if len(odd) == 1:
        return "medium"
    return "low"


@dataclass
class _Visit:
    parent: Node | None
    hop: str
    gate: str | None


def entry_points(graph: CallGraph, facts: Any) -> list[tuple[Node, str]]:
    """(method, why) for everything Android may run before any activity exists."""
    manifest = facts.manifest
    entries: list[tuple[Node, str]] = []
    if manifest.application_class:
        for node in graph.lifecycle(manifest.application_class, APPLICATION_METHODS):
            entries.append((node, "Application"))
    for comp in manifest.components:
        if comp.kind == "provider":
            entries += [
                (n, "ContentProvider") for n in graph.lifecycle(comp.name, PROVIDER_METHODS)
            ]
            # androidx.startup runs the Initializer classes named in the provider's meta-data
            # by reflection, which no call edge shows: they are entry points of their own.
            for name in comp.meta_data_names:
                entries += [
                    (n, "androidx.startup Initializer")
                    for n in graph.lifecycle(name, INITIALIZER_METHODS)
                ]
        elif comp.kind == "receiver" and PRE_UI_ACTIONS.intersection(comp.actions):
            entries += [
                (n, "BroadcastReceiver") for n in graph.lifecycle(comp.name, RECEIVER_METHODS)
            ]
    return entries


def pre_ui_paths(
    facts: Any,
    api_uses: Iterable[ApiUse],
    sdk_for_class: Callable[[str], Any] | None = None,
) -> list[ReachablePath]:
    """Sensitive APIs and third-party SDK code reachable before any UI, with shortest paths.

    ``api_uses`` are the extractor's call sites, already attributed to SDKs; ``sdk_for_class``
    maps a dotted class name to its catalog entry (or None for the app's own code).
    """
    graph = CallGraph(facts.dexes)
    services = {c.name for c in facts.manifest.components if c.kind == "service"}
    uses_by_method: dict[tuple[str, str, str], list[ApiUse]] = {}
    for use in api_uses:
        uses_by_method.setdefault((use.dex, use.caller_class, use.caller_method), []).append(use)

    owners: dict[str, Any] = {}

    def sdk_of(descriptor: str) -> Any:
        if sdk_for_class is None:
            return None
        if descriptor not in owners:
            entry = sdk_for_class(descriptor_to_java(descriptor))
            library = entry is not None and getattr(entry, "category", "") == "library"
            owners[descriptor] = None if library else entry
        return owners[descriptor]

    visits: dict[Node, _Visit] = {}
    queue: deque[Node] = deque()
    for node, _why in entry_points(graph, facts):
        if node not in visits:
            visits[node] = _Visit(None, "entry", None)
            queue.append(node)

    def offer(child: Node, parent: Node, hop: str, gate: str | None) -> None:
        known = visits.get(child)
        if known is None or (known.gate and not gate):  # an ungated path outranks a gated one
            visits[child] = _Visit(parent, hop, gate)
            if len(visits) < MAX_NODES:
                queue.append(child)

    while queue:
        node = queue.popleft()
        cls = graph.classes[node[0]]
        dex = cls.dex
        midx = cls.lookup(node[1])
        if midx is None:
            continue
        refs = dex.refs(midx)
        gate = visits[node].gate or _consent_read(dex, refs)
        for ref in refs:
            if ref.opcode in INVOKE_OPS:
                target_class = dex.method_class(ref.index)
                signature = dex.method_signature(ref.index)
                callees, hop = graph.targets(INVOKE_KIND[ref.opcode], target_class, signature)
                for callee in callees:
                    offer(callee, node, hop, gate)
            elif ref.opcode == NEW_INSTANCE:
                for callee in graph.async_targets(dex.type_name(ref.index)):
                    offer(callee, node, "async", gate)
            elif ref.opcode == CONST_CLASS:
                name = descriptor_to_java(dex.type_name(ref.index))
                if name in services:  # new Intent(ctx, SyncService.class) → startService(...)
                    for callee in graph.lifecycle(name, SERVICE_METHODS):
                        offer(callee, node, "async", gate)

    def path_to(node: Node) -> tuple[list[Node], list[str]]:
        """Entry point → … → node, following parent links (guarded against any cycle)."""
        nodes, hops = [node], []
        seen = {node}
        while (parent := visits[nodes[-1]].parent) is not None and parent not in seen:
            hops.append(visits[nodes[-1]].hop)
            nodes.append(parent)
            seen.add(parent)
        return nodes[::-1], hops[::-1]

    results: list[ReachablePath] = []
    seen_sdks: set[str] = set()
    for node, visit in visits.items():
        cls = graph.classes[node[0]]
        caller_class = descriptor_to_java(node[0])
        sdk = sdk_of(node[0])
        constructor = node[1].startswith("<")  # <init>/<clinit>: report the SDK's real init
        if sdk is not None and sdk.id not in seen_sdks and not constructor:
            nodes, hops = path_to(node)
            parent_sdk = sdk_of(nodes[-2][0]) if len(nodes) > 1 else None
            if parent_sdk is None or parent_sdk.id != sdk.id:
                seen_sdks.add(sdk.id)
                results.append(
                    ReachablePath(
                        kind="sdk_init",
                        target=_label(node),
                        entry_point=_label(nodes[0]),
                        path=tuple(_label(n) for n in nodes),
                        confidence=_confidence(tuple(hops)),
                        hop_kinds=tuple(hops),
                        sdk=sdk.id,
                        gated_by=visit.gate,
                        source=f"{cls.dex.name} {node[0]}->{node[1]}",
                    )
                )
        for use in uses_by_method.get((cls.dex.name, caller_class, node[1]), []):
            nodes, hops = path_to(node)
            all_hops = (*hops, "direct")
            results.append(
                ReachablePath(
                    kind="api",
                    target=use.api,
                    entry_point=_label(nodes[0]),
                    path=(*(_label(n) for n in nodes), use.api),
                    confidence=_confidence(all_hops),
                    hop_kinds=all_hops,
                    pi_type=use.pi_type,
                    sdk=use.sdk,
                    gated_by=visit.gate,
                    source=use.source,
                )
            )
    results.sort(key=lambda p: (p.kind, p.pi_type or "", len(p.path), p.target))
    return results


def _consent_read(dex: DexFile, refs: list) -> str | None:
    """A SharedPreferences read of a consent-looking key in this method, as 'getBoolean("key")'."""
    keys = [dex.string(r.index) for r in refs if r.opcode in (CONST_STRING, CONST_STRING_JUMBO)]
    reads = [
        dex.method_name(r.index)
        for r in refs
        if r.opcode in INVOKE_OPS
        and dex.method_class(r.index) == PREFS
        and dex.method_name(r.index).startswith(("get", "contains"))
    ]
    if not reads:
        return None
    for key in keys:
        if CONSENT_KEY.search(key):
            return f'SharedPreferences.{reads[0]}("{key}")'
    return None
