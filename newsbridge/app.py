"""Build the ASGI application: API routers, operations endpoints, offline OpenAPI docs."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from importlib import resources

from fastapi import Depends, FastAPI
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles
from sqlalchemy.engine import Engine

from newsbridge import __version__
from newsbridge.api import audit as api_audit
from newsbridge.api import keys as api_keys
from newsbridge.api import members as api_members
from newsbridge.api import sso as api_sso
from newsbridge.web.views import invitations as web_invitations
from newsbridge.web.views import operator as web_operator
from newsbridge.web.views import operator_health as web_operator_health
from newsbridge.web.views import organization_profile as web_organization_profile
from newsbridge.api import organization as api_organization
from newsbridge.web.views import team as web_team
from newsbridge.web.views import password_reset as web_password_reset
from newsbridge.web.views import two_factor as web_two_factor
from newsbridge.web.views import sso as web_sso
from newsbridge.web.views import sso_settings as web_sso_settings
from newsbridge.api import agreements, atom, delivery, inbox, items, me, media, metrics, ops, projects, schemas, sources
from newsbridge.api import media_push
from newsbridge.api import search as api_search
from newsbridge.api import pickups as api_pickups
from newsbridge.api import stories as api_stories
from newsbridge.api import translations as api_translations
from newsbridge.api.deps import Hub, limit_writes
from newsbridge.api import openapi
from newsbridge.api.errors import answer_exception, install_error_handlers
from newsbridge.api.media_serving import install_fast_path
from newsbridge.config import Settings, load_settings
from newsbridge.db.engine import create_engine
from newsbridge.db.migrate import upgrade
from newsbridge.delivery.signals import FeedSignal, listen
from newsbridge.delivery.worker import Worker
from newsbridge.desk.cross_lingual import VECTORS
from newsbridge.ingest.pipeline import Ingestor
from newsbridge.ingest.polling import Poller
from newsbridge.media.processing import media_worker
from newsbridge.media.push_worker import PushWorker
from newsbridge.metrics.indicators import RoadmapMeasurer
from newsbridge.metrics.worker import RollupWorker
from newsbridge.stories.worker import StoryWorker
from newsbridge.middleware import RequestContext
from newsbridge.telemetry import configure_logging
from newsbridge.web.errors import html_error
from newsbridge.web.views import alerts as web_alerts
from newsbridge.web.views import translations as web_translations
from newsbridge.web.views import cross_lingual as web_cross_lingual
from newsbridge.web.views import pickups as web_pickups
from newsbridge.web.views import agreement_media as web_agreement_media
from newsbridge.web.views import agreements as web_agreements
from newsbridge.web.views import auth as web_auth
from newsbridge.web.views import desk as web_desk
from newsbridge.web.views import item as web_item
from newsbridge.web.views import media as web_media
from newsbridge.web.views import media_push as web_media_push
from newsbridge.web.views import metrics as web_metrics
from newsbridge.web.views import outgoing as web_outgoing
from newsbridge.web.views import own_item as web_own_item
from newsbridge.web.views import partners as web_partners
from newsbridge.web.views import preview as web_preview
from newsbridge.web.views import projects as web_projects
from newsbridge.stories.vector_search import detect as detect_vector_search

DESCRIPTION = """
Newsbridge is a news-exchange hub for cooperating media organizations.

Authenticate every `/api/v1` call with an API key: `Authorization: Bearer nb_...`
(`newsbridge key create SLUG` makes one). Errors are JSON:
`{"error": {"code": "...", "message": "...", "field": "..."}}`; the codes are listed in
`docs/errors.md`.
"""
# Swagger UI, vendored; started by a script file because the Content-Security-Policy allows no inline script.
DOCS_PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<link rel="stylesheet" href="/static/vendor/swagger-ui/swagger-ui.css">
<link rel="icon" href="/static/vendor/swagger-ui/favicon-32x32.png">
<title>Newsbridge API</title>
</head>
<body>
<div id="swagger-ui"></div>
<script src="/static/vendor/swagger-ui/swagger-ui-bundle.js"></script>
<script src="/static/js/swagger-init.js"></script>
</body>
</html>
"""


