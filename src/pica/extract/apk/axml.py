"""Android binary XML (``AndroidManifest.xml`` as stored in an APK) → a small element tree.

Written from the format as documented in AOSP ``libs/androidfw/include/androidfw/ResourceTypes.h``:
a ``RES_XML_TYPE`` chunk holding a string pool, an optional resource map (attribute-name index →
framework resource id) and a flat stream of namespace / element / CDATA nodes.

The input is hostile: every offset, size, count and string index is checked against the bytes
actually present; any violation raises :class:`~pica.errors.InputError` with one line.
Limits: element depth ≤ :data:`MAX_DEPTH`, total elements ≤ :data:`MAX_ELEMENTS`, decoded string
bytes bounded by a small multiple of the pool size (so a pool whose strings overlap cannot
explode memory). Work is linear in the input size.

Attribute keys: ``"android:<name>"`` for the android namespace, the bare name otherwise. When the
resource map gives a framework attribute id (``0x0101xxxx``) that is in :data:`FRAMEWORK_ATTRS`,
that name wins over the name string (the platform also identifies attributes by id, which is
what obfuscators rely on when they blank or scramble the names); an unknown framework id with
an empty name becomes ``"android:0x0101xxxx"``.

Attribute values (see :func:`typed_value`):

* string → ``str``; decimal / hex int → ``int``; boolean → ``bool``; float → ``float``;
* reference (``@``) → :class:`ResRef`, a ``str`` such as ``"@0x7f0a0001"`` whose ``.res_id`` is
  the int; attribute reference (``?``) → :class:`ResRef` ``"?0x0101009b"`` (``.is_attr`` true);
* dimension → ``str`` like ``"16.0dip"``; fraction → ``"50.0%"``; colours → ``"#aarrggbb"``;
* null → ``None``; unknown types → the raw ``int`` data.
"""

from __future__ import annotations

import struct
import sys
from array import array
from collections.abc import Iterator
from dataclasses import dataclass, field

from pica.errors import InputError

__all__ = [
    "ANDROID_NS",
    "FRAMEWORK_ATTRS",
    "MAX_DEPTH",
    "MAX_ELEMENTS",
    "ResRef",
    "StringPool",
    "XmlElement",
    "parse",
    "read_chunk_header",
    "typed_value",
]

ANDROID_NS = "http://schemas.android.com/apk/res/android"
MAX_DEPTH = 200
MAX_ELEMENTS = 200_000

# Chunk types (ResourceTypes.h).
RES_STRING_POOL_TYPE = 0x0001
RES_XML_TYPE = 0x0003
RES_XML_START_NAMESPACE_TYPE = 0x0100
RES_XML_END_NAMESPACE_TYPE = 0x0101
RES_XML_START_ELEMENT_TYPE = 0x0102
RES_XML_END_ELEMENT_TYPE = 0x0103
RES_XML_CDATA_TYPE = 0x0104
RES_XML_RESOURCE_MAP_TYPE = 0x0180

# Res_value data types.
TYPE_NULL = 0x00
TYPE_REFERENCE = 0x01
TYPE_ATTRIBUTE = 0x02
TYPE_STRING = 0x03
TYPE_FLOAT = 0x04
TYPE_DIMENSION = 0x05
TYPE_FRACTION = 0x06
TYPE_DYNAMIC_REFERENCE = 0x07
TYPE_DYNAMIC_ATTRIBUTE = 0x08
TYPE_INT_DEC = 0x10
TYPE_INT_HEX = 0x11
TYPE_INT_BOOLEAN = 0x12
TYPE_INT_COLOR_ARGB8 = 0x1C
TYPE_INT_COLOR_RGB8 = 0x1D
TYPE_INT_COLOR_ARGB4 = 0x1E
TYPE_INT_COLOR_RGB4 = 0x1F

NO_INDEX = 0xFFFFFFFF
_UTF8_FLAG = 0x100

