"""Uploads: a request-body limit enforced while the body streams in, file names that cannot
leave the upload folder, and the check that an upload is an APK at all."""

from __future__ import annotations

import re
import shutil
import uuid
import zipfile
from pathlib import Path, PurePosixPath
from typing import IO, Any

MIB = 1024 * 1024
POLICY_SUFFIXES = (".html", ".htm", ".xhtml", ".txt", ".md", ".pdf")


class BodyLimit:
    """ASGI middleware: a POST body larger than ``limit`` bytes answers 413 — at once when its
    Content-Length says so, else as soon as the bytes received pass the limit (the rest is
    never read, so an over-size upload never sits in memory or on disk whole)."""

    def __init__(self, app: Any, limit: int) -> None:
        self.app, self.limit = app, limit

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] != "http" or scope["method"] not in ("POST", "PUT"):
            await self.app(scope, receive, send)
            return
        headers = dict(scope["headers"])
        length = headers.get(b"content-length", b"").decode("latin-1")
        if length.isdigit() and int(length) > self.limit:
            await self._too_large(send)
            return
        seen = 0
        over = False

        async def counted() -> dict:
            nonlocal seen, over
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.limit:
                    over = True
                    raise TooLarge
            return message

        started = False

        async def guarded(message: dict) -> None:
            nonlocal started
            if over:  # whatever the app made of the cut-off body, the answer is 413
                if not started:
                    started = True
                    await self._too_large(send)
                return
            started = True
            await send(message)

        try:
            await self.app(scope, counted, guarded)
        except TooLarge:
            if not started:
                await self._too_large(send)

    async def _too_large(self, send: Any) -> None:
        body = f'{{"detail": "upload too large: the limit is {self.limit // MIB} MiB"}}'.encode()
        await send(
            {
                "type": "http.response.start",
                "status": 413,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(body)).encode()),
                    (b"connection", b"close"),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})


class TooLarge(Exception):
    """The request body passed the upload limit."""


def safe_name(name: str | None, default: str) -> str:
    """A client's file name reduced to a harmless base name: no folders (either slash), no
    leading dot, only word characters, dots and dashes, at most 100 characters."""
    base = PurePosixPath((name or "").replace("\\", "/")).name
    base = re.sub(r"[^\w.\-]", "_", base).lstrip(".")[:100]
    return base or default


def new_folder(root: Path) -> Path:
    """A fresh folder for one upload's files, inside ``root``."""
    folder = root / uuid.uuid4().hex
    folder.mkdir(parents=True)
    return folder


def save(source: IO[bytes], folder: Path, name: str) -> Path:
    """Copy an uploaded file into ``folder`` under ``name`` (already made safe)."""
    target = folder / name
    if target.resolve().parent != folder.resolve():  # belt and braces: never outside
        raise ValueError(f"bad file name {name!r}")
    with open(target, "xb") as out:
        shutil.copyfileobj(source, out, 1 << 20)
    return target


def apk_problem(path: Path) -> str | None:
    """Why ``path`` is not an APK (a zip holding AndroidManifest.xml), or None."""
    if not zipfile.is_zipfile(path):
        return "not an APK: the file is not a zip archive"
    try:
        with zipfile.ZipFile(path) as archive:
            if "AndroidManifest.xml" not in archive.namelist():
                return "not an APK: the zip holds no AndroidManifest.xml"
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        return f"not an APK: {exc}"
    return None


def url_problem(url: str) -> str | None:
    """Why the server should not fetch this policy URL, or None. Only http(s), and only a host
    whose every address is public: a web upload must not make the server read its own network
    (the policy's sentences are quoted in the report). Redirects are followed by the fetcher
    and not re-checked here, so a public host that redirects inward is not caught."""
    import ipaddress
    import socket
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        return "the policy URL must start with http:// or https:// and name a host"
    try:
        infos = socket.getaddrinfo(parts.hostname, parts.port or 443, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError) as exc:
        return f"cannot resolve the policy URL's host: {exc}"
    for info in infos:
        address = ipaddress.ip_address(info[4][0].split("%")[0])
        if not address.is_global:
            return f"the policy URL's host is not a public address ({address})"
    return None
