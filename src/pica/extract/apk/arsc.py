"""``resources.arsc`` (compiled resource table) → a lazily-read :class:`ResourceTable`.

Written from the format as documented in AOSP ``libs/androidfw/include/androidfw/ResourceTypes.h``
(ResTable_header, ResTable_package, ResTable_typeSpec, ResTable_type with ResTable_config,
ResTable_entry incl. complex/map and compact entries, sparse and 16-bit offset tables).

:func:`parse` validates the chunk structure (every chunk, string pool, offset table and config
inside the bytes present) and raises :class:`~pica.errors.InputError` when it is broken.
Entries themselves are read only when asked for; a single malformed entry (offset past its
chunk, string index out of range) is treated as absent and counted in
:attr:`ResourceTable.skipped_entries` rather than failing the whole table, so that one bad
resource in an obfuscated app does not hide all the others.

Public API:

* ``table.global_strings() -> list[str]`` — the global (value) string pool (an undecodable
  string is ``""`` and counted in ``skipped_entries``).
* ``table.resolve(res_id) -> str | None`` — the string value of a resource, default config first,
  then other locale-free configs, then any config; follows reference chains up to 5 hops.
* ``table.resolve_value(res_id) -> object`` — same lookup, any simple type (int, bool, str, …;
  mapping as :func:`pica.extract.apk.axml.typed_value`); None for missing/complex/too deep.
* ``table.string_entries(locales=("", "zh")) -> list[tuple[str, str, str]]`` — every entry of
  type ``string`` as ``(name, locale, value)``. ``locale`` is ``""`` for the default locale, else
  BCP-47-like (``"zh"``, ``"zh-CN"``, ``"zh-Hant-TW"``). ``locales`` filters by prefix
  (``"zh"`` matches ``"zh"`` and ``"zh-*"``); ``None`` returns every locale. One tuple per
  (name, locale): a config with no qualifier other than the locale wins over e.g. ``-v21``.
  References are followed; non-string values are skipped.
* ``table.name_of(res_id) -> str | None`` — ``"string/app_name"`` style name.
"""

from __future__ import annotations

import struct
from collections.abc import Iterable
from dataclasses import dataclass, field

from pica.errors import InputError
from pica.extract.apk.axml import (
    TYPE_DYNAMIC_REFERENCE,
    TYPE_REFERENCE,
    TYPE_STRING,
    StringPool,
    read_chunk_header,
    typed_value,
)

__all__ = ["ResourceTable", "parse", "MAX_REF_DEPTH"]

RES_STRING_POOL_TYPE = 0x0001
RES_TABLE_TYPE = 0x0002
RES_TABLE_PACKAGE_TYPE = 0x0200
RES_TABLE_TYPE_TYPE = 0x0201
RES_TABLE_TYPE_SPEC_TYPE = 0x0202

FLAG_SPARSE = 0x01
FLAG_OFFSET16 = 0x02
ENTRY_FLAG_COMPLEX = 0x0001
ENTRY_FLAG_COMPACT = 0x0008
NO_ENTRY = 0xFFFFFFFF
MAX_REF_DEPTH = 5
MAX_PACKAGES = 256
_SCAN_LIMIT = 32  # configs per type beyond which repeated lookups use a per-type index
_SCANS_BEFORE_INDEX = 16

_U16 = struct.Struct("<H")
_U32 = struct.Struct("<I")
_ENTRY = struct.Struct("<HHI")
_VALUE = struct.Struct("<HBBI")
_TYPE_HDR = struct.Struct("<BBHII")  # id, flags, reserved, entryCount, entriesStart
_PKG_HDR = struct.Struct("<I256sIIII")


def _unpack_code(b0: int, b1: int, base: int) -> str:
    """Language/region code from ResTable_config's 2-byte field (packed 3-letter when bit 7)."""
    if b0 == 0:
        return ""
    if b0 & 0x80:
        first = b1 & 0x1F
        second = ((b1 & 0xE0) >> 5) | ((b0 & 0x03) << 3)
        third = (b0 & 0x7C) >> 2
        return "".join(chr(base + c) for c in (first, second, third))
    if b1 == 0:
        return chr(b0) if 0x20 < b0 < 0x7F else ""
    return "".join(chr(c) for c in (b0, b1) if 0x20 < c < 0x7F)


