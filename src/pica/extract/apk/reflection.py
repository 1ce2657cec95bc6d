"""Reflective calls of sensitive APIs: ``Class.forName(...).getMethod(...)`` and field reads
whose class and member names are constants, or are built from constants within the method.

An SDK that hides a call from a static scanner writes
``Class.forName("android.telephony." + "TelephonyManager").getMethod("get" + "DeviceId")``;
the call instruction then names ``Class.getMethod``, not the API. This reader follows string
values through the registers of each method that uses reflection — ``const-string``,
``const-class``, moves, ``StringBuilder`` (``<init>``, ``append``, ``toString``),
``String.concat`` and ``String.valueOf`` — and resolves ``Class.forName`` /
``ClassLoader.loadClass``, ``getMethod`` / ``getDeclaredMethod`` and ``getField`` /
``getDeclaredField``. A resolved sensitive member becomes an ordinary ``ApiUse`` with
``via="reflection"``, at the lookup instruction. When the class comes from ``getClass()`` on
an object of unknown type, the member name alone decides, if the sensitive API table has it
on exactly one class; a class read from a field or a parameter is unknown and decides nothing.

Why this is small and safe: one linear pass per method (branches are not followed: a value
set on one branch and read after the join counts, which can only add a constant the method
does hold), only the methods that reference a reflection API are decoded (found by the same
vectorised scan as the API scan), and nothing is executed. What it cannot see: names read
from fields, parameters, resources, decrypted at run time or passed between methods. Such a
lookup or ``Method.invoke`` in a method that also touches a PI-related class becomes a
``HiddenCode`` fact ("reflective call, target unknown").
"""

from __future__ import annotations

import struct
from collections.abc import Sequence
from dataclasses import dataclass, field

from pica.evidence import ApiUse, HiddenCode
from pica.extract.apk.dex import (
    CONST_CLASS,
    CONST_STRING,
    CONST_STRING_JUMBO,
    INVOKE_OPS,
    SGET_OPS,
    DexFile,
    Ref,
    descriptor_to_java,
    java_to_descriptor,
)

__all__ = ["scan_reflection"]

_CLASS = "Ljava/lang/Class;"
_LOADER = "Ljava/lang/ClassLoader;"
_SB = "Ljava/lang/StringBuilder;"
_STRING = "Ljava/lang/String;"
_METHOD = "Ljava/lang/reflect/Method;"
_FIELD = "Ljava/lang/reflect/Field;"
_OBJECT = "Ljava/lang/Object;"
# Only methods that look a member up are decoded (a forName or invoke alone names nothing).
LOOKUPS = {_CLASS: {"getMethod", "getDeclaredMethod", "getField", "getDeclaredField"}}
_FIELD_GETS = {
    "get", "getBoolean", "getByte", "getChar", "getDouble", "getFloat", "getInt", "getLong",
    "getShort",
}  # fmt: skip

# Registers an instruction writes, by opcode: the 4-bit vA (bits 8-11) or the 8-bit vAA.
_WRITES_A4 = frozenset(
    [0x01, 0x04, 0x07, 0x12, 0x20, 0x21, 0x23, *range(0x52, 0x59), *range(0x7B, 0x90)]
    + [*range(0xB0, 0xD8)]
)
_WRITES_AA = frozenset(
    [0x02, 0x05, 0x08, 0x0A, 0x0B, 0x0D, *range(0x13, 0x1A), 0x1F, 0x22]
    + [*range(0x44, 0x4B), *range(0x60, 0x67), *range(0x90, 0xB0), *range(0xD8, 0xE3)]
)


@dataclass
class _Builder:
    """A StringBuilder's content while every appended part is a known string (else None)."""

    parts: list[str] | None = field(default_factory=list)


@dataclass(frozen=True)
class _Class:
    name: str | None  # dotted; None: a class from getClass() on an object of unknown type


@dataclass(frozen=True)
class _Member:
    kind: str  # method | field
    cls: str | None
    name: str | None  # None: not a constant


class _Table:
    """The sensitive-API table (api_scan.ApiTable) seen from member names."""

    def __init__(self, methods: dict[tuple[str, str], tuple[str, ...]], fields) -> None:
        self.methods, self.fields = methods, fields
        self.classes = {d for d, _n in methods} | {d for d, _n in fields}
        # every sensitive name a constant could be part of, for a cheap "could it matter" test
        names = {n for _d, n in methods} | {n for _d, n in fields}
        names |= {descriptor_to_java(d) for d in self.classes}
        self.haystack = "\n".join(sorted(names))

    def resolve(self, member: _Member) -> tuple[str, tuple[str, ...], bool] | None:
        """(descriptor, PI types, class inferred from the name) of a sensitive member."""
        table = self.methods if member.kind == "method" else self.fields
        if member.name is None:
            return None
        if member.cls is not None:
            desc = java_to_descriptor(member.cls)
            pi = table.get((desc, member.name))
            return (desc, pi, False) if pi else None
        owners = {d for d, n in table if n == member.name}
        if len(owners) == 1:
            desc = owners.pop()
            return desc, table[(desc, member.name)], True
        return None


