"""Which classes a class refers to, and which refer to it: the class-level view attribution
needs, read from the bytecode on demand.

A class *reaches* another when one of its methods invokes a method named on it, reads or
writes one of its static fields, creates an instance of it (``new-instance``) or loads it as a
constant (``X.class``). Nothing is decoded up front: ``callees`` decodes the methods of one
class; ``callers`` finds the instructions that name a set of classes with the DEX reader's
vectorised candidate scan and decodes only the methods holding them, so the cost follows the
classes asked about, not the size of the APK.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import cached_property

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


class ClassRefs:
    """Class-level references over every DEX of an APK (the first definition of a class wins,
    as at run time). Names are dotted Java names."""

    def __init__(self, dexes: Iterable[DexFile]) -> None:
        self.dexes = tuple(dexes)
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
                for midx, code in dex.class_methods(type_idx):
                    if code:
                        out.update(_targets(dex, dex.refs(midx)))
            out.discard(name)
            cached = self._callees[name] = frozenset(out)
        return cached

    def callers(self, names: Iterable[str]) -> dict[str, set[str]]:
        """For each class asked about, the other classes whose methods reach it."""
        wanted = {java_to_descriptor(n) for n in names}
        out: dict[str, set[str]] = {descriptor_to_java(d): set() for d in wanted}
        for dex in self.dexes:
            methods: set[int] = set()
            fields: set[int] = set()
            types: set[int] = set()
            for descriptor in wanted:
                t, m, f = dex.class_refs(descriptor)
                if t is None:
                    continue
                types.add(t)
                methods.update(m)
                fields.update(f)
            if not types:
                continue
            query = {INVOKE_OPS: methods, FIELD_OPS: fields, TYPE_OPS: types}
            for midx, refs in dex.find_refs({k: v for k, v in query.items() if v}).items():
                caller = descriptor_to_java(dex.method_class(midx))
                for target in _targets(dex, refs):
                    if target != caller and target in out:
                        out[target].add(caller)
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


def _targets(dex: DexFile, refs: Iterable) -> Iterable[str]:
    """Dotted names of the classes a method's referencing instructions name."""
    for ref in refs:
        op = ref.opcode
        if op in INVOKE_OPS:
            descriptor = dex.method_class(ref.index)
        elif op in FIELD_OPS:
            descriptor = dex.field_class(ref.index)
        elif op in TYPE_OPS:
            descriptor = dex.type_name(ref.index)
        else:
            continue
        if descriptor.startswith("L"):
            yield descriptor_to_java(descriptor)