# Public framework attribute ids (android.R.attr; stable once published) that manifests use.
FRAMEWORK_ATTRS: dict[int, str] = {
    0x01010000: "theme",
    0x01010001: "label",
    0x01010002: "icon",
    0x01010003: "name",
    0x01010006: "permission",
    0x01010007: "readPermission",
    0x01010008: "writePermission",
    0x01010009: "protectionLevel",
    0x0101000A: "permissionGroup",
    0x0101000B: "sharedUserId",
    0x0101000C: "hasCode",
    0x0101000D: "persistent",
    0x0101000E: "enabled",
    0x0101000F: "debuggable",
    0x01010010: "exported",
    0x01010011: "process",
    0x01010012: "taskAffinity",
    0x01010013: "multiprocess",
    0x01010014: "finishOnTaskLaunch",
    0x01010016: "stateNotNeeded",
    0x01010017: "excludeFromRecents",
    0x01010018: "authorities",
    0x01010019: "syncable",
    0x0101001A: "initOrder",
    0x0101001B: "grantUriPermissions",
    0x0101001C: "priority",
    0x0101001D: "launchMode",
    0x0101001E: "screenOrientation",
    0x0101001F: "configChanges",
    0x01010020: "description",
    0x01010021: "targetPackage",
    0x01010024: "value",
    0x01010025: "resource",
    0x01010026: "mimeType",
    0x01010027: "scheme",
    0x01010028: "host",
    0x01010029: "port",
    0x0101002A: "path",
    0x0101002B: "pathPrefix",
    0x0101002C: "pathPattern",
    0x01010202: "targetActivity",
    0x01010203: "alwaysRetainTaskState",
    0x01010204: "allowTaskReparenting",
    0x0101020C: "minSdkVersion",
    0x0101021B: "versionCode",
    0x0101021C: "versionName",
    0x0101022B: "windowSoftInputMode",
    0x0101022D: "noHistory",
    0x01010261: "sharedUserLabel",
    0x0101027F: "backupAgent",
    0x01010280: "allowBackup",
    0x01010281: "glEsVersion",
    0x0101028E: "required",
    0x0101029C: "killAfterRestore",
    0x01010270: "targetSdkVersion",
    0x01010271: "maxSdkVersion",
    0x01010272: "testOnly",
    0x010102B7: "installLocation",
    0x010102BA: "restoreAnyVersion",
    0x010102BE: "logo",
    0x010102D3: "hardwareAccelerated",
    0x0101035A: "largeHeap",
    0x0101036A: "stopWithTask",
    0x01010398: "uiOptions",
    0x010103A9: "isolatedProcess",
    0x010103AF: "supportsRtl",
    0x010103E3: "ssp",
    0x010103E4: "sspPrefix",
    0x010103E5: "sspPattern",
    0x010104EA: "extractNativeLibs",
    0x010104EB: "fullBackupContent",
    0x010104EC: "usesCleartextTraffic",
    0x010104EE: "autoVerify",
    0x010104F6: "resizeableActivity",
    0x01010505: "directBootAware",
    0x01010527: "networkSecurityConfig",
    0x0101052C: "roundIcon",
    0x01010531: "visibleToInstantApps",
    0x01010572: "compileSdkVersion",
    0x01010573: "compileSdkVersionCodename",
    0x0101057A: "appComponentFactory",
    0x01010599: "foregroundServiceType",
}

_HDR = struct.Struct("<HHI")
_U32 = struct.Struct("<I")
_NODE = struct.Struct("<HHIII")  # chunk header + lineNumber + comment
_NS_EXT = struct.Struct("<II")
_ATTR_EXT = struct.Struct("<IIHHHHHH")
_ATTR = struct.Struct("<IIIHBBI")
_CDATA_EXT = struct.Struct("<IHBBI")
_POOL_HDR = struct.Struct("<HHIIIIII")
_LITTLE = sys.byteorder == "little"

_DIM_UNITS = ("px", "dip", "sp", "pt", "in", "mm")
_FRAC_UNITS = ("%", "%p")
_RADIX_MULT = (1.0 / (1 << 0), 1.0 / (1 << 7), 1.0 / (1 << 15), 1.0 / (1 << 23))


class ResRef(str):
    """A resource reference kept as text (``"@0x7f0a0001"``, ``"?0x0101009b"``) with its id."""

    __slots__ = ("res_id",)
    res_id: int

    def __new__(cls, res_id: int, attr: bool = False) -> ResRef:
        obj = super().__new__(cls, f"{'?' if attr else '@'}0x{res_id:08x}")
        obj.res_id = res_id
        return obj

    @property
    def is_attr(self) -> bool:
        return self.startswith("?")

    def __reduce__(self) -> tuple[type[ResRef], tuple[int, bool]]:  # pickle / deepcopy
        return (ResRef, (self.res_id, self.is_attr))


