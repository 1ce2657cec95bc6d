"""A bounded, streaming reader of typed netstrings (tnetstrings), the encoding of mitmproxy flows.

An element is ``<length>:<payload><tag>``: the length in ASCII decimal, the payload, then one tag
byte: ``,`` bytes, ``;`` UTF-8 text, ``#`` integer, ``^`` float, ``!`` boolean (``true`` or
``false``), ``~`` null (empty payload), ``]`` list of elements, ``}`` dict of key, value element
pairs. (tnetstrings.info; mitmproxy's ``io/tnetstring.py`` adds the ``;`` text type.)

Written for hostile input and read straight from the file, never whole:

- a length prefix has at most 12 digits (as mitmproxy's reader), and an element's length must fit
  in what is left of its container (of the file, at the top), so a claimed 2 GB in a small file
  is an error before anything is read;
- containers nest at most ``MAX_DEPTH`` deep (iteration, not unbounded recursion);
- one read parses at most ``MAX_ELEMENTS`` elements and keeps at most ``keep`` bytes of any string
  (the rest is skipped with a seek); dict values a caller does not want are skipped unparsed.
"""

from __future__ import annotations

from typing import BinaryIO

MAX_DEPTH = 32
MAX_ELEMENTS = 20_000
MAX_DIGITS = 12
MAX_NUMBER = 64  # bytes of an integer or float literal
MAX_KEY = 1024  # bytes of a dict key

CONTAINERS = (ord("]"), ord("}"))


class TnetError(ValueError):
    """The bytes are not a well-formed tnetstring (message: one line, no position)."""


class Reader:
    """Reads elements from a seekable binary file, within ``limit`` bytes from where it starts."""

    def __init__(self, f: BinaryIO, *, keep: int = 65536) -> None:
        self.f = f
        self.keep = keep
        self.elements = 0

    def prefix(self, limit: int) -> tuple[int, int]:
        """Read ``<digits>:``; return (payload length, bytes the whole element takes)."""
        digits = b""
        while True:
            c = self.f.read(1)
            if not c:
                raise TnetError("ends inside a length prefix")
            if c == b":":
                break
            if not c.isdigit():
                raise TnetError(f"has {c!r} where a length digit or ':' belongs")
            digits += c
            if len(digits) > MAX_DIGITS:
                raise TnetError(f"has a length prefix of more than {MAX_DIGITS} digits")
        if not digits:
            raise TnetError("has an empty length prefix")
        length = int(digits)
        total = len(digits) + 1 + length + 1
        if total > limit:
            raise TnetError(
                f"claims {length:,} bytes but only {max(limit - len(digits) - 2, 0):,} remain"
            )
        return length, total

    def tag_after(self, length: int) -> int:
        """Peek the tag byte that follows a payload of ``length`` bytes, staying where we are."""
        here = self.f.tell()
        self.f.seek(length, 1)
        tag = self.f.read(1)
        self.f.seek(here)
        if not tag:
            raise TnetError("ends before its type tag")
        return tag[0]

    def skip(self, limit: int) -> int:
        """Skip one element unparsed; return the bytes it took."""
        length, total = self.prefix(limit)
        self.f.seek(length + 1, 1)
        return total

    def read(self, limit: int, want=None):
        """Parse one element of at most ``limit`` bytes; return (value, bytes taken).

        ``want(path, key)`` decides, for each dict value, whether to parse it (True) or skip it
        (False); ``path`` is the tuple of keys above. Skipped keys are absent from the result.
        """
        # Explicit stack: each frame is [container, bytes left, tag, pending key, path].
        length, total = self.prefix(limit)
        tag = self.tag_after(length)
        if tag not in CONTAINERS:
            return self._scalar(length, tag), total
        root: list | dict = [] if tag == ord("]") else {}
        stack = [[root, length, tag, None, ()]]
        while stack:
            frame = stack[-1]
            container, left, ctag, key, path = frame
            if left == 0:
                if key is not None:
                    raise TnetError("has a dict key without a value")
                if self.f.read(1) != bytes([ctag]):
                    raise TnetError("has a container whose payload overruns its length")
                stack.pop()
                continue
            self.elements += 1
            if self.elements > MAX_ELEMENTS:
                raise TnetError(f"has more than {MAX_ELEMENTS:,} elements")
            is_key = ctag == ord("}") and key is None
            if not is_key and ctag == ord("}") and want is not None and not want(path, key):
                frame[1] -= self.skip(left)
                frame[3] = None
                continue
            length, taken = self.prefix(left)
            frame[1] -= taken
            tag = self.tag_after(length)
            if tag in CONTAINERS:
                if is_key:
                    raise TnetError("has a dict key that is not a string")
                if len(stack) >= MAX_DEPTH:
                    raise TnetError(f"nests containers more than {MAX_DEPTH} deep")
                child: list | dict = [] if tag == ord("]") else {}
                self._put(frame, child)
                stack.append([child, length, tag, None, (*path, key) if key is not None else path])
                continue
            if is_key:
                if tag not in (ord(","), ord(";")) or length > MAX_KEY:
                    raise TnetError("has a dict key that is not a short string")
                raw = self.f.read(length)
                self.f.read(1)
                frame[3] = raw.decode("utf-8", "surrogateescape")
                continue
            self._put(frame, self._scalar(length, tag))
        return root, total

    @staticmethod
    def _put(frame: list, value) -> None:
        container = frame[0]
        if isinstance(container, list):
            container.append(value)
        else:
            container[frame[3]] = value
            frame[3] = None

    def _scalar(self, length: int, tag: int):
        if tag in (ord(","), ord(";")):
            kept = self.f.read(min(length, self.keep))
            if len(kept) < min(length, self.keep):
                raise TnetError("ends inside a string")
            if length > self.keep:
                self.f.seek(length - self.keep, 1)
            end = self.f.read(1)
            if not end:
                raise TnetError("ends before its type tag")
            return kept.decode("utf-8", "replace") if tag == ord(";") else kept
        if length > MAX_NUMBER:
            raise TnetError(f"has a {length:,}-byte literal of type {chr(tag)!r}")
        raw = self.f.read(length)
        if len(raw) < length or not self.f.read(1):
            raise TnetError("ends inside a literal")
        try:
            if tag == ord("#"):
                return int(raw)
            if tag == ord("^"):
                return float(raw)
        except ValueError as exc:
            raise TnetError(f"has a malformed number {raw[:20]!r}") from exc
        if tag == ord("!") and raw in (b"true", b"false"):
            return raw == b"true"
        if tag == ord("~") and not raw:
            return None
        raise TnetError(f"has an unknown type tag or literal ({chr(tag)!r})")
