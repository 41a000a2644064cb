"""Who may open which route: one rule per endpoint, checked before every request.

Every view declares its rule with `@rule(...)`. A request to an endpoint without a rule is
refused (403): a new route cannot be reached until someone decides who may use it, and the
authorization matrix test (generated from the route table) fails until then.

A rule names the roles that may use the route. Holding one of them *somewhere* lets the request
in; the view then checks the unit of the object it touches with `guard(unit_id)`, which
applies the same rule to that unit: a unit's work is for its own people holding the rule's
roles. A rule with `above=True` (reading routes only) also lets in the monitoring roles
(`MONITORING_ROLES`) held in a unit above it, as the Bagian Organisasi of the Kabupaten reads
its Kecamatan's work; no other role of a unit above reads anything below it (`may_use`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from flask import abort, g, request
from flask_login import current_user

from workflow.domain.rules import MONITORING_ROLES

F = TypeVar("F", bound=Callable[..., Any])

PUBLIC = "public"
LOGGED_IN = "logged_in"

# The roles that follow the units below their own (a Kabupaten's Bagian Organisasi and
# Inspektorat over its Kecamatan): the only roles a unit above may read with. Everyone else at a
# Kabupaten, its ASN included, reads no Kecamatan's work.


def may_use(held: Mapping[int, set[str]], chain: Sequence[int], roles: Iterable[str], above: bool) -> bool:
    """The one rule: may someone holding HELD (unit id -> roles) use a route of ROLES on CHAIN[0]?

    CHAIN is the object's unit followed by the units above it. In the object's own unit one of
    ROLES is needed; with ABOVE, a monitoring role held in a unit above it is enough too.
    """
    if not chain:
        return False
    if held.get(chain[0], set()) & set(roles):
        return True
    return above and any(held.get(uid, set()) & MONITORING_ROLES for uid in chain[1:])


@dataclass(frozen=True)
class Rule:
    """PUBLIC, LOGGED_IN, or the roles that may use a route (`admin` for administrators)."""

    kind: str
    roles: tuple[str, ...] = ()
    above: bool = False  # the monitoring roles of a unit *above* the object's unit may use it too (reads)

    def allows_anywhere(self, roles_held: set[str], is_admin: bool) -> bool:
        if self.kind in (PUBLIC, LOGGED_IN):
            return True
        wanted = set(self.roles) | (MONITORING_ROLES if self.above else set())
        return ("admin" in self.roles and is_admin) or bool(roles_held & wanted)


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
    # A unit above only ever reads: a route that changes anything never carries `above`.
    for url_rule in app.url_map.iter_rules():
        found = RULES.get(url_rule.endpoint)
        if found is not None and found.above and (url_rule.methods or set()) - {"GET", "HEAD", "OPTIONS"}:
            raise ValueError(f"{url_rule.endpoint}: above=True is for reading routes only")
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
    wanted = roles if roles is not None else (found.roles if found else ())
    above = found is not None and found.above
    if may_use(g.sakip_units, g.sakip_chain(unit_id), wanted, above):
        return
    abort(403)