@dataclass
class XmlElement:
    """One element. ``text`` holds the CDATA directly inside it (manifests rarely have any)."""

    tag: str
    attrs: dict[str, object] = field(default_factory=dict)
    children: list[XmlElement] = field(default_factory=list)
    text: str = ""

    def get(self, key: str, default: object = None) -> object:
        return self.attrs.get(key, default)

    def findall(self, tag: str) -> list[XmlElement]:
        """Direct children with this tag."""
        return [c for c in self.children if c.tag == tag]

    def find(self, tag: str) -> XmlElement | None:
        for c in self.children:
            if c.tag == tag:
                return c
        return None

    def iter(self, tag: str | None = None) -> Iterator[XmlElement]:
        """This element and all descendants in document order (iterative, no recursion)."""
        stack = [self]
        while stack:
            el = stack.pop()
            if tag is None or el.tag == tag:
                yield el
            stack.extend(reversed(el.children))


def read_chunk_header(data: bytes, pos: int, end: int, what: str) -> tuple[int, int, int]:
    """Return (type, header_size, size) of the chunk at ``pos``, validated against ``end``."""
    if pos + 8 > end:
        raise InputError(f"{what}: truncated chunk header at offset {pos}")
    ctype, hsize, size = _HDR.unpack_from(data, pos)
    if hsize < 8 or size < hsize:
        raise InputError(
            f"{what}: bad chunk at offset {pos} (type 0x{ctype:04x}, header {hsize}, size {size})"
        )
    if pos + size > end:
        raise InputError(
            f"{what}: chunk at offset {pos} (type 0x{ctype:04x}) claims {size} bytes, only {end - pos} left"
        )
    return ctype, hsize, size


class StringPool:
    """A ResStringPool chunk. Strings are decoded lazily and cached by offset.

    ``budget`` caps the total number of bytes decoded so that overlapping strings (many indexes
    pointing into one long run) cannot blow up memory; exceeding it raises InputError.
    """

    __slots__ = ("_data", "_offsets", "_base", "_limit", "_utf8", "_cache", "_budget", "what")

    def __init__(
        self, data: bytes, pos: int, what: str = "string pool", end: int | None = None
    ) -> None:
        self.what = what
        end = len(data) if end is None else min(end, len(data))
        ctype, hsize, size = read_chunk_header(data, pos, end, what)
        if ctype != RES_STRING_POOL_TYPE or hsize < 28:
            raise InputError(f"{what}: not a string pool at offset {pos}")
        _, _, _, count, style_count, flags, strings_start, styles_start = _POOL_HDR.unpack_from(
            data, pos
        )
        chunk_end = pos + size
        table = pos + hsize
        # Every string needs a 4-byte offset entry (plus 4 per style span entry).
        if count > (size - hsize) // 4 or style_count > (size - hsize) // 4:
            raise InputError(f"{what}: absurd string count {count} for a {size}-byte pool")
        if table + 4 * (count + style_count) > chunk_end:
            raise InputError(f"{what}: string offsets run past the pool ({count} strings)")
        offsets = array("I")
        if offsets.itemsize != 4:  # pragma: no cover - exotic platforms
            offsets = array("L")
        offsets.frombytes(data[table : table + 4 * count])
        if not _LITTLE:  # pragma: no cover
            offsets.byteswap()
        base = pos + strings_start
        if count:
            if strings_start < hsize or base > chunk_end:
                raise InputError(f"{what}: string data offset {strings_start} outside the pool")
        limit = chunk_end
        if (
            style_count
            and pos + hsize <= pos + styles_start < chunk_end
            and styles_start > strings_start
        ):
            limit = pos + styles_start
        self._data = data
        self._offsets = offsets
        self._base = base
        self._limit = limit
        self._utf8 = bool(flags & _UTF8_FLAG)
        self._cache: dict[int, str] = {}
        self._budget = 4 * max(0, limit - base) + 65536

    def __len__(self) -> int:
        return len(self._offsets)

    def get(self, idx: int) -> str:
        """String ``idx``; InputError when out of range or malformed."""
        if idx < 0 or idx >= len(self._offsets):
            raise InputError(
                f"{self.what}: string index {idx} out of range (pool has {len(self._offsets)})"
            )
        off = self._offsets[idx]
        s = self._cache.get(off)
        if s is None:
            s = self._decode(off)
            self._cache[off] = s
        return s

    def get_opt(self, idx: int) -> str | None:
        """String ``idx`` or None for the 0xFFFFFFFF "no string" index."""
        if idx == NO_INDEX:
            return None
        return self.get(idx)

    def all(self) -> list[str]:
        return [self.get(i) for i in range(len(self._offsets))]

    def _decode(self, off: int) -> str:
        data = self._data
        p = self._base + off
        limit = self._limit
        if self._utf8:
            if p + 2 > limit:
                raise InputError(f"{self.what}: string at offset {off} outside the pool")
            b = data[p]
            p += 2 if b & 0x80 else 1  # UTF-16 length, unused
            if p + 1 > limit:
                raise InputError(f"{self.what}: string at offset {off} truncated")
            b = data[p]
            if b & 0x80:
                if p + 2 > limit:
                    raise InputError(f"{self.what}: string at offset {off} truncated")
                n = ((b & 0x7F) << 8) | data[p + 1]
                p += 2
            else:
                n = b
                p += 1
            if p + n > limit:
                raise InputError(f"{self.what}: string at offset {off} runs past the pool")
            self._spend(n)
            return data[p : p + n].decode("utf-8", "replace")
        if p + 2 > limit:
            raise InputError(f"{self.what}: string at offset {off} outside the pool")
        n = data[p] | (data[p + 1] << 8)
        p += 2
        if n & 0x8000:
            if p + 2 > limit:
                raise InputError(f"{self.what}: string at offset {off} truncated")
            n = ((n & 0x7FFF) << 16) | data[p] | (data[p + 1] << 8)
            p += 2
        if p + 2 * n > limit:
            raise InputError(f"{self.what}: string at offset {off} runs past the pool")
        self._spend(2 * n)
        return data[p : p + 2 * n].decode("utf-16-le", "replace")

    def _spend(self, n: int) -> None:
        self._budget -= n
        if self._budget < 0:
            raise InputError(f"{self.what}: strings overlap beyond any sane size (decode budget)")


