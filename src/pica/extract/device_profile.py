"""A device profile: the identifiers seeded on the test device, keyed by PI taxonomy id.

    {"imei": "861234567890123", "android_id": "9774d56d682e549c", "oaid": "…",
     "mac_address": "02:00:00:aa:bb:cc", "phone_number": "13800138000",
     "location_precise": "39.9042,116.4074"}

The runtime analysis looks for each value in what the app sent. Keys must be taxonomy ids and
values non-empty strings (numbers are taken as written); anything else is refused with one line.
"""

from __future__ import annotations

import os
from pathlib import Path

from pica import knowledge
from pica.errors import InputError
from pica.extract.structured import load_json

MAX_BYTES = 64 * 1024
MAX_VALUE = 256


def read_device_profile(path: str | os.PathLike[str]) -> dict[str, str]:
    p = Path(path)
    name = p.name
    try:
        if p.is_dir():
            raise InputError(f"device profile {name} is a directory")
        if p.stat().st_size > MAX_BYTES:
            raise InputError(f"device profile {name} is larger than {MAX_BYTES:,} bytes")
        data = load_json(p.read_text(encoding="utf-8"), f"device profile {name}")
    except FileNotFoundError:
        raise InputError(f"device profile {name} not found") from None
    except UnicodeDecodeError:
        raise InputError(f"device profile {name} is not UTF-8 text") from None
    except OSError as exc:
        raise InputError(f"cannot read device profile {name}: {exc.strerror or exc}") from None
    if not isinstance(data, dict):
        raise InputError(f"device profile {name} must be a JSON object keyed by PI type")
    known = knowledge.taxonomy()
    profile: dict[str, str] = {}
    for key, value in data.items():
        if key not in known:
            raise InputError(
                f"device profile {name}: {str(key)[:40]!r} is not a PI type id "
                "(see pi_taxonomy.yaml: imei, android_id, oaid, mac_address…)"
            )
        if isinstance(value, bool) or not isinstance(value, str | int | float):
            raise InputError(f"device profile {name}: the value of {key} must be a string")
        text = str(value).strip()
        if not text or len(text) > MAX_VALUE:
            raise InputError(f"device profile {name}: the value of {key} is empty or too long")
        if not text.isprintable() or any("\ud800" <= c <= "\udfff" for c in text):
            raise InputError(f"device profile {name}: the value of {key} is not printable text")
        profile[key] = text
    return profile
