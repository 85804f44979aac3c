"""Operations endpoints: liveness/readiness and Prometheus metrics (no API key needed)."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy.exc import SQLAlchemyError

from newsbridge import __version__
from newsbridge.api.deps import Hub, hub
from newsbridge.db.migrate import stored_revision
from newsbridge.stories.vector_search import VectorSearch

router = APIRouter(tags=["operations"])


@router.get("/healthz", summary="Is the hub up and its database reachable?")
def healthz(request: Request, the_hub: Hub = Depends(hub)) -> JSONResponse:
    vectors: VectorSearch = request.app.state.vector_search  # found at start (stories/vector_search.py)
    try:
        with the_hub.engine.connect() as conn:
            revision = stored_revision(conn)  # one query: reaches the database and names its schema
    except SQLAlchemyError:
        return JSONResponse({"status": "unavailable", "database": "unreachable", "version": __version__},
                            status_code=503)
    return JSONResponse({"status": "ok", "database": the_hub.engine.dialect.name, "schema": revision,
                         "version": __version__, **vectors.as_dict()})


@router.get("/metrics", summary="Prometheus metrics", response_class=Response)
def metrics() -> Response:
    return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)
