"""Command line: thin calls into audit, render and knowledge.

Exit codes: 0 nothing at or above --fail-on; 1 findings at or above it; 2 bad input.

Start-up: this module imports only typer and rich; a command imports what it needs (the
extractors, numpy, lxml, jieba's tables) when it runs, so ``pica --help`` and ``pica version``
stay instant. Typer reads the commands' signatures, so the types they name stay here.
"""

from __future__ import annotations

import os
import sys
from contextlib import contextmanager
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console

from pica import __version__

if TYPE_CHECKING:
    from pica.report import Report

app = typer.Typer(
    name="pica",
    help="pica — Personal Information Compliance Auditor: audit Android apps and privacy policies "
    "against the 2019 App违法违规收集使用个人信息行为认定方法 (31 items).",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
err = Console(stderr=True)


class Format(StrEnum):
    html = "html"
    json = "json"
    md = "md"
    sarif = "sarif"


class FailOn(StrEnum):
    violation = "violation"
    inconclusive = "inconclusive"
    never = "never"


# Options several commands take, written once.
CategoryOption = Annotated[
    str | None,
    typer.Option("--category", help="App type of the 2021 provisions (see 'pica categories')."),
]
DeviceProfileOption = Annotated[
    Path | None,
    typer.Option("--device-profile", help="JSON: the identifiers seeded on the device."),
]
NetOption = Annotated[
    list[Path] | None,
    typer.Option(
        "--net", help="A network capture: HAR, pcap/pcapng or mitmproxy flows (repeatable)."
    ),
]


SUFFIX = {Format.html: ".html", Format.json: ".json", Format.md: ".md", Format.sarif: ".sarif"}


def demo_apk() -> Path:
    from importlib import resources

    return Path(str(resources.files("pica.demo").joinpath("settings_apk-debug.apk")))


@contextmanager
def _progress(enabled: bool):
    """A rich progress display on a terminal; silence otherwise (CI logs stay clean)."""
    if not enabled:
        yield lambda _msg: None
        return
    from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    with Progress(
        SpinnerColumn(),
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        TimeElapsedColumn(),
        console=err,
        transient=True,
    ) as progress:
        task = progress.add_task("auditing", total=None)
        yield lambda msg: progress.update(task, description=msg)


def _pick_format(fmt: Format | None, out: Path | None) -> Format:
    if fmt is not None:
        return fmt
    if out is not None:
        for candidate, suffix in SUFFIX.items():
            if out.suffix.lower() == suffix or (
                candidate is Format.sarif and out.name.endswith(".sarif.json")
            ):
                return candidate
    return Format.html


def _write(data: bytes, out: Path) -> None:
    """Write the report atomically: a crash never leaves a half-written or clobbered file."""
    import tempfile

    out.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".pica-", dir=out.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)
        os.replace(tmp, out)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _same_file(a: Path, b: Path) -> bool:
    try:
        if a.exists() and b.exists():
            return os.path.samefile(a, b)
        return a.resolve() == b.resolve()
    except (OSError, RuntimeError, ValueError):
        return False


def refuse_overwrite(target: Path, inputs: object) -> None:
    """Exit 2 when the report would land on one of the inputs (``-o app.apk`` replaced the APK
    with its own report): checked before any work is done."""
    for item in inputs if isinstance(inputs, list | tuple) else [inputs]:
        if item is None or (isinstance(item, str) and "://" in item):
            continue
        if _same_file(Path(target), Path(os.fspath(item))):
            _fail(f"the report {target} would overwrite the input {item}: choose another -o")


def _summary(report: Report, out: Path) -> None:
    from pica.report import Verdict

    counts = report.counts()
    parts = [f"{counts[v.value]} {v.value}" for v in Verdict if counts[v.value]]
    err.print(f"[bold]pica[/bold]: {len(report.findings)} items — " + ", ".join(parts))
    err.print(f"report written to {out}", markup=False, highlight=False)


