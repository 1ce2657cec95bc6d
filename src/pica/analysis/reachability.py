"""Static pre-consent reachability: what runs before any UI can ask the user anything.

Entry points are the code Android runs before an activity exists: the Application class
(``<clinit>``, ``<init>``, ``attachBaseContext``, ``onCreate``, up its superclasses), every
declared ContentProvider (``onCreate`` runs at process start: SDK auto-init providers live
here) and the androidx.startup initializers it names, and receivers for system broadcasts such
as BOOT_COMPLETED, plus services they start.

From these we walk the extractor's call graph (``pica.extract.apk.callgraph``) breadth-first,
so each finding carries a shortest path. A path that first reads a consent-looking
SharedPreferences key is marked as gated.
"""

from __future__ import annotations

import re
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import cache
from typing import Any

from pica.evidence import ApiUse, ReachablePath
from pica.extract.apk import ApkFacts
from pica.extract.apk.callgraph import CallGraph, MethodStep, Node, java_name, label
from pica.knowledge import android_runtime

MAX_NODES = 200_000
# Path confidences strong enough to state a finding on (all hops direct, or one indirect hop).
FIRM = ("high", "medium")


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


def application_classes(facts: ApkFacts) -> list[str]:
    """The manifest's Application, and the Application subclasses of DEX files dumped at run
    time (--dex-dir): a packer's stub Application hands over to the real one, which no call
    edge shows."""
    names = [facts.manifest.application_class] if facts.manifest.application_class else []
    return names + [c for c in facts.delegate_applications if c not in names]


def entry_points(graph: CallGraph, facts: ApkFacts) -> list[tuple[Node, str]]:
    """(method, why) for everything Android may run before any activity exists."""
    manifest = facts.manifest
    runtime = android_runtime()
    lifecycle = runtime.lifecycle
    entries: list[tuple[Node, str]] = []
    for app_class in application_classes(facts):
        for node in graph.lifecycle(app_class, lifecycle["application"]):
            entries.append((node, "Application"))
    for comp in manifest.components:
        if comp.kind == "provider":
            entries += [
                (n, "ContentProvider") for n in graph.lifecycle(comp.name, lifecycle["provider"])
            ]
            # androidx.startup runs the Initializer classes named in the provider's meta-data
            # by reflection, which no call edge shows: they are entry points of their own.
            for name in comp.meta_data_names:
                entries += [
                    (n, "androidx.startup Initializer")
                    for n in graph.lifecycle(name, lifecycle["initializer"])
                ]
        elif comp.kind == "receiver" and runtime.pre_ui_actions.intersection(comp.actions):
            entries += [
                (n, "BroadcastReceiver") for n in graph.lifecycle(comp.name, lifecycle["receiver"])
            ]
    return entries


