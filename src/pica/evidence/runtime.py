"""Facts observed while the app runs: one typed event per line of a trace (docs/trace-format.md).

Importers (camille's Excel, uiautomator dumps, pica's own recorder) produce the JSON Lines trace
format; ``pica.extract.trace`` reads it into these types. Every event keeps its ``line`` (1-based
line of the trace file) and ``t`` (milliseconds since the trace started), so a finding can cite
exactly where it was seen.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from pica.evidence.network import NetRequest


@dataclass(frozen=True)
class ApiEvent:
    """A sensitive API called (hooked at run time)."""

    line: int
    t: int
    api: str  # class.method: android.telephony.TelephonyManager.getDeviceId
    pi_type: str | None  # taxonomy id, from the event or derived from the API table
    stack: tuple[str, ...] = ()  # class.method frames, innermost first
    thread: str = ""
    foreground: bool | None = None
    args: str = ""  # summarised; values redacted or hashed by the recorder
    ret: str = ""
    source: str = ""  # trace file:line


@dataclass(frozen=True)
class ConsentEvent:
    """The privacy-policy consent dialog: shown, accepted, declined, or consent withdrawn."""

    line: int
    t: int
    event: str  # shown | accepted | declined | withdrawn
    text: str = ""  # the dialog's words
    checkbox_prechecked: bool | None = None
    source: str = ""


@dataclass(frozen=True)
class PermissionEvent:
    """A runtime permission requested, granted or denied."""

    line: int
    t: int
    event: str  # requested | granted | denied
    permissions: tuple[str, ...]
    source: str = ""


@dataclass(frozen=True)
class LifecycleEvent:
    """The app launched, went to the background or foreground, was killed, updated, relaunched."""

    line: int
    t: int
    event: str  # launch | background | foreground | kill | update | relaunch
    source: str = ""


@dataclass(frozen=True)
class UiEvent:
    """A screen, as a uiautomator XML dump beside the trace, read into its visible texts."""

    line: int
    t: int
    screen: str  # the dump's file name, relative to the trace
    texts: tuple[str, ...] = ()  # visible texts and content descriptions, in document order
    checked_boxes: tuple[str, ...] = ()  # texts of checkable widgets that are checked
    source: str = ""


@dataclass(frozen=True)
class Trace:
    """One recording: every event by kind, in time order, and what the reader had to skip."""

    name: str  # file name of the trace
    api: tuple[ApiEvent, ...] = ()
    consent: tuple[ConsentEvent, ...] = ()
    permissions: tuple[PermissionEvent, ...] = ()
    lifecycle: tuple[LifecycleEvent, ...] = ()
    ui: tuple[UiEvent, ...] = ()
    net: tuple[NetRequest, ...] = ()  # net events recorded in the trace itself
    warnings: tuple[str, ...] = field(default=())  # "line 12: unknown kind 'foo', skipped"

    @property
    def duration_ms(self) -> int:
        times = [e.t for group in (self.api, self.consent, self.permissions, self.lifecycle,
                                   self.ui, self.net) for e in group]  # fmt: skip
        return max(times, default=0)