def _ascii(raw: bytes) -> str:
    return "".join(chr(c) for c in raw.split(b"\0", 1)[0] if 0x20 < c < 0x7F)


@dataclass(slots=True)
class _TypeChunk:
    type_id: int
    flags: int
    count: int
    offsets_pos: int  # absolute position of the offset table
    entries_pos: int  # absolute position entries are relative to
    end: int  # absolute end of the chunk
    locale: str
    default: bool  # no qualifier at all
    locale_only: bool  # no qualifier other than (possibly) the locale
    sparse: dict[int, int] | None = None


@dataclass(slots=True)
class _Package:
    pkg_id: int
    name: str
    type_names: StringPool | None
    keys: StringPool | None
    type_id_offset: int = 0
    types: dict[int, list[_TypeChunk]] = field(default_factory=dict)

    def type_name(self, type_id: int) -> str | None:
        if self.type_names is None:
            return None
        for idx in (type_id - 1 - self.type_id_offset, type_id - 1):
            if 0 <= idx < len(self.type_names):
                try:
                    return self.type_names.get(idx)
                except InputError:
                    return None
        return None


class ResourceTable:
    """A parsed resource table; see the module docstring for the API."""

    def __init__(self, data: bytes, strings: StringPool | None, packages: dict[int, _Package]):
        self._data = data
        self._strings = strings
        self._packages = packages
        self.skipped_entries = 0
        self._index: dict[tuple[int, int], dict[int, tuple[int, int]]] = {}
        self._scans: dict[tuple[int, int], int] = {}

    # -- public ------------------------------------------------------------------------------
    @property
    def package_names(self) -> list[str]:
        return [p.name for p in self._packages.values()]

    def global_strings(self) -> list[str]:
        """Every string of the global pool; one that cannot be decoded is returned as ``""``."""
        pool = self._strings
        if pool is None:
            return []
        out = []
        for i in range(len(pool)):
            try:
                out.append(pool.get(i))
            except InputError:
                self.skipped_entries += 1
                out.append("")
        return out

    def resolve(self, res_id: int) -> str | None:
        got = self._resolve_raw(res_id)
        if got is None or got[0] != TYPE_STRING or self._strings is None:
            return None
        try:
            return self._strings.get(got[1])
        except InputError:
            self.skipped_entries += 1
            return None

    def resolve_value(self, res_id: int) -> object:
        got = self._resolve_raw(res_id)
        if got is None:
            return None
        try:
            return typed_value(got[0], got[1], self._strings)
        except InputError:
            self.skipped_entries += 1
            return None

    def name_of(self, res_id: int) -> str | None:
        pkg = self._packages.get(res_id >> 24)
        if pkg is None:
            return None
        tname = pkg.type_name((res_id >> 16) & 0xFF)
        for chunk in pkg.types.get((res_id >> 16) & 0xFF, ()):
            ent = self._entry(chunk, res_id & 0xFFFF)
            if ent is not None and pkg.keys is not None:
                try:
                    return f"{tname}/{pkg.keys.get(ent[0])}"
                except InputError:
                    return None
        return None

    def string_entries(
        self, locales: Iterable[str] | None = ("", "zh")
    ) -> list[tuple[str, str, str]]:
        wanted = None if locales is None else tuple(locales)
        out: list[tuple[str, str, str]] = []
        seen: set[tuple[str, str]] = set()
        for pkg in self._packages.values():
            if pkg.keys is None:
                continue
            for type_id, chunks in pkg.types.items():
                if pkg.type_name(type_id) != "string":
                    continue
                ordered = sorted(chunks, key=lambda c: (not c.locale_only,))
                for chunk in ordered:
                    if wanted is not None and not _locale_matches(chunk.locale, wanted):
                        continue
                    for idx in self._entry_indexes(chunk):
                        ent = self._entry(chunk, idx)
                        if ent is None or ent[1] is None:
                            continue
                        try:
                            name = pkg.keys.get(ent[0])
                        except InputError:
                            self.skipped_entries += 1
                            continue
                        if (name, chunk.locale) in seen:
                            continue
                        dtype, data = ent[1], ent[2]
                        if dtype in (TYPE_REFERENCE, TYPE_DYNAMIC_REFERENCE):
                            value = self.resolve(data) if data else None
                        elif dtype == TYPE_STRING and self._strings is not None:
                            try:
                                value = self._strings.get(data)
                            except InputError:
                                self.skipped_entries += 1
                                value = None
                        else:
                            value = None
                        if value is None:
                            continue
                        seen.add((name, chunk.locale))
                        out.append((name, chunk.locale, value))
        return out

    # -- internals ---------------------------------------------------------------------------
    def _resolve_raw(self, res_id: int) -> tuple[int, int] | None:
        for _ in range(MAX_REF_DEPTH + 1):
            got = self._lookup(res_id)
            if got is None:
                return None
            dtype, data = got
            if dtype in (TYPE_REFERENCE, TYPE_DYNAMIC_REFERENCE):
                if data == 0 or data == res_id:
                    return None
                res_id = data
                continue
            return got
        return None

    def _lookup(self, res_id: int) -> tuple[int, int] | None:
        pkg = self._packages.get((res_id >> 24) & 0xFF)
        if pkg is None:
            return None
        type_id = (res_id >> 16) & 0xFF
        chunks = pkg.types.get(type_id)
        if not chunks:
            return None
        idx = res_id & 0xFFFF
        if len(chunks) > _SCAN_LIMIT:
            # Many configs: after a few scans, one pass builds an index so that lookups stay
            # O(1) (a hostile table with thousands of configs must not make resolving
            # quadratic), while a couple of lookups (app label) stay cheap.
            key = (pkg.pkg_id, type_id)
            index = self._index.get(key)
            if index is None:
                n = self._scans[key] = self._scans.get(key, 0) + 1
                if n > _SCANS_BEFORE_INDEX:
                    index = self._index[key] = self._build_index(chunks)
            if index is not None:
                return index.get(idx)
        fallback_locale_free = None
        fallback_any = None
        for chunk in chunks:
            ent = self._entry(chunk, idx)
            if ent is None or ent[1] is None:
                continue
            val = (ent[1], ent[2])
            if chunk.default:
                return val
            if chunk.locale == "":
                if fallback_locale_free is None:
                    fallback_locale_free = val
            elif fallback_any is None:
                fallback_any = val
        return fallback_locale_free if fallback_locale_free is not None else fallback_any

    def _build_index(self, chunks: list[_TypeChunk]) -> dict[int, tuple[int, int]]:
        best: dict[int, tuple[int, tuple[int, int]]] = {}
        for chunk in chunks:
            rank = 0 if chunk.default else 1 if chunk.locale == "" else 2
            for idx in self._entry_indexes(chunk):
                have = best.get(idx)
                if have is not None and have[0] <= rank:
                    continue
                ent = self._entry(chunk, idx)
                if ent is None or ent[1] is None:
                    continue
                best[idx] = (rank, (ent[1], ent[2]))
        return {idx: v for idx, (_, v) in best.items()}

    def _entry_indexes(self, chunk: _TypeChunk) -> Iterable[int]:
        if chunk.flags & FLAG_SPARSE:
            return sorted(self._sparse(chunk))
        return range(chunk.count)

    def _sparse(self, chunk: _TypeChunk) -> dict[int, int]:
        if chunk.sparse is None:
            d: dict[int, int] = {}
            data = self._data
            for i in range(chunk.count):
                e_idx, e_off = struct.unpack_from("<HH", data, chunk.offsets_pos + 4 * i)
                d[e_idx] = e_off * 4
            chunk.sparse = d
        return chunk.sparse

    def _entry(self, chunk: _TypeChunk, idx: int) -> tuple[int, int | None, int] | None:
        """(key index, data type or None for a complex entry, data) of entry ``idx``."""
        data = self._data
        if chunk.flags & FLAG_SPARSE:
            off = self._sparse(chunk).get(idx)
            if off is None:
                return None
        else:
            if idx >= chunk.count:
                return None
            if chunk.flags & FLAG_OFFSET16:
                off = _U16.unpack_from(data, chunk.offsets_pos + 2 * idx)[0]
                if off == 0xFFFF:
                    return None
                off *= 4
            else:
                off = _U32.unpack_from(data, chunk.offsets_pos + 4 * idx)[0]
                if off == NO_ENTRY:
                    return None
        pos = chunk.entries_pos + off
        if pos + 8 > chunk.end:
            self.skipped_entries += 1
            return None
        size, flags, key = _ENTRY.unpack_from(data, pos)
        if flags & ENTRY_FLAG_COMPACT:
            return size, flags >> 8, key
        if flags & ENTRY_FLAG_COMPLEX:
            return key, None, 0
        vpos = pos + size
        if size < 8 or vpos + 8 > chunk.end:
            self.skipped_entries += 1
            return None
        _vsize, _res0, dtype, vdata = _VALUE.unpack_from(data, vpos)
        return key, dtype, vdata


