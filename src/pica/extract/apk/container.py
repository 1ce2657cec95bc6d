"""Opening an APK (a zip) as hostile input: bounded, never extracted to disk.

Checks before any byte is inflated: zip signature, entry count, unsafe names (path traversal),
declared sizes and compression ratios (zip bombs). Reads are capped at the declared size, which
zipfile enforces, so an entry that lies about its size cannot inflate past the cap.
"""

from __future__ import annotations

import hashlib
import os
import re
import zipfile
from dataclasses import dataclass
from pathlib import Path

from pica.errors import InputError

MAX_APK_BYTES = 4 * 1024**3
MAX_ENTRIES = 200_000
MAX_ENTRY_BYTES = 512 * 1024**2  # one inflated entry we read (largest real dex files are ~60 MB)
MAX_TOTAL_BYTES = 2 * 1024**3  # everything we inflate from one APK
MAX_RATIO = 200  # deflate tops out near 1032:1; real dex/xml/arsc stay far below 200:1
RATIO_FLOOR = 10 * 1024**2  # ratios only matter for entries larger than this
DEX_NAME = re.compile(r"^classes\d*\.dex$")


@dataclass(frozen=True)
class ApkFile:
    """An opened APK: the zip, its name and digest, and a running inflate budget."""

    path: Path
    sha256: str
    size: int
    zip: zipfile.ZipFile

    def names(self) -> list[str]:
        return self.zip.namelist()

    def has(self, name: str) -> bool:
        try:
            self.zip.getinfo(name)
        except KeyError:
            return False
        return True

    def read(self, name: str, limit: int = MAX_ENTRY_BYTES) -> bytes:
        """Inflate one entry, refusing entries that declare more than ``limit`` bytes."""
        info = self.zip.getinfo(name)
        if info.file_size > limit:
            raise InputError(
                f"APK entry {name!r} declares {info.file_size:,} bytes inflated "
                f"(limit {limit:,}): refusing a possible zip bomb"
            )
        try:
            with self.zip.open(info) as handle:
                data = handle.read(limit + 1)
        except zipfile.BadZipFile as exc:
            raise InputError(f"APK entry {name!r} is corrupt: {exc}") from exc
        except (OSError, EOFError, ValueError, NotImplementedError) as exc:
            raise InputError(f"APK entry {name!r} cannot be read: {exc}") from exc
        except Exception as exc:  # zlib.error and friends
            raise InputError(f"APK entry {name!r} cannot be inflated: {exc}") from exc
        if len(data) > limit:
            raise InputError(f"APK entry {name!r} inflates past {limit:,} bytes: zip bomb")
        return data

    def dex_names(self) -> list[str]:
        """classes.dex, classes2.dex, … in the order the runtime loads them."""
        names = [n for n in self.names() if DEX_NAME.match(n)]
        return sorted(names, key=lambda n: int(n[7:-4] or 1))

    def close(self) -> None:
        self.zip.close()


def _unsafe_name(name: str) -> bool:
    if "\x00" in name or name.startswith(("/", "\\")) or re.match(r"^[A-Za-z]:", name):
        return True
    parts = re.split(r"[\\/]", name)
    return ".." in parts


def open_apk(path: str | os.PathLike[str]) -> ApkFile:
    """Open and vet an APK. Raises InputError with a one-line reason for anything unsafe."""
    path = Path(path)
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise InputError(f"cannot read {path}: {exc.strerror or exc}") from exc
    if not path.is_file():
        raise InputError(f"{path} is not a regular file")
    if size > MAX_APK_BYTES:
        raise InputError(f"{path.name} is {size:,} bytes, over the {MAX_APK_BYTES:,}-byte limit")
    with path.open("rb") as handle:
        head = handle.read(4)
        if head[:2] != b"PK":
            raise InputError(f"{path.name} is not an APK: no zip signature at the start")
        digest = hashlib.sha256(head)
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    try:
        archive = zipfile.ZipFile(path)
    except zipfile.BadZipFile as exc:
        raise InputError(f"{path.name} is not a readable zip/APK: {exc}") from exc
    except (OSError, ValueError, EOFError) as exc:
        raise InputError(f"{path.name} is not a readable zip/APK: {exc}") from exc
    infos = archive.infolist()
    if len(infos) > MAX_ENTRIES:
        archive.close()
        raise InputError(f"{path.name} has {len(infos):,} entries (limit {MAX_ENTRIES:,})")
    total = 0
    for info in infos:
        if _unsafe_name(info.filename):
            archive.close()
            raise InputError(
                f"{path.name} has an unsafe entry name {info.filename!r} (path traversal)"
            )
        total += info.file_size
        if info.file_size > RATIO_FLOOR and info.file_size > MAX_RATIO * max(info.compress_size, 1):
            archive.close()
            raise InputError(
                f"{path.name}: entry {info.filename!r} declares {info.file_size:,} bytes from "
                f"{info.compress_size:,} compressed (ratio over {MAX_RATIO}:1): zip bomb"
            )
    if total > MAX_TOTAL_BYTES * 4:
        archive.close()
        raise InputError(
            f"{path.name} declares {total:,} bytes inflated in all (limit "
            f"{MAX_TOTAL_BYTES * 4:,}): zip bomb"
        )
    apk = ApkFile(path=path, sha256=digest.hexdigest(), size=size, zip=archive)
    if not apk.has("AndroidManifest.xml"):
        archive.close()
        raise InputError(f"{path.name} is not an APK: it has no AndroidManifest.xml")
    return apk