def create_app(settings: Settings | None = None, engine: Engine | None = None, *, migrate: bool = True) -> FastAPI:
    """The hub as an ASGI app; migrations are applied first unless ``migrate`` is False."""
    settings = settings or load_settings()
    configure_logging(settings.log_level, settings.log_format)
    engine = engine or create_engine(settings.database_url)
    VECTORS.capacity = settings.search_vectors
    if migrate:
        upgrade(engine)
    stored = FeedSignal()  # items stored by this process: the in-process worker sends at once
    the_hub = Hub(settings=settings, engine=engine, ingestor=Ingestor(engine, settings, on_stored=stored.notify),
                  signal=FeedSignal())

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        stop = asyncio.Event()
        workers = [asyncio.create_task(Worker(engine, settings, the_hub.signal, wake=stored).run(stop)),
                   asyncio.create_task(Poller(engine, settings).run(stop)),
                   asyncio.create_task(media_worker(engine, settings).run(stop)),
                   asyncio.create_task(PushWorker(engine, settings).run(stop)),
                   asyncio.create_task(RollupWorker(engine).run(stop)),
                   asyncio.create_task(RoadmapMeasurer(engine).run(stop))] if settings.in_process_worker else []
        if settings.in_process_worker and settings.story_worker:
            workers.append(asyncio.create_task(StoryWorker(engine).run(stop)))
        listener = asyncio.create_task(listen(engine, the_hub.signal, stop)) \
            if engine.dialect.name == "postgresql" else None
        try:
            yield
        finally:
            stop.set()
            the_hub.signal.notify()
            stored.notify()
            if listener is not None:
                listener.cancel()  # it waits on the server; nothing to finish
            await asyncio.gather(*workers, *([listener] if listener else []), return_exceptions=True)

    app = FastAPI(title="Newsbridge", version=__version__, description=DESCRIPTION, docs_url=None, redoc_url=None,
                  lifespan=lifespan)
    app.state.hub = the_hub
    app.state.vector_search = detect_vector_search(engine)  # what /healthz reports (stories/vector_search.py)
    install_error_handlers(app)
    openapi.install(app)
    app.state.html_error = html_error
    # The API first, the busiest part (feed, stream) ahead: a request is matched route by route.
    for module in (delivery, items, api_stories, api_pickups, inbox, api_search, media, media_push, agreements, projects, metrics, atom, sources,
                   me, schemas, ops, api_audit, api_keys, api_members, api_sso, api_translations, api_organization):
        app.include_router(module.router, dependencies=[Depends(limit_writes)])
    for view in (web_operator, web_operator_health, web_organization_profile, web_auth, web_password_reset, web_two_factor, web_sso, web_sso_settings, web_invitations, web_team, web_desk, web_item, web_outgoing, web_media_push, web_partners, web_agreements, web_agreement_media,
                 web_alerts, web_preview, web_own_item, web_media, web_metrics, web_projects, web_translations,
                 web_cross_lingual, web_pickups):
        app.include_router(view.router)
    static = resources.files("newsbridge.web").joinpath("static")
    app.mount("/static", StaticFiles(directory=str(static)), name="static")

    @app.get("/docs", include_in_schema=False)
    def docs() -> HTMLResponse:
        return HTMLResponse(DOCS_PAGE)

    app.add_middleware(RequestContext, max_body_bytes=settings.max_body_bytes, on_error=answer_exception,
                       media_paths=("/api/v1/uploads", "/api/v1/media", "/outgoing/media"),
                       max_media_bytes=settings.max_media_bytes)
    install_fast_path(app)  # signed media URLs ahead of every middleware and the routing
    return app