def _locale_matches(locale: str, wanted: tuple[str, ...]) -> bool:
    for w in wanted:
        if w == "":
            if locale == "":
                return True
        elif locale == w or locale.startswith(w + "-"):
            return True
    return False


def parse(data: bytes) -> ResourceTable:
    """Parse ``resources.arsc`` bytes. Raises InputError when the structure is broken."""
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise InputError("resources.arsc: expected bytes")
    data = bytes(data)
    what = "resources.arsc"
    if len(data) < 12:
        raise InputError(f"{what}: {len(data)} bytes is too short")
    ctype, hsize, size = struct.unpack_from("<HHI", data, 0)
    if ctype != RES_TABLE_TYPE:
        raise InputError(f"{what}: not a resource table (chunk type 0x{ctype:04x})")
    if hsize < 12 or size < hsize:
        raise InputError(f"{what}: bad header (header {hsize}, size {size})")
    if size > len(data):
        raise InputError(f"{what}: truncated (header claims {size} bytes, file has {len(data)})")
    data = data[:size]
    end = size
    strings: StringPool | None = None
    packages: dict[int, _Package] = {}
    n_packages = 0
    pos = hsize
    while pos < end:
        if end - pos < 8:
            break
        ctype, chsize, csize = read_chunk_header(data, pos, end, what)
        if ctype == RES_STRING_POOL_TYPE and strings is None:
            strings = StringPool(data, pos, f"{what} global string pool")
        elif ctype == RES_TABLE_PACKAGE_TYPE:
            n_packages += 1
            if n_packages > MAX_PACKAGES:
                raise InputError(f"{what}: more than {MAX_PACKAGES} packages")
            pkg = _parse_package(data, pos, chsize, csize, what)
            have = packages.get(pkg.pkg_id)
            if have is None:
                packages[pkg.pkg_id] = pkg
            else:
                for tid, chunks in pkg.types.items():
                    have.types.setdefault(tid, []).extend(chunks)
        pos += csize
    return ResourceTable(data, strings, packages)