def _exit_code(report: Report, fail_on: FailOn) -> int:
    if fail_on is FailOn.never:
        return 0
    from pica.report import SEVERITY, Verdict

    threshold = SEVERITY[Verdict(fail_on.value)]
    return 1 if report.worst_severity() >= threshold else 0


def _finish(report: Report, fmt: Format, out: Path | None, fail_on: FailOn) -> None:
    from pica.render import render

    for warning in report.warnings[:20]:
        err.print(f"pica: warning: {warning}", markup=False, highlight=False, soft_wrap=True)
    if len(report.warnings) > 20:
        err.print(f"pica: … {len(report.warnings) - 20} more warnings in the report", markup=False)

    target = out or Path("pica-report" + SUFFIX[fmt])
    try:
        _write(render(report, fmt.value), target)
    except OSError as exc:
        _fail(f"cannot write the report to {target}: {exc.strerror or exc}")
    _summary(report, target)
    raise typer.Exit(_exit_code(report, fail_on))


def _fail(message: str) -> None:
    err.print(f"pica: error: {message}", markup=False, highlight=False, soft_wrap=True)
    raise typer.Exit(2)


def _audit_and_finish(
    fmt: Format | None, output: Path | None, fail_on: FailOn, quiet: bool, **inputs: object
) -> None:
    """Run one audit on the inputs given, write the report, exit with the right code."""
    from pica.audit import audit as run_audit
    from pica.errors import InputError

    chosen = _pick_format(fmt, output)
    named = [v for v in inputs.values() if isinstance(v, str | Path)]
    named += [p for v in inputs.values() if isinstance(v, list | tuple) for p in v]
    refuse_overwrite(output or Path("pica-report" + SUFFIX[chosen]), named)
    try:
        with _progress(not quiet and err.is_terminal) as step:
            report = run_audit(progress=step, **inputs)  # type: ignore[arg-type]
    except InputError as exc:
        _fail(str(exc))
    except MemoryError:
        _fail("input too large to analyse within memory limits")
    _finish(report, chosen, output, fail_on)


@app.command()
def audit(
    apk: Annotated[
        Path | None, typer.Argument(help="The APK to audit.", show_default=False)
    ] = None,
    policy: Annotated[
        str | None,
        typer.Option("--policy", help="Privacy policy: .html/.pdf/.txt file or http(s) URL."),
    ] = None,
    category: CategoryOption = None,
    output: Annotated[Path | None, typer.Option("-o", "--output", help="Report file.")] = None,
    fmt: Annotated[
        Format | None, typer.Option("--format", help="Report format (default: from -o, else html).")
    ] = None,
    fail_on: Annotated[
        FailOn | None,
        typer.Option(
            "--fail-on",
            help="Exit 1 when a finding is at or above this [default: violation; never with --demo].",
            show_default=False,
        ),
    ] = None,
    checklist: Annotated[
        Path | None,
        typer.Option("--checklist", help="A tester's answers (YAML) for items a person settles."),
    ] = None,
    trace: Annotated[
        Path | None, typer.Option("--trace", help="A runtime trace (pica's JSON Lines format).")
    ] = None,
    device_profile: DeviceProfileOption = None,
    net: NetOption = None,
    dex_dir: Annotated[
        Path | None,
        typer.Option(
            "--dex-dir",
            help="DEX files dumped at run time (a packed app's real code, by the recorder or "
            "any unpacker), analysed with the APK's manifest.",
        ),
    ] = None,
    demo: Annotated[
        bool, typer.Option("--demo", help="Audit the demo app shipped with pica.")
    ] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress display.")] = False,
) -> None:
    """Audit an APK (and optionally its privacy policy) against all 31 items."""
    if demo:
        apk = demo_apk()
    if apk is None and policy is None and trace is None and not net:
        _fail("give an APK to audit (or --demo, --policy, --trace or --net)")
    if fail_on is None:  # the demo is a showcase, not a gate
        fail_on = FailOn.never if demo else FailOn.violation
    _audit_and_finish(
        fmt,
        output,
        fail_on,
        quiet,
        apk=apk,
        policy=policy,
        category=category,
        checklist=checklist,
        trace=trace,
        device_profile=device_profile,
        net=net or (),
        dex_dir=dex_dir,
    )


