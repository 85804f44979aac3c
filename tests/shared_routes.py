"""Every test builds its own hub app (``create_app``), and FastAPI (0.165) builds an included router's routes
lazily, per app, on the first request that walks that router: the dependants, their pydantic fields and
handlers of every route before the match, ~3 ms a route. A test's first desk page cost ~370 ms of that,
/healthz ~160 ms, and the suite paid it again in each of its ~6,600 tests.

The built route depends on the route, its path and the dependencies its inclusion adds, not on the app: the
only app-specific thing it holds is ``dependency_overrides_provider``, which matters only through
``app.dependency_overrides``, which no test and no code of the hub uses (:func:`share_built_routes` refuses
to share once one is set). So the test process builds each route once and every app reuses it. Production
is untouched: one app per process builds each route once anyway. A FastAPI without this internal keeps its
own behaviour (the suite is only slower).
"""

from __future__ import annotations

from typing import Any

_built: dict[tuple[Any, ...], Any] = {}


def _key(route: Any, include: Any) -> tuple[Any, ...]:
    return (id(route), include.path_for(route), tuple(d.dependency for d in include.dependencies),
            tuple(include.tags), include.max_body_size, include.include_in_schema, repr(include.form_limits))


def share_built_routes() -> bool:
    """Reuse FastAPI's built routes across the test process's apps; False when this FastAPI has no such step."""
    try:
        from fastapi.routing import _EffectiveRouteContext
    except ImportError:
        return False
    build = getattr(_EffectiveRouteContext, "from_api_route", None)
    if build is None or getattr(build, "_shared", False):
        return build is not None

    def from_api_route(cls: Any, *, original_route: Any, include_context: Any) -> Any:
        provider = include_context.dependency_overrides_provider
        if getattr(provider, "dependency_overrides", None):
            return build.__func__(cls, original_route=original_route, include_context=include_context)
        key = _key(original_route, include_context)
        if key not in _built:
            _built[key] = (original_route, build.__func__(cls, original_route=original_route,
                                                          include_context=include_context))
        return _built[key][1]

    from_api_route._shared = True  # type: ignore[attr-defined]
    _EffectiveRouteContext.from_api_route = classmethod(from_api_route)  # type: ignore[method-assign,assignment]
    return True
