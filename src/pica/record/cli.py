"""``pica record``: the command, as a function the main typer app registers.

    app.command("record")(record_command)

Exit codes: 0 recorded; 2 the device extra is missing, the device cannot be reached or stopped
answering, or the arguments are wrong (one line on stderr says which). uiautomator2 and frida
are imported only when the command runs.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated

import typer

from pica.record.names import Scenario

_PACKAGE = re.compile(r"^[A-Za-z][A-Za-z0-9_]*(\.[A-Za-z][A-Za-z0-9_]*)+$")


def _fail(message: str) -> None:
    typer.echo(message, err=True)
    raise typer.Exit(2)


def record_command(
    serial: Annotated[
        str, typer.Option("--serial", help="The device or emulator, as 'adb devices' names it.")
    ],
    package: Annotated[str, typer.Option("--package", help="The app's package name.")],
    scenario: Annotated[
        Scenario,
        typer.Option(
            "--scenario",
            help="first-run-agree, first-run-decline, decline-then-relaunch or background.",
        ),
    ],
    output: Annotated[
        Path, typer.Option("-o", "--output", help="Folder for trace.jsonl and the UI dumps.")
    ],
    observe: Annotated[
        float, typer.Option("--observe", min=0.5, help="Seconds the app is watched per look.")
    ] = 5.0,
    rounds: Annotated[
        int,
        typer.Option(
            "--rounds",
            min=1,
            help="Quiet looks in a row that end a stage (and looks in the background).",
        ),
    ] = 3,
) -> None:
    """Drive the app through a consent scenario on a real device or emulator and record a trace:
    the sensitive API calls (Frida hooks generated from pica's API table), the consent dialog,
    permission prompts, lifecycle and every screen read. Needs the device extra."""
    from pica.record.device import Recorder, RecordError, load_backends
    from pica.record.scenario import Limits

    try:
        backends = load_backends()
    except RecordError as e:
        _fail(str(e))
        return
    if not _PACKAGE.match(package):
        _fail(f"not an Android package name: {package!r}")
    limits = Limits(observe_seconds=observe, quiet_rounds=rounds, background_rounds=rounds)
    try:
        result = Recorder(serial, package, scenario, output, limits=limits, backends=backends).run()
    except RecordError as e:
        _fail(str(e))
        return
    except OSError as e:
        _fail(f"cannot write the recording into {output}: {e.strerror or e}")
        return
    events = ", ".join(f"{n} {kind}" for kind, n in sorted(result.events.items())) or "no events"
    typer.echo(f"{result.folder / 'trace.jsonl'}: {events}; {result.screens} screens")
    for note in result.notes:
        typer.echo(f"note: {note}", err=True)
