"""What the recorder does next, decided from the screen alone: pure functions over uiautomator XML.

A scenario is a fixed plan of stages (launch with cleared data, answer what the app shows,
kill, relaunch, go to the background, come back). ``step(scenario, state, xml)`` looks at one
uiautomator hierarchy dump and returns the next ``Action`` (tap a node's bounds centre, press
back or home, launch, stop, wait and look again, or done), the new ``State``, and the trace
events that action stands for (``consent`` shown/accepted/declined, ``permission``
granted/denied, ``lifecycle``), as dicts without ``v`` and ``t``: the device layer stamps them
just before it performs the action, so a tap's event always precedes whatever the tap caused.
A prompt's answer names the permissions the hooks saw the app request in the prompt's group,
else the group itself (``android.permission-group.LOCATION``).

No device is needed to run any of it; the words it looks for are data
(``knowledge/data/consent_ui.yaml``).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field, replace
from functools import cache
from typing import Any

from lxml import etree

from pica.knowledge import ConsentUi, consent_ui, permissions
from pica.record.names import Scenario

MAX_XML_BYTES = 16 * 1024 * 1024  # a real dump is tens of kB; anything this big is refused
MAX_CONSENT_TEXT = 4000  # characters of the dialog kept in a consent event


# ---------------------------------------------------------------------------------------------
# The screen


@dataclass(frozen=True)
class Node:
    """One ``<node>`` of a uiautomator dump, in document order."""

    index: int  # position in document order
    parent: int | None  # index of the parent node (None under <hierarchy>)
    text: str
    resource_id: str
    class_name: str
    package: str
    content_desc: str
    checkable: bool
    checked: bool
    clickable: bool
    enabled: bool
    bounds: tuple[int, int, int, int] | None  # x1, y1, x2, y2

    @property
    def label(self) -> str:
        return self.text or self.content_desc

    @property
    def centre(self) -> tuple[int, int]:
        assert self.bounds is not None
        x1, y1, x2, y2 = self.bounds
        return (x1 + x2) // 2, (y1 + y2) // 2

    @property
    def visible(self) -> bool:
        if self.bounds is None:
            return False
        x1, y1, x2, y2 = self.bounds
        return x2 > x1 and y2 > y1


_BOUNDS = re.compile(r"^\[(-?\d+),(-?\d+)\]\[(-?\d+),(-?\d+)\]$")


def _bounds(value: str) -> tuple[int, int, int, int] | None:
    m = _BOUNDS.match(value.strip())
    return tuple(int(g) for g in m.groups()) if m else None  # type: ignore[return-value]


def _parser() -> etree.XMLParser:
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        remove_comments=True,
        remove_pis=True,
    )


def parse_hierarchy(xml: str | bytes) -> tuple[Node, ...]:
    """The dump's nodes in document order; () for anything that is not a readable dump.

    Parsed without entity expansion, DTD loading or network access: the texts come from the app.
    """
    data = xml.encode("utf-8") if isinstance(xml, str) else xml
    if not data.strip() or len(data) > MAX_XML_BYTES:
        return ()
    try:
        root = etree.fromstring(data, parser=_parser())
    except (etree.XMLSyntaxError, ValueError):
        return ()
    if root is None or root.tag != "hierarchy":
        return ()
    nodes: list[Node] = []

    def walk(element: Any, parent: int | None) -> None:
        for child in element:
            if child.tag != "node":
                continue
            a = child.attrib
            index = len(nodes)
            nodes.append(
                Node(
                    index=index,
                    parent=parent,
                    text=a.get("text", ""),
                    resource_id=a.get("resource-id", ""),
                    class_name=a.get("class", ""),
                    package=a.get("package", ""),
                    content_desc=a.get("content-desc", ""),
                    checkable=a.get("checkable") == "true",
                    checked=a.get("checked") == "true",
                    clickable=a.get("clickable") == "true",
                    enabled=a.get("enabled", "true") == "true",
                    bounds=_bounds(a.get("bounds", "")),
                )
            )
            walk(child, index)

    walk(root, None)
    return tuple(nodes)


def normalise(text: str) -> str:
    """NFKC, no white space at all, case-folded: how button words are compared."""
    return "".join(unicodedata.normalize("NFKC", text).split()).casefold()


@cache
def _words(words: tuple[str, ...]) -> frozenset[str]:
    return frozenset(normalise(w) for w in words)


@cache
def _substrings(words: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(normalise(w) for w in words)


def _contains_any(text: str, words: tuple[str, ...]) -> bool:
    t = normalise(text)
    return any(w and w in t for w in _substrings(words))


def _button(nodes: tuple[Node, ...], words: tuple[str, ...]) -> Node | None:
    """The node whose whole label is one of ``words``; a clickable, enabled one first."""
    wanted = _words(words)
    found = [n for n in nodes if n.visible and n.label and normalise(n.label) in wanted]
    found.sort(key=lambda n: (not (n.clickable and n.enabled), n.index))
    return found[0] if found else None


def _id_suffix(node: Node) -> str:
    return node.resource_id.rsplit("/", 1)[-1] if "/" in node.resource_id else node.resource_id


def _texts(nodes: tuple[Node, ...]) -> list[str]:
    return [n.label.strip() for n in nodes if n.visible and n.label.strip()]


@dataclass(frozen=True)
class ConsentDialog:
    """The app's privacy-consent dialog as found on one screen."""

    text: str  # the dialog's words, in document order
    agree: Node | None
    decline: Node | None
    checkbox: Node | None  # the consent checkbox, if there is one
    signature: tuple[str, ...]  # its texts: tells one dialog from the next

    @property
    def prechecked(self) -> bool | None:
        return None if self.checkbox is None else self.checkbox.checked


