"""PDF policies -> text blocks, with page, object and output limits (pypdf; nothing is executed)."""

from __future__ import annotations

import io
import logging

from pica.errors import InputError
from pica.extract.policy.document import Document
from pica.extract.policy.structure import text_blocks

MAX_PAGES = 300
MAX_TEXT_CHARS = 5_000_000
MAX_OBJECTS = 200_000


def parse_pdf(data: bytes) -> Document:
    if data.lstrip()[:5] != b"%PDF-":
        raise InputError("input is not a PDF (no %PDF- header)")
    try:
        import pypdf
        from pypdf.errors import PdfReadError
    except ImportError:  # pragma: no cover - pypdf is a dependency
        raise InputError("PDF support needs pypdf") from None
    logging.getLogger("pypdf").setLevel(logging.ERROR)
    # pypdf's own caps on decompressed stream sizes apply (75 MB per stream by default);
    # a stricter cap on the extracted text and on pages/objects is enforced here.
    if data.count(b" obj") > MAX_OBJECTS:
        raise InputError(f"PDF has more than {MAX_OBJECTS} objects")
    try:
        reader = pypdf.PdfReader(io.BytesIO(data), strict=False)
        if reader.is_encrypted:
            try:
                reader.decrypt("")
            except Exception:
                raise InputError("PDF is encrypted") from None
        n = len(reader.pages)
        if n > MAX_PAGES:
            raise InputError(f"PDF has {n} pages, over the {MAX_PAGES}-page limit")
        parts: list[str] = []
        total = 0
        for page in reader.pages:
            t = page.extract_text() or ""
            total += len(t)
            if total > MAX_TEXT_CHARS:
                raise InputError(
                    f"PDF text exceeds {MAX_TEXT_CHARS} characters (possible PDF bomb)"
                )
            parts.append(t)
        title = ""
        try:
            meta = reader.metadata
            title = str(meta.title or "") if meta else ""
        except Exception:
            title = ""
    except InputError:
        raise
    except (
        PdfReadError,
        ValueError,
        KeyError,
        TypeError,
        AttributeError,
        IndexError,
        OSError,
    ) as exc:
        raise InputError(
            f"PDF cannot be read: {str(exc).splitlines()[0][:120] if str(exc) else type(exc).__name__}"
        ) from None
    except RecursionError:
        raise InputError("PDF object graph is nested too deeply") from None
    except MemoryError:
        raise InputError("PDF decompresses beyond the memory limit (PDF bomb)") from None
    except Exception as exc:  # pypdf raises its own LimitReachedError and others
        msg = str(exc).splitlines()[0][:120] if str(exc) else type(exc).__name__
        if "limit" in msg.lower() or type(exc).__name__ == "LimitReachedError":
            raise InputError(
                f"PDF exceeds a decompression limit (possible PDF bomb): {msg}"
            ) from None
        raise InputError(f"PDF cannot be read: {msg}") from None
    text = "\n\n".join(parts)
    return Document(blocks=text_blocks(text), fmt="pdf", title=title[:300])