def _args(data: bytes, pos: int, op: int) -> tuple[int, list[int]]:
    """(method index, argument registers) of an invoke instruction."""
    (idx,) = struct.unpack_from("<H", data, pos + 2)
    if op >= 0x74:  # invoke-*/range: AA|op BBBB CCCC
        (first,) = struct.unpack_from("<H", data, pos + 4)
        return idx, list(range(first, first + data[pos + 1]))
    count, g = data[pos + 1] >> 4, data[pos + 1] & 0xF
    c, d, e, f = data[pos + 4] & 0xF, data[pos + 4] >> 4, data[pos + 5] & 0xF, data[pos + 5] >> 4
    return idx, [c, d, e, f, g][:count]


def _text(value: object) -> str | None:
    if isinstance(value, str):
        return value
    if isinstance(value, _Builder) and value.parts is not None:
        return "".join(value.parts)
    return None


@dataclass
class _MethodScan:
    uses: list[tuple[int, str, str, tuple[str, ...], bool]] = field(default_factory=list)
    unresolved: list[int] = field(default_factory=list)  # offsets
    touches: set[str] = field(default_factory=set)  # PI-related classes the method uses


def _scan_method(dex: DexFile, method_idx: int, table: _Table) -> _MethodScan:
    data = dex.data
    regs: dict[int, object] = {}
    result: object = None
    out = _MethodScan()
    for pos, op in dex.instructions(method_idx):
        pending, result = result, None
        if op in (CONST_STRING, CONST_STRING_JUMBO):
            idx = (
                struct.unpack_from("<I", data, pos + 2)[0]
                if op == CONST_STRING_JUMBO
                else struct.unpack_from("<H", data, pos + 2)[0]
            )
            regs[data[pos + 1]] = dex.string(idx)
        elif op == CONST_CLASS:
            (idx,) = struct.unpack_from("<H", data, pos + 2)
            desc = dex.type_name(idx)
            if desc in table.classes:
                out.touches.add(desc)
            regs[data[pos + 1]] = _Class(descriptor_to_java(desc))
        elif op in (0x07, 0x08, 0x09):  # move-object, /from16, /16
            if op == 0x07:
                dst, src = data[pos + 1] & 0xF, data[pos + 1] >> 4
            elif op == 0x08:
                dst, src = data[pos + 1], struct.unpack_from("<H", data, pos + 2)[0]
            else:
                dst, src = struct.unpack_from("<HH", data, pos + 2)
            regs[dst] = regs.get(src)
        elif op == 0x0C:  # move-result-object
            regs[data[pos + 1]] = pending
        elif op == 0x22:  # new-instance
            (idx,) = struct.unpack_from("<H", data, pos + 2)
            regs[data[pos + 1]] = _Builder() if dex.type_name(idx) == _SB else None
        elif op in INVOKE_OPS:
            idx, args = _args(data, pos, op)
            cls, name = dex.method_class(idx), dex.method_name(idx)
            if cls in table.classes:
                out.touches.add(cls)
            vals = [regs.get(r) for r in args]
            result = _invoke(cls, name, vals, pos, out, table)
        elif op in SGET_OPS:
            (idx,) = struct.unpack_from("<H", data, pos + 2)
            if dex.field_class(idx) in table.classes:
                out.touches.add(dex.field_class(idx))
            regs[data[pos + 1]] = None
        elif op in _WRITES_AA:
            regs[data[pos + 1]] = None
        elif op in _WRITES_A4:
            regs[data[pos + 1] & 0xF] = None
    return out


