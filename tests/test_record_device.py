"""The device layer and ``pica record`` without a device: uiautomator2 and Frida are replaced by
fakes that model only the calls pica makes (they serve the fixture screens and send the messages
the hook script would). What the real libraries do with a real phone is not tested here."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import types
from pathlib import Path
from typing import Any

import pytest
import typer
from typer.testing import CliRunner

from pica.record.cli import record_command
from pica.record.device import (
    DEVICE_EXTRA,
    Backends,
    MissingExtra,
    Recorder,
    RecordError,
    java_bridge_prelude,
    load_backends,
)
from pica.record.hooks import hook_script
from pica.record.scenario import Limits, Scenario

UI = Path(__file__).parent / "fixtures" / "ui"
APP = "com.example.shop"
ROOT = Path(__file__).resolve().parents[1]


def screen(name: str) -> str:
    return (UI / f"{name}.xml").read_text(encoding="utf-8")


def api_message(api: str, pi_type: str) -> dict:
    return {
        "type": "send",
        "payload": {
            "type": "pica:api",
            "api": api,
            "pi_type": pi_type,
            "stack": [api, "com.example.shop.App.onCreate"],
            "thread": "main",
            "args": "",
            "ret": "String(len 15) sha256:0011223344556677",
        },
    }


class FakeScript:
    def __init__(self, world: World, source: str) -> None:
        self.world, self.source, self.handler = world, source, None

    def on(self, signal: str, handler: Any) -> None:
        assert signal == "message"
        self.handler = handler

    def load(self) -> None:
        self.world.log.append("script.load")

    def post(self, message: dict) -> None:
        self.world.log.append(f"post {message['type']}")
        self.world.posted.append(message)
        self.world.send({"type": "send", "payload": {"type": "pica:hooks", "hooked": 250,
                                                     "missing": ["com.amap.api.location.AMapLocationClient"],
                                                     "failed": []}})  # fmt: skip


class FakeSession:
    def __init__(self, world: World) -> None:
        self.world = world

    def on(self, signal: str, handler: Any) -> None:
        assert signal == "detached"
        self.world.detached = handler

    def create_script(self, source: str) -> FakeScript:
        self.world.script = FakeScript(self.world, source)
        return self.world.script

    def detach(self) -> None:
        self.world.log.append("detach")


class FakeFridaDevice:
    def __init__(self, world: World) -> None:
        self.world = world

    def spawn(self, program: str) -> int:
        self.world.log.append(f"spawn {program}")
        return 4242

    def attach(self, pid: int) -> FakeSession:
        self.world.log.append(f"attach {pid}")
        return FakeSession(self.world)

    def resume(self, pid: int) -> None:
        self.world.log.append(f"resume {pid}")
        # the app starts: an SDK reads the IMEI before any dialog, then asks for location
        self.world.send(api_message("android.telephony.TelephonyManager.getDeviceId", "imei"))
        self.world.send(
            {
                "type": "send",
                "payload": {
                    "type": "pica:permission",
                    "permissions": ["android.permission.ACCESS_FINE_LOCATION"],
                },
            }  # fmt: skip
        )


class FakeU2Device:
    def __init__(self, world: World) -> None:
        self.world = world

    def dump_hierarchy(self) -> str:
        name = self.world.screens.pop(0)
        self.world.log.append(f"dump {name}")
        return screen(name)

    def click(self, x: int, y: int) -> None:
        self.world.log.append(f"click {x},{y}")
        if (x, y) == (768, 1638):  # the agree button: collection starts
            self.world.send(api_message("android.location.LocationManager.getLastKnownLocation",
                                        "location_precise"))  # fmt: skip

    def press(self, key: str) -> None:
        self.world.log.append(f"press {key}")
        if key == "home":  # in the background, the app reads the clipboard
            self.world.send(
                api_message("android.content.ClipboardManager.getPrimaryClip", "clipboard")
            )

    def app_clear(self, package: str) -> None:
        self.world.log.append(f"clear {package}")

    def app_stop(self, package: str) -> None:
        self.world.log.append(f"stop {package}")

    def app_start(self, package: str) -> None:
        self.world.log.append(f"start {package}")


class World:
    """Both fakes and what happened to them."""

    def __init__(self, screens: list[str], frida_version: str = "17.2.0") -> None:
        self.screens = list(screens)
        self.log: list[str] = []
        self.posted: list[dict] = []
        self.script: FakeScript | None = None
        self.detached: Any = None
        self.u2 = types.ModuleType("uiautomator2")
        self.u2.__version__ = "3.0.0"  # type: ignore[attr-defined]
        self.u2.connect = self._connect  # type: ignore[attr-defined]
        self.frida = types.ModuleType("frida")
        self.frida.__version__ = frida_version  # type: ignore[attr-defined]
        self.frida.get_device = self._get_device  # type: ignore[attr-defined]

    def _connect(self, serial: str) -> FakeU2Device:
        self.log.append(f"u2.connect {serial}")
        return FakeU2Device(self)

    def _get_device(self, serial: str, timeout: int = 0) -> FakeFridaDevice:
        self.log.append(f"frida.get_device {serial}")
        return FakeFridaDevice(self)

    def send(self, message: dict) -> None:
        assert self.script is not None and self.script.handler is not None
        self.script.handler(message, None)

    @property
    def backends(self) -> Backends:
        return Backends(u2=self.u2, frida=self.frida)


@pytest.fixture
def fake_bridge(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """frida-tools as pica uses it: only its bridges/java.js."""
    package = tmp_path / "frida_tools"
    (package / "bridges").mkdir(parents=True)
    (package / "__init__.py").write_text("")
    source = "var bridge = { fake: true };"
    (package / "bridges" / "java.js").write_text(source)
    module = types.ModuleType("frida_tools")
    module.__file__ = str(package / "__init__.py")
    monkeypatch.setitem(sys.modules, "frida_tools", module)
    return source


def ticking() -> Any:
    now = [0.0]

    def clock() -> float:
        now[0] += 0.125
        return now[0]

    return clock


def trace(folder: Path) -> list[dict]:
    return [json.loads(x) for x in (folder / "trace.jsonl").read_text("utf-8").splitlines()]


def test_first_run_agree_on_fake_backends(tmp_path: Path, fake_bridge: str) -> None:
    world = World(["consent_dialog", "permission_location", "home", "home", "home"])
    out = tmp_path / "rec"
    result = Recorder(
        "emulator-5554",
        APP,
        Scenario.first_run_agree,
        out,
        backends=world.backends,
        sleep=lambda s: world.log.append(f"sleep {s}"),
        clock=ticking(),
        log=lambda line: None,
    ).run()

    assert world.log == [
        "u2.connect emulator-5554",
        "frida.get_device emulator-5554",
        f"clear {APP}",
        f"spawn {APP}",
        "attach 4242",
        "script.load",
        "post pica:config",
        "resume 4242",
        "sleep 5.0",
        "dump consent_dialog",
        "click 768,1638",
        "sleep 1.5",
        "dump permission_location",
        "click 540,1702",
        "sleep 1.5",
        "dump home",
        "sleep 5.0",
        "dump home",
        "sleep 5.0",
        "dump home",
        "detach",
    ]
    assert world.script is not None
    assert world.script.source == java_bridge_prelude(world.frida) + hook_script()
    assert world.script.source.startswith("(function () {\n" + fake_bridge)
    salt = world.posted[0]["salt"]
    assert len(salt) == 32 and int(salt, 16) >= 0

    events = trace(out)
    assert [(e["kind"], e.get("event") or e.get("api") or e.get("screen")) for e in events] == [
        ("lifecycle", "launch"),
        ("api", "android.telephony.TelephonyManager.getDeviceId"),
        ("permission", "requested"),
        ("ui", "ui-001.xml"),
        ("consent", "shown"),
        ("consent", "accepted"),
        ("api", "android.location.LocationManager.getLastKnownLocation"),
        ("ui", "ui-002.xml"),
        ("permission", "granted"),
        ("ui", "ui-003.xml"),
        ("ui", "ui-004.xml"),
        ("ui", "ui-005.xml"),
    ]
    assert all(e["v"] == 1 and isinstance(e["t"], int) for e in events)
    times = [e["t"] for e in events]
    assert times == sorted(times)
    pre, post = events[1], events[6]
    assert pre["foreground"] is True and pre["pi_type"] == "imei"
    assert post["t"] > events[5]["t"]  # caused by the tap: stamped after the accepted event
    assert events[8]["permissions"] == ["android.permission.ACCESS_FINE_LOCATION"]
    for n, name in enumerate(["consent_dialog", "permission_location", "home", "home", "home"], 1):
        assert (out / f"ui-{n:03d}.xml").read_text("utf-8") == screen(name)
    assert (out / "hooks.js").read_text("utf-8") == hook_script()
    meta = json.loads((out / "recording.json").read_text("utf-8"))
    assert meta["hooks"] == {
        "hooked": 250,
        "missing": ["com.amap.api.location.AMapLocationClient"],
        "failed": [],
    }
    assert meta["scenario"] == "first-run-agree" and meta["frida"] == "17.2.0"
    assert meta["events"] == {"api": 2, "consent": 2, "lifecycle": 1, "permission": 2, "ui": 5}
    for path in out.iterdir():  # the salt is never written
        assert salt not in path.read_text("utf-8"), path
    assert result.screens == 5 and result.notes == []


def test_decline_then_relaunch_on_fake_backends(tmp_path: Path) -> None:
    world = World(
        ["consent_dialog", "launcher", "consent_dialog", "launcher"], frida_version="16.5.9"
    )
    out = tmp_path / "rec"
    limits = Limits(quiet_rounds=1)
    result = Recorder(
        "SER1AL", APP, Scenario.decline_then_relaunch, out, limits=limits,
        backends=world.backends, sleep=lambda s: None, clock=ticking(), log=lambda line: None,
    ).run()  # fmt: skip
    assert [x for x in world.log if not x.startswith(("dump", "sleep"))] == [
        "u2.connect SER1AL",
        "frida.get_device SER1AL",
        f"clear {APP}",
        f"spawn {APP}",
        "attach 4242",
        "script.load",
        "post pica:config",
        "resume 4242",
        "click 312,1638",
        "detach",  # stop: unhook, then force-stop
        f"stop {APP}",
        f"spawn {APP}",  # relaunch keeps the data
        "attach 4242",
        "script.load",
        "post pica:config",
        "resume 4242",
        "click 312,1638",
        "detach",
    ]
    assert world.script is not None and world.script.source == hook_script()  # Frida 16: no bridge
    lifecycle = [e["event"] for e in trace(out) if e["kind"] == "lifecycle"]
    assert lifecycle == ["launch", "kill", "relaunch"]
    consent = [e["event"] for e in trace(out) if e["kind"] == "consent"]
    assert consent == ["shown", "declined", "shown", "declined"]
    assert result.notes == ["the app left the screen"]


def test_background_on_fake_backends(tmp_path: Path, fake_bridge: str) -> None:
    world = World(["consent_dialog", "home", "home"])
    limits = Limits(quiet_rounds=1, background_rounds=2, observe_seconds=2.0)
    out = tmp_path / "rec"
    Recorder(
        "S", APP, Scenario.background, out, limits=limits, backends=world.backends,
        sleep=lambda s: world.log.append(f"sleep {s}"), clock=ticking(), log=lambda line: None,
    ).run()  # fmt: skip
    tail = world.log[world.log.index("click 768,1638") :]
    assert tail == [
        "click 768,1638",
        "sleep 1.5",
        "dump home",
        "press home",
        "sleep 1.5",
        "sleep 2.0",
        "sleep 2.0",
        f"start {APP}",
        "sleep 1.5",
        "dump home",
        "detach",
    ]
    api = [e for e in trace(out) if e["kind"] == "api"]
    assert [(e["api"].rsplit(".", 1)[1], e["foreground"]) for e in api] == [
        ("getDeviceId", True),
        ("getLastKnownLocation", True),
        ("getPrimaryClip", False),  # after the background event
    ]


def test_a_folder_with_a_trace_is_refused(tmp_path: Path) -> None:
    (tmp_path / "trace.jsonl").write_text("")
    world = World([])
    with pytest.raises(RecordError, match="already holds a trace.jsonl"):
        Recorder("S", APP, Scenario.first_run_agree, tmp_path, backends=world.backends).run()
    assert world.log == []


def test_an_unreachable_device_is_one_line(tmp_path: Path) -> None:
    world = World([], frida_version="16.0.0")

    def refuse(serial: str) -> None:
        raise ConnectionError("device 'S' not found\nmore detail")

    world.u2.connect = refuse  # type: ignore[attr-defined]
    with pytest.raises(RecordError) as error:
        Recorder("S", APP, Scenario.first_run_agree, tmp_path / "r", backends=world.backends).run()
    assert (
        str(error.value)
        == "uiautomator2 cannot reach device S: ConnectionError: device 'S' not found"
    )
    assert not (tmp_path / "r").exists()


def test_a_device_lost_mid_recording_keeps_the_trace(tmp_path: Path, fake_bridge: str) -> None:
    world = World(["consent_dialog"])  # then the dump fails: adb went away
    out = tmp_path / "rec"
    recorder = Recorder(
        "S", APP, Scenario.first_run_agree, out, backends=world.backends,
        sleep=lambda s: None, clock=ticking(), log=lambda line: None,
    )  # fmt: skip
    with pytest.raises(RecordError) as error:
        recorder.run()
    assert (
        str(error.value)
        == f"recording stopped (IndexError: pop from empty list); the trace so far is in {out}"
    )
    kinds = [e["kind"] for e in trace(out)]
    assert kinds == ["lifecycle", "api", "permission", "ui", "consent", "consent", "api"]
    meta = json.loads((out / "recording.json").read_text("utf-8"))
    assert meta["events"]["consent"] == 2
    assert world.log[-1] == "detach"


def test_java_bridge_prelude(fake_bridge: str) -> None:
    assert java_bridge_prelude(types.SimpleNamespace(__version__="16.7.19")) == ""
    prelude = java_bridge_prelude(types.SimpleNamespace(__version__="17.0.0"))
    assert fake_bridge in prelude
    assert "Object.defineProperty(globalThis, 'Java', { value: bridge });" in prelude


def test_load_backends_without_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "uiautomator2", None)
    with pytest.raises(
        MissingExtra, match=r"^pica record needs the device extra: pip install 'pica\[device\]'$"
    ):
        load_backends()


# ---- pica record


def cli_app() -> typer.Typer:
    app = typer.Typer()
    app.command("record")(record_command)

    @app.callback()
    def main() -> None:  # a group, as on the main app: `pica record …`
        pass

    return app


ARGS = ["record", "--serial", "emulator-5554", "--package", APP, "--scenario", "first-run-agree"]

BLOCKED = """
import sys
sys.modules[{module!r}] = None  # as if the extra were not installed
import typer
from pica.record.cli import record_command
app = typer.Typer()
app.command("record")(record_command)
@app.callback()
def main() -> None:
    pass
