"""The console's pages and the fragments htmx swaps into them. Each acts for the browser's `Scope`
(`session.py`) through `mockserver.tenants`, the same model the control plane drives."""

from __future__ import annotations

import functools
import json
import time
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from flask import Response, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from werkzeug.datastructures import MultiDict

from feishu_hire_kit.spec import error_codes, operations
from mockserver import tenants
from mockserver.access import Scope
from mockserver.console import session
from mockserver.console.blueprint import blueprint
from mockserver.faults import FaultSpecError
from mockserver.journal import JournalFilter, storable
from mockserver.runtime import Runtime, runtime

# Journal rows a page (and each live refresh) shows: the newest only, whatever the journal holds.
PAGE_SIZE = 50


@blueprint.app_template_filter("clock")
def _clock(epoch: float) -> str:
    """A journal time as the host's local time, to the millisecond."""
    return time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(epoch)) + f".{int(epoch * 1000) % 1000:03d}"


@blueprint.app_template_filter("pretty")
def _pretty(body: str | None) -> str:
    """A JSON body indented (Chinese as itself), anything else as it came; empty when there was none."""
    if not body:
        return ""
    try:
        text = json.dumps(json.loads(body), ensure_ascii=False, indent=2)
    except ValueError:
        return body
    found: str = storable(text)  # a "\ud800" escape, parsed, is no character UTF-8 can send
    return found


ScopedView = Callable[..., ResponseReturnValue]


def scoped(admin: bool = False) -> Callable[[ScopedView], ScopedView]:
    """A view that acts for the browser's scope: called as `view(rt, scope, **url_values)`; 401 without
    a login, 403 for a tenant on the admin's views (`admin=True`)."""

    def decorate(view: ScopedView) -> ScopedView:
        @functools.wraps(view)
        def checked(**values: Any) -> ResponseReturnValue:
            rt = runtime()
            scope = session.current_scope(rt)
            if scope is None:
                return Response("log in first", status=401, content_type="text/plain")
            if admin and not scope.admin:
                return Response("this is the admin's", status=403, content_type="text/plain")
            return view(rt, scope, **values)

        return checked

    return decorate


def _flash(message: str, error: bool = False, status: int = 200) -> Response:
    response = Response(render_template("_flash.html", message=message, error=error), status=status)
    # The state pane reads itself again after any change (htmx's HX-Trigger, an event on <body>).
    response.headers["HX-Trigger"] = "refresh-state"
    return response


@blueprint.get("/")
def index() -> ResponseReturnValue:
    rt = runtime()
    scope = session.current_scope(rt)
    if scope is None:
        return redirect(url_for("console.login"))
    return render_template(
        "index.html",
        scope=scope,
        tenants=tenants.list_tenants(rt) if scope.admin else [],
        operations=sorted(operations()),
        codes=sorted(error_codes().items()),
    )


@blueprint.route("/login", methods=["GET", "POST"])
def login() -> ResponseReturnValue:
    rt = runtime()
    if request.method == "GET":
        return render_template("login.html", scope=None, error=None)
    form = request.form
    if form.get("as") == "admin":
        ok = session.log_in_admin(rt, form.get("admin_token", ""))
        error = "That is not the admin token." if rt.config.admin_token else "This server has no admin token."
    else:
        ok = session.log_in_app(rt, form.get("app_id", ""), form.get("app_secret", ""))
        error = "No app has that app_id and app_secret."
    if ok:
        return redirect(url_for("console.index"), code=303)
    return render_template("login.html", scope=None, error=error), 401


@blueprint.post("/logout")
def logout() -> ResponseReturnValue:
    session.log_out()
    return redirect(url_for("console.login"), code=303)


def _number(args: Mapping[str, str], name: str) -> int | None:
    text = args.get(name, "").strip()
    return int(text) if text.isdigit() else None


def _instant(args: Mapping[str, str], name: str) -> float | None:
    """A `datetime-local` value (the host's local time) as epoch seconds."""
    text = args.get(name, "").strip()
    try:
        return datetime.fromisoformat(text).timestamp() if text else None
    except ValueError:
        return None


def journal_filter(args: MultiDict[str, str], scope: Scope) -> JournalFilter:
    """The journal filter of the console's form; the scope's tenant whatever the form says."""
    tenant_key = scope.tenant_key if not scope.admin else (args.get("tenant_key", "").strip() or None)
    return JournalFilter(
        tenant_key=tenant_key,
        operation=args.get("operation", "").strip() or None,
        status=_number(args, "status"),
        code=_number(args, "code"),
        app_id=args.get("app_id", "").strip() or None,
        since=_instant(args, "since"),
        until=_instant(args, "until"),
        before_id=_number(args, "before"),
    )


