"""Which classes a class refers to, and which refer to it: the class-level view attribution
needs, read from the bytecode on demand.

A class *reaches* another when one of its methods invokes a method named on it, reads or
writes one of its static fields, creates an instance of it (``new-instance``) or loads it as a
constant (``X.class``). Nothing is decoded up front: ``callees`` decodes the methods of one
class; ``callers`` finds the instructions that name a set of classes among the DEX reader's
referencing units (array lookups) and decodes only the methods holding them, so the cost follows the
classes asked about, not the size of the APK (``DexFile.ref_units`` is one vectorised pass per
DEX, made on the first question).
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import cached_property

import numpy as np

from pica.extract.apk.dex import (
    CONST_CLASS,
    CONST_STRING,
    CONST_STRING_JUMBO,
    INVOKE_OPS,
    NEW_INSTANCE,
    SGET_OPS,
    SPUT_OPS,
    DexFile,
    descriptor_to_java,
    java_to_descriptor,
)

__all__ = ["ClassRefs"]

FIELD_OPS = SGET_OPS | SPUT_OPS
TYPE_OPS = frozenset({NEW_INSTANCE, CONST_CLASS})
SYSTEM = "Ljava/lang/System;"
LOADERS = {SYSTEM: {"loadLibrary"}, "Ljava/lang/Runtime;": {"loadLibrary"}}
_OP_TABLES = {}
for _ops in (INVOKE_OPS, FIELD_OPS, TYPE_OPS):
    _OP_TABLES[_ops] = np.zeros(256, dtype=bool)
    _OP_TABLES[_ops][list(_ops)] = True


class _Dex:
    """Per-DEX lookups, made on first use: type idx of each member id, names of type ids."""

    def __init__(self, dex: DexFile) -> None:
        self.dex = dex
        self.names: dict[int, str | None] = {}
        self.types: dict[str, int | None] = {}
        self.decoded: dict[int, list[int]] = {}

    @cached_property
    def columns(self) -> tuple[list[int], list[int]]:
        methods, fields = self.dex.member_class_columns
        return methods.tolist(), fields.tolist()

    def name(self, type_idx: int) -> str | None:
        """Dotted name of a class type (None: an array or primitive)."""
        if type_idx not in self.names:
            descriptor = self.dex.type_name(type_idx)
            self.names[type_idx] = (
                descriptor_to_java(descriptor) if descriptor.startswith("L") else None
            )
        return self.names[type_idx]

    def type_index(self, name: str) -> int | None:
        if name not in self.types:
            self.types[name] = self.dex.type_index(java_to_descriptor(name))
        return self.types[name]

    def targets(self, midx: int) -> list[int]:
        """Type idxs of the classes one method's referencing instructions name (memoised)."""
        cached = self.decoded.get(midx)
        if cached is None:
            methods, fields = self.columns
            cached = []
            for ref in self.dex.refs(midx):
                op = ref.opcode
                if op in INVOKE_OPS:
                    cached.append(methods[ref.index])
                elif op in FIELD_OPS:
                    cached.append(fields[ref.index])
                elif op in TYPE_OPS:
                    cached.append(ref.index)
            self.decoded[midx] = cached
        return cached


class ClassRefs:
    """Class-level references over every DEX of an APK (the first definition of a class wins,
    as at run time). Names are dotted Java names."""

    def __init__(self, dexes: Iterable[DexFile]) -> None:
        self.dexes = tuple(dexes)
        self._dex = {id(d): _Dex(d) for d in self.dexes}
        self._callees: dict[str, frozenset[str]] = {}

    @cached_property
    def _where(self) -> dict[str, tuple[DexFile, int]]:
        where: dict[str, tuple[DexFile, int]] = {}
        for dex in self.dexes:
            for cdef in dex.class_defs:
                name = descriptor_to_java(dex.type_name(cdef.type_idx))
                where.setdefault(name, (dex, cdef.type_idx))
        return where

    def defined(self, name: str) -> bool:
        return name in self._where

    def names(self) -> Iterable[str]:
        return self._where.keys()

    def native(self, name: str) -> bool:
        """Whether the class declares ``native`` methods."""
        where = self._where.get(name)
        return where is not None and java_to_descriptor(name) in where[0].native_method_classes

    def callees(self, name: str) -> frozenset[str]:
        """Classes (defined here or not) that the class's own methods reach; memoised."""
        cached = self._callees.get(name)
        if cached is None:
            out: set[str] = set()
            where = self._where.get(name)
            if where is not None:
                dex, type_idx = where
                lookups = self._dex[id(dex)]
                found: set[int] = set()
                for midx, code in dex.class_methods(type_idx):
                    if code:
                        found.update(lookups.targets(midx))
                found.discard(type_idx)
                out = {n for n in map(lookups.name, found) if n is not None}
            out.discard(name)
            cached = self._callees[name] = frozenset(out)
        return cached

    def callers(self, names: Iterable[str]) -> dict[str, set[str]]:
        """For each class asked about, the other classes whose methods reach it."""
        out: dict[str, set[str]] = {n: set() for n in names}
        for dex in self.dexes:
            lookups = self._dex[id(dex)]
            wanted = {t: n for n in out if (t := lookups.type_index(n)) is not None}
            if not wanted:
                continue
            offsets, opcodes, indexes, owner = dex.ref_units
            method_cls, field_cls = dex.member_class_columns
            is_wanted = np.zeros(dex.type_count, dtype=bool)
            is_wanted[list(wanted)] = True
            hit = np.zeros(len(offsets), dtype=bool)
            for ops, column in ((INVOKE_OPS, method_cls), (FIELD_OPS, field_cls), (TYPE_OPS, None)):
                if column is not None and not len(column):
                    continue
                sel = np.flatnonzero(_OP_TABLES[ops][opcodes] & (owner >= 0))
                ref = indexes[sel]
                classes = ref if column is None else column[np.minimum(ref, len(column) - 1)]
                limit = len(is_wanted) if column is None else len(column)
                good = (ref < limit) & (classes < len(is_wanted))
                flags = np.zeros(len(ref), dtype=bool)
                flags[good] = is_wanted[classes[good]]
                hit[sel[flags]] = True
            method_classes = lookups.columns[0]
            for midx in np.unique(owner[hit]).tolist():
                caller_type = method_classes[midx]
                caller: str | None = None
                for t in lookups.targets(midx):
                    if t in wanted and t != caller_type:
                        caller = caller or lookups.name(caller_type)
                        if caller is not None:
                            out[wanted[t]].add(caller)
        return out

    def library_loads(self) -> dict[str, tuple[str, ...]]:
        """{class: native library names it loads}: the constant string passed to
        ``System.loadLibrary`` / ``Runtime.loadLibrary`` (the last ``const-string`` before the
        call in the same method)."""
        out: dict[str, set[str]] = {}
        for dex in self.dexes:
            ids = dex.method_indexes(LOADERS)
            if not ids:
                continue
            for midx in dex.find_refs({INVOKE_OPS: set(ids)}):
                caller = descriptor_to_java(dex.method_class(midx))
                last: str | None = None
                for ref in dex.refs(midx):
                    if ref.opcode in (CONST_STRING, CONST_STRING_JUMBO):
                        last = dex.string(ref.index)
                    elif ref.opcode in INVOKE_OPS and ref.index in ids and last:
                        out.setdefault(caller, set()).add(last)
        return {k: tuple(sorted(v)) for k, v in out.items()}
