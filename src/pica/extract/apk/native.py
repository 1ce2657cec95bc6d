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
"""

from __future__ import annotations

import re

__all__ = ["MAX_SO_BYTES", "jni_classes"]

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
