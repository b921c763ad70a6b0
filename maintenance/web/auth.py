"""Staff login and logout (manufacturers, retailers, admins)."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response
from wtforms import EmailField, PasswordField
from wtforms.validators import DataRequired

from maintenance.extensions import limiter
from maintenance.services.accounts import authenticate

bp = Blueprint("auth", __name__)


class LoginForm(FlaskForm):
    """Email and password."""

    email = EmailField("Email", validators=[DataRequired()])
    password = PasswordField("Password", validators=[DataRequired()])


def home_for(role: str) -> str:
    """Where a staff member starts after logging in."""
    homes = {
        "manufacturer": "manufacturer.index",
        "retailer": "retailer.till",
        "partner": "partners.inbox",
    }
    return homes.get(role, "dashboards.index")


def _safe_next(target: str | None) -> str | None:
    """Only follow same-site relative redirects after login."""
    if (
        target
        and target.startswith("/")
        and not target.startswith("//")
        and not urlsplit(target).netloc
        # Browsers read "/\\host" and "/<tab>/host" as "//host", another site.
        and "\\" not in target
        and target.isprintable()
    ):
        return target
    return None


def _login_address() -> str:
    return "login:" + (request.form.get("email") or "").strip().lower()


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit("10 per minute", methods=["POST"])
# Per address too, so guessing one account's password from many IPs stays slow.
@limiter.limit("20 per hour", key_func=_login_address, methods=["POST"])
def login() -> str | Response:
    """Show the login form; log the staff member in."""
    form = LoginForm()
    if form.validate_on_submit():
        user = authenticate(form.email.data or "", form.password.data or "")
        if user is not None:
            session.clear()  # a fresh session at login, so a planted session id is worthless
            login_user(user)
            return redirect(_safe_next(request.args.get("next")) or url_for(home_for(user.role)))
        flash(_("Unknown email address or wrong password."), "error")
    return render_template("auth/login.html", form=form)


@bp.route("/logout", methods=["POST"])
@login_required
def logout() -> Response:
    """Log out and go back to the start page."""
    logout_user()
    session.clear()
    return redirect(url_for("public.index"))


@bp.app_context_processor
def inject_user() -> dict[str, object]:
    """Templates see the staff member, if any."""
    return {"staff": current_user if current_user.is_authenticated else None}