@app.command("trace")
def trace_command(
    trace: Annotated[Path, typer.Argument(help="A trace in pica's JSON Lines format.")],
    device_profile: DeviceProfileOption = None,
    net: NetOption = None,
    output: Annotated[Path | None, typer.Option("-o", "--output", help="Report file.")] = None,
    fmt: Annotated[Format | None, typer.Option("--format", help="Report format.")] = None,
    fail_on: Annotated[FailOn, typer.Option("--fail-on")] = FailOn.violation,
    quiet: Annotated[bool, typer.Option("--quiet", "-q")] = False,
) -> None:
    """Judge a runtime recording alone: the full 31-item report, runtime items judged."""
    _audit_and_finish(
        fmt, output, fail_on, quiet, trace=trace, device_profile=device_profile, net=net or ()
    )


@app.command("convert-camille")
def convert_camille_command(
    source: Annotated[Path, typer.Argument(help="camille's Excel output (.xls or .xlsx).")],
    output: Annotated[Path, typer.Option("-o", "--output", help="The trace to write (.jsonl).")],
) -> None:
    """Convert camille's Excel output into a trace in pica's format."""
    from pica.errors import InputError
    from pica.extract.trace.camille import convert_camille

    refuse_overwrite(output, [source])
    try:
        convert_camille(source, output)
    except InputError as exc:
        _fail(str(exc))
    err.print(f"trace written to {output}", markup=False, highlight=False)


@app.command("policy")
def policy_command(
    source: Annotated[
        str, typer.Argument(help="Privacy policy: .html/.pdf/.txt file or http(s) URL.")
    ],
    output: Annotated[Path | None, typer.Option("-o", "--output", help="Report file.")] = None,
    fmt: Annotated[Format | None, typer.Option("--format", help="Report format.")] = None,
    fail_on: Annotated[FailOn, typer.Option("--fail-on")] = FailOn.violation,
    quiet: Annotated[bool, typer.Option("--quiet", "-q")] = False,
) -> None:
    """Audit a privacy policy alone: the full 31-item report, policy items judged."""
    _audit_and_finish(fmt, output, fail_on, quiet, policy=source)


@app.command("diff")
def diff_command(
    old_apk: Annotated[Path, typer.Argument(help="The earlier version's APK.")],
    new_apk: Annotated[Path, typer.Argument(help="The new version's APK.")],
    old_policy: Annotated[
        str | None, typer.Option("--old-policy", help="The earlier version's privacy policy.")
    ] = None,
    new_policy: Annotated[
        str | None, typer.Option("--new-policy", help="The new version's privacy policy.")
    ] = None,
    category: CategoryOption = None,
    output: Annotated[Path | None, typer.Option("-o", "--output", help="Diff file.")] = None,
    fmt: Annotated[
        Format | None,
        typer.Option("--format", help="json, html or md (default: from -o, else html)."),
    ] = None,
    fail_on: Annotated[FailOn, typer.Option("--fail-on")] = FailOn.violation,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress display.")] = False,
) -> None:
    """Compare two versions of an app: permissions, PI reached, SDKs, pre-consent paths and
    policy sentences added and removed, with items 2.2 and 4.3 judged on the change."""
    from pica.audit import diff as run_diff
    from pica.errors import InputError
    from pica.render.diff import DIFF_ITEMS, render_diff
    from pica.report import SEVERITY, Verdict

    chosen = _pick_format(fmt, output)
    if chosen is Format.sarif:
        _fail("pica diff writes json, html or md")
    refuse_overwrite(
        output or Path("pica-diff" + SUFFIX[chosen]), [old_apk, new_apk, old_policy, new_policy]
    )
    try:
        with _progress(not quiet and err.is_terminal) as step:
            report = run_diff(old_apk, new_apk, old_policy, new_policy, category, step)
    except InputError as exc:
        _fail(str(exc))
    except MemoryError:
        _fail("input too large to analyse within memory limits")
    target = output or Path("pica-diff" + SUFFIX[chosen])
    try:
        _write(render_diff(report, chosen.value), target)
    except OSError as exc:
        _fail(f"cannot write the diff to {target}: {exc.strerror or exc}")
    findings = [f for f in report.findings if f.item_id in DIFF_ITEMS]
    err.print(
        "[bold]pica diff[/bold]: " + "; ".join(f"{f.item_id} {f.verdict.value}" for f in findings),
    )
    err.print(f"diff written to {target}", markup=False, highlight=False)
    worst = max((SEVERITY[f.verdict] for f in findings), default=0)
    threshold = None if fail_on is FailOn.never else SEVERITY[Verdict(fail_on.value)]
    raise typer.Exit(1 if threshold is not None and worst >= threshold else 0)


