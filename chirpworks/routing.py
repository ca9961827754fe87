"""One URL, several view classes: where the contract serves the app and the processing workers on
the same path (the app's ``GET``/``DELETE call/<id>/metrics`` and the worker's ``POST``; the app's
and the worker's ``PUT buyers/profile/<id>``), each caller gets its own view class, with its own
authentication, instead of one view that swaps authenticators per request.

``view_dispatch(app_view, routes={"POST": worker_view})`` sends ``POST`` to ``worker_view`` and
everything else to ``app_view``. With ``when=predicate`` a routed method goes to its view only
when ``predicate(request)`` holds (e.g. the caller presents the service token), else to
``app_view``. Responses carry the ``Allow`` header of the whole path, as one view would.

The OpenAPI schema still documents the path as one: ``schema_dispatch_endpoints`` (a
drf-spectacular preprocessing hook) lists each method under the view that serves it; a method
shared by both callers is documented with the app view's operation and both views' credentials.
"""

from collections.abc import Callable
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.views import View

ViewFunction = Callable[..., HttpResponse]


def _methods(view: ViewFunction) -> list[str]:
    names = {m for m in view.cls.http_method_names if hasattr(view.cls, m)}
    if "get" in names:
        names.add("head")  # Django's View.setup serves HEAD with get
    return [m.upper() for m in view.cls.http_method_names if m in names]


def view_dispatch(
    app_view: ViewFunction,
    *,
    routes: dict[str, ViewFunction],
    when: Callable[[HttpRequest], bool] | None = None,
) -> ViewFunction:
    """A URL callback that hands each request to the view class serving its method and caller."""
    views = [app_view, *routes.values()]
    served = {method for view in views for method in _methods(view)}
    allow = ", ".join(m.upper() for m in View.http_method_names if m.upper() in served)

    def dispatch(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        view = routes.get(request.method or "")
        if view is None or (when is not None and not when(request)):
            view = app_view
        response = view(request, *args, **kwargs)
        if response.has_header("Allow"):
            response["Allow"] = allow
        return response

    # What drf-spectacular's endpoint enumerator reads (it lists app_view's methods first).
    dispatch.cls = app_view.cls  # type: ignore[attr-defined]
    dispatch.initkwargs = app_view.initkwargs  # type: ignore[attr-defined]
    dispatch.dispatch_routes = routes  # type: ignore[attr-defined]
    dispatch.dispatch_shared = when is not None  # type: ignore[attr-defined]
    dispatch.csrf_exempt = True  # type: ignore[attr-defined]
    return dispatch


def _shared_schema_view(app_view: ViewFunction, other: ViewFunction) -> ViewFunction:
    """For the schema only: the app view's operation, accepting both views' credentials."""
    combined = type(
        app_view.cls.__name__,
        (app_view.cls,),
        {
            "authentication_classes": [
                *other.cls.authentication_classes,
                *app_view.cls.authentication_classes,
            ]
        },
    )
    return combined.as_view(**app_view.initkwargs)


def schema_dispatch_endpoints(endpoints: list[tuple], **kwargs: Any) -> list[tuple]:
    """drf-spectacular preprocessing hook: each method of a ``view_dispatch`` path under the view
    class that serves it, in the order one view with all the methods would list them."""
    result = []
    done = set()
    for path, path_regex, method, callback in endpoints:
        routes = getattr(callback, "dispatch_routes", None)
        if routes is None:
            result.append((path, path_regex, method, callback))
            continue
        if path in done:
            continue
        done.add(path)
        app_view = callback
        by_method = {m: app_view for m in _methods(app_view)}
        for routed, view in routes.items():
            if callback.dispatch_shared and routed in by_method:
                by_method[routed] = _shared_schema_view(app_view, view)
            else:
                by_method[routed] = view
        for name in View.http_method_names:
            view = by_method.get(name.upper())
            if view is not None and name not in ("head", "options", "trace"):
                result.append((path, path_regex, name.upper(), view))
    return result
