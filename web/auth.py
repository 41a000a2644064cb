"""Login, logout, language and the Plt. switch.

Passwords are hashed by Werkzeug (scrypt). Failed logins are counted in the database per
username and per address, so the limit holds across every web worker: after
`MAX_FAILURES` failures in `WINDOW`, further attempts are refused until the window passes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

from flask import Blueprint, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import LoginManager, UserMixin, current_user, login_user, logout_user
from flask_wtf import FlaskForm
from sqlalchemy import func, select
from werkzeug.security import check_password_hash, generate_password_hash
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired, Length

from web.access import rule
from workflow.models import LoginAttempt, Person
from workflow.service import WorkflowService

bp = Blueprint("auth", __name__)
login_manager = LoginManager()
login_manager.login_view = "auth.login"
login_manager.login_message = ""
MAX_FAILURES = 5
MAX_FAILURES_PER_ADDRESS = 50
# Compared against when the username is unknown, so the answer takes as long as for a known one.
_DUMMY_HASH = generate_password_hash("sakip-no-such-user")
WINDOW = timedelta(minutes=15)
LANGUAGES = ("id", "en")


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
    with _service().db.unit_of_work(readonly=True) as uow:
        person = uow.session.get(Person, pid)
        if person is None or not person.active or not person.password_hash:
            return None
        return User(person.id, person.username, person.name, person.is_admin)


class LoginForm(FlaskForm):  # type: ignore[misc]
    username = StringField("Nama pengguna", validators=[DataRequired(), Length(max=64)])
    password = PasswordField("Kata sandi", validators=[DataRequired(), Length(max=200)])


def _client() -> str:
    return request.remote_addr or "-"


def _locked(username: str) -> bool:
    """Too many recent failures for this username from this address, or from this address at all.

    Keyed on the pair, so nobody elsewhere can lock a user out; an address trying many usernames
    is stopped by the wider per-address limit.
    """
    service = _service()
    since = service.clock() - WINDOW
    with service.db.unit_of_work(readonly=True) as uow:
        s = uow.session
        recent = (LoginAttempt.ok.is_(False), LoginAttempt.at >= since, LoginAttempt.address == _client())
        pair = s.scalar(select(func.count(LoginAttempt.id)).where(*recent, LoginAttempt.username == username))
        address = s.scalar(select(func.count(LoginAttempt.id)).where(*recent))
        return int(pair or 0) >= MAX_FAILURES or int(address or 0) >= MAX_FAILURES_PER_ADDRESS


def _record(username: str, ok: bool) -> None:
    service = _service()
    with service.db.unit_of_work() as uow:
        uow.session.add(LoginAttempt(username=username[:64], address=_client()[:64], at=service.clock(), ok=ok))
        uow.commit()


def check_login(username: str, password: str) -> Person | None:
    """The active person with this username and password, or None."""
    with _service().db.unit_of_work(readonly=True) as uow:
        person = uow.session.scalar(select(Person).where(Person.username == username))
        if person is None or not person.active or not person.password_hash:
            check_password_hash(_DUMMY_HASH, password)
            return None
        return person if check_password_hash(person.password_hash, password) else None


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
        if _locked(username):
            flash(_("Terlalu banyak percobaan masuk yang gagal. Coba lagi dalam 15 menit."), "danger")
            status = 429
        else:
            person = check_login(username, form.password.data)
            _record(username, person is not None)
            if person is not None:
                session.clear()
                login_user(User(person.id, person.username, person.name, person.is_admin), remember=False)
                session.permanent = True
                return redirect(_safe_next(request.args.get("next")))
            flash(_("Nama pengguna atau kata sandi salah."), "danger")
            status = 401
    elif request.method == "POST":
        status = 400
    return render_template("login.html", form=form), status


@bp.post("/logout")
@rule(logged_in=True)
def logout() -> Any:
    logout_user()
    session.clear()
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
