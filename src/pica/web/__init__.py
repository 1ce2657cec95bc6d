"""The web UI and JSON API of ``pica serve``: upload an app, watch its scan, read its report,
browse the apps, their versions and a dashboard — all from the store.

:func:`create_app` builds the FastAPI application. Pages are server-rendered (Jinja2, autoescape
on) with inline CSS and server-side SVG charts: no script and no external asset, so it works
offline and a strict Content-Security-Policy (no script source at all) holds on every page. A
scan runs in a background thread through ``pica.batch.claim``/``execute`` (one worker process
under the batch budget); the web layer calls ``pica.batch``, ``pica.store``, ``pica.render`` and
the knowledge base's names, never a reader, a join or a rule.
"""

from __future__ import annotations

from pica.web.app import create_app

__all__ = ["create_app"]
