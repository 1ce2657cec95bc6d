"""The FastAPI application: pages (server-rendered, no script) and the JSON API."""

from __future__ import annotations

import hmac
import os
import tempfile
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

from fastapi import FastAPI, File, Form, Header, HTTPException, Request, UploadFile
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from markupsafe import Markup

from pica import __version__, knowledge
from pica.batch import Budget
from pica.render import REPORT_CSS, html_body, report_from_document
from pica.render.diff import DOCUMENT_SECTIONS, compare_documents
from pica.store import Store
from pica.web import charts
from pica.web.scans import Scans
from pica.web.uploads import MIB, BodyLimit

API_KEY_ENV = "PICA_API_KEY"
# No script source at all: nothing on these pages runs code, whatever an input holds.
CSP = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; "
    "form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
)
VERDICTS = ("violation", "inconclusive", "manual", "compliant", "not_applicable")
TEMPLATES = Path(__file__).parent / "templates"


def create_app(
    store_url: str | Store | None = None,
    upload_dir: str | os.PathLike[str] | None = None,
    max_upload_mb: int = 200,
    api_key: str | None = None,
    budget: Budget | None = None,
    workers: int = 1,
) -> FastAPI:
    """The application over the store at ``store_url`` (a URL or an open :class:`Store`; None:
    $PICA_DB, else the user's SQLite file). Uploads go under ``upload_dir`` (default: a new
    temporary folder); a request body over ``max_upload_mb`` MiB answers 413; ``workers``
    scans run at once, each under ``budget``. ``api_key`` (default $PICA_API_KEY): when set, every write
    endpoint needs it in ``X-API-Key`` (the upload form has a field for it) or answers 401."""
    store = store_url if isinstance(store_url, Store) else Store(store_url)
    uploads = Path(upload_dir or tempfile.mkdtemp(prefix="pica-uploads-")).resolve()
    uploads.mkdir(parents=True, exist_ok=True)
    key = api_key if api_key is not None else os.environ.get(API_KEY_ENV) or None
    scans = Scans(store, uploads, budget or Budget(), workers)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        yield
        scans.close()

    app = FastAPI(
        lifespan=lifespan,
        title="pica",
        version=__version__,
        description="App personal-information compliance audits (China 2019 rules): "
        "upload an APK, read its report, list apps and export findings.",
        docs_url=None,  # Swagger UI and ReDoc load their assets from a CDN: offline they
        redoc_url=None,  # cannot render, so only /openapi.json is served
    )
    app.add_middleware(BodyLimit, limit=max_upload_mb * MIB)
    app.state.store, app.state.uploads, app.state.scans = store, uploads, scans
    templates = Jinja2Templates(directory=str(TEMPLATES))  # autoescape on for .html
    categories = knowledge.app_categories()
    catalog = knowledge.rule_catalog()
    item_ids = sorted(catalog, key=lambda i: tuple(int(p) for p in i.split(".")))

    @app.middleware("http")
    async def headers(request: Request, call_next: Any) -> Response:
        response = await call_next(request)
        response.headers["Content-Security-Policy"] = CSP
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Referrer-Policy"] = "no-referrer"
        response.headers["X-Frame-Options"] = "DENY"
        return response

    def page(request: Request, name: str, status: int = 200, **context: Any) -> HTMLResponse:
        return templates.TemplateResponse(
            request,
            name,
            {"version": __version__, "needs_key": key is not None, **context},
            status_code=status,
        )

    def check_key(given: str | None) -> None:
        if key is not None and not hmac.compare_digest((given or "").encode(), key.encode()):
            raise HTTPException(401, "missing or wrong X-API-Key")

    # -- pages -------------------------------------------------------------------------------

    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    def home(request: Request) -> HTMLResponse:
        recent = list(reversed(store.scans()))[:15]
        return page(request, "upload.html", categories=categories.values(), recent=recent)

    @app.post("/scans", include_in_schema=False)
    def upload_form(
        apk: Annotated[UploadFile, File()],
        policy: Annotated[UploadFile | None, File()] = None,
        policy_url: Annotated[str | None, Form()] = None,
        policy_text: Annotated[str | None, Form()] = None,
        category: Annotated[str | None, Form()] = None,
        api_key: Annotated[str | None, Form()] = None,
        x_api_key: Annotated[str | None, Header()] = None,
    ) -> RedirectResponse:
        check_key(x_api_key or api_key)
        scan_id = scans.start(apk, policy, policy_url, policy_text, category)
        return RedirectResponse(f"/scans/{scan_id}", status_code=303)

    @app.get("/scans/{scan_id}", response_class=HTMLResponse, include_in_schema=False)
    def scan_page(request: Request, scan_id: int) -> HTMLResponse:
        detail = store.scan(scan_id)
        if detail is None:
            return page(request, "error.html", 404, message=f"no scan {scan_id}")
        body = None
        if detail.report is not None:
            body = Markup(html_body(report_from_document(detail.report)))  # noqa: S704 — the renderer escapes every input
        now = datetime.now(UTC)
        elapsed = (detail.scan.finished_at or now) - detail.scan.started_at
        return page(
            request,
            "scan.html",
            detail=detail,
            body=body,
            css=Markup(REPORT_CSS),  # noqa: S704 — pica's own stylesheet
            elapsed=round(elapsed.total_seconds()),
            here=scan_id in scans.running,
        )

    @app.get("/apps", response_class=HTMLResponse, include_in_schema=False)
    def apps_page(
        request: Request,
        q: str | None = None,
        category: str | None = None,
        item: str | None = None,
        verdict: str | None = None,
        sdk: str | None = None,
    ) -> HTMLResponse:
        filters = {"q": q, "category": category, "item": item, "verdict": verdict, "sdk": sdk}
        rows = store.apps(
            search=q or None,
            category=category or None,
            item=item or None,
            verdict=verdict or None,
            sdk=sdk or None,
        )
        return page(
            request,
            "apps.html",
            rows=rows,
            filters=filters,
            categories=categories,
            item_ids=item_ids,
            verdicts=VERDICTS,
        )

    @app.get("/apps/{package}", response_class=HTMLResponse, include_in_schema=False)
    def app_page(request: Request, package: str) -> HTMLResponse:
        history = store.history(package)
        if not history:
            return page(request, "error.html", 404, message=f"no scanned app {package}")
        diff = None
        if len(history) >= 2:
            old, new = store.scan(history[-2].id), store.scan(history[-1].id)
            if old and new and old.report and new.report:
                diff = compare_documents(old.report, new.report)
        return page(
            request,
            "app.html",
            package=package,
            history=history,
            diff=diff,
            sections=DOCUMENT_SECTIONS,
        )

    @app.get("/dashboard", response_class=HTMLResponse, include_in_schema=False)
    def dashboard_page(request: Request) -> HTMLResponse:
        board = store.dashboard()
        titles = {c: f"{c}. " for c in ("1", "2", "3", "4", "5", "6")}
        for entry in catalog.values():
            titles[str(entry.category)] = f"{entry.category}. {entry.category_title_zh}"
        svgs = {
            "verdicts": charts.stacked(
                [(titles[c], v) for c, v in board.verdicts_by_category.items()],
                "各类结论 Verdicts per category",
                VERDICTS,
            ),
            "items": charts.hbars(
                [(f"{i} {catalog[i].title_zh[:12]}", n) for i, n in board.top_items],
                "最常见违规条目 Most common violations",
                charts.VERDICT_COLOURS["violation"],
            ),
            "sdks": charts.hbars(board.top_sdks, "最常见SDK Most common SDKs"),
            "days": charts.columns(board.scans_per_day, "每日检测 Scans per day"),
        }
        return page(request, "dashboard.html", board=board, charts=svgs)

    # -- the JSON API --------------------------------------------------------------------------

    @app.post("/api/scans", status_code=202, tags=["scans"])
    def api_create_scan(
        apk: Annotated[UploadFile, File(description="the APK")],
        policy: Annotated[UploadFile | None, File(description="privacy policy file")] = None,
        policy_url: Annotated[str | None, Form(description="or its http(s) URL")] = None,
        policy_text: Annotated[str | None, Form(description="or its text")] = None,
        category: Annotated[str | None, Form(description="app type (pica categories)")] = None,
        x_api_key: Annotated[str | None, Header()] = None,
    ) -> JSONResponse:
        """Upload an APK (and optionally its policy) and start its scan: 202 with the scan id;
        400 for a non-APK or a bad argument, 401 without the key, 413 over the size limit."""
        check_key(x_api_key)
        scan_id = scans.start(apk, policy, policy_url, policy_text, category)
        return JSONResponse({"id": scan_id}, status_code=202)

    @app.get("/api/scans/{scan_id}", tags=["scans"])
    def api_scan(scan_id: int) -> dict[str, Any]:
        """A scan's status (running, done, failed), error line, and JSON report once done."""
        detail = store.scan(scan_id)
        if detail is None:
            raise HTTPException(404, f"no scan {scan_id}")
        return {
            "id": detail.scan.id,
            "status": detail.scan.status,
            "error": detail.scan.error,
            "report": detail.report,
        }

    @app.get("/api/apps", tags=["apps"])
    def api_apps(
        q: str | None = None,
        category: str | None = None,
        item: str | None = None,
        verdict: str | None = None,
        sdk: str | None = None,
    ) -> list[dict[str, Any]]:
        """Apps with their newest done scan, filtered like the app list page."""
        return [_app_json(row) for row in store.apps(q, category, item, verdict, sdk)]

    @app.get("/api/export.xlsx", tags=["export"])
    def api_export() -> Response:
        """Every finding of every done scan as the xlsx of ``pica export``."""
        from pica.store.export import export

        data = export(store, "xlsx")
        return Response(
            data,
            media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            headers={"Content-Disposition": 'attachment; filename="pica-findings.xlsx"'},
        )

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, exc: HTTPException) -> Response:
        if request.url.path.startswith("/api/") or "text/html" not in request.headers.get(
            "accept", ""
        ):
            return JSONResponse({"detail": exc.detail}, status_code=exc.status_code)
        return page(request, "error.html", exc.status_code, message=str(exc.detail))

    return app


def _app_json(row: Any) -> dict[str, Any]:
    latest = row.latest
    return {
        "package": row.package,
        "label": row.label,
        "developer": row.developer,
        "versions": row.versions,
        "latest_scan": {
            "id": latest.id,
            "version_name": latest.version_name,
            "version_code": latest.version_code,
            "sha256": latest.sha256,
            "category": latest.app_category,
            "finished_at": latest.finished_at.isoformat() if latest.finished_at else None,
            "counts": latest.counts,
        },
    }


__all__ = ["CSP", "create_app"]
