"""Opening an APK (a zip) as hostile input: bounded, never extracted to disk.

Checks before any byte is inflated: zip signature, entry count, unsafe names (path traversal),
declared sizes and compression ratios (zip bombs), every entry's local header against the
central directory (the two must agree) and the span of its data (entries must not overlap:
several entries quoting one compressed stream is how a small zip inflates to gigabytes).

While inflating, one ``InflateBudget`` per APK counts the bytes actually produced, chunk by
chunk, against ``Limits.inflate_budget``; an archive opened from inside this one (nested
archives) shares the same budget. A limit hit is an ``InputError`` naming the limit, the entry
and the environment variable that changes it.
"""

from __future__ import annotations

import hashlib
import io
import mmap
import os
import re
import struct
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path

from pica import limits as _limits
from pica.errors import InputError

MAX_RATIO = 200  # deflate tops out near 1032:1; real dex/xml/arsc stay far below 200:1
RATIO_FLOOR = 10 * 1024**2  # ratios only matter for entries larger than this
DEX_NAME = re.compile(r"^classes\d*\.dex$")
CHUNK = 1024**2  # inflate this much at a time, counting each chunk against the budget
_LOCAL = struct.Struct("<4sHHHHHIIIHH")  # local file header, 30 bytes
_DATA_DESCRIPTOR = 0x08


def _mib(n: int) -> str:
    return f"{n / 1024**2:,.0f} MiB" if n >= 1024**2 else f"{n:,} bytes"


@dataclass
class InflateBudget:
    """Bytes inflated so far from one APK (and any archive nested in it), against a limit."""

    limit: int
    used: int = 0

    def charge(self, n: int, entry: str) -> None:
        self.used += n
        if self.used > self.limit:
            raise InputError(
                f"inflate budget of {_mib(self.limit)} per APK exhausted while inflating entry "
                f"{entry!r} (set {_limits.Limits.env_name('inflate_budget')} to change it)"
            )

    def reserve(self, n: int, what: str) -> None:
        """Refuse before inflating when ``n`` more declared bytes cannot fit the budget."""
        if self.used + n > self.limit:
            raise InputError(
                f"{what} declare {n:,} bytes inflated, over the inflate budget of "
                f"{_mib(self.limit)} per APK "
                f"(set {_limits.Limits.env_name('inflate_budget')} to change it)"
            )


@dataclass(frozen=True)
class ApkFile:
    """An opened APK: the zip, its name and digest, and a running inflate budget."""

    path: Path
    sha256: str
    size: int
    zip: zipfile.ZipFile
    budget: InflateBudget = field(
        default_factory=lambda: InflateBudget(_limits.current().inflate_budget)
    )

    def names(self) -> list[str]:
        return self.zip.namelist()

    def has(self, name: str) -> bool:
        try:
            self.zip.getinfo(name)
        except KeyError:
            return False
        return True

    def declared_size(self, name: str) -> int:
        return self.zip.getinfo(name).file_size

    def read(self, name: str, limit: int | None = None, *, head: int | None = None) -> bytes:
        """Inflate one entry in chunks, each counted against the APK's budget; refuse entries
        that declare or inflate more than ``limit`` bytes. ``head``: only the first bytes."""
        limit = _limits.current().max_entry_bytes if limit is None else limit
        info = self.zip.getinfo(name)
        if info.file_size > limit:
            raise InputError(
                f"APK entry {name!r} declares {info.file_size:,} bytes inflated "
                f"(entry limit {limit:,}, {_limits.Limits.env_name('max_entry_bytes')}): "
                "refusing a possible zip bomb"
            )
        want = limit + 1 if head is None else min(head, limit + 1)
        chunks: list[bytes] = []
        got = 0
        try:
            with self.zip.open(info) as handle:
                while got < want:
                    chunk = handle.read(min(CHUNK, want - got))
                    if not chunk:
                        break
                    self.budget.charge(len(chunk), name)
                    chunks.append(chunk)
                    got += len(chunk)
        except InputError:
            raise
        except MemoryError:
            raise InputError(
                f"APK entry {name!r}: out of memory while inflating (memory limit reached)"
            ) from None
        except zlib.error as exc:
            if "-4" in str(exc) or "memory" in str(exc).lower():
                raise InputError(
                    f"APK entry {name!r}: zlib ran out of memory while inflating "
                    "(memory limit reached)"
                ) from None
            raise InputError(f"APK entry {name!r} cannot be inflated: {exc}") from None
        except zipfile.BadZipFile as exc:
            raise InputError(f"APK entry {name!r} is corrupt: {_one_line(exc)}") from None
        except (OSError, EOFError, ValueError, NotImplementedError, RuntimeError) as exc:
            raise InputError(f"APK entry {name!r} cannot be read: {_one_line(exc)}") from None
        if head is None and got > limit:
            raise InputError(f"APK entry {name!r} inflates past {limit:,} bytes: zip bomb")
        return chunks[0] if len(chunks) == 1 else b"".join(chunks)

    def dex_names(self) -> list[str]:
        """classes.dex, classes2.dex, … in the order the runtime loads them."""
        names = [n for n in self.names() if DEX_NAME.match(n)]
        return sorted(names, key=lambda n: int(n[7:-4] or 1))

    def close(self) -> None:
        self.zip.close()