def pre_ui_paths(
    facts: ApkFacts,
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
            entry = sdk_for_class(java_name(descriptor))
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
        step = graph.step(node, services)
        if step is None:
            continue
        gate = visits[node].gate or _consent_read(step)
        for callee, hop in step.callees:
            offer(callee, node, hop, gate)

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
        caller_class = java_name(node[0])
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
                        target=label(node),
                        entry_point=label(nodes[0]),
                        path=tuple(label(n) for n in nodes),
                        confidence=_confidence(tuple(hops)),
                        hop_kinds=tuple(hops),
                        sdk=sdk.id,
                        gated_by=visit.gate,
                        source=f"{graph.dex_name(node)} {node[0]}->{node[1]}",
                    )
                )
        for use in uses_by_method.get((graph.dex_name(node), caller_class, node[1]), []):
            nodes, hops = path_to(node)
            all_hops = (*hops, "direct")
            results.append(
                ReachablePath(
                    kind="api",
                    target=use.api,
                    entry_point=label(nodes[0]),
                    path=(*(label(n) for n in nodes), use.api),
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


@cache
def _consent_key() -> re.Pattern[str]:
    return re.compile(android_runtime().consent_key, re.IGNORECASE)


def _consent_read(step: MethodStep) -> str | None:
    """A SharedPreferences read of a consent-looking key in this method, as 'getBoolean("key")'."""
    if step.prefs_read is None:
        return None
    consent_key = _consent_key()
    for key in step.strings:
        if consent_key.search(key):
            return f'SharedPreferences.{step.prefs_read}("{key}")'
    return None


# ----------------------------------------------------------------------- the whole app

COMPONENT_KINDS = ("activity", "service", "receiver", "provider")


def class_descriptor(class_name: str) -> str:
    """``Lcom/foo/Bar;`` for ``com.foo.Bar``: the call graph's key of a class."""
    return "L" + class_name.replace(".", "/") + ";"


def app_entry_points(graph: CallGraph, facts: ApkFacts) -> list[tuple[Node, str]]:
    """(method, why) for everything Android may start on its own: the Application, every
    declared component (activity, service, receiver, provider), instrumentation and
    androidx.startup initializer — their constructors, static initializers and every method the framework may
    call on them (lifecycle, callbacks, android:onClick handlers named in layouts)."""
    manifest = facts.manifest
    named: list[tuple[str, str]] = [(c, "Application") for c in application_classes(facts)]
    named += [(name, "Instrumentation") for name in manifest.instrumentation]
    for comp in manifest.components:
        if comp.kind in COMPONENT_KINDS:
            named.append((comp.name, comp.kind))
        if comp.kind == "provider":
            named += [(name, "androidx.startup Initializer") for name in comp.meta_data_names]
    entries: list[tuple[Node, str]] = []
    for name, why in named:
        entries += [(n, why) for n in graph.lifecycle(name, ("<clinit>", "<init>"))]
        entries += [(n, why) for n in graph.callbacks(class_descriptor(name))]
    return entries


def app_reachable(facts: ApkFacts, graph: CallGraph | None = None) -> frozenset[Node]:
    """Every method the app can run, as far as static analysis sees.

    From ``app_entry_points`` through direct calls, virtual/interface calls (rapid type
    analysis: only into classes with a live object), asynchronous hops, services started by
    class constant, and the framework callbacks of each object created on the way whose class
    extends or implements a type outside the app (a listener, fragment, adapter, loader,
    handler: ``CallGraph.callbacks``). A class loaded as a constant (``X.class``) or named by a
    constant string (``Class.forName``) counts as created. Not seen: code reached only by
    reflection on computed names, from native code (JNI), from classes the framework inflates
    from XML (custom views, menu action providers), a WebView's JavaScript bridge, or test
    classes an instrumentation runner finds by reflection (including code another package's
    instrumentation drives, as in Appium's uiautomator2 server); call sites there stay listed as
    present but unreached, never as collection.
    """
    graph = graph or CallGraph(facts.dexes)
    services = {c.name for c in facts.manifest.components if c.kind == "service"}
    seen: set[Node] = set()
    created: set[str] = set()
    queue: deque[Node] = deque()
    # Rapid type analysis: a virtual call reaches a method only in a class some object of which
    # exists (it, or a subclass, is declared in the manifest or created on a reached path);
    # plain class-hierarchy analysis would make every override in every library reachable
    # through one call on a base type. A target whose class is not live yet waits until it is.
    live_types: set[str] = set()
    waiting: dict[str, list[Node]] = {}

    def offer(node: Node) -> None:
        if node not in seen and len(seen) < MAX_NODES * 5:
            seen.add(node)
            queue.append(node)

    def make_live(descriptor: str) -> None:
        for t in graph.supertypes(descriptor):
            if t in graph.classes and t not in live_types:
                live_types.add(t)
                for node in waiting.pop(t, ()):
                    offer(node)

    def create(descriptor: str) -> None:
        if descriptor in created or descriptor not in graph.classes:
            return
        created.add(descriptor)
        make_live(descriptor)
        for node in graph.callbacks(descriptor):
            offer(node)
        for node in graph.lifecycle(java_name(descriptor), ("<clinit>",)):
            offer(node)

    for name in _declared_classes(facts):
        make_live(class_descriptor(name))
    for node, _why in app_entry_points(graph, facts):
        offer(node)
    while queue:
        node = queue.popleft()
        step = graph.step(node, services)
        if step is None:
            continue
        for descriptor in step.types:
            create(descriptor)
        for text in step.strings:
            if "." in text and " " not in text and len(text) < 200:
                create(class_descriptor(text))
        for callee, hop in step.callees:
            if hop != "virtual" or callee[0] in live_types:
                offer(callee)
            elif callee not in seen:
                waiting.setdefault(callee[0], []).append(callee)
    return frozenset(seen)


def _declared_classes(facts: ApkFacts) -> list[str]:
    names = [c.name for c in facts.manifest.components] + list(facts.manifest.instrumentation)
    names += application_classes(facts)
    for comp in facts.manifest.components:
        names += list(comp.meta_data_names)
    return names