@dataclass(frozen=True)
class PermissionPrompt:
    """Android's runtime-permission dialog as found on one screen."""

    message: str
    group: str | None  # permission group of permissions.yaml (LOCATION…), if the words name one
    allow: Node | None
    deny: Node | None


def _consent_checkbox(nodes: tuple[Node, ...], ui: ConsentUi) -> Node | None:
    boxes = [n for n in nodes if n.checkable and n.visible]
    for box in boxes:
        near = [box.label]
        if box.parent is not None:
            near += [n.label for n in nodes if n.parent == box.parent and n is not box]
        if any(_contains_any(t, ui.checkbox_words) for t in near if t):
            return box
    return None


def find_permission_prompt(
    nodes: tuple[Node, ...], ui: ConsentUi | None = None
) -> PermissionPrompt | None:
    """Android's permission dialog, if the screen is one (by its package)."""
    ui = ui or consent_ui()
    prompt = tuple(n for n in nodes if n.package in ui.prompt_packages)
    if not prompt:
        return None
    by_id = {_id_suffix(n): n for n in prompt if n.visible and n.resource_id}
    allow = next((by_id[i] for i in ui.allow_ids if i in by_id), None) or _button(prompt, ui.allow)
    deny = next((by_id[i] for i in ui.deny_ids if i in by_id), None) or _button(prompt, ui.deny)
    if allow is None and deny is None:
        return None  # the controller's settings screens, not a prompt
    message_node = next((by_id[i] for i in ui.message_ids if i in by_id), None)
    buttons = {id(allow), id(deny)}
    message = (
        message_node.label
        if message_node is not None
        else " ".join(n.label for n in prompt if n.visible and n.label and id(n) not in buttons)
    )
    group = next(
        (g.group for g in ui.permission_groups if _contains_any(message, g.words)),
        None,
    )
    return PermissionPrompt(message=message.strip(), group=group, allow=allow, deny=deny)


def _ancestors(nodes: tuple[Node, ...], node: Node) -> list[int]:
    chain, parent = [], node.parent
    while parent is not None:
        chain.append(parent)
        parent = nodes[parent].parent
    return chain


def _subtree(nodes: tuple[Node, ...], root: int | None) -> tuple[Node, ...]:
    """``root`` and everything under it (document order), or all nodes for None."""
    if root is None:
        return nodes
    inside = {root}
    for n in nodes[root + 1 :]:  # descendants follow their ancestor in document order
        if n.parent in inside:
            inside.add(n.index)
    return tuple(n for n in nodes if n.index in inside)