def _one_line(exc: BaseException) -> str:
    text = str(exc).strip() or type(exc).__name__
    return text.splitlines()[0][:200]


_DRIVE = re.compile(r"[A-Za-z]:")
_SEPARATORS = re.compile(r"[\\/]")


def _unsafe_name(name: str) -> bool:
    if "\x00" in name or name.startswith(("/", "\\")) or _DRIVE.match(name):
        return True
    return ".." in name and ".." in _SEPARATORS.split(name)


def _check_local_headers(
    view: bytes | mmap.mmap, infos: list[zipfile.ZipInfo], label: str, size: int
) -> None:
    """Each entry's local header must agree with the central directory, and no entry's data may
    overlap another's (overlapping entries quote one compressed stream many times). ``view``:
    the archive's bytes (a read-only map of the file, so headers are read without a seek each)."""
    prev_end, prev_name = 0, None
    for info in sorted(infos, key=lambda i: i.header_offset):
        start = info.header_offset
        if start < prev_end:
            raise InputError(
                f"{label}: entries {prev_name!r} and {info.filename!r} overlap "
                "(one compressed stream quoted twice): zip bomb"
            )
        if start + _LOCAL.size > len(view):
            raise InputError(f"{label}: entry {info.filename!r} has no local header (truncated)")
        sig, _ver, flags, method, _t, _d, crc, csize, usize, nlen, xlen = _LOCAL.unpack_from(
            view, start
        )
        if sig != b"PK\x03\x04":
            raise InputError(f"{label}: entry {info.filename!r} has no local header signature")
        name = view[start + _LOCAL.size : start + _LOCAL.size + nlen]
        original = info.orig_filename
        central_name = (
            original.encode("ascii")  # the common case, and the fast codec
            if original.isascii()
            else original.encode("utf-8" if info.flag_bits & 0x800 else "cp437", "surrogateescape")
        )
        disagree = []
        if name != central_name:
            disagree.append("name")
        if method != info.compress_type:
            disagree.append("compression method")
        if not flags & _DATA_DESCRIPTOR:
            if crc != info.CRC:
                disagree.append("CRC")
            if csize != 0xFFFFFFFF and csize != info.compress_size:
                disagree.append("compressed size")
            if usize != 0xFFFFFFFF and usize != info.file_size:
                disagree.append("size")
        if disagree:
            raise InputError(
                f"{label}: entry {info.filename!r}: local header and central directory "
                f"disagree on {', '.join(disagree)}"
            )
        prev_end = start + _LOCAL.size + nlen + xlen + info.compress_size
        prev_name = info.filename
        if prev_end > size:
            raise InputError(f"{label}: entry {info.filename!r} runs past the end of the file")


