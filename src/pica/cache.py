"""The user cache: tables pica derives from its data files and jieba's dictionary, which take a
second to make and milliseconds to load. Built by the first process that needs them, reused by
the next ones; nothing is downloaded.

Where: ``$PICA_CACHE_DIR`` if set, else the user cache directory (``platformdirs``; on Linux
``~/.cache/pica``). One ``.npz`` file per table (numpy arrays, read with ``allow_pickle=False``;
zip members carry a CRC, so a damaged file fails to load instead of loading wrong). Each file
holds the key it was built for: pica's version, this format's, and whatever the caller derives
the table from (package versions, a hash of the data files). A file that is missing, unreadable,
truncated or corrupt, or that holds another key, is rebuilt and replaced, silently.

A file is written under a temporary name in the same directory and renamed into place
(``os.replace``), so a process racing another one reads the old file or the new one, never half
of one. When the directory cannot be created or written, the table is still built and used, just
not kept.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from collections.abc import Iterable
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from pica import __version__

ENV = "PICA_CACHE_DIR"
FORMAT = 1  # bump when a table's layout changes: older files then fail their key
_KEY = "__key__"
_META = "__meta__"


def directory() -> Path:
    """The cache directory (not created here)."""
    override = os.environ.get(ENV)
    if override:
        return Path(override)
    import platformdirs

    return Path(platformdirs.user_cache_dir("pica", appauthor=False))


def key(*parts: str) -> str:
    """A cache key: pica's version, the cache format and ``parts`` (versions, data hashes)."""
    h = hashlib.sha256()
    for part in (__version__, str(FORMAT), *parts):
        h.update(part.encode("utf-8"))
        h.update(b"\x00")
    return h.hexdigest()


@cache
def data_digest(names: tuple[str, ...]) -> str:
    """A hash of the content of pica's data files ``names`` (knowledge/data/; read once per
    process)."""
    data = resources.files("pica.knowledge").joinpath("data")
    return _digest((name, data.joinpath(name).read_bytes()) for name in names)


def file_digest(*paths: str | os.PathLike[str]) -> str:
    """A hash of the content of ``paths``: for a table derived by code, the code's source, so
    that an edited module (same version, in a development install) does not load stale data."""
    return _digest((Path(p).name, Path(p).read_bytes()) for p in paths)


def _digest(named: Iterable[tuple[str, bytes]]) -> str:
    h = hashlib.sha256()
    for name, content in named:
        h.update(f"{name}\x00{len(content)}\x00".encode())
        h.update(content)
    return h.hexdigest()


def load(name: str, key: str) -> tuple[dict[str, Any], Any] | None:
    """(arrays, meta) from the table ``name`` if it was built for ``key``, else None (missing,
    unreadable, damaged, or built for another key)."""
    import numpy as np

    try:
        with np.load(directory() / f"{name}.npz", allow_pickle=False) as z:
            if z[_KEY].tobytes() != key.encode("ascii"):
                return None
            arrays = {k: z[k] for k in z.files if k not in (_KEY, _META)}
            meta = json.loads(z[_META].tobytes().decode("utf-8"))
    except Exception:  # missing, truncated, CRC mismatch, not a zip, not our layout…
        return None
    return arrays, meta


def save(name: str, key: str, arrays: dict[str, Any], meta: Any = None) -> bool:
    """Write the table ``name`` for ``key`` atomically; False (and nothing written) when the
    cache directory cannot be written to."""
    import numpy as np

    members = dict(arrays)
    members[_KEY] = np.frombuffer(key.encode("ascii"), dtype=np.uint8)
    members[_META] = np.frombuffer(json.dumps(meta).encode("utf-8"), dtype=np.uint8)
    try:
        folder = directory()
        folder.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{name}-", suffix=".tmp", dir=folder)
    except Exception:  # not writable, not a directory, no home directory…
        return False
    try:
        with os.fdopen(fd, "wb") as handle:
            np.savez(handle, **members)
        os.replace(tmp, folder / f"{name}.npz")
    except OSError:
        return False
    finally:
        Path(tmp).unlink(missing_ok=True)  # (gone after the rename)
    return True
