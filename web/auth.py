"""Login, logout, language and the Plt. switch.

Passwords are hashed by Werkzeug (scrypt). Login attempts are counted in the database, so the
limits hold across every web worker. The decision and the record are one transaction, taken
before the password is checked (`_admit`): an admitted attempt is committed as a failure, and a
success then marks it ok. However many arrive at once, at most the limit of wrong passwords
reach the check. The failures counted in `WINDOW`:

- `MAX_FAILURES` per (username, address): one person's typos lock only that person there;
- `MAX_FAILURES_PER_USER` per username from all addresses (against guessing from many
  addresses), not applied at an address the user logged in from within `KNOWN_ADDRESS`, so
  nobody elsewhere can lock a user out of their usual office;
- `MAX_FAILURES_PER_ADDRESS` per address over all usernames, a higher ceiling, so a whole office
  behind one NAT address keeps working while one address cannot try name after name.

The limits and the record of attempts are `workflow.services.accounts` (`MAX_FAILURES` and the
rest are imported here from there).

A session holds the person's `session_version` and the login time. It ends when the version no
longer matches (bumped at logout, password change, deactivation and role removal: see
`workflow.services.org.end_sessions`) or when `PERMANENT_SESSION_LIFETIME` (8 hours) has passed since
login, however active the user was.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from flask import Blueprint, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import LoginManager, UserMixin, current_user, login_user, logout_user
from flask_wtf import FlaskForm
from werkzeug.security import check_password_hash, generate_password_hash
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired, Length

from web.access import rule
from workflow.services import accounts
from workflow.services.accounts import KNOWN_ADDRESS as KNOWN_ADDRESS
from workflow.services.accounts import MAX_FAILURES as MAX_FAILURES
from workflow.services.accounts import MAX_FAILURES_PER_ADDRESS as MAX_FAILURES_PER_ADDRESS
from workflow.services.accounts import MAX_FAILURES_PER_USER as MAX_FAILURES_PER_USER
from workflow.services.accounts import WINDOW as WINDOW
from workflow.services.accounts import Account
from workflow.services.engine import WorkflowService

bp = Blueprint("auth", __name__)
login_manager = LoginManager()
login_manager.login_view = "auth.login"
login_manager.login_message = ""
# Compared against when the username is unknown, so the answer takes as long as for a known one.
_DUMMY_HASH = generate_password_hash("sakip-no-such-user")
LANGUAGES = ("id", "en")
# Session keys: the person's session version and the login time (seconds since the epoch).
SESSION_VERSION = "sakip_sv"
LOGIN_AT = "sakip_login_at"
_LOGIN_KEYS = ("_user_id", "_fresh", "_id", SESSION_VERSION, LOGIN_AT, "acting")


@dataclass
class User(UserMixin):  # type: ignore[misc]
    id: int
    username: str
    name: str
    is_admin: bool

    def get_id(self) -> str:
        return str(self.id)


def _service() -> WorkflowService:
    service: WorkflowService = current_app.extensions["sakip_service"]
    return service


@login_manager.user_loader
def load_user(user_id: str) -> User | None:
    try:
        pid = int(user_id)
    except ValueError:
        return None
    service = _service()
    person = accounts.active_account(service, pid)
    if person is None or not _current(person, service):
        for key in _LOGIN_KEYS:  # the cookie's stale login goes; its CSRF token and language stay
            session.pop(key, None)
        return None
    return User(person.id, person.username, person.name, person.is_admin)


def _current(person: Account, service: WorkflowService) -> bool:
    """The session was made at PERSON's current session version, less than the lifetime ago."""
    version, login_at = session.get(SESSION_VERSION), session.get(LOGIN_AT)
    if not isinstance(version, int) or version != person.session_version or not isinstance(login_at, int):
        return False
    lifetime = current_app.permanent_session_lifetime.total_seconds()
    return service.clock().timestamp() - login_at < lifetime


class LoginForm(FlaskForm):  # type: ignore[misc]
    username = StringField("Nama pengguna", validators=[DataRequired(), Length(max=64)])
    password = PasswordField("Kata sandi", validators=[DataRequired(), Length(max=200)])


def _client() -> str:
    return request.remote_addr or "-"


def _admit(username: str) -> int | None:
    """Decide and record in one transaction, before the password is checked
    (`workflow.services.accounts.admit_login`): None when a limit is reached, else the id of
    this attempt, committed as a failure."""
    return accounts.admit_login(_service(), username, _client()[:64])


def _succeeded(attempt_id: int) -> None:
    accounts.login_succeeded(_service(), attempt_id)


def check_login(username: str, password: str) -> Account | None:
    """The active person with this username and password, or None."""
    found = accounts.login_account(_service(), username)
    if found is None:
        check_password_hash(_DUMMY_HASH, password)
        return None
    return found.account if check_password_hash(found.password_hash, password) else None


def _safe_next(target: str | None) -> str:
    """TARGET if it is a path on this site, else the beranda (no open redirect).

    Browsers read a backslash as a slash, so `/\\evil.com` and `/%5Cevil.com` lead off-site
    like `//evil.com`: anything with a backslash, an encoded one, or a control character is refused.
    """
    if (
        target
        and target.startswith("/")
        and not target.startswith("//")
        and "\\" not in target
        and "%5c" not in target.lower()
        and all(ch.isprintable() for ch in target)
        and not urlsplit(target).netloc
        and not urlsplit(target).scheme
    ):
        return target
    return url_for("main.home")


@bp.route("/login", methods=["GET", "POST"])
@rule(public=True)
def login() -> Any:
    if current_user.is_authenticated:
        return redirect(url_for("main.home"))
    form = LoginForm()
    status = 200
    if form.validate_on_submit():
        username = form.username.data.strip()
        attempt_id = _admit(username)
        if attempt_id is None:
            flash(_("Terlalu banyak percobaan masuk yang gagal. Coba lagi dalam 15 menit."), "danger")
            status = 429
        else:
            person = check_login(username, form.password.data)
            if person is not None:
                _succeeded(attempt_id)
                session.clear()
                login_user(User(person.id, person.username, person.name, person.is_admin), remember=False)
                session.permanent = True
                session[SESSION_VERSION] = person.session_version
                session[LOGIN_AT] = int(_service().clock().timestamp())
                return redirect(_safe_next(request.args.get("next")))
            flash(_("Nama pengguna atau kata sandi salah."), "danger")
            status = 401
    elif request.method == "POST":
        status = 400
    return render_template("auth/login.html", form=form), status


@bp.post("/logout")
@rule(logged_in=True)
def logout() -> Any:
    """End this session and, server-side, every other session of the user (a copied or replayed
    cookie included): the person's session version is bumped."""
    person_id = int(current_user.id)
    logout_user()
    session.clear()
    accounts.log_out(_service(), person_id)
    return redirect(url_for("auth.login"))


@bp.post("/lang/<code>")
@rule(public=True)
def language(code: str) -> Any:
    if code in LANGUAGES:
        session["lang"] = code
    return redirect(_safe_next(request.form.get("next")))


@bp.post("/plt")
@rule(logged_in=True)
def plt_switch() -> Any:
    """Switch to act in (or stop acting in) the Plt. positions the user holds."""
    session["acting"] = not session.get("acting", False)
    return redirect(_safe_next(request.form.get("next")))