app()
"""


@pytest.mark.parametrize("module", ["uiautomator2", "frida"])
def test_pica_record_without_the_extra_exits_2_with_one_line(tmp_path: Path, module: str) -> None:
    out = tmp_path / "out"
    result = subprocess.run(
        [sys.executable, "-c", BLOCKED.format(module=module), *ARGS, "-o", str(out)],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "PYTHONPATH": str(ROOT / "src")},
    )
    assert result.returncode == 2, result.stderr
    assert result.stderr == DEVICE_EXTRA + "\n"
    assert result.stdout == ""
    assert not out.exists()


def test_importing_the_recorder_imports_no_device_library() -> None:
    code = (
        "import sys, pica.record, pica.record.cli, pica.record.device, pica.record.hooks; "
        "print(sorted(m for m in ('uiautomator2', 'frida', 'frida_tools') if m in sys.modules))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]"


def test_pica_record_on_fake_backends(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    world = World(["consent_dialog", "home"], frida_version="16.1.0")
    monkeypatch.setitem(sys.modules, "uiautomator2", world.u2)
    monkeypatch.setitem(sys.modules, "frida", world.frida)
    monkeypatch.setattr("pica.record.device.time.sleep", lambda s: None)
    out = tmp_path / "rec"
    result = CliRunner().invoke(
        cli_app(), [*ARGS, "-o", str(out), "--rounds", "1", "--observe", "1"]
    )
    assert result.exit_code == 0, result.output
    assert (
        f"{out / 'trace.jsonl'}: 2 api, 2 consent, 1 lifecycle, 1 permission, 2 ui; 2 screens"
        in result.output
    )
    again = CliRunner().invoke(cli_app(), [*ARGS, "-o", str(out)])
    assert again.exit_code == 2
    assert "already holds a trace.jsonl" in again.output


def test_pica_record_refuses_a_bad_package(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    world = World([])
    monkeypatch.setitem(sys.modules, "uiautomator2", world.u2)
    monkeypatch.setitem(sys.modules, "frida", world.frida)
    args = ["record", "--serial", "S", "--package", "not a package; rm", "--scenario", "background"]
    result = CliRunner().invoke(cli_app(), [*args, "-o", str(tmp_path / "o")])
    assert result.exit_code == 2
    assert "not an Android package name" in result.output
    assert world.log == []


def test_the_script_loads_in_fridas_own_runtime(tmp_path: Path) -> None:
    """Only where the device extra is installed (not in the test venv): the bridge and the hook
    script load into a local Linux process with Frida's real runtime. That process has no Java
    VM, so the hooks themselves cannot go in; Java.perform says so, which shows the bridge was
    there and the pica:config message reached the script."""
    frida = pytest.importorskip("frida")
    pytest.importorskip("frida_tools")
    device = frida.get_local_device()
    try:
        pid = device.spawn(["/bin/sleep", "30"])
    except frida.NotSupportedError as e:  # pragma: no cover - depends on ptrace rights
        pytest.skip(f"Frida cannot spawn here: {e}")
    messages: list[dict] = []
    try:
        session = device.attach(pid)
        script = session.create_script(java_bridge_prelude(frida) + hook_script())
        script.on("message", lambda message, data: messages.append(message))
        script.load()
        script.post({"type": "pica:config", "salt": "00"})
        device.resume(pid)
        for _ in range(50):
            if messages:
                break
            time.sleep(0.1)
        session.detach()
    finally:
        device.kill(pid)
    assert messages and messages[0]["type"] == "error"
    assert "Java API not available" in messages[0]["description"]