def _parse_package(data: bytes, pos: int, hsize: int, size: int, what: str) -> _Package:
    if hsize < 8 + _PKG_HDR.size:
        raise InputError(f"{what}: package header at offset {pos} is only {hsize} bytes")
    pkg_id, raw_name, type_strings, _last_type, key_strings, _last_key = _PKG_HDR.unpack_from(
        data, pos + 8
    )
    type_id_offset = 0
    if hsize >= 8 + _PKG_HDR.size + 4:
        type_id_offset = _U32.unpack_from(data, pos + 8 + _PKG_HDR.size)[0]
        if type_id_offset > 255:
            type_id_offset = 0
    name = raw_name.decode("utf-16-le", "replace").split("\0", 1)[0]
    end = pos + size
    what_p = f"{what} package 0x{pkg_id & 0xFF:02x}"

    def pool_at(rel: int, label: str) -> StringPool | None:
        if rel == 0:
            return None
        if rel < hsize or rel + 8 > size:
            raise InputError(f"{what_p}: {label} offset {rel} outside the package")
        return StringPool(data, pos + rel, f"{what_p} {label}", end)

    type_names = pool_at(type_strings, "type strings")
    keys = pool_at(key_strings, "key strings")
    pkg = _Package(pkg_id & 0xFF, name, type_names, keys, type_id_offset)
    p = pos + hsize
    pools_seen: list[int] = []
    while p < end:
        if end - p < 8:
            break
        ctype, chsize, csize = read_chunk_header(data, p, end, what_p)
        if ctype == RES_STRING_POOL_TYPE:
            pools_seen.append(p)
        elif ctype == RES_TABLE_TYPE_TYPE:
            chunk = _parse_type(data, p, chsize, csize, what_p)
            if chunk is not None:
                pkg.types.setdefault(chunk.type_id, []).append(chunk)
        p += csize
    # Offsets of 0 (seen in some hand-built tables): take the pools in order.
    if pkg.type_names is None and pools_seen:
        pkg.type_names = StringPool(data, pools_seen[0], f"{what_p} type strings", end)
    if pkg.keys is None and len(pools_seen) > 1:
        pkg.keys = StringPool(data, pools_seen[1], f"{what_p} key strings", end)
    return pkg