@blueprint.get("/journal")
@scoped()
def journal(rt: Runtime, scope: Scope) -> ResponseReturnValue:
    wanted = journal_filter(request.args, scope)
    entries = tenants.journal(rt, scope, wanted, limit=PAGE_SIZE + 1)
    more = None
    if len(entries) > PAGE_SIZE:
        entries = entries[:PAGE_SIZE]
        args = request.args.to_dict()
        args["before"] = str(entries[-1]["id"])
        more = url_for("console.journal", _external=False, **args)
    return render_template(
        "_journal_rows.html", scope=scope, entries=entries, more=more, filtered=wanted.filters_anything
    )


@blueprint.get("/journal/<int:entry_id>")
@scoped()
def entry(rt: Runtime, scope: Scope, entry_id: int) -> ResponseReturnValue:
    item = tenants.journal_entry(rt, scope, entry_id)
    if item is None:
        return '<p class="hint">That call is not in the journal (any more).</p>', 404
    return render_template("_entry.html", entry=item)


@blueprint.get("/state")
@scoped()
def state(rt: Runtime, scope: Scope) -> ResponseReturnValue:
    tenant_key = scope.tenant_key or request.args.get("tenant_key", "")
    view = tenants.tenant_state(rt, tenant_key)
    people: Callable[[str | None], str] = _people(view)
    return render_template(
        "_state.html",
        tenant=view,
        people=people,
        now=tenants.now(rt, Scope(tenant_key)),
        faults=tenants.faults(rt, Scope(tenant_key)),
    )


def _people(view: Mapping[str, Any] | None) -> Callable[[str | None], str]:
    """A job's person (stored by user_id) as "name (user_id)"."""
    names = {u["user_id"]: u.get("name") for u in (view or {}).get("users", [])}

    def person(user_id: str | None) -> str:
        if user_id is None:
            return ""
        name = names.get(user_id)
        return f"{name} ({user_id})" if name else user_id

    return person


@blueprint.post("/faults")
@scoped()
def add_fault(rt: Runtime, scope: Scope) -> Response:
    form = request.form
    spec: dict[str, Any] = {}
    for name in ("operation", "resource"):
        if form.get(name, "").strip():
            spec[name] = form[name].strip()
    for name in ("code", "count", "latency_ms"):
        text = form.get(name, "").strip()
        if text:
            if not text.isdigit():
                return _flash(f"{name} must be a whole number", error=True, status=400)
            spec[name] = int(text)
    try:
        fault = tenants.add_fault(rt, scope, spec)
    except FaultSpecError as exc:
        return _flash(str(exc), error=True, status=400)
    what = fault["operation"] or f"calls naming {fault['resource']}"
    answer = fault["code"] if fault["code"] is not None else f"{fault['latency_ms']} ms late"
    return _flash(f"The next {fault['remaining']} call(s) to {what} answer {answer}.")


@blueprint.post("/clock")
@scoped()
def advance_clock(rt: Runtime, scope: Scope) -> Response:
    try:
        seconds = float(request.form.get("seconds", ""))
    except ValueError:
        seconds = -1.0
    if not 0 <= seconds < float("inf"):
        return _flash("seconds must be a number >= 0", error=True, status=400)
    now = tenants.advance_clock(rt, scope, seconds)
    return _flash(f"The clock moved {seconds:g} s; it is now {_clock(now)}.")


@blueprint.post("/reset")
@scoped()
def reset(rt: Runtime, scope: Scope) -> Response:
    tenants.reset(rt, scope)
    return _flash("Reset: back to how it was created." if not scope.admin else "Every tenant reset.")


def _tenants_fragment(rt: Runtime, **extra: Any) -> str:
    return render_template("_tenants.html", tenants=tenants.list_tenants(rt), **extra)


@blueprint.post("/tenants")
@scoped(admin=True)
def create_tenant(rt: Runtime, scope: Scope) -> ResponseReturnValue:
    text = request.form.get("tenant", "").strip()
    try:
        body = json.loads(text) if text else {}
    except ValueError as exc:
        return _tenants_fragment(rt, error=f"The tenant's seed is not JSON: {exc}"), 400
    if not isinstance(body, dict):
        return _tenants_fragment(rt, error="The tenant's seed must be a JSON object."), 400
    key = request.form.get("tenant_key", "").strip()
    if key:
        body["tenant_key"] = key
    try:
        created = tenants.create_tenant(rt, body)
    except tenants.TenantError as exc:
        return _tenants_fragment(rt, error=str(exc)), exc.status
    return _tenants_fragment(rt, created=created)


@blueprint.post("/tenants/<tenant_key>/delete")
@scoped(admin=True)
def delete_tenant(rt: Runtime, scope: Scope, tenant_key: str) -> ResponseReturnValue:
    try:
        tenants.delete_tenant(rt, tenant_key)
    except tenants.TenantError as exc:
        return _tenants_fragment(rt, error=str(exc)), exc.status
    return _tenants_fragment(rt)
