"""JNI classes a native library binds to: which Java classes an ``.so`` implements methods of.

Two kinds of evidence, both read by a bounded byte scan (regular expressions over at most
``MAX_SO_BYTES`` of the file), not by an ELF parser:

- exported symbols ``Java_<mangled class>_<method>`` (static JNI binding; the JNI name
  mangling: ``_`` separates packages, ``_1`` is ``_``, ``_0xxxx`` a UTF-16 unit);
- ``com/vendor/Foo``-style class names in the string table, which ``RegisterNatives`` and
  ``FindClass`` take (dynamic binding).

Why a scan and not a parser: the names are plain ASCII in ``.dynstr``/``.rodata``, so a scan
finds the same names without trusting any header offset of a hostile file, and it costs one
pass at C speed. What it cannot see: names a packer encrypts or builds at run time. Its false
matches (a path such as ``system/bin/sh``) are harmless: a name only counts when the DEX
defines that class and the class declares ``native`` methods (``pica.analysis.attribution``).

``native_reads`` scans the same bytes for what native code collects (issue 16): JNI lookups of
sensitive Java APIs (``FindClass("android/telephony/TelephonyManager")`` and
``GetMethodID(…, "getDeviceId", …)`` leave both names as strings) and identifier reads through
system properties and /sys, /proc files (``native_identifiers.yaml``). Why still no ELF parser
(pyelftools): the evidence is strings, wherever the linker put them (.rodata, .dynstr,
.data.rel.ro); a parser would add a dependency and trust section headers a hostile or stripped
file may break, and find nothing a scan does not. Names built at run time or encrypted stay
invisible, as for the JNI classes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["MAX_SO_BYTES", "NativeRead", "jni_classes", "native_reads"]

MAX_SO_BYTES = 64 * 1024**2  # read at most this much of one .so

_SYMBOL = re.compile(rb"Java_((?:[A-Za-z0-9]|_[0-9])+(?:_(?:[A-Za-z0-9]|_[0-9])+)+)")
_CLASS = re.compile(
    rb"(?<![A-Za-z0-9_$/.])(?:[A-Za-z_$][A-Za-z0-9_$]*/){2,}[A-Za-z_$][A-Za-z0-9_$]*\x00"
)
_ESCAPE = re.compile(r"_(0[0-9a-fA-F]{4}|[123])")
_SEP = re.compile(r"_(?![0-9])")


def _unmangle(part: str) -> str:
    def one(m: re.Match[str]) -> str:
        code = m.group(1)
        return {"1": "_", "2": ";", "3": "["}.get(code) or chr(int(code[1:], 16))

    return _ESCAPE.sub(one, part)


def _symbol_class(mangled: str) -> str | None:
    """``com_foo_Bar_1x_run`` -> ``com.foo.Bar_x`` (the last component is the method)."""
    mangled = mangled.split("__", 1)[0]  # overloaded: the argument signature follows "__"
    parts = _SEP.split(mangled)
    if len(parts) < 2:
        return None
    return ".".join(_unmangle(p) for p in parts[:-1])


def jni_classes(data: bytes) -> frozenset[str]:
    """Dotted names of the classes one native library exports or registers methods for."""
    view = data[:MAX_SO_BYTES]
    found: set[str] = set()
    for m in _SYMBOL.finditer(view):
        name = _symbol_class(m.group(1).decode("ascii"))
        if name:
            found.add(name)
    for m in _CLASS.finditer(view):
        found.add(m.group(0)[:-1].decode("ascii").replace("/", "."))
    return frozenset(found)


# A NUL-terminated printable string, as C string literals and .dynstr names are stored.
_CSTRING = re.compile(rb"[\x21-\x7e]{3,255}\x00")


@dataclass(frozen=True)
class NativeRead:
    """A library's evidence of reading PI: a JNI lookup of a sensitive Java API (its class and
    member names both in the library), or an identifier's property name or file path."""

    api: str  # dotted Java API, or the property / path string
    pi_types: tuple[str, ...]
    offset: int  # of the member name (JNI) or of the string
    kind: str  # jni | identifier


def native_reads(
    data: bytes,
    methods: dict[tuple[str, str], tuple[str, ...]],
    fields: dict[tuple[str, str], tuple[str, ...]],
    requires: dict[tuple[str, str], str] | None = None,
) -> list[NativeRead]:
    """Every sensitive JNI lookup and identifier read one library's strings show. One pass
    over at most ``MAX_SO_BYTES``; no ELF header is trusted (a broken one changes nothing)."""
    from pica import knowledge

    strings: dict[str, int] = {}
    for m in _CSTRING.finditer(data, 0, min(len(data), MAX_SO_BYTES)):
        strings.setdefault(m.group(0)[:-1].decode("ascii"), m.start())
    found: list[NativeRead] = []
    for table in (methods, fields):
        for (desc, member), pi in table.items():
            jni_class = desc[1:-1]  # Landroid/telephony/TelephonyManager; -> android/telephony/…
            needed = (requires or {}).get((desc, member))
            if jni_class in strings and member in strings and (needed is None or needed in strings):
                api = f"{jni_class.replace('/', '.')}.{member}"
                found.append(NativeRead(api, pi, strings[member], "jni"))
    for ident in knowledge.native_identifiers():
        if ident.string in strings:
            found.append(
                NativeRead(ident.string, ident.pi_types, strings[ident.string], "identifier")
            )
    return found