def _parse_type(data: bytes, pos: int, hsize: int, size: int, what: str) -> _TypeChunk | None:
    if hsize < 8 + _TYPE_HDR.size + 4:
        raise InputError(f"{what}: type chunk at offset {pos} has a {hsize}-byte header")
    type_id, flags, _res, count, entries_start = _TYPE_HDR.unpack_from(data, pos + 8)
    if type_id == 0:
        raise InputError(f"{what}: type chunk at offset {pos} has type id 0")
    cfg_pos = pos + 8 + _TYPE_HDR.size
    cfg_size = _U32.unpack_from(data, cfg_pos)[0]
    if cfg_size < 4 or cfg_pos + cfg_size > pos + hsize:
        raise InputError(f"{what}: type chunk at offset {pos} has a bad config size {cfg_size}")
    cfg = data[cfg_pos + 4 : cfg_pos + cfg_size] + bytes(max(0, 48 - cfg_size))
    lang = _unpack_code(cfg[4], cfg[5], ord("a"))
    region = _unpack_code(cfg[6], cfg[7], ord("0"))
    script = _ascii(cfg[32:36]) if cfg_size >= 40 else ""
    variant = _ascii(cfg[36:44]) if cfg_size >= 48 else ""
    if lang:
        locale = "-".join(x for x in (lang, script, region, variant) if x)
    elif region:
        locale = "und-" + region
    else:
        locale = ""
    default = not any(cfg)
    stripped = bytearray(cfg)
    stripped[4:8] = b"\0\0\0\0"
    stripped[32:44] = bytes(12)
    stripped[48:57] = bytes(9)  # localeScriptWasComputed, localeNumberingSystem
    locale_only = not any(stripped)
    width = 2 if flags & FLAG_OFFSET16 and not flags & FLAG_SPARSE else 4
    offsets_pos = pos + hsize
    if count > (size - hsize) // width:
        raise InputError(f"{what}: type chunk at offset {pos} claims {count} entries")
    if entries_start < hsize + width * count or entries_start > size:
        raise InputError(f"{what}: type chunk at offset {pos} has a bad entries start")
    return _TypeChunk(
        type_id=type_id,
        flags=flags,
        count=count,
        offsets_pos=offsets_pos,
        entries_pos=pos + entries_start,
        end=pos + size,
        locale=locale,
        default=default,
        locale_only=locale_only,
    )
