"""Renderers: a :class:`pica.report.Report` in, the bytes of one output format out.

``render(report, fmt)`` for ``fmt`` in :data:`FORMATS`; each format also has its own module
(``json_report``, ``html``, ``markdown``, ``sarif``) with a ``render_<format>`` function.
All are pure: no file or network I/O beyond reading pica's own packaged data (the rule
catalog, the JSON schema). Item titles come from ``pica.knowledge.rule_catalog()`` unless a
``catalog`` is passed; a finding for an item the catalog does not know is a
:class:`RenderError`.
"""

from __future__ import annotations

from collections.abc import Callable

from pica.render._common import Catalog, RenderError
from pica.render.html import REPORT_CSS, html_body, render_html
from pica.render.json_report import (
    render_json,
    report_document,
    report_from_document,
    schema,
)
from pica.render.markdown import render_markdown
from pica.render.sarif import render_sarif, sarif_log
from pica.report import Report

_RENDERERS: dict[str, Callable[..., bytes]] = {
    "html": render_html,
    "json": render_json,
    "md": render_markdown,
    "sarif": render_sarif,
}

FORMATS: tuple[str, ...] = tuple(_RENDERERS)

# Conventional file extension per format, for callers that pick an output name.
EXTENSIONS: dict[str, str] = {"html": ".html", "json": ".json", "md": ".md", "sarif": ".sarif"}


def render(report: Report, fmt: str, catalog: Catalog | None = None) -> bytes:
    """Render ``report`` as ``fmt`` (one of :data:`FORMATS`); UTF-8 bytes."""
    try:
        renderer = _RENDERERS[fmt]
    except KeyError:
        raise RenderError(
            f"unknown report format {fmt!r}; choose one of {', '.join(FORMATS)}"
        ) from None
    return renderer(report, catalog)


__all__ = [
    "EXTENSIONS",
    "REPORT_CSS",
    "FORMATS",
    "RenderError",
    "html_body",
    "render",
    "render_html",
    "render_json",
    "render_markdown",
    "render_sarif",
    "report_document",
    "report_from_document",
    "sarif_log",
    "schema",
]