def _invoke(
    cls: str, name: str, vals: list[object], pos: int, out: _MethodScan, table: _Table
) -> object:
    """The value an invoke leaves for move-result-object (None: unknown), recording lookups."""
    first = vals[0] if vals else None
    if cls == _SB:
        if not isinstance(first, _Builder):
            return None
        if name == "<init>":
            text = _text(vals[1]) if len(vals) > 1 else ""
            first.parts = None if text is None and len(vals) > 1 else ([text] if text else [])
            return None
        if name == "append":
            text = _text(vals[1]) if len(vals) > 1 else None
            if first.parts is not None and text is not None:
                first.parts.append(text)
            else:
                first.parts = None
            return first
        return _text(first) if name == "toString" else None
    if cls == _STRING:
        if name == "concat" and len(vals) == 2:
            a, b = _text(first), _text(vals[1])
            return a + b if a is not None and b is not None else None
        if name in ("valueOf", "intern", "toString") and vals:
            return _text(first)
        return None
    if cls == _OBJECT and name == "getClass":
        return _Class(None)
    if (cls, name) in ((_CLASS, "forName"), (_LOADER, "loadClass")):
        text = _text(vals[0] if name == "forName" else (vals[1] if len(vals) > 1 else None))
        if text is not None and java_to_descriptor(text) in table.classes:
            out.touches.add(java_to_descriptor(text))
        return _Class(text) if text is not None else None
    if cls == _CLASS and name in ("getMethod", "getDeclaredMethod", "getField", "getDeclaredField"):
        kind = "method" if name.endswith("Method") else "field"
        member = _Member(
            kind,
            first.name if isinstance(first, _Class) else None,
            _text(vals[1]) if len(vals) > 1 else None,
        )
        # a class from a field or parameter is unknown, not "any class": only getClass() on
        # an object (whose type the code does not name) lets the member name decide
        known = isinstance(first, _Class)
        hit = table.resolve(member) if known else None
        if hit is not None:
            desc, pi, inferred = hit
            out.uses.append((pos, f"{descriptor_to_java(desc)}.{member.name}", kind, pi, inferred))
        elif member.name is None:
            out.unresolved.append(pos)
        return member
    if cls == _METHOD and name == "invoke":
        if not isinstance(first, _Member):
            out.unresolved.append(pos)
        return None
    if cls == _FIELD and name in _FIELD_GETS:
        if not isinstance(first, _Member):
            out.unresolved.append(pos)
        return None
    return None


def _worth_decoding(dex: DexFile, method_idx: int, table: _Table, pi_class_ids: set[int]) -> bool:
    """Whether a register-level pass can find anything: the method loads a string constant
    that is part of a sensitive class or member name (a name built from constants is made of
    such parts), or touches a PI-related class (a const-class or a call: an unresolved lookup
    there is a fact). Read from the cheap reference decode; ``pi_class_ids`` are the PI-related
    classes' type ids in this DEX, so the class tests compare numbers, not names."""
    owners = dex.method_classes
    for ref in dex.refs(method_idx):
        if ref.opcode in (CONST_STRING, CONST_STRING_JUMBO):
            text = dex.string(ref.index)
            if text and text in table.haystack:  # part of a sensitive class or member name
                return True
        elif ref.opcode == CONST_CLASS and ref.index in pi_class_ids:
            return True
        elif (
            ref.opcode in INVOKE_OPS
            and ref.index < len(owners)
            and owners[ref.index] in pi_class_ids
        ):
            return True
    return False


def scan_reflection(
    dexes: Sequence[DexFile],
    methods: dict[tuple[str, str], tuple[str, ...]],
    fields: dict[tuple[str, str], tuple[str, ...]],
    hits: dict[str, dict[int, list[Ref]]] | None = None,
) -> tuple[list[ApiUse], list[HiddenCode]]:
    """Sensitive calls made by reflection (resolved), and the unresolved reflective calls of
    methods that also touch a PI-related class, over every DEX. ``hits``: the call sites of
    the lookup methods per DEX, when the API scan's pass collected them (``LOOKUPS``)."""
    table = _Table(methods, fields)
    uses: list[ApiUse] = []
    facts: list[HiddenCode] = []
    for dex in dexes:
        ids = dex.method_indexes({k: set(v) for k, v in LOOKUPS.items()})
        if not ids:
            continue
        if hits is not None and dex.name in hits:  # collected by the API scan's pass
            candidates = [
                m for m, refs in hits[dex.name].items() if any(r.index in ids for r in refs)
            ]
        else:
            candidates = list(dex.find_refs({INVOKE_OPS: set(ids)}))
        pi_class_ids = {t for t in map(dex.type_index, table.classes) if t is not None}
        for method_idx in sorted(candidates):
            if not _worth_decoding(dex, method_idx, table, pi_class_ids):
                continue
            found = _scan_method(dex, method_idx, table)
            caller_class = descriptor_to_java(dex.method_class(method_idx))
            sig = dex.method_signature(method_idx)
            where = f"{dex.name} {dex.method_class(method_idx)}->{sig}"
            for pos, api, _kind, pi_types, inferred in found.uses:
                note = " (class inferred from the member name)" if inferred else ""
                uses += [
                    ApiUse(
                        pi_type=pi,
                        api=api,
                        caller_class=caller_class,
                        caller_method=sig,
                        dex=dex.name,
                        offset=pos,
                        source=f"{where} @0x{pos:x} via reflection{note}",
                        via="reflection",
                    )
                    for pi in pi_types
                ]
            if found.unresolved and found.touches:
                touched = ", ".join(sorted(descriptor_to_java(d) for d in found.touches)[:3])
                facts.append(
                    HiddenCode(
                        kind="reflection",
                        detail=f"reflective call, target unknown: {len(found.unresolved)} in "
                        f"{caller_class}.{sig.split('(', 1)[0]}, which also uses {touched}",
                        source=f"{where} @0x{found.unresolved[0]:x}",
                        blocks_absence=False,
                    )
                )
    return uses, facts
