"""A purpose-built DEX reader: only what an audit needs, read lazily and bounds-checked.

Why not androguard: it disassembles every method of every class up front (about 15 s and
1.2 GB for an 18 MB APK). An audit needs class names, the class hierarchy, and the few call
sites that touch sensitive APIs. So we parse the id tables with ``struct``, find candidate
instructions with one vectorised (numpy) pass over the code section, find the method holding
each candidate without parsing every class, and decode only those methods (or the ones the
call graph visits).
"""

from __future__ import annotations

import re
import struct
from array import array
from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import cached_property
from itertools import accumulate

import numpy as np

from pica.errors import InputError

NO_INDEX = 0xFFFFFFFF

# Width in 16-bit code units of every opcode (Dalvik bytecode formats). 0 marks the nop/payload
# opcode, whose width depends on the payload identifier.
_WIDTH = [1] * 256
for _op, _w in (
    (0x02, 2), (0x03, 3), (0x05, 2), (0x06, 3), (0x08, 2), (0x09, 3),
    (0x13, 2), (0x14, 3), (0x15, 2), (0x16, 2), (0x17, 3), (0x18, 5), (0x19, 2),
    (0x1A, 2), (0x1B, 3), (0x1C, 2), (0x1F, 2), (0x20, 2), (0x22, 2), (0x23, 2),
    (0x24, 3), (0x25, 3), (0x26, 3), (0x29, 2), (0x2A, 3), (0x2B, 3), (0x2C, 3),
    (0xFA, 4), (0xFB, 4), (0xFC, 3), (0xFD, 3), (0xFE, 2), (0xFF, 2),
):  # fmt: skip
    _WIDTH[_op] = _w
for _lo, _hi, _w in (
    (0x2D, 0x31, 2), (0x32, 0x37, 2), (0x38, 0x3D, 2), (0x44, 0x51, 2), (0x52, 0x5F, 2),
    (0x60, 0x6D, 2), (0x6E, 0x72, 3), (0x74, 0x78, 3), (0x90, 0xAF, 2), (0xD0, 0xD7, 2),
    (0xD8, 0xE2, 2),
):  # fmt: skip
    for _op in range(_lo, _hi + 1):
        _WIDTH[_op] = _w
_WIDTH[0x00] = 0

INVOKE_OPS: frozenset[int] = frozenset(range(0x6E, 0x73)) | frozenset(range(0x74, 0x79))
INVOKE_KIND = {
    0x6E: "virtual", 0x6F: "super", 0x70: "direct", 0x71: "static", 0x72: "interface",
    0x74: "virtual", 0x75: "super", 0x76: "direct", 0x77: "static", 0x78: "interface",
}  # fmt: skip
SGET_OPS = frozenset(range(0x60, 0x67))
SPUT_OPS = frozenset(range(0x67, 0x6E))
CONST_STRING = 0x1A
CONST_STRING_JUMBO = 0x1B
NEW_INSTANCE = 0x22
CONST_CLASS = 0x1C
_REF_OPS = INVOKE_OPS | SGET_OPS | SPUT_OPS | frozenset({NEW_INSTANCE, CONST_CLASS})


@dataclass(frozen=True, slots=True)
class Ref:
    """One referencing instruction inside a method: its offset, opcode and pool index."""

    offset: int  # byte offset in the dex file
    opcode: int
    index: int  # method, field, string or type index, by opcode


@dataclass(frozen=True, slots=True)
class ClassDef:
    type_idx: int
    access: int
    superclass_idx: int
    interfaces_off: int
    class_data_off: int


def _read_uleb(data: bytes, pos: int) -> tuple[int, int]:
    result = data[pos]
    pos += 1
    if result < 0x80:
        return result, pos
    result &= 0x7F
    shift = 7
    while True:
        byte = data[pos]
        pos += 1
        result |= (byte & 0x7F) << shift
        if byte < 0x80:
            return result, pos
        shift += 7
        if shift > 35:
            raise InputError("malformed DEX: uleb128 value longer than 5 bytes")


def _decode_mutf8(raw: bytes) -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        # Modified UTF-8: NUL as C0 80 and supplementary characters as surrogate pairs.
        try:
            text = raw.replace(b"\xc0\x80", b"\x00").decode("utf-8", "surrogatepass")
            return text.encode("utf-16", "surrogatepass").decode("utf-16", "replace")
        except UnicodeError:  # not even modified UTF-8: keep what can be read
            return raw.decode("utf-8", "replace")


def descriptor_to_java(descriptor: str) -> str:
    """'Lcom/foo/Bar$Inner;' -> 'com.foo.Bar$Inner'; primitives and arrays are kept readable."""
    if descriptor.startswith("L") and descriptor.endswith(";"):
        return descriptor[1:-1].replace("/", ".")
    return descriptor