class Engine(StrEnum):
    local = "local"
    ray = "ray"


class ExportFormat(StrEnum):
    xlsx = "xlsx"
    csv = "csv"
    json = "json"


DbOption = Annotated[
    str | None,
    typer.Option(
        "--db",
        envvar="PICA_DB",
        help="Database URL (sqlite:///FILE, postgresql+psycopg://…) "
        "[default: $PICA_DB, else SQLite in the user data directory].",
        show_default=False,
    ),
]

TimeoutOption = Annotated[
    float, typer.Option("--timeout", min=1, help="Per-app (per-scan) wall-clock budget, seconds.")
]
MemoryOption = Annotated[
    int,
    typer.Option(
        "--memory-mb", min=64, help="Per-app (per-scan) memory budget (address space), MiB."
    ),
]


def _open_store(db: str | None):
    """The store, or a one-line exit 2 when the URL is wrong or the server unreachable."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError, OperationalError

    from pica.store import Store

    try:
        return Store(db)
    except (ArgumentError, OperationalError, ImportError, ValueError) as exc:
        message = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
        try:
            shown = make_url(db).render_as_string(hide_password=True) if db else "(default)"
        except ArgumentError:
            shown = db
        _fail(f"cannot open the database {shown}: {message}")


@app.command("batch")
def batch_command(
    inputs: Annotated[
        list[Path],
        typer.Argument(
            help="APK files, folders of APKs, or CSV manifests (apk,policy,category,trace)."
        ),
    ],
    workers: Annotated[int, typer.Option("--workers", min=1, help="Apps audited at once.")] = 2,
    engine: Annotated[
        Engine, typer.Option("--engine", help="local process pool or Ray.")
    ] = Engine.local,
    db: DbOption = None,
    out: Annotated[
        Path | None, typer.Option("--out", help="Also write each JSON report into this folder.")
    ] = None,
    ray_address: Annotated[
        str | None,
        typer.Option(
            "--ray-address", envvar="RAY_ADDRESS", help="A Ray cluster (default: local Ray)."
        ),
    ] = None,
    timeout: TimeoutOption = 600.0,
    memory_mb: MemoryOption = 4096,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress display.")] = False,
) -> None:
    """Audit many apps into the store, resumably: what is done already is skipped, a bad app is a
    recorded failure and the batch goes on. Exit 0 when every input ended."""
    from pica.batch import Budget, expand_inputs, run_batch
    from pica.errors import InputError

    try:
        items = expand_inputs(inputs)
    except InputError as exc:
        _fail(str(exc))
    store = _open_store(db)
    try:
        with _batch_progress(len(items), not quiet and err.is_terminal) as on_event:
            outcome = run_batch(
                items,
                store,
                workers=workers,
                engine=engine.value,
                budget=Budget(timeout=timeout, memory_mb=memory_mb),
                ray_address=ray_address,
                out=out,
                on_event=on_event,
            )
    except InputError as exc:
        _fail(str(exc))
    err.print(
        f"[bold]pica batch[/bold] {outcome.batch_id}: {len(outcome.done)} done, "
        f"{len(outcome.failed)} failed, {len(outcome.skipped)} already done — {store.safe_url}",
        highlight=False,
        soft_wrap=True,
    )


@contextmanager
def _batch_progress(total: int, enabled: bool):
    """A rich bar with done / failed / rate / ETA on a terminal; else one line per failure."""
    counts = {"done": 0, "failed": 0, "skipped": 0}

    def line(kind: str, item, detail: str | None) -> None:
        if kind == "failed":
            err.print(f"pica: {item.apk}: {detail}", markup=False, highlight=False, soft_wrap=True)

    if not enabled:
        yield line
        return
    import time

    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeRemainingColumn,
    )

    started = time.monotonic()
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("[green]{task.fields[done]} done[/] [red]{task.fields[failed]} failed[/]"),
        TextColumn("{task.fields[rate]}"),
        TimeRemainingColumn(),
        console=err,
    ) as progress:
        task = progress.add_task("batch", total=total, done=0, failed=0, rate="")

        def update(kind: str, item, detail: str | None) -> None:
            if kind == "started":
                return
            counts[kind] += 1
            scanned = counts["done"] + counts["failed"]
            minutes = (time.monotonic() - started) / 60
            rate = f"{scanned / minutes:.1f} apps/min" if scanned and minutes > 0 else ""
            progress.update(
                task, advance=1, done=counts["done"] + counts["skipped"], failed=counts["failed"],
                rate=rate,
            )  # fmt: skip
            line(kind, item, detail)

        yield update


@app.command("export")
def export_command(
    output: Annotated[Path, typer.Option("-o", "--output", help="The file to write.")],
    fmt: Annotated[
        ExportFormat | None,
        typer.Option("--format", help="xlsx, csv or json (default: from -o's suffix)."),
    ] = None,
    db: DbOption = None,
    batch: Annotated[
        int | None, typer.Option("--batch", help="Only this batch's inputs (id from pica batch).")
    ] = None,
) -> None:
    """Export the store: one row per finding (xlsx also: summary, SDK and scans sheets)."""
    if fmt is None:
        suffix = output.suffix.lower().lstrip(".")
        if suffix not in ExportFormat.__members__:
            _fail(f"cannot tell the format from {output.name}: give --format xlsx, csv or json")
        fmt = ExportFormat(suffix)
    store = _open_store(db)
    from pica.store.export import export

    if batch is not None and batch not in {b["id"] for b in store.batches()}:
        _fail(f"no batch {batch} in {store.safe_url}")
    data = export(store, fmt.value, batch)
    try:
        _write(data, output)
    except OSError as exc:
        _fail(f"cannot write {output}: {exc.strerror or exc}")
    err.print(f"export written to {output}", markup=False, highlight=False)


@app.command("serve")
def serve_command(
    host: Annotated[str, typer.Option("--host", help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", min=1, max=65535, help="Port.")] = 8000,
    db: DbOption = None,
    max_upload_mb: Annotated[
        int, typer.Option("--max-upload-mb", min=1, help="Largest upload (request body), MiB.")
    ] = 200,
    upload_dir: Annotated[
        Path | None,
        typer.Option("--upload-dir", help="Where uploads are kept [default: a temporary folder]."),
    ] = None,
    timeout: TimeoutOption = 600.0,
    memory_mb: MemoryOption = 4096,
) -> None:
    """Serve the web UI and JSON API (pica[web]): upload an app, read reports, browse apps, a
    dashboard, exports. Set PICA_API_KEY to require X-API-Key on uploads."""
    try:
        import uvicorn

        from pica.web import create_app
    except ImportError as exc:
        _fail(f"pica serve needs the web extra ({exc.name} is missing): pip install 'pica[web]'")
    from pica.batch import Budget

    store = _open_store(db)
    web = create_app(
        store,
        upload_dir=upload_dir,
        max_upload_mb=max_upload_mb,
        budget=Budget(timeout=timeout, memory_mb=memory_mb),
    )
    err.print(f"pica serve: http://{host}:{port}/ (database {store.safe_url})", markup=False)
    uvicorn.run(web, host=host, port=port, log_level="warning")


def _register_elsewhere_defined() -> None:
    """Commands whose signature lives beside their code (imported light: no models, no devices)."""
    from pica.classify import classify_command
    from pica.record.cli import record_command

    app.command("classify")(classify_command)
    app.command("record")(record_command)


_register_elsewhere_defined()


@app.command()
def categories() -> None:
    """List the 39 app types of the 2021 necessary-PI provisions (ids for --category)."""
    from pica import knowledge

    for cat in sorted(knowledge.app_categories().values(), key=lambda c: c.number):
        typer.echo(f"{cat.number:>2}  {cat.id:<28} {cat.name_zh}  ({cat.name_en})")


@app.command()
def version() -> None:
    """Print pica's version."""
    typer.echo(__version__)