def open_apk(path: str | os.PathLike[str], budget: InflateBudget | None = None) -> ApkFile:
    """Open and vet an APK. Raises InputError with a one-line reason for anything unsafe.

    ``budget``: the inflate budget of an enclosing archive, for nested archives to share."""
    lim = _limits.current()
    path = Path(path)
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise InputError(f"cannot read {path}: {exc.strerror or exc}") from exc
    if not path.is_file():
        raise InputError(f"{path} is not a regular file")
    if size > lim.max_apk_bytes:
        raise InputError(
            f"{path.name} is {size:,} bytes, over the {lim.max_apk_bytes:,}-byte limit "
            f"({_limits.Limits.env_name('max_apk_bytes')})"
        )
    try:
        with path.open("rb") as handle:
            head = handle.read(4)
            if head[:2] != b"PK":
                raise InputError(f"{path.name} is not an APK: no zip signature at the start")
            digest = hashlib.sha256(head)
            for chunk in iter(lambda: handle.read(1 << 20), b""):
                digest.update(chunk)
    except OSError as exc:
        raise InputError(f"cannot read {path.name}: {exc.strerror or exc}") from None
    try:
        archive = zipfile.ZipFile(path)
    except NotImplementedError as exc:
        raise InputError(
            f"{path.name} needs an unsupported zip feature: {_one_line(exc)}"
        ) from None
    except (zipfile.BadZipFile, OSError, ValueError, EOFError, struct.error) as exc:
        raise InputError(f"{path.name} is not a readable zip/APK: {_one_line(exc)}") from None
    try:
        _vet(archive, path, size, lim)
    except BaseException:
        archive.close()
        raise
    apk = ApkFile(
        path=path,
        sha256=digest.hexdigest(),
        size=size,
        zip=archive,
        budget=budget or InflateBudget(lim.inflate_budget),
    )
    return apk


def open_nested(data: bytes, label: str, budget: InflateBudget) -> ApkFile:
    """Open an archive found inside an APK (a JAR, APK or zip in assets/), vetted like the APK
    itself, in memory, sharing the enclosing APK's inflate budget. ``label`` names it in
    errors ("app.apk!/assets/plugin.jar"). No AndroidManifest.xml is required."""
    lim = _limits.current()
    if data[:2] != b"PK":
        raise InputError(f"{label} is not a zip: no zip signature at the start")
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except NotImplementedError as exc:
        raise InputError(f"{label} needs an unsupported zip feature: {_one_line(exc)}") from None
    except (zipfile.BadZipFile, OSError, ValueError, EOFError, struct.error) as exc:
        raise InputError(f"{label} is not a readable zip: {_one_line(exc)}") from None
    try:
        _vet_entries(archive, label, lim)
        _check_local_headers(data, archive.infolist(), label, len(data))
    except BaseException:
        archive.close()
        raise
    return ApkFile(
        path=Path(label),
        sha256=hashlib.sha256(data).hexdigest(),
        size=len(data),
        zip=archive,
        budget=budget,
    )


def _vet(archive: zipfile.ZipFile, path: Path, size: int, lim: _limits.Limits) -> None:
    _vet_entries(archive, path.name, lim)
    with path.open("rb") as handle:
        with mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ) as view:
            _check_local_headers(view, archive.infolist(), path.name, size)
    try:
        archive.getinfo("AndroidManifest.xml")
    except KeyError:
        raise InputError(f"{path.name} is not an APK: it has no AndroidManifest.xml") from None


def _vet_entries(archive: zipfile.ZipFile, label: str, lim: _limits.Limits) -> None:
    """Entry count, unsafe names, compression ratios and declared totals of one archive."""
    infos = archive.infolist()
    if len(infos) > lim.max_entries:
        raise InputError(
            f"{label} has {len(infos):,} entries (limit {lim.max_entries:,}, "
            f"{_limits.Limits.env_name('max_entries')})"
        )
    total = 0
    for info in infos:
        if _unsafe_name(info.filename):
            raise InputError(f"{label} has an unsafe entry name {info.filename!r} (path traversal)")
        total += info.file_size
        if info.file_size > RATIO_FLOOR and info.file_size > MAX_RATIO * max(info.compress_size, 1):
            raise InputError(
                f"{label}: entry {info.filename!r} declares {info.file_size:,} bytes from "
                f"{info.compress_size:,} compressed (ratio over {MAX_RATIO}:1): zip bomb"
            )
    if total > lim.max_declared_bytes:
        raise InputError(
            f"{label} declares {total:,} bytes inflated in all (limit "
            f"{lim.max_declared_bytes:,}, {_limits.Limits.env_name('max_declared_bytes')}): zip bomb"
        )
