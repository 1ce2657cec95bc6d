"""The recorder's scenario logic over constructed uiautomator dumps (tests/fixtures/ui, README
there): each scenario stepped end to end over a sequence of screens, asserting every action and
every trace event; the screen readers (consent dialog, checkbox, permission prompt) on their own;
and the trace writer. No device is involved."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest

from pica.record.scenario import (
    Action,
    Limits,
    Scenario,
    State,
    find_consent_dialog,
    find_permission_prompt,
    initial_state,
    needs_screen,
    parse_hierarchy,
    remember_requested,
    requested_event,
    step,
)
from pica.record.trace import TraceWriter

UI = Path(__file__).parent / "fixtures" / "ui"
APP = "com.example.shop"
FINE = "android.permission.ACCESS_FINE_LOCATION"
COARSE = "android.permission.ACCESS_COARSE_LOCATION"


def screen(name: str) -> str:
    return (UI / f"{name}.xml").read_text(encoding="utf-8")


def drive(
    scenario: Scenario,
    screens: list[str],
    requested: dict[int, list[str]] | None = None,
    limits: Limits | None = None,
) -> tuple[list[tuple[Action, list[dict]]], State]:
    """Step ``scenario`` to done. A screen is consumed only when the step reads one;
    ``requested[n]`` is what the hooks report before step n (0-based)."""
    state, steps, todo = initial_state(APP), [], list(screens)
    for n in range(100):
        if requested and n in requested:
            state = remember_requested(state, requested[n])
        xml = screen(todo.pop(0)) if needs_screen(scenario, state) else ""
        action, state, events = step(scenario, state, xml, limits)
        steps.append((action, events))
        if action.kind == "done":
            break
    assert todo == [], f"screens left over: {todo}"
    return steps, state


def summary(steps: list[tuple[Action, list[dict]]]) -> list[tuple]:
    """(action kind, label or position, [events without the dialog's long text])."""
    out = []
    for action, events in steps:
        where = (action.x, action.y) if action.kind == "tap" else action.label or None
        if action.kind == "launch":
            where = "clear" if action.clear_data else "keep"
        evs = []
        for e in events:
            e = dict(e)
            if e["kind"] == "consent" and e["event"] == "shown":
                assert "隐私政策" in e.pop("text")
            evs.append(e)
        out.append((action.kind, where, evs))
    return out


LAUNCH = {"kind": "lifecycle", "event": "launch"}
WAIT = ("wait", None, [])
DONE = ("done", None, [])


def consent(event: str, text: str | None = None, prechecked: bool | None = None) -> dict:
    e = {"kind": "consent", "event": event, "checkbox_prechecked": prechecked}
    if text is not None:
        e["text"] = text
    return e


def test_first_run_agree_ticks_the_box_agrees_and_allows() -> None:
    steps, state = drive(
        Scenario.first_run_agree,
        [
            "consent_checkbox",  # box not ticked: tick it first
            "consent_checkbox_checked",  # the same dialog, now ticked: agree
            "permission_location",
            "permission_phone_en",
            "home",
            "home",
            "home",
        ],
        requested={3: [FINE, COARSE]},
    )
    assert summary(steps) == [
        ("launch", "clear", [LAUNCH]),
        ("tap", (156, 1485), [consent("shown", prechecked=False)]),
        ("tap", (768, 1638), [consent("accepted", "同意", prechecked=False)]),
        (
            "tap",
            (540, 1702),
            [{"kind": "permission", "event": "granted", "permissions": [FINE, COARSE]}],
        ),
        # the hooks reported no request for this one: the prompt's group stands in
        (
            "tap",
            (540, 1702),
            [
                {
                    "kind": "permission",
                    "event": "granted",
                    "permissions": ["android.permission-group.PHONE"],
                }
            ],
        ),
        WAIT,
        WAIT,
        DONE,
    ]
    assert steps[3][0].label == "仅在使用该应用期间允许"
    assert steps[4][0].label == "Allow"
    assert state.notes == ()
    assert state.requested == ()


def test_first_run_agree_with_a_prechecked_box_records_it() -> None:
    steps, state = drive(
        Scenario.first_run_agree, ["consent_checkbox_checked", "home", "home", "home"]
    )
    assert summary(steps) == [
        ("launch", "clear", [LAUNCH]),
        (
            "tap",
            (768, 1638),
            [consent("shown", prechecked=True), consent("accepted", "同意", True)],
        ),
        WAIT,
        WAIT,
        DONE,
    ]


def test_first_run_decline_declines_twice_and_watches_the_app_leave() -> None:
    steps, state = drive(
        Scenario.first_run_decline,
        ["consent_dialog", "consent_second_ask", "launcher", "launcher", "launcher"],
    )
    assert summary(steps) == [
        ("launch", "clear", [LAUNCH]),
        ("tap", (312, 1638), [consent("shown"), consent("declined", "不同意")]),
        ("tap", (312, 1638), [consent("shown"), consent("declined", "不同意并退出")]),
        WAIT,
        WAIT,
        DONE,
    ]
    assert state.notes == ("the app left the screen",)


def test_decline_then_relaunch() -> None:
    steps, state = drive(
        Scenario.decline_then_relaunch,
        [
            "consent_dialog",
            "launcher",
            "launcher",
            "launcher",
            # relaunched: asked again, declined again; a permission prompt is denied
            "consent_dialog",
            "permission_location",
            "home",
            "home",
            "home",
        ],
        requested={7: [FINE]},
    )
    assert summary(steps) == [
        ("launch", "clear", [LAUNCH]),
        ("tap", (312, 1638), [consent("shown"), consent("declined", "不同意")]),
        WAIT,
        WAIT,
        ("stop", None, [{"kind": "lifecycle", "event": "kill"}]),
        ("launch", "keep", [{"kind": "lifecycle", "event": "relaunch"}]),
        ("tap", (312, 1638), [consent("shown"), consent("declined", "不同意")]),
        ("tap", (540, 1996), [{"kind": "permission", "event": "denied", "permissions": [FINE]}]),
        WAIT,
        WAIT,
        DONE,
    ]
    assert steps[7][0].label == "不允许"


def test_background_goes_home_waits_and_comes_back() -> None:
    steps, state = drive(
        Scenario.background,
        ["consent_dialog", "home", "home", "home", "home", "home", "home"],
    )
    assert summary(steps) == [
        ("launch", "clear", [LAUNCH]),
        ("tap", (768, 1638), [consent("shown"), consent("accepted", "同意并继续")]),
        WAIT,
        WAIT,
        ("home", None, [{"kind": "lifecycle", "event": "background"}]),
        WAIT,  # three looks with the app in the background (no screen read)
        WAIT,
        WAIT,
        ("foreground", None, [{"kind": "lifecycle", "event": "foreground"}]),
        WAIT,
        WAIT,
        DONE,
    ]
    assert [a.seconds for a, _ in steps if a.kind == "wait"] == [5.0] * 7


def test_the_limits_shape_the_waits() -> None:
    limits = Limits(observe_seconds=1.5, quiet_rounds=1, background_rounds=1)
    steps, _ = drive(Scenario.background, ["consent_dialog", "home", "home"], limits=limits)
    assert [a.kind for a, _ in steps] == ["launch", "tap", "home", "wait", "foreground", "done"]
    assert steps[3][0].seconds == 1.5


def test_a_dialog_that_stays_is_tapped_again_then_left() -> None:
    limits = Limits(dialog_retries=2)
    steps, state = drive(
        Scenario.first_run_decline,
        ["consent_dialog"] * 6,
        limits=limits,
    )
    kinds = [(a.kind, len(e)) for a, e in steps]
    # first answer (shown + declined), two silent retries, then it is an ordinary screen
    assert kinds == [
        ("launch", 1),
        ("tap", 2),
        ("tap", 0),
        ("tap", 0),
        ("wait", 0),
        ("wait", 0),
        ("done", 0),
    ]
    assert state.notes == ("a consent dialog stayed after pica answered it; left as it was",)


def test_a_dialog_that_keeps_coming_back_is_answered_a_bounded_number_of_times() -> None:
    limits = Limits(consent_answers=2)
    steps, state = drive(
        Scenario.first_run_decline,
        ["consent_dialog", "consent_second_ask", "consent_dialog", "consent_second_ask", "home"],
        limits=limits,
    )
    declined = [e for _, es in steps for e in es if e.get("event") == "declined"]
    assert len(declined) == 2
    assert [a.kind for a, _ in steps] == ["launch", "tap", "tap", "wait", "wait", "done"]
    assert "consent asked more than 2 times; left unanswered" in state.notes


def test_decline_without_a_decline_button_presses_back() -> None:
    xml = screen("consent_dialog").replace('text="不同意"', 'text="查看详情"')
    state = replace(initial_state(APP), stage=1)
    action, state, events = step(Scenario.first_run_decline, state, xml)
    assert action.kind == "back"
    assert [e["event"] for e in events] == ["shown", "declined"]
    assert events[1]["text"] == ""
    assert state.notes == ("a consent dialog had no decline button pica knows; pressed back",)


def test_agree_without_an_agree_button_taps_nothing() -> None:
    xml = screen("consent_dialog").replace('text="同意并继续"', 'text="下一步"')
    state = replace(initial_state(APP), stage=1)
    action, state, events = step(Scenario.first_run_agree, state, xml)
    assert action.kind == "wait"
    assert [e["event"] for e in events] == ["shown"]
    assert state.notes == ("a consent dialog had no agree button pica knows; not answered",)


def test_the_recording_stops_after_max_steps() -> None:
    limits = Limits(max_steps=3, quiet_rounds=100)
    steps, state = drive(Scenario.first_run_agree, ["home", "home", "home"], limits=limits)
    assert [a.kind for a, _ in steps] == ["launch", "wait", "wait", "done"]
    assert state.notes == ("stopped after 3 steps",)


def test_an_unreadable_screen_is_noted_and_waited_on() -> None:
    state = replace(initial_state(APP), stage=1)
    action, state, events = step(Scenario.first_run_agree, state, "<not xml")
    assert (action.kind, events) == ("wait", [])
    assert state.notes == ("a screen dump could not be read",)


def test_requested_permissions() -> None:
    state = remember_requested(initial_state(APP), [FINE, COARSE])
    state = remember_requested(state, [FINE, "android.permission.CAMERA"])
    assert state.requested == (FINE, COARSE, "android.permission.CAMERA")
    assert requested_event([FINE]) == {
        "kind": "permission",
        "event": "requested",
        "permissions": [FINE],
    }
    # answering the location prompt leaves the camera pending
    state = replace(state, stage=1)
    _, state, events = step(Scenario.first_run_agree, state, screen("permission_location"))
    assert events[0]["permissions"] == [FINE, COARSE]
    assert state.requested == ("android.permission.CAMERA",)


# ---- the screen readers


def test_parse_hierarchy_reads_the_dump() -> None:
    nodes = parse_hierarchy(screen("consent_checkbox"))
    box = next(n for n in nodes if n.class_name == "android.widget.CheckBox")
    assert box.bounds == (126, 1455, 186, 1515)
    assert box.centre == (156, 1485)
    assert (box.checkable, box.checked, box.clickable) == (True, False, True)
    assert nodes[box.parent].resource_id == f"{APP}:id/ll_agree"
    assert all(n.package == APP for n in nodes)


@pytest.mark.parametrize(
    "name, agree, decline, prechecked",
    [
        ("consent_dialog", "同意并继续", "不同意", None),
        ("consent_checkbox", "同意", "暂不同意", False),
        ("consent_checkbox_checked", "同意", "暂不同意", True),
        ("consent_second_ask", "同意并继续", "不同意并退出", None),
    ],
)
def test_consent_dialogs(name: str, agree: str, decline: str, prechecked: bool | None) -> None:
    dialog = find_consent_dialog(parse_hierarchy(screen(name)), APP)
    assert dialog is not None
    assert dialog.agree is not None and dialog.agree.text == agree
    assert dialog.decline is not None and dialog.decline.text == decline
    assert dialog.prechecked is prechecked
    assert "《隐私政策》" in dialog.text


@pytest.mark.parametrize("name", ["home", "launcher", "permission_location", "permission_phone_en"])
def test_not_consent_dialogs(name: str) -> None:
    """The home screen says 登录即表示您同意《用户协议》和《隐私政策》 but has no button that is
    only an agree word: not a dialog. Nor is the system's permission prompt."""
    assert find_consent_dialog(parse_hierarchy(screen(name)), APP) is None


def test_another_apps_dialog_is_not_the_apps() -> None:
    xml = screen("consent_dialog").replace(APP, "com.other.app")
    assert find_consent_dialog(parse_hierarchy(xml), APP) is None
    assert find_consent_dialog(parse_hierarchy(xml)) is not None


def test_an_agree_button_without_privacy_words_is_left_alone() -> None:
    """A friend request's 同意 is not consent to a privacy policy."""
    xml = (
        "<?xml version='1.0' encoding='UTF-8' standalone='yes' ?><hierarchy rotation=\"0\">"
        f'<node index="0" text="张三 请求添加你为好友" resource-id="" class="android.widget.TextView" package="{APP}" content-desc="" checkable="false" checked="false" clickable="false" enabled="true" focusable="false" focused="false" scrollable="false" long-clickable="false" password="false" selected="false" bounds="[0,100][1080,200]" />'
        f'<node index="1" text="同意" resource-id="" class="android.widget.Button" package="{APP}" content-desc="" checkable="false" checked="false" clickable="true" enabled="true" focusable="true" focused="false" scrollable="false" long-clickable="false" password="false" selected="false" bounds="[0,300][540,400]" />'
        "</hierarchy>"
    )
    assert find_consent_dialog(parse_hierarchy(xml), APP) is None


def test_words_match_whole_labels_only() -> None:
    """不同意 is not 同意; spaces, width and case do not matter."""
    xml = screen("consent_dialog").replace('text="同意并继续"', 'text="Ａ g r e e"')
    dialog = find_consent_dialog(parse_hierarchy(xml), APP)
    assert dialog is not None
    assert dialog.agree is not None and dialog.agree.text == "Ａ g r e e"
    assert dialog.decline is not None and dialog.decline.text == "不同意"
    only_decline = screen("consent_dialog").replace('text="同意并继续"', 'text="继续"')
    dialog = find_consent_dialog(parse_hierarchy(only_decline), APP)
    assert dialog is not None and dialog.agree is None


def test_permission_prompts() -> None:
    zh = find_permission_prompt(parse_hierarchy(screen("permission_location")))
    assert zh is not None
    assert zh.group == "LOCATION"
    assert zh.message == "要允许“示例商城”获取此设备的位置信息吗？"
    assert zh.allow is not None and zh.allow.resource_id.endswith(
        "permission_allow_foreground_only_button"
    )
    assert zh.deny is not None and zh.deny.text == "不允许"
    en = find_permission_prompt(parse_hierarchy(screen("permission_phone_en")))
    assert en is not None and en.group == "PHONE"
    assert en.allow is not None and en.allow.text == "Allow"
    assert en.deny is not None and en.deny.text == "Don\u2019t allow"
    # an OEM skin with other ids: the words still find the buttons
    oem = screen("permission_location").replace("permission_allow_foreground_only_button", "btn_a")
    oem = oem.replace("permission_allow_one_time_button", "btn_b").replace(
        "permission_deny_button", "btn_c"
    )
    oem = oem.replace("com.android.permissioncontroller", "com.google.android.permissioncontroller")
    prompt = find_permission_prompt(parse_hierarchy(oem))
    assert prompt is not None
    assert prompt.allow is not None and prompt.allow.text == "仅在使用该应用期间允许"
    assert prompt.deny is not None and prompt.deny.text == "不允许"
    for name in ("home", "launcher", "consent_dialog"):
        assert find_permission_prompt(parse_hierarchy(screen(name))) is None


def test_hostile_dumps_are_read_safely(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOPSECRET", encoding="utf-8")
    xxe = (
        f'<?xml version="1.0"?><!DOCTYPE hierarchy [<!ENTITY x SYSTEM "file://{secret}">]>'
        '<hierarchy rotation="0"><node index="0" text="&x;" package="a.b" bounds="[0,0][10,10]" />'
        "</hierarchy>"
    )
    nodes = parse_hierarchy(xxe)
    assert "TOPSECRET" not in "".join(n.text for n in nodes)
    laughs = (
        '<?xml version="1.0"?><!DOCTYPE h [<!ENTITY a "aaaaaaaaaa">'
        + "".join(
            f'<!ENTITY {c} "{("&" + p + ";") * 10}">'
            for p, c in zip("abcdefgh", "bcdefghi", strict=True)
        )
        + ']><hierarchy rotation="0"><node index="0" text="&i;" package="a.b" bounds="[0,0][10,10]" /></hierarchy>'
    )
    assert sum(len(n.text) for n in parse_hierarchy(laughs)) < 1000
    assert parse_hierarchy("") == ()
    assert parse_hierarchy("<html><body>no</body></html>") == ()
    assert parse_hierarchy(b"\x00\xff\xfe garbage") == ()
    assert parse_hierarchy('<hierarchy rotation="0"/>' + " " * (17 * 1024 * 1024)) == ()
    node = parse_hierarchy('<hierarchy><node text="x" bounds="[1,2][bad]" /></hierarchy>')[0]
    assert node.bounds is None and not node.visible


# ---- the trace writer


def test_trace_writer(tmp_path: Path) -> None:
    ticks = iter([100.0, 100.0, 100.25, 101.0, 102.5, 103.0, 104.0])
    writer = TraceWriter(tmp_path, clock=lambda: next(ticks))
    writer.write({"kind": "lifecycle", "event": "launch"})
    writer.screen(screen("consent_dialog"))
    writer.api(
        {
            "type": "pica:api",
            "api": "android.telephony.TelephonyManager.getDeviceId",
            "pi_type": "imei",
            "stack": ["android.telephony.TelephonyManager.getDeviceId", "a.B.c", 7],
            "thread": "main",
            "args": "",
            "ret": "String(len 15) sha256:0011223344556677",
            "extra": "ignored",
        }
    )
    writer.write({"kind": "lifecycle", "event": "background"})
    writer.api({"api": "android.location.Location.getLatitude", "pi_type": "not-a-type"})
    assert writer.api({"api": "bad api name; drop table"}) is None
    writer.close()
    lines = [json.loads(x) for x in (tmp_path / "trace.jsonl").read_text("utf-8").splitlines()]
    assert lines == [
        {"v": 1, "t": 0, "kind": "lifecycle", "event": "launch"},
        {"v": 1, "t": 250, "kind": "ui", "screen": "ui-001.xml"},
        {
            "v": 1,
            "t": 1000,
            "kind": "api",
            "api": "android.telephony.TelephonyManager.getDeviceId",
            "pi_type": "imei",
            "stack": ["android.telephony.TelephonyManager.getDeviceId", "a.B.c"],
            "thread": "main",
            "foreground": True,
            "args": "",
            "ret": "String(len 15) sha256:0011223344556677",
        },
        {"v": 1, "t": 2500, "kind": "lifecycle", "event": "background"},
        {
            "v": 1,
            "t": 3000,
            "kind": "api",
            "api": "android.location.Location.getLatitude",
            "pi_type": None,
            "stack": [],
            "thread": "",
            "foreground": False,
            "args": "",
            "ret": "",
        },
    ]
    assert (tmp_path / "ui-001.xml").read_text("utf-8") == screen("consent_dialog")
    assert writer.dropped == 1
    assert writer.counts == {"lifecycle": 2, "ui": 1, "api": 2}
    with pytest.raises(FileExistsError):  # a recording never overwrites another
        TraceWriter(tmp_path)
    other = tmp_path / "other"
    other.mkdir()
    with pytest.raises(ValueError):  # only the recorder's kinds
        TraceWriter(other).write({"kind": "net"})


def test_consent_ui_data() -> None:
    """The reviewed word lists (knowledge/data/consent_ui.yaml) are usable as the code reads them."""
    from pica.knowledge import consent_ui, permissions
    from pica.record.scenario import normalise

    ui = consent_ui()
    agree, decline = {normalise(w) for w in ui.agree}, {normalise(w) for w in ui.decline}
    assert agree and decline and not agree & decline
    assert {normalise(w) for w in ui.allow}.isdisjoint(normalise(w) for w in ui.deny)
    assert "同意" in agree and "不同意" in decline and "agree" in agree
    assert not {"确定", "好的", "ok", "取消", "cancel"} & (agree | decline)  # ambiguous on purpose
    groups = {p.group for p in permissions().values() if p.group}
    assert {g.group for g in ui.permission_groups} <= groups
    assert "com.android.permissioncontroller" in ui.prompt_packages
    assert [(m.class_name, m.member) for m in ui.request_methods] == [
        ("android.app.Activity", "requestPermissions")
    ]


def test_a_dialog_over_the_app_is_read_without_the_screen_behind_it() -> None:
    """Dialog windows may come in one dump with the activity behind them: the dialog's text and
    signature are its own subtree's, so a banner changing behind it is not a new dialog."""
    dialog_root = (
        screen("consent_dialog")
        .split('<hierarchy rotation="0">\n', 1)[1]
        .rsplit("</hierarchy>", 1)[0]
    )

    def overlaid(banner: str) -> str:
        behind = screen("home").replace("限时秒杀", banner)
        return behind.replace("</hierarchy>", dialog_root + "</hierarchy>")

    first = find_consent_dialog(parse_hierarchy(overlaid("限时秒杀")), APP)
    second = find_consent_dialog(parse_hierarchy(overlaid("新人专享")), APP)
    assert first is not None and second is not None
    assert "限时秒杀" not in first.text and "登录 / 注册" not in first.text
    assert first.text.startswith("用户协议与隐私政策\n")
    assert first.signature == second.signature
    state = replace(initial_state(APP), stage=1)
    _, state, events = step(Scenario.first_run_decline, state, overlaid("限时秒杀"))
    assert [e["event"] for e in events] == ["shown", "declined"]
    _, state, events = step(Scenario.first_run_decline, state, overlaid("新人专享"))
    assert events == []  # the same dialog, still there: tapped again, not shown again