def _click_exceptions():  # noqa: ANN202
    """The exception module of the click typer runs on (typer >= 0.20 vendors its own)."""
    try:
        from typer._click import exceptions
    except ImportError:  # pragma: no cover - typer on the public click
        from click import exceptions
    return exceptions


def _usage_line(exc: Exception) -> str:
    """A typer/click usage error as one line: ``pica: --format: 'pdf' is not one of html,
    json, md, sarif`` instead of a five-line box."""
    import re

    param = getattr(exc, "param", None)
    raw = exc.message if isinstance(exc, _click_exceptions().BadParameter) else ""
    raw = raw or exc.format_message()  # type: ignore[attr-defined]
    message = " ".join(str(raw).split())
    message = re.sub(r"^Value error, ", "", message).rstrip(".")
    listed = re.match(r"^(.*? is not one of )(.*)$", message)
    if listed:
        message = listed.group(1) + re.sub(r"'([^']*)'", r"\1", listed.group(2))
    hint = None
    if param is not None:
        opts = [o for o in getattr(param, "opts", None) or [] if o.startswith("--")]
        hint = opts[0] if opts else (getattr(param, "opts", None) or [param.name])[0]
    return f"pica: {hint}: {message}" if hint else f"pica: error: {message}"


def _on_signal(signum: int, _frame: object) -> None:
    """SIGTERM/SIGHUP end pica as SIGINT does: by an exception, so that the report's temporary
    file is removed on the way out (``_write``) and nothing half-written is left."""
    raise SystemExit(128 + signum)


