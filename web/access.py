"""Who may open which route: one rule per endpoint, checked before every request.

Every view declares its rule with `@rule(...)`. A request to an endpoint without a rule is
refused (403): a new route cannot be reached until someone decides who may use it, and the
authorization matrix test (generated from the route table) fails until then.

A rule names the roles that may use the route. Holding one of them *somewhere* lets the request
in; the view then checks the unit of the object it touches with `guard(unit_id)`, which
applies the same rule to that unit (a Kecamatan's page is for its own people, and for the
people of the Kabupaten above it where the rule says so).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from flask import abort, g, request
from flask_login import current_user

F = TypeVar("F", bound=Callable[..., Any])

PUBLIC = "public"
LOGGED_IN = "logged_in"


@dataclass(frozen=True)
class Rule:
    """PUBLIC, LOGGED_IN, or the roles that may use a route (`admin` for administrators)."""

    kind: str
    roles: tuple[str, ...] = ()
    above: bool = False  # holders of the roles in a unit *above* the object's unit may use it too

    def allows_anywhere(self, roles_held: set[str], is_admin: bool) -> bool:
        if self.kind in (PUBLIC, LOGGED_IN):
            return True
        return ("admin" in self.roles and is_admin) or bool(roles_held & set(self.roles))


RULES: dict[str, Rule] = {}


def rule(*roles: str, public: bool = False, logged_in: bool = False, above: bool = False) -> Callable[[F], F]:
    """Declare who may use the decorated view; the endpoint is `<blueprint>.<function>`."""

    def decorate(view: F) -> F:
        if public:
            found = Rule(PUBLIC)
        elif logged_in:
            found = Rule(LOGGED_IN)
        else:
            if not roles:
                raise ValueError(f"{view.__name__}: a rule needs roles, public=True or logged_in=True")
            found = Rule("roles", tuple(roles), above)
        view.__sakip_rule__ = found  # type: ignore[attr-defined]
        return view

    return decorate


def register_rules(app: Any) -> None:
    """Collect the rule of every registered view into RULES (after all blueprints are registered)."""
    RULES.clear()
    for endpoint, view in app.view_functions.items():
        found = getattr(view, "__sakip_rule__", None)
        if found is not None:
            RULES[endpoint] = found
    # Flask's own static route and the Bootstrap assets carry no secrets.
    for endpoint in app.view_functions:
        if endpoint == "static" or endpoint.endswith(".static"):
            RULES[endpoint] = Rule(PUBLIC)


def current_rule() -> Rule | None:
    return RULES.get(request.endpoint or "")


def guard(unit_id: int, roles: tuple[str, ...] | None = None) -> None:
    """Abort 403 unless the current user may use this route for UNIT_ID (admins always may).

    ROLES overrides the route's roles (for a view that serves several kinds of object).
    """
    if current_user.is_admin:
        return
    found = current_rule()
    wanted = set(roles if roles is not None else (found.roles if found else ()))
    units: dict[int, set[str]] = g.sakip_units
    chain: list[int] = g.sakip_chain(unit_id) if (found is not None and found.above) else [unit_id]
    if any(units.get(uid, set()) & wanted for uid in chain):
        return
    abort(403)