def find_consent_dialog(
    nodes: tuple[Node, ...], package: str | None = None, ui: ConsentUi | None = None
) -> ConsentDialog | None:
    """The app's consent dialog: an agree or decline button plus a privacy word on screen.

    The dialog is the smallest subtree holding the button and a privacy word, so the screen
    behind an overlaid dialog adds nothing to its text or to its signature."""
    ui = ui or consent_ui()
    mine = tuple(
        n
        for n in nodes
        if (not package or n.package == package) and n.package not in ui.prompt_packages
    )
    agree = _button(mine, ui.agree)
    decline = _button(mine, ui.decline)
    button = agree or decline
    if button is None:
        return None
    allowed = {n.index for n in mine}
    marked = {n.index for n in mine if n.visible and n.label and _contains_any(n.label, ui.markers)}
    if not marked:
        return None
    root: int | None = None
    for candidate in _ancestors(nodes, button):
        if candidate not in allowed:
            break
        if any(m in marked for m in (n.index for n in _subtree(nodes, candidate))):
            root = candidate
            break
    dialog = tuple(n for n in _subtree(nodes, root) if n.index in allowed)
    texts = _texts(dialog)
    text = "\n".join(texts)
    if len(text) > MAX_CONSENT_TEXT:
        text = text[:MAX_CONSENT_TEXT] + "…"
    in_dialog = {n.index for n in dialog}
    return ConsentDialog(
        text=text,
        agree=agree if agree is not None and agree.index in in_dialog else None,
        decline=decline if decline is not None and decline.index in in_dialog else None,
        checkbox=_consent_checkbox(dialog, ui),
        signature=tuple(texts),
    )


def app_on_screen(nodes: tuple[Node, ...], package: str) -> bool:
    return any(n.package == package for n in nodes)


@cache
def _permission_groups() -> dict[str, str]:
    return {name: p.group for name, p in permissions().items() if p.group}


def permission_group(permission: str) -> str | None:
    """The platform permission group of a permission name (permissions.yaml)."""
    return _permission_groups().get(permission)


# ---------------------------------------------------------------------------------------------
# Actions, state, plans


@dataclass(frozen=True)
class Action:
    """What the device layer does next.

    kind: ``launch`` (start the app under the hooks; ``clear_data`` first for a first run),
    ``foreground`` (bring the running app back), ``stop`` (force-stop it), ``home``, ``back``,
    ``tap`` (at ``x``, ``y``), ``wait`` (``seconds``, then dump the screen again), ``done``.
    """

    kind: str
    x: int = 0
    y: int = 0
    seconds: float = 0.0
    clear_data: bool = False
    label: str = ""  # what is tapped, for the log


@dataclass(frozen=True)
class Limits:
    observe_seconds: float = 5.0  # one look at an ordinary screen
    quiet_rounds: int = 3  # ordinary screens in a row that end an interaction stage
    background_rounds: int = 3  # looks while the app is in the background
    dialog_retries: int = 3  # taps on a dialog that stays before pica gives up on it
    consent_answers: int = 4  # consent dialogs answered per stage (a decline may re-ask)
    prompt_answers: int = 20  # permission prompts answered per stage
    max_steps: int = 300  # whole recording


@dataclass(frozen=True)
class State:
    package: str
    stage: int = 0  # index into the scenario's plan
    steps: int = 0
    quiet: int = 0  # ordinary screens in a row in this stage
    dialog: tuple[str, ...] = ()  # signature of the consent dialog last seen
    dialog_answered: bool = False
    dialog_retries: int = 0
    box_tapped: bool = False
    prechecked: bool | None = None  # the consent checkbox as the dialog was first shown
    gave_up: bool = False  # this dialog is left alone (answered too often, or no button)
    consent_answers: int = 0
    prompt_answers: int = 0
    requested: tuple[str, ...] = ()  # permissions the app asked for, not answered yet
    notes: tuple[str, ...] = field(default=())  # what the recorder could not do, for the log


# Stages: (kind, argument). interact answers dialogs with "agree" or "decline" until the screen
# has been ordinary for quiet_rounds looks; observe only looks (the app is in the background).
PLANS: dict[Scenario, tuple[tuple[str, str], ...]] = {
    Scenario.first_run_agree: (("launch", "launch"), ("interact", "agree")),
    Scenario.first_run_decline: (("launch", "launch"), ("interact", "decline")),
    Scenario.decline_then_relaunch: (
        ("launch", "launch"),
        ("interact", "decline"),
        ("stop", ""),
        ("relaunch", "relaunch"),
        ("interact", "decline"),
    ),
    Scenario.background: (
        ("launch", "launch"),
        ("interact", "agree"),
        ("home", ""),
        ("observe", ""),
        ("foreground", ""),
        ("interact", "agree"),
    ),
}