def _install_signal_handlers() -> None:
    import signal

    for name in ("SIGTERM", "SIGHUP"):
        sig = getattr(signal, name, None)
        if sig is not None and signal.getsignal(sig) in (signal.SIG_DFL, None):
            signal.signal(sig, _on_signal)


def main(argv: list[str] | None = None) -> int:
    """The console entry point: limits from the environment, signals that clean up, and every
    error — usage, bad input, memory — as one line on stderr with exit code 2."""
    from pica import limits
    from pica.errors import InputError

    cx = _click_exceptions()

    def say(line: str) -> None:
        err.print(line, markup=False, highlight=False, soft_wrap=True)

    try:
        chosen = limits.Limits.from_env()
    except ValueError as exc:
        say(f"pica: error: {exc}")
        return 2
    _install_signal_handlers()
    no_args = getattr(cx, "NoArgsIsHelpError", ())
    with limits.using(chosen):
        try:
            result = app(args=argv, prog_name="pica", standalone_mode=False)
        except no_args as exc:  # type: ignore[misc]
            exc.show()
            return exc.exit_code
        except cx.UsageError as exc:
            say(_usage_line(exc))
            return 2
        except typer.Abort:
            say("pica: interrupted")
            return 130
        except typer.Exit as exc:
            return exc.exit_code
        except cx.ClickException as exc:
            say(f"pica: error: {' '.join(exc.format_message().split())}")
            return exc.exit_code
        except InputError as exc:
            say(f"pica: error: {exc}")
            return 2
        except MemoryError:
            say("pica: error: input too large to analyse within memory limits")
            return 2
    return result if isinstance(result, int) else 0


def run() -> None:  # pragma: no cover - console entry point
    sys.exit(main())