def _complex_to_float(data: int) -> float:
    mantissa = data >> 8
    if mantissa & 0x800000:
        mantissa -= 0x1000000
    return mantissa * _RADIX_MULT[(data >> 4) & 3]


def typed_value(dtype: int, data: int, strings: StringPool | None) -> object:
    """Python value of a Res_value (see module docstring for the mapping)."""
    if dtype == TYPE_STRING:
        if strings is None:
            return None
        return strings.get(data)
    if dtype == TYPE_INT_DEC:
        return data - 0x100000000 if data & 0x80000000 else data
    if dtype == TYPE_INT_HEX:
        return data
    if dtype == TYPE_INT_BOOLEAN:
        return data != 0
    if dtype in (TYPE_REFERENCE, TYPE_DYNAMIC_REFERENCE):
        return ResRef(data)
    if dtype in (TYPE_ATTRIBUTE, TYPE_DYNAMIC_ATTRIBUTE):
        return ResRef(data, attr=True)
    if dtype == TYPE_FLOAT:
        return struct.unpack("<f", _U32.pack(data))[0]
    if dtype == TYPE_DIMENSION:
        unit = data & 0xF
        return f"{_complex_to_float(data)}{_DIM_UNITS[unit] if unit < 6 else '?'}"
    if dtype == TYPE_FRACTION:
        unit = data & 0xF
        return f"{_complex_to_float(data) * 100}{_FRAC_UNITS[unit] if unit < 2 else '?'}"
    if dtype in (TYPE_INT_COLOR_ARGB8, TYPE_INT_COLOR_ARGB4):
        return f"#{data:08x}"
    if dtype in (TYPE_INT_COLOR_RGB8, TYPE_INT_COLOR_RGB4):
        return f"#{data & 0xFFFFFF:06x}"
    if dtype == TYPE_NULL:
        return None
    return data