def initial_state(package: str) -> State:
    return State(package=package)


Event = dict[str, Any]


def remember_requested(state: State, names: list[str] | tuple[str, ...]) -> State:
    """The hooks saw the app ask for ``names``: keep them until a prompt is answered."""
    pending = state.requested + tuple(str(n) for n in names if str(n) not in state.requested)
    return replace(state, requested=pending)


def requested_event(names: list[str] | tuple[str, ...]) -> Event:
    """The trace event for the app asking for ``names`` (written when the hook reports it)."""
    return {"kind": "permission", "event": "requested", "permissions": [str(n) for n in names]}


def needs_screen(scenario: Scenario | str, state: State) -> bool:
    """Whether the next ``step`` reads the screen (only an interaction stage does)."""
    plan = PLANS[Scenario(scenario)]
    return state.stage < len(plan) and plan[state.stage][0] == "interact"


def _note(state: State, text: str) -> State:
    return state if text in state.notes else replace(state, notes=state.notes + (text,))


def _next_stage(state: State) -> State:
    return replace(
        state,
        stage=state.stage + 1,
        quiet=0,
        dialog=(),
        dialog_answered=False,
        dialog_retries=0,
        box_tapped=False,
        prechecked=None,
        gave_up=False,
        consent_answers=0,
        prompt_answers=0,
    )


def _tap(node: Node, label: str) -> Action:
    x, y = node.centre
    return Action("tap", x=x, y=y, label=label)


def _quiet(state: State, limits: Limits) -> tuple[Action | None, State]:
    """An ordinary screen: look again, or end the stage after quiet_rounds looks."""
    state = replace(state, quiet=state.quiet + 1)
    if state.quiet >= limits.quiet_rounds:
        return None, _next_stage(state)
    return Action("wait", seconds=limits.observe_seconds), state


def _answer_prompt(
    state: State, prompt: PermissionPrompt, policy: str, limits: Limits
) -> tuple[Action | None, State, list[Event]]:
    if state.prompt_answers >= limits.prompt_answers:
        state = _note(
            state, f"more than {limits.prompt_answers} permission prompts; left unanswered"
        )
        action, state = _quiet(state, limits)
        return action, state, []
    allow = policy == "agree"
    button = prompt.allow if allow else prompt.deny
    answered = [p for p in state.requested if prompt.group and permission_group(p) == prompt.group]
    if not answered and prompt.group is None:
        answered = list(state.requested)
    names = answered or ([f"android.permission-group.{prompt.group}"] if prompt.group else [])
    event: Event = {
        "kind": "permission",
        "event": "granted" if allow else "denied",
        "permissions": names,
    }
    state = replace(
        state,
        quiet=0,
        prompt_answers=state.prompt_answers + 1,
        requested=tuple(p for p in state.requested if p not in answered),
    )
    if button is None:
        if allow:
            state = _note(state, "a permission prompt had no allow button; pressed back")
            event["event"] = "denied"
        return Action("back", label="permission prompt"), state, [event]
    return _tap(button, button.label), state, [event]