def java_to_descriptor(name: str) -> str:
    return "L" + name.replace(".", "/") + ";"


class DexFile:
    """One parsed classes*.dex. Tables are read on first use; every offset is bounds-checked."""

    def __init__(self, data: bytes, name: str = "classes.dex") -> None:
        self.data = data
        self.name = name
        if len(data) < 0x70:
            raise InputError(f"{name}: truncated DEX ({len(data)} bytes, header needs 112)")
        if data[:4] != b"dex\n" or data[7] != 0:
            raise InputError(f"{name}: not a DEX file (bad magic)")
        (file_size, header_size, endian) = struct.unpack_from("<III", data, 0x20)
        if endian != 0x12345678:
            raise InputError(f"{name}: unsupported DEX byte order")
        if file_size > len(data):
            raise InputError(
                f"{name}: truncated DEX (header says {file_size} bytes, file has {len(data)})"
            )
        if header_size < 0x70:
            raise InputError(f"{name}: malformed DEX header")
        fields = struct.unpack_from("<16I", data, 0x2C)
        (
            _link_size, _link_off, _map_off,
            self._string_ids_size, self._string_ids_off,
            self._type_ids_size, self._type_ids_off,
            self._proto_ids_size, self._proto_ids_off,
            self._field_ids_size, self._field_ids_off,
            self._method_ids_size, self._method_ids_off,
            self._class_defs_size, self._class_defs_off,
            self._data_size,
        ) = fields  # fmt: skip
        self._data_off = struct.unpack_from("<I", data, 0x6C)[0]
        for label, count, off, size in (
            ("string_ids", self._string_ids_size, self._string_ids_off, 4),
            ("type_ids", self._type_ids_size, self._type_ids_off, 4),
            ("proto_ids", self._proto_ids_size, self._proto_ids_off, 12),
            ("field_ids", self._field_ids_size, self._field_ids_off, 8),
            ("method_ids", self._method_ids_size, self._method_ids_off, 8),
            ("class_defs", self._class_defs_size, self._class_defs_off, 32),
        ):
            if count and (off + count * size > len(data) or off < 0x70):
                raise InputError(f"{name}: malformed DEX ({label} table lies outside the file)")
        self._string_cache: dict[int, str] = {}
        self._signature_cache: dict[int, str] = {}
        self._class_methods: dict[int, list[tuple[int, int]]] = {}
        self._code_cache: dict[int, int] = {}

    # -- id tables ---------------------------------------------------------------------------

    def _u32_table(self, off: int, count: int) -> array:
        table = array("I")
        table.frombytes(self.data[off : off + 4 * count])
        return table

    @cached_property
    def string_offsets(self) -> array:
        return self._u32_table(self._string_ids_off, self._string_ids_size)

    @cached_property
    def type_string_idx(self) -> array:
        return self._u32_table(self._type_ids_off, self._type_ids_size)

    def string(self, idx: int) -> str:
        cached = self._string_cache.get(idx)
        if cached is not None:
            return cached
        if not 0 <= idx < self._string_ids_size:
            raise InputError(f"{self.name}: string index {idx} out of range")
        off = self.string_offsets[idx]
        if off >= len(self.data):
            raise InputError(f"{self.name}: string data offset out of range")
        _, start = _read_uleb(self.data, off)
        end = self.data.find(b"\x00", start)
        if end < 0:
            raise InputError(f"{self.name}: unterminated string")
        text = _decode_mutf8(self.data[start:end])
        self._string_cache[idx] = text
        return text

    def type_name(self, type_idx: int) -> str:
        """Descriptor of a type, e.g. 'Landroid/app/Activity;'."""
        if not 0 <= type_idx < self._type_ids_size:
            raise InputError(f"{self.name}: type index {type_idx} out of range")
        return self.string(self.type_string_idx[type_idx])

    @cached_property
    def class_defs(self) -> list[ClassDef]:
        off, n = self._class_defs_off, self._class_defs_size
        return [
            ClassDef(t, acc, sup, ifs, cdata)
            for (t, acc, sup, ifs, _src, _ann, cdata, _sv) in struct.iter_unpack(
                "<8I", self.data[off : off + 32 * n]
            )
        ]

    def interfaces(self, cdef: ClassDef) -> list[str]:
        """Descriptors of the interfaces a class declares it implements."""
        if not cdef.interfaces_off:
            return []
        off = cdef.interfaces_off
        if off + 4 > len(self.data):
            raise InputError(f"{self.name}: interface list out of range")
        (count,) = struct.unpack_from("<I", self.data, off)
        if off + 4 + 2 * count > len(self.data):
            raise InputError(f"{self.name}: interface list out of range")
        return [self.type_name(i) for i in struct.unpack_from(f"<{count}H", self.data, off + 4)]

    def superclass(self, cdef: ClassDef) -> str | None:
        return None if cdef.superclass_idx == NO_INDEX else self.type_name(cdef.superclass_idx)

    @property
    def class_count(self) -> int:
        return self._class_defs_size

    @property
    def type_count(self) -> int:
        return self._type_ids_size

    @property
    def method_id_count(self) -> int:
        return self._method_ids_size

    def class_names(self) -> list[str]:
        """Dotted Java names of every class defined in this file."""
        return [descriptor_to_java(self.type_name(c.type_idx)) for c in self.class_defs]

    def _method_id(self, method_idx: int) -> tuple[int, int, int]:
        if not 0 <= method_idx < self._method_ids_size:
            raise InputError(f"{self.name}: method index {method_idx} out of range")
        return struct.unpack_from("<HHI", self.data, self._method_ids_off + 8 * method_idx)

    def _field_id(self, field_idx: int) -> tuple[int, int, int]:
        if not 0 <= field_idx < self._field_ids_size:
            raise InputError(f"{self.name}: field index {field_idx} out of range")
        return struct.unpack_from("<HHI", self.data, self._field_ids_off + 8 * field_idx)

    def method_name(self, method_idx: int) -> str:
        return self.string(self._method_id(method_idx)[2])

    def method_class(self, method_idx: int) -> str:
        return self.type_name(self._method_id(method_idx)[0])

    def proto_descriptor(self, proto_idx: int) -> str:
        """'(Landroid/os/Bundle;)V' for a proto id."""
        if not 0 <= proto_idx < self._proto_ids_size:
            raise InputError(f"{self.name}: proto index out of range")
        _shorty, return_idx, params_off = struct.unpack_from(
            "<III", self.data, self._proto_ids_off + 12 * proto_idx
        )
        params = ""
        if params_off:
            if params_off + 4 > len(self.data):
                raise InputError(f"{self.name}: proto parameter list out of range")
            (count,) = struct.unpack_from("<I", self.data, params_off)
            if params_off + 4 + 2 * count > len(self.data):
                raise InputError(f"{self.name}: proto parameter list out of range")
            idxs = struct.unpack_from(f"<{count}H", self.data, params_off + 4)
            params = "".join(self.type_name(i) for i in idxs)
        return f"({params}){self.type_name(return_idx)}"

    def method_signature(self, method_idx: int) -> str:
        """'onCreate(Landroid/os/Bundle;)V'."""
        cached = self._signature_cache.get(method_idx)
        if cached is None:
            _cls, proto, name = self._method_id(method_idx)
            cached = self._signature_cache[method_idx] = self.string(name) + self.proto_descriptor(
                proto
            )
        return cached

    def field_name(self, field_idx: int) -> str:
        return self.string(self._field_id(field_idx)[2])

    def field_class(self, field_idx: int) -> str:
        return self.type_name(self._field_id(field_idx)[0])

    # -- lookups by name ---------------------------------------------------------------------

    def string_index(self, value: str) -> int | None:
        """Index of a string by binary search: string ids are sorted by their contents."""
        lo, hi = 0, self._string_ids_size
        while lo < hi:
            mid = (lo + hi) // 2
            current = self.string(mid)
            if current < value:
                lo = mid + 1
            elif current > value:
                hi = mid
            else:
                return mid
        return None

    def type_index(self, descriptor: str) -> int | None:
        """Type id of a descriptor: type ids are sorted by their string index."""
        sidx = self.string_index(descriptor)
        if sidx is None:
            return None
        table = self.type_string_idx
        pos = bisect_left(table, sidx)
        return pos if pos < len(table) and table[pos] == sidx else None

    def _id_class_column(self, off: int, count: int) -> array:
        """The class_idx column of the method or field id table (sorted by class)."""
        column = array("H")
        column.frombytes(self.data[off : off + 8 * count])
        return column[0::4]

    @cached_property
    def method_classes(self) -> array:
        """The type id of each method id's class, indexed by method id."""
        return self._id_class_column(self._method_ids_off, self._method_ids_size)

    @cached_property
    def _field_classes(self) -> array:
        return self._id_class_column(self._field_ids_off, self._field_ids_size)

    def _member_indexes(
        self, wanted: dict[str, set[str]], column: array, id_off: int
    ) -> dict[int, tuple[str, str]]:
        found: dict[int, tuple[str, str]] = {}
        for descriptor, names in wanted.items():
            t = self.type_index(descriptor)
            if t is None:
                continue
            for idx in range(bisect_left(column, t), bisect_right(column, t)):
                (name_idx,) = struct.unpack_from("<I", self.data, id_off + 8 * idx + 4)
                name = self.string(name_idx)
                if name in names:
                    found[idx] = (descriptor, name)
        return found

    def class_refs(self, descriptor: str) -> tuple[int | None, range, range]:
        """The type id of a class and the ranges of method and field ids naming it (the id
        tables are sorted by class): what an instruction referring to the class points at."""
        t = self.type_index(descriptor)
        if t is None:
            return None, range(0), range(0)
        mc, fc = self.method_classes, self._field_classes
        return (
            t,
            range(bisect_left(mc, t), bisect_right(mc, t)),
            range(bisect_left(fc, t), bisect_right(fc, t)),
        )

    def method_indexes(self, wanted: dict[str, set[str]]) -> dict[int, tuple[str, str]]:
        """Method ids whose (class descriptor, name) is wanted: {descriptor: {names}}."""
        return self._member_indexes(wanted, self.method_classes, self._method_ids_off)

    def field_indexes(self, wanted: dict[str, set[str]]) -> dict[int, tuple[str, str]]:
        """Field ids whose (class descriptor, name) is wanted."""
        return self._member_indexes(wanted, self._field_classes, self._field_ids_off)

    @cached_property
    def _strings_by_offset(self) -> tuple[list[int], list[int]]:
        """String data offsets in file order, and the string id at each."""
        offsets = self.string_offsets
        order = sorted(range(len(offsets)), key=offsets.__getitem__)
        return [offsets[i] for i in order], order

    def string_indexes_with_prefix(self, prefixes: Iterable[bytes]) -> dict[int, str]:
        """String ids whose value starts with one of the prefixes (found in the raw bytes)."""
        prefixes = [bytes(p) for p in prefixes]
        texts = [p.decode("utf-8") for p in prefixes]
        if not prefixes:
            return {}
        pattern = re.compile(b"|".join(re.escape(p) for p in prefixes))
        found: dict[int, str] = {}
        for match in pattern.finditer(self.data, self._data_off):
            starts, order = self._strings_by_offset
            pos = bisect_right(starts, match.start()) - 1
            if pos < 0:
                continue
            idx = order[pos]
            value = self.string(idx)
            if value.startswith(tuple(texts)):
                found[idx] = value
        return found

    def urls(self) -> Iterator[tuple[int, str]]:
        """(byte offset, URL) for every http(s) URL in the string data."""
        for match in _URL.finditer(self.data, self._data_off):
            yield match.start(), match.group().decode("utf-8", "replace")

    # -- code ----------------------------------------------------------------------------------

    @cached_property
    def sections(self) -> dict[int, tuple[int, int]]:
        """Map list: item type -> (offset, count). Empty when the map is missing or broken."""
        (map_off,) = struct.unpack_from("<I", self.data, 0x34)
        if not map_off or map_off + 4 > len(self.data):
            return {}
        (count,) = struct.unpack_from("<I", self.data, map_off)
        if count > 64 or map_off + 4 + 12 * count > len(self.data):
            return {}
        return {
            kind: (off, size)
            for kind, _unused, size, off in struct.iter_unpack(
                "<HHII", self.data[map_off + 4 : map_off + 4 + 12 * count]
            )
        }

    def _section_end(self, kind: int) -> int:
        """Where the section of this kind ends: the start of the next section, or the file end."""
        start = self.sections[kind][0]
        later = [off for off, _n in self.sections.values() if off > start]
        return min(later, default=len(self.data))

    def _code_units_span(self) -> tuple[int, int]:
        """Where the code section starts (even offset) and how many 16-bit units it holds:
        the code_item section from the map when there is one, else the data section."""
        start, end = self._data_off, len(self.data)
        if 0x2001 in self.sections:
            start, end = self.sections[0x2001][0], self._section_end(0x2001)
        start += start & 1
        end = min(end, len(self.data))
        return start, max(0, (end - start) // 2)

    @cached_property
    def methods_by_class(self) -> dict[int, list[tuple[int, int]]]:
        """type idx -> [(method idx, code offset)] for every method the class defines."""
        try:
            items = self._class_data_items()
        except (IndexError, struct.error) as exc:
            raise InputError(f"{self.name}: truncated class data") from exc
        result: dict[int, list[tuple[int, int, int]]] = {}
        for cdef in self.class_defs:
            off = cdef.class_data_off
            if not off:
                result[cdef.type_idx] = []
            elif off in items:
                result[cdef.type_idx] = items[off]
            elif off >= len(self.data):
                raise InputError(f"{self.name}: class data offset out of range")
            else:
                try:
                    result[cdef.type_idx] = self._read_class_data(off)
                except IndexError as exc:
                    raise InputError(f"{self.name}: truncated class data") from exc
        return result

    def _class_data_items(self) -> dict[int, list[tuple[int, int]]]:
        """Decode the whole class-data section at once: {item offset: methods}.

        Class-data items lie back to back and are all uleb128 numbers, so one regex splits the
        section into numbers at C speed; the walk over them is then cheap.
        """
        if 0x2000 not in self.sections:
            return {}
        start, count = self.sections[0x2000]
        end = self._section_end(0x2000)
        tokens = _ULEB.findall(self.data, start, end)
        positions = [0, *accumulate(map(len, tokens))]
        items: dict[int, list[tuple[int, int]]] = {}
        i = 0
        n = len(tokens)
        uleb = _uleb_value
        for _ in range(count):
            if i + 4 > n:
                break
            item_off = start + positions[i]
            t0, t1, t2, t3 = tokens[i : i + 4]
            sf = t0[0] if len(t0) == 1 else uleb(t0)
            inf = t1[0] if len(t1) == 1 else uleb(t1)
            dm = t2[0] if len(t2) == 1 else uleb(t2)
            vm = t3[0] if len(t3) == 1 else uleb(t3)
            i += 4 + 2 * (sf + inf)  # fields: skipped, never decoded
            if i + 3 * (dm + vm) > n:
                raise InputError(f"{self.name}: truncated class data")
            methods = []
            for size in (dm, vm):
                idx = 0
                for j in range(i, i + 3 * size, 3):
                    t = tokens[j]
                    idx += t[0] if len(t) == 1 else uleb(t)
                    t = tokens[j + 2]  # code offsets are 3 or 4 bytes long: decoded inline
                    size_t = len(t)
                    if size_t == 3:
                        code = (t[0] & 0x7F) | ((t[1] & 0x7F) << 7) | (t[2] << 14)
                    elif size_t == 4:
                        code = (
                            (t[0] & 0x7F)
                            | ((t[1] & 0x7F) << 7)
                            | ((t[2] & 0x7F) << 14)
                            | (t[3] << 21)
                        )
                    else:
                        code = t[0] if size_t == 1 else uleb(t)
                    methods.append((idx, code))
                i += 3 * size
            items[item_off] = methods
        return items

    def _read_class_data(self, pos: int) -> list[tuple[int, int]]:
        data = self.data
        sf, pos = _read_uleb(data, pos)
        inf, pos = _read_uleb(data, pos)
        dm, pos = _read_uleb(data, pos)
        vm, pos = _read_uleb(data, pos)
        for _ in range(sf + inf):
            _, pos = _read_uleb(data, pos)
            _, pos = _read_uleb(data, pos)
        methods = []
        for count in (dm, vm):
            idx = 0
            for _ in range(count):
                diff, pos = _read_uleb(data, pos)
                _access, pos = _read_uleb(data, pos)
                code_off, pos = _read_uleb(data, pos)
                idx += diff
                methods.append((idx, code_off))
        return methods

    @cached_property
    def _code_index(self) -> tuple[list[int], list[int]]:
        """Sorted code item offsets and the method idx owning each."""
        entries = sorted((code_off, midx) for midx, code_off in self.code_of_method.items())
        return [e[0] for e in entries], [e[1] for e in entries]

    @cached_property
    def code_of_method(self) -> dict[int, int]:
        """method idx -> code item offset, for methods defined (with code) in this file."""
        return {
            midx: code_off
            for methods in self.methods_by_class.values()
            for midx, code_off in methods
            if code_off
        }

    def class_methods(self, type_idx: int) -> list[tuple[int, int]]:
        """[(method idx, code offset)] of one class, read on demand (cached)."""
        cached = self._class_methods.get(type_idx)
        if cached is None:
            if "methods_by_class" in self.__dict__:
                cached = self.methods_by_class.get(type_idx, [])
            else:
                cached = []
                for cdef in self._class_def_by_type.get(type_idx, ()):
                    if cdef.class_data_off:
                        if cdef.class_data_off >= len(self.data):
                            raise InputError(f"{self.name}: class data offset out of range")
                        try:
                            cached = self._read_class_data(cdef.class_data_off)
                        except IndexError as exc:
                            raise InputError(f"{self.name}: truncated class data") from exc
            self._class_methods[type_idx] = cached
        return cached

    @cached_property
    def _class_def_by_type(self) -> dict[int, list[ClassDef]]:
        index: dict[int, list[ClassDef]] = {}
        for cdef in self.class_defs:
            index.setdefault(cdef.type_idx, []).append(cdef)
        return index

    def code_offset(self, method_idx: int) -> int | None:
        """Code item offset of a method defined in this file, or None (abstract, native, absent)."""
        known = self._code_cache.get(method_idx)
        if known is not None:
            return known
        type_idx = self._method_id(method_idx)[0]
        for midx, code_off in self.class_methods(type_idx):
            if code_off:
                self._code_cache[midx] = code_off
        return self._code_cache.get(method_idx)

    def method_at(self, offset: int) -> int | None:
        """The method whose instructions contain a byte offset, if any.

        Looked up in a sorted index of code offsets built in one vectorised pass over the
        class-data section (`_code_starts`), so that every lookup is a binary search and no
        input makes the lookups super-linear. Uses the full index instead when it exists
        already, or when the file has no usable map.
        """
        if "_code_index" in self.__dict__ or 0x2000 not in self.sections:
            return self._method_at_indexed(offset)
        starts, owners = self._code_starts
        pos = int(np.searchsorted(starts, offset, side="right")) - 1
        if pos < 0:
            return None
        code_off = int(starts[pos])
        if code_off + 16 > len(self.data):
            raise InputError(f"{self.name}: code item out of range")
        (insns_size,) = struct.unpack_from("<I", self.data, code_off + 12)
        if code_off + 16 <= offset < code_off + 16 + 2 * insns_size:
            midx = int(owners[pos])
            self._code_cache.setdefault(midx, code_off)
            return midx
        return None

    @cached_property
    def _code_starts(self) -> tuple[np.ndarray, np.ndarray]:
        """Sorted code item offsets and the method idx owning each, as numpy arrays.

        Same content as `_code_index`, at a fraction of its cost (see `_method_table`).
        """
        midx, _access, code = self._method_table
        keep = code != 0
        code, midx = code[keep], midx[keep]
        order = np.lexsort((midx, code))
        return code[order], midx[order]

    @cached_property
    def native_method_classes(self) -> frozenset[str]:
        """Descriptors of the classes that declare ``native`` methods (access flag 0x100).

        Read from the same vectorised class-data pass as the code index, so it costs nothing
        more; a JNI class is evidence of whose ``.so`` it binds to (pica.analysis.attribution).
        """
        if 0x2000 not in self.sections:
            return frozenset()
        midx, access, _code = self._method_table
        native = np.unique(midx[(access & 0x100) != 0])
        if not native.size:
            return frozenset()
        if int(native[-1]) >= self._method_ids_size or int(native[0]) < 0:
            raise InputError(f"{self.name}: method index {int(native[-1])} out of range")
        # class_idx of each method_id (u2 class, u2 proto, u4 name), vectorised: a class with
        # thousands of native methods costs one lookup, not one per method
        owners = np.frombuffer(
            self.data, dtype="<u2", count=4 * self._method_ids_size, offset=self._method_ids_off
        )[0::4]
        return frozenset(self.type_name(t) for t in np.unique(owners[native]).tolist())

    @cached_property
    def _method_table(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Every method the class data defines: (method idx, access flags, code offset) arrays.

        The class-data section is all uleb128 numbers: they are decoded at once with numpy;
        a Python loop over the class-data items (not over their methods) finds the method
        runs; the method indexes (delta-coded per run), access flags and code offsets are then
        gathered vectorised. Class data outside the section (odd files) is read apart, with
        no access flags (0).
        """
        start, count = self.sections[0x2000]
        end = min(self._section_end(0x2000), len(self.data))
        # A valid file encodes each class, field and method once, in at most 5 bytes per
        # number: decode no more than that (a hostile map may claim the whole file).
        most = 5 * (4 * self._class_defs_size + 2 * self._field_ids_size + 3 * self.method_id_count)
        end = min(end, start + most)
        raw = np.frombuffer(self.data, dtype=np.uint8, count=max(end - start, 0), offset=start)
        last = np.flatnonzero(raw < 0x80)  # the last byte of every uleb128
        if not len(last):
            empty = np.zeros(0, dtype=np.int64)
            return empty, empty, empty
        first = np.concatenate(([0], last[:-1] + 1))
        length = last - first + 1
        values = (raw[first] & 0x7F).astype(np.int64)
        for k in range(1, 5):  # per token, not per byte; bytes past the fifth are malformed
            longer = np.flatnonzero(length > k)
            if not len(longer):
                break
            values[longer] |= (raw[first[longer] + k] & 0x7F).astype(np.int64) << (7 * k)
        vals = values.tolist()
        starts_of = first.tolist()
        n = len(vals)
        runs_start: list[int] = []
        runs_len: list[int] = []
        seen: set[int] = set()
        i = 0
        for _ in range(count):
            if i + 4 > n:
                break
            seen.add(start + starts_of[i])
            sf, inf, dm, vm = vals[i : i + 4]
            i += 4 + 2 * (sf + inf)
            if i + 3 * (dm + vm) > n:
                raise InputError(f"{self.name}: truncated class data")
            for size in (dm, vm):
                if size:
                    runs_start.append(i)
                    runs_len.append(size)
                i += 3 * size
        extra: list[tuple[int, int]] = []
        for cdef in self.class_defs:  # class data outside the section (odd files): read apart
            off = cdef.class_data_off
            if off and off not in seen:
                extra.extend(self.class_methods(cdef.type_idx))
        lengths = np.asarray(runs_len, dtype=np.int64)
        total = int(lengths.sum()) if len(lengths) else 0
        run_first = np.concatenate(([0], np.cumsum(lengths)[:-1])) if total else lengths
        within = np.arange(total) - np.repeat(run_first, lengths)
        pos = np.repeat(np.asarray(runs_start, dtype=np.int64), lengths) + 3 * within
        diffs = values[pos]
        cum = np.cumsum(diffs)
        base = np.repeat(cum[run_first] - diffs[run_first], lengths) if total else cum
        midx = cum - base
        access = values[pos + 1]
        code = values[pos + 2]
        if extra:
            midx = np.concatenate((midx, np.asarray([m for m, _c in extra], dtype=np.int64)))
            code = np.concatenate((code, np.asarray([c for _m, c in extra], dtype=np.int64)))
            access = np.concatenate((access, np.zeros(len(extra), dtype=np.int64)))
        return midx, access, code

    def _method_at_indexed(self, offset: int) -> int | None:
        starts, owners = self._code_index
        pos = bisect_right(starts, offset) - 1
        if pos < 0:
            return None
        code_off = starts[pos]
        if code_off + 16 > len(self.data):
            raise InputError(f"{self.name}: code item out of range")
        (insns_size,) = struct.unpack_from("<I", self.data, code_off + 12)
        if code_off + 16 <= offset < code_off + 16 + 2 * insns_size:
            return owners[pos]
        return None

    def refs(self, method_idx: int) -> list[Ref]:
        """Every invoke, static field access, const-string and new-instance of a method."""
        code_off = self.code_offset(method_idx)
        if code_off is None:
            return []
        return self._decode(code_off)

    def instructions(self, method_idx: int) -> list[tuple[int, int]]:
        """(byte offset, opcode) of every instruction of a method, payloads skipped: for a
        reader that needs the operands too (pica.extract.apk.reflection)."""
        code_off = self.code_offset(method_idx)
        if code_off is None:
            return []
        data = self.data
        (insns_size,) = struct.unpack_from("<I", data, code_off + 12)
        pos = code_off + 16
        end = pos + 2 * insns_size
        if end > len(data):
            raise InputError(f"{self.name}: method code runs past the end of the file")
        out: list[tuple[int, int]] = []
        while pos < end:
            op = data[pos]
            w = _WIDTH[op] or _payload_width(data, pos)
            if _WIDTH[op] or data[pos + 1] == 0:  # a real instruction (nop included)
                out.append((pos, op))
            pos += 2 * w
        return out

    def _decode(self, code_off: int) -> list[Ref]:
        data = self.data
        (insns_size,) = struct.unpack_from("<I", data, code_off + 12)
        pos = code_off + 16
        end = pos + 2 * insns_size
        if end > len(data):
            raise InputError(f"{self.name}: method code runs past the end of the file")
        refs: list[Ref] = []
        width = _WIDTH
        while pos < end:
            op = data[pos]
            w = width[op]
            if w == 0:  # nop or a payload pseudo-instruction
                w = _payload_width(data, pos)
            elif (
                op in INVOKE_OPS
                or 0x60 <= op <= 0x6D
                or op in (CONST_STRING, NEW_INSTANCE, CONST_CLASS)
            ):
                refs.append(Ref(pos, op, data[pos + 2] | (data[pos + 3] << 8)))
            elif op == CONST_STRING_JUMBO:
                refs.append(Ref(pos, op, struct.unpack_from("<I", data, pos + 2)[0]))
            pos += 2 * w
        return refs

    def _candidate_offsets(self, wanted: dict[frozenset[int], set[int]]) -> list[int]:
        """Even offsets in the code section where a wanted opcode is followed by a wanted index.

        Vectorised: the code section viewed as 16-bit units; unit k holds the opcode in its low
        byte and unit k+1 the 16-bit pool index of the 21c/35c/3rc formats. Two table lookups
        per unit instead of a Python-level or regex scan.
        """
        start, count = self._code_units_span()
        if count < 2:
            return []
        tables = []
        for ops, indexes in wanted.items():
            narrow = [i for i in indexes if i <= 0xFFFF]
            if not narrow or not ops:
                continue
            op_table = np.zeros(256, dtype=bool)
            op_table[list(ops)] = True
            index_table = np.zeros(0x10000, dtype=bool)
            index_table[narrow] = True
            tables.append((op_table, index_table))
        units = np.frombuffer(self.data, dtype="<u2", count=count, offset=start)
        found: list[int] = []
        # In windows of _SCAN_UNITS code units: the temporaries stay a few MB whatever the DEX
        # size (per-unit index arrays over a 500 MB DEX would take gigabytes).
        for lo in range(0, count - 1, _SCAN_UNITS):
            hi = min(lo + _SCAN_UNITS, count - 1)
            opcodes = units[lo:hi] & 0xFF  # uint16: valid indexes for the 256-entry table
            following = units[lo + 1 : hi + 1]
            hit = np.zeros(hi - lo, dtype=bool)
            for op_table, index_table in tables:
                hit |= op_table[opcodes] & index_table[following]
            found.extend((start + 2 * (lo + np.flatnonzero(hit))).tolist())
        return found

    @cached_property
    def ref_units(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Every 16-bit unit of the code section whose low byte is a referencing opcode
        (invoke, static field access, new-instance, const-class), as arrays: offset, opcode,
        the following unit (the pool index of those formats) and the method whose
        instructions hold the offset (-1: none). Candidates, not instructions: an operand can
        look like an opcode, so a caller decodes the owning method to confirm. One vectorised
        pass, so that asking about many classes costs array lookups, not rescans."""
        start, count = self._code_units_span()
        if count < 2:
            empty = np.zeros(0, dtype=np.int64)
            return empty, empty, empty, empty
        units = np.frombuffer(self.data, dtype="<u2", count=count, offset=start)
        table = np.zeros(256, dtype=bool)
        table[list(_REF_OPS)] = True
        at = np.flatnonzero(table[units[:-1] & 0xFF])
        offsets = start + 2 * at.astype(np.int64)
        opcodes = (units[at] & 0xFF).astype(np.int64)
        indexes = units[at + 1].astype(np.int64)
        if 0x2000 in self.sections:
            starts, owners = self._code_starts
        else:
            code_starts, code_owners = self._code_index
            starts = np.asarray(code_starts, dtype=np.int64)
            owners = np.asarray(code_owners, dtype=np.int64)
        owner = np.full(len(offsets), -1, dtype=np.int64)
        pos = np.searchsorted(starts, offsets, side="right") - 1
        ok = pos >= 0
        if len(starts) and ok.any():
            heads = starts[pos[ok]]
            inside = heads + 16 <= len(self.data)
            sizes = np.zeros(len(heads), dtype=np.int64)
            words = np.frombuffer(self.data, dtype="<u4", count=len(self.data) // 4)
            # code items are 4-byte aligned: insns_size is the u32 at code_off + 12
            aligned = inside & ((heads & 3) == 0)
            sizes[aligned] = words[(heads[aligned] + 12) // 4]
            within = aligned & (offsets[ok] >= heads + 16) & (offsets[ok] < heads + 16 + 2 * sizes)
            idx = np.flatnonzero(ok)[within]
            owner[idx] = owners[pos[idx]]
        return offsets, opcodes, indexes, owner

    @cached_property
    def member_class_columns(self) -> tuple[np.ndarray, np.ndarray]:
        """The class type idx of every method id and of every field id, as arrays."""
        return (
            np.asarray(self.method_classes, dtype=np.int64),
            np.asarray(self._field_classes, dtype=np.int64),
        )

    def find_refs(self, wanted: dict[frozenset[int], set[int]]) -> dict[int, list[Ref]]:
        """Methods that reference wanted indexes: {opcodes: indexes} -> {method: [Ref]}.

        One vectorised pass over the code section finds candidate instructions; each
        candidate's method is then decoded so that only real instruction boundaries count.
        """
        pairs = {(op, i) for ops, indexes in wanted.items() for op in ops for i in indexes}
        candidates: set[int] = set()
        for at in self._candidate_offsets(wanted):
            owner = self.method_at(at)
            if owner is not None:
                candidates.add(owner)
        if any(i > 0xFFFF for indexes in wanted.values() for i in indexes):
            candidates.update(self.code_of_method)  # const-string/jumbo: rare, decode all
        result: dict[int, list[Ref]] = {}
        for method in candidates:
            hits = [r for r in self.refs(method) if (r.opcode, r.index) in pairs]
            if hits:
                result[method] = hits
        return result


_SCAN_UNITS = 1 << 22  # 4 Mi code units (8 MB of code) per window of the candidate scan
_URL = re.compile(rb"https?://[A-Za-z0-9._~:/?#\[\]@!$&'()*+,;=%-]{4,2048}")
_ULEB = re.compile(rb"[\x80-\xff]{0,4}[\x00-\x7f]")


def _payload_width(data: bytes, pos: int) -> int:
    """Width in code units of the nop-family unit at ``pos``: a switch or array payload, or a
    plain nop (1)."""
    ident = data[pos + 1]
    if ident == 0x01:
        (n,) = struct.unpack_from("<H", data, pos + 2)
        return n * 2 + 4
    if ident == 0x02:
        (n,) = struct.unpack_from("<H", data, pos + 2)
        return n * 4 + 2
    if ident == 0x03:
        ew, n = struct.unpack_from("<HI", data, pos + 2)
        return (n * ew + 1) // 2 + 4
    return 1


def _uleb_value(token: bytes) -> int:
    size = len(token)
    if size == 2:
        return (token[0] & 0x7F) | (token[1] << 7)
    if size == 3:
        return (token[0] & 0x7F) | ((token[1] & 0x7F) << 7) | (token[2] << 14)
    value = 0
    for shift, byte in enumerate(token):
        value |= (byte & 0x7F) << (7 * shift)
    return value