def parse(data: bytes) -> XmlElement:
    """Parse binary XML bytes into the root :class:`XmlElement`. Raises InputError on bad input."""
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise InputError("binary XML: expected bytes")
    data = bytes(data)
    what = "binary XML"
    if len(data) < 8:
        raise InputError(f"{what}: {len(data)} bytes is too short")
    ctype, hsize, size = _HDR.unpack_from(data, 0)
    if ctype != RES_XML_TYPE:
        if data[:5] == b"<?xml" or data.lstrip()[:1] == b"<":
            raise InputError(f"{what}: this is plain-text XML, not compiled binary XML")
        raise InputError(f"{what}: not an Android binary XML file (chunk type 0x{ctype:04x})")
    if hsize < 8 or size < hsize:
        raise InputError(f"{what}: bad header (header {hsize}, size {size})")
    if size > len(data):
        raise InputError(f"{what}: truncated (header claims {size} bytes, file has {len(data)})")
    end = size

    strings: StringPool | None = None
    res_map: array | None = None
    ns_prefix: dict[str, str] = {}  # uri -> prefix
    root: XmlElement | None = None
    stack: list[XmlElement] = []
    n_elements = 0
    pos = hsize
    while pos < end:
        if end - pos < 8:
            break  # trailing padding
        ctype, chsize, csize = read_chunk_header(data, pos, end, what)
        if ctype == RES_STRING_POOL_TYPE:
            if strings is None:
                strings = StringPool(data, pos, f"{what} string pool", end)
        elif ctype == RES_XML_RESOURCE_MAP_TYPE:
            n = (csize - chsize) // 4
            res_map = array("I")
            if res_map.itemsize != 4:  # pragma: no cover
                res_map = array("L")
            res_map.frombytes(data[pos + chsize : pos + chsize + 4 * n])
            if not _LITTLE:  # pragma: no cover
                res_map.byteswap()
        elif RES_XML_START_NAMESPACE_TYPE <= ctype <= RES_XML_CDATA_TYPE:
            if strings is None:
                raise InputError(f"{what}: XML node before the string pool")
            if chsize < 16:
                raise InputError(f"{what}: XML node at offset {pos} has a {chsize}-byte header")
            ext = pos + chsize
            cend = pos + csize
            if ctype == RES_XML_START_ELEMENT_TYPE:
                if ext + 20 > cend:
                    raise InputError(f"{what}: element at offset {pos} truncated")
                ns_i, name_i, a_start, a_size, a_count, _, _, _ = _ATTR_EXT.unpack_from(data, ext)
                tag = strings.get(name_i)
                attrs: dict[str, object] = {}
                if a_count:
                    if a_size < 20:
                        raise InputError(f"{what}: element '{tag}' has {a_size}-byte attributes")
                    ap = ext + a_start
                    if ap + a_size * a_count > cend:
                        raise InputError(f"{what}: attributes of '{tag}' run past their chunk")
                    for _ in range(a_count):
                        a_ns, a_name, a_raw, _vs, _r0, dtype, vdata = _ATTR.unpack_from(data, ap)
                        ap += a_size
                        key = _attr_key(strings, res_map, ns_prefix, a_ns, a_name)
                        if dtype == TYPE_STRING:
                            value: object = strings.get(vdata)
                        elif a_raw != NO_INDEX and dtype == TYPE_NULL:
                            value = strings.get(a_raw)
                        else:
                            value = typed_value(dtype, vdata, strings)
                        attrs[key] = value
                el = XmlElement(tag, attrs, [])
                n_elements += 1
                if n_elements > MAX_ELEMENTS:
                    raise InputError(f"{what}: more than {MAX_ELEMENTS} elements")
                if stack:
                    stack[-1].children.append(el)
                elif root is None:
                    root = el
                else:
                    # A second top-level element: the platform stops at the first root.
                    pass
                stack.append(el)
                if len(stack) > MAX_DEPTH:
                    raise InputError(f"{what}: elements nested deeper than {MAX_DEPTH}")
            elif ctype == RES_XML_END_ELEMENT_TYPE:
                if stack:
                    stack.pop()
            elif ctype == RES_XML_START_NAMESPACE_TYPE:
                if ext + 8 > cend:
                    raise InputError(f"{what}: namespace node at offset {pos} truncated")
                prefix_i, uri_i = _NS_EXT.unpack_from(data, ext)
                uri = strings.get_opt(uri_i)
                prefix = strings.get_opt(prefix_i)
                if uri is not None and prefix is not None:
                    ns_prefix[uri] = prefix
            elif ctype == RES_XML_CDATA_TYPE:
                if ext + 12 > cend:
                    raise InputError(f"{what}: CDATA node at offset {pos} truncated")
                text_i = _U32.unpack_from(data, ext)[0]
                text = strings.get_opt(text_i)
                if text and stack and len(stack[-1].text) < 1_000_000:
                    stack[-1].text += text
            # END_NAMESPACE: nothing to do (prefixes are only used for display).
        # Unknown chunk types are skipped, as the platform does.
        pos += csize
    if root is None:
        raise InputError(f"{what}: no root element")
    return root


def _attr_key(
    strings: StringPool,
    res_map: array | None,
    ns_prefix: dict[str, str],
    ns_i: int,
    name_i: int,
) -> str:
    res_id = res_map[name_i] if res_map is not None and name_i < len(res_map) else 0
    if res_id >> 16 == 0x0101:
        known = FRAMEWORK_ATTRS.get(res_id)
        if known is not None:
            return "android:" + known
        name = strings.get(name_i) if name_i != NO_INDEX else ""
        return "android:" + (name or f"0x{res_id:08x}")
    name = strings.get(name_i) if name_i != NO_INDEX else ""
    if ns_i != NO_INDEX:
        uri = strings.get(ns_i)
        if uri == ANDROID_NS:
            return "android:" + name
    return name