def _answer_consent(
    state: State, dialog: ConsentDialog, policy: str, limits: Limits
) -> tuple[Action | None, State, list[Event]]:
    """Answer the app's consent dialog per ``policy``: "shown" once per dialog (a new set of
    texts), then tick an unticked consent box (agree only), then tap agree or decline, then
    retry a dialog that stays, then leave it as an ordinary screen."""
    events: list[Event] = []
    if dialog.signature != state.dialog:
        if state.consent_answers >= limits.consent_answers:
            state = _note(
                state, f"consent asked more than {limits.consent_answers} times; left unanswered"
            )
            state = replace(state, dialog=dialog.signature, gave_up=True)
            action, state = _quiet(state, limits)
            return action, state, []
        state = replace(
            state,
            dialog=dialog.signature,
            dialog_answered=False,
            dialog_retries=0,
            box_tapped=False,
            gave_up=False,
            prechecked=dialog.prechecked,
        )
        events.append(
            {
                "kind": "consent",
                "event": "shown",
                "text": dialog.text,
                "checkbox_prechecked": dialog.prechecked,
            }
        )
    if state.gave_up:
        action, state = _quiet(state, limits)
        return action, state, events
    box = dialog.checkbox
    if policy == "agree" and box is not None and not box.checked and not state.box_tapped:
        state = replace(state, box_tapped=True, quiet=0)
        return _tap(box, box.label or "consent checkbox"), state, events
    button = dialog.agree if policy == "agree" else dialog.decline
    if button is None and policy == "agree":
        state = _note(state, "a consent dialog had no agree button pica knows; not answered")
        action, state = _quiet(replace(state, gave_up=True), limits)
        return action, state, events
    if state.dialog_answered:  # answered, and still there
        if state.dialog_retries >= limits.dialog_retries:
            state = _note(state, "a consent dialog stayed after pica answered it; left as it was")
            action, state = _quiet(replace(state, gave_up=True), limits)
            return action, state, events
        state = replace(state, dialog_retries=state.dialog_retries + 1)
    else:
        state = replace(state, dialog_answered=True, consent_answers=state.consent_answers + 1)
        events.append(
            {
                "kind": "consent",
                "event": "accepted" if policy == "agree" else "declined",
                "text": button.label if button is not None else "",
                "checkbox_prechecked": state.prechecked,
            }
        )
    state = replace(state, quiet=0)
    if button is None:  # decline, and no decline button: the back key refuses
        state = _note(state, "a consent dialog had no decline button pica knows; pressed back")
        return Action("back", label="consent dialog"), state, events
    return _tap(button, button.label), state, events


def _interact(
    state: State, nodes: tuple[Node, ...], policy: str, limits: Limits
) -> tuple[Action | None, State, list[Event]]:
    prompt = find_permission_prompt(nodes)
    if prompt is not None:
        return _answer_prompt(state, prompt, policy, limits)
    dialog = find_consent_dialog(nodes, state.package)
    if dialog is not None:
        return _answer_consent(state, dialog, policy, limits)
    if not nodes:
        state = _note(state, "a screen dump could not be read")
    elif not app_on_screen(nodes, state.package):
        state = _note(state, "the app left the screen")
    action, state = _quiet(state, limits)
    return action, state, []


_LIFECYCLE = {"launch": "launch", "relaunch": "relaunch", "stop": "kill", "home": "background",
              "foreground": "foreground"}  # fmt: skip


def step(
    scenario: Scenario | str,
    state: State,
    xml: str | bytes,
    limits: Limits | None = None,
) -> tuple[Action, State, list[Event]]:
    """The next action for ``scenario`` given the current screen, the new state, and the trace
    events the action stands for (``kind`` plus fields; the caller adds ``v`` and ``t``)."""
    limits = limits or Limits()
    plan = PLANS[Scenario(scenario)]
    state = replace(state, steps=state.steps + 1)
    if state.steps > limits.max_steps:
        return Action("done"), _note(state, f"stopped after {limits.max_steps} steps"), []
    nodes: tuple[Node, ...] | None = None
    while state.stage < len(plan):
        kind, arg = plan[state.stage]
        if kind in ("launch", "relaunch"):
            event = {"kind": "lifecycle", "event": _LIFECYCLE[kind]}
            return Action("launch", clear_data=kind == "launch"), _next_stage(state), [event]
        if kind in ("stop", "home", "foreground"):
            event = {"kind": "lifecycle", "event": _LIFECYCLE[kind]}
            return Action(kind), _next_stage(state), [event]
        if kind == "observe":
            state = replace(state, quiet=state.quiet + 1)
            if state.quiet > limits.background_rounds:
                state = _next_stage(state)
                continue
            return Action("wait", seconds=limits.observe_seconds), state, []
        # interact
        if nodes is None:
            nodes = parse_hierarchy(xml)
        action, state, events = _interact(state, nodes, arg, limits)
        if action is not None:
            return action, state, events
        # the stage ended on this screen: go on with the next stage, on the same screen
    return Action("done"), state, []
