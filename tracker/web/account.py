"""The user's own sign-in security: password, second factor, recovery codes, sessions.

Also the session rules that apply to every page (registered for the whole app):
idle and absolute timeouts, the second sign-in step for users with TOTP, forced TOTP
enrolment for the roles that need it, and a forced change of an expired password.
Requests authenticated by an API token are not browser sessions and skip these rules.
"""

from __future__ import annotations

import logging

import segno
from flask import Blueprint, current_app, flash, g, make_response, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import HiddenField, PasswordField, StringField
from wtforms.validators import DataRequired, EqualTo

from ..extensions import db
from ..services import passwords, sessions, signin, totp
from .authn import end_session, landing_url, safe_next, start_session
from .forms import password_hint
from .saving import save

log = logging.getLogger("tracker.security")

bp = Blueprint("account", __name__, url_prefix="/account")

PENDING_SECRET = "_totp_pending"


# --- forms -----------------------------------------------------------------------------------


class ChangePasswordForm(FlaskForm):
    current_password = PasswordField(
        _l("Current password"), validators=[DataRequired()], render_kw={"autocomplete": "current-password"}
    )
    new_password = PasswordField(
        _l("New password"),
        validators=[DataRequired()],
        description=password_hint(_l("A few unrelated words make a strong, memorable password.")),
        render_kw={"autocomplete": "new-password", "maxlength": 128},
    )
    confirm = PasswordField(
        _l("New password again"),
        validators=[DataRequired(), EqualTo("new_password", message=_l("The two new passwords differ."))],
        render_kw={"autocomplete": "new-password"},
    )


class CodeForm(FlaskForm):
    code = StringField(
        _l("Six-digit code from your authenticator app"),
        validators=[DataRequired()],
        render_kw={"autocomplete": "one-time-code", "inputmode": "numeric", "maxlength": 7},
    )


class SecondFactorForm(FlaskForm):
    code = StringField(
        _l("Code"),
        validators=[DataRequired()],
        description=_l("The six-digit code from your authenticator app, or one of your recovery codes."),
        render_kw={"autocomplete": "one-time-code", "maxlength": 20},
    )
    next = HiddenField()


class PasswordConfirmForm(FlaskForm):
    password = PasswordField(
        _l("Your password"), validators=[DataRequired()], render_kw={"autocomplete": "current-password"}
    )


class ConfirmForm(FlaskForm):
    """CSRF only."""


# --- session rules for every request ---------------------------------------------------------


def _exempt(endpoint: str | None, *allowed: str) -> bool:
    return endpoint in ("static", "auth.logout", "auth.login") + allowed


def _deny(endpoint: str, message: str, category: str = "info", **args: str):
    """Send the browser to ``endpoint``; the API (session cookie) gets 401 JSON."""
    if request.path.startswith("/api/"):
        from .errors import json_error

        return json_error(401, message, code="session_step_required")
    if message:
        flash(message, category)
    return redirect(url_for(endpoint, **args))


def _here() -> str | None:
    if request.method != "GET":
        return None
    return request.full_path if request.query_string else request.path


@bp.before_app_request
def enforce_session_rules():
    """Timeouts, second sign-in step, forced TOTP enrolment and password expiry."""
    endpoint = request.endpoint
    if endpoint in (None, "static", "health.healthz") or g.get("auth_via_token"):
        return None
    if "_user_id" not in session or not current_user.is_authenticated:
        return None
    cfg = current_app.config
    reason = sessions.expiry_reason(
        session,
        idle_minutes=int(cfg.get("SESSION_IDLE_MINUTES") or 0),
        absolute_hours=int(cfg.get("SESSION_ABSOLUTE_HOURS") or 0),
    )
    if reason:
        log.info("session ended: %s timeout", reason)
        end_session()
        message = (
            _("You were signed out after a period of inactivity. Please sign in again.")
            if reason == "idle"
            else _("Your session reached its maximum length. Please sign in again.")
        )
        return _deny("auth.login", message, next=_here())
    sessions.touch(session)
    user = current_user
    if user.totp_enabled and not sessions.second_factor_done(session, user):
        if _exempt(endpoint, "account.verify"):
            return None
        return _deny("account.verify", "", next=_here())
    if not user.totp_enabled and totp.is_required(user):
        if _exempt(endpoint, "account.two_factor"):
            return None
        return _deny("account.two_factor", _("Your role must use a second sign-in step. Set it up to continue."))
    if passwords.password_expired(user):
        if _exempt(endpoint, "account.change_password"):
            return None
        return _deny(
            "account.change_password", _("Your password has expired. Choose a new one to continue."), "warning"
        )
    return None


def _renew_session(user) -> None:  # noqa: ANN001
    """After the session version changed: keep this browser signed in (others are not)."""
    login_at = session.get(sessions.LOGIN_AT)
    start_session(user)
    sessions.stamp_login(session)
    if login_at:
        session[sessions.LOGIN_AT] = login_at  # the absolute timeout keeps counting from sign-in
    if user.totp_enabled:
        # The rules above let this request through, so this browser passed the second step.
        sessions.mark_second_factor(session, user)


def _no_store(resp):  # noqa: ANN001
    resp.headers["Cache-Control"] = "no-store"
    return resp


# --- pages -------------------------------------------------------------------------------------


@bp.get("/")
def index():
    user = current_user
    return render_template(
        "account/index.html",
        user=user,
        totp_required=totp.is_required(user),
        recovery_left=totp.remaining_recovery_codes(user) if user.totp_enabled else 0,
        disable_form=PasswordConfirmForm(prefix="disable"),
        codes_form=PasswordConfirmForm(prefix="codes"),
        others_form=ConfirmForm(prefix="others"),
        max_age=int(current_app.config.get("PASSWORD_MAX_AGE_DAYS") or 0),
    )


@bp.route("/password", methods=["GET", "POST"])
def change_password():
    form = ChangePasswordForm()
    status = 200
    if form.validate_on_submit():
        user = current_user._get_current_object()
        # A refusal keeps the audit row of a wrong current password.
        saved = save(
            lambda: passwords.change_password(user, form.current_password.data, form.new_password.data),
            keep_refusal=True,
        )
        if saved.ok:
            _renew_session(user)  # a new session: flash after it
            flash(_("Your password was changed. Other browsers signed in to your account were signed out."), "success")
            _flash_revoked(saved.result)
            return redirect(url_for("account.index"))
        for name, message in saved.errors("new_password").items():
            getattr(form, name, form.new_password).errors = [message]
        status = 422
    elif form.is_submitted():
        status = 422
    for field in (form.current_password, form.new_password, form.confirm):
        field.data = ""
    return _no_store(
        make_response(
            render_template(
                "account/password.html",
                form=form,
                rules=_password_rules(),
                expired=passwords.password_expired(current_user),
            ),
            status,
        )
    )


def _password_rules() -> list[str]:
    """The stricter 資通系統防護基準 rules in force, to show next to the form."""
    cfg = current_app.config
    rules = []
    if cfg.get("PASSWORD_REQUIRE_COMPLEXITY"):
        rules.append(_("Use upper-case and lower-case letters, digits and symbols."))
    if int(cfg.get("PASSWORD_HISTORY") or 0) > 0:
        rules.append(
            _("Choose a password you have not used for your last %(n)d passwords.", n=int(cfg["PASSWORD_HISTORY"]))
        )
    if int(cfg.get("PASSWORD_MAX_AGE_DAYS") or 0) > 0:
        rules.append(_("Passwords expire after %(n)d days.", n=int(cfg["PASSWORD_MAX_AGE_DAYS"])))
    return rules


def _qr_svg(uri: str) -> str:
    """The provisioning URI as an inline SVG QR code (drawn here: no external service)."""
    svg = segno.make(uri, error="m").svg_inline(
        scale=4,
        dark="#000",
        light="#fff",
        svgclass="qr-code",
        omitsize=True,
        title=_("QR code for your authenticator app"),
    )
    return svg.replace("<svg ", '<svg role="img" ', 1)


@bp.route("/two-factor", methods=["GET", "POST"])
def two_factor():
    """Set up TOTP: show a new secret (as text, otpauth link and QR code), confirm with a code."""
    user = current_user._get_current_object()
    if user.totp_enabled:
        return redirect(url_for("account.index"))
    form = CodeForm()
    secret = session.get(PENDING_SECRET)
    if not secret or request.method == "GET":
        secret = totp.new_secret()
        session[PENDING_SECRET] = secret
    status = 200
    if form.validate_on_submit():
        saved = save(lambda: totp.enable(user, secret, form.code.data), _("The second sign-in step is on."))
        if saved.ok:
            session.pop(PENDING_SECRET, None)
            sessions.mark_second_factor(session, user)
            return _no_store(make_response(render_template("account/recovery_codes.html", codes=saved.result)))
        form.code.errors = [saved.error.message]
        status = 422
    elif form.is_submitted():
        status = 422
    form.code.data = ""
    uri = totp.provisioning_uri(user, secret)
    return _no_store(
        make_response(
            render_template(
                "account/two_factor.html",
                form=form,
                secret=totp.format_secret(secret),
                uri=uri,
                qr=_qr_svg(uri),
                required=totp.is_required(user),
            ),
            status,
        )
    )


def _check_password(form: PasswordConfirmForm) -> bool:
    if not form.validate_on_submit():
        return False
    if not passwords.confirm_password(current_user._get_current_object(), form.password.data):
        db.session.commit()  # keep the audit row of the wrong password
        flash(_("Your password is not correct; nothing was changed."), "error")
        return False
    return True


@bp.post("/two-factor/disable")
def disable_two_factor():
    form = PasswordConfirmForm(prefix="disable")
    if not _check_password(form):
        return redirect(url_for("account.index"))
    save(
        lambda: totp.disable(current_user._get_current_object()), _("The second sign-in step is off."), flash_error=True
    )
    return redirect(url_for("account.index"))


@bp.post("/recovery-codes")
def recovery_codes():
    form = PasswordConfirmForm(prefix="codes")
    user = current_user._get_current_object()
    if not user.totp_enabled or not _check_password(form):
        return redirect(url_for("account.index"))
    saved = save(lambda: totp.regenerate_recovery_codes(user))
    return _no_store(make_response(render_template("account/recovery_codes.html", codes=saved.result)))


@bp.post("/sign-out-others")
def sign_out_others():
    """End every other session of this user; this browser stays signed in."""
    if not ConfirmForm(prefix="others").validate_on_submit():
        return redirect(url_for("account.index"))
    user = current_user._get_current_object()
    revoked = save(lambda: signin.sign_out_everywhere(user)).result
    _renew_session(user)
    flash(_("All your other sessions were signed out."), "success")
    _flash_revoked(revoked)
    return redirect(url_for("account.index"))


def _flash_revoked(count: int) -> None:
    """Tell the user their API tokens stopped working (scripts need new ones)."""
    if count:
        flash(
            ngettext(
                "Your %(num)d API token was revoked; create a new one for your scripts.",
                "Your %(num)d API tokens were revoked; create new ones for your scripts.",
                count,
            ),
            "warning",
        )


@bp.route("/verify", methods=["GET", "POST"])
def verify():
    """Second sign-in step: a TOTP code or a recovery code."""
    user = current_user._get_current_object()
    target = request.values.get("next")
    if not user.totp_enabled or sessions.second_factor_done(session, user):
        return redirect(safe_next(target, landing_url(user)))
    form = SecondFactorForm()
    if request.method == "GET":
        form.next.data = target or ""
    status = 200
    if form.validate_on_submit():
        saved = save(lambda: totp.verify(user, form.code.data), keep_refusal=True)  # failures are counted
        ok = saved.result
        if saved.error is not None:
            form.code.errors = [saved.error.message]
            status = 422
        if ok:
            sessions.mark_second_factor(session, user)
            left = totp.remaining_recovery_codes(user)
            if left <= 3:
                flash(_("You have %(n)d recovery codes left. Make new ones on your account page.", n=left), "warning")
            return redirect(safe_next(form.next.data, landing_url(user)))
        if ok is False:
            form.code.errors = [_("That code is not correct or was already used.")]
            status = 422
    elif form.is_submitted():
        status = 422
    form.code.data = ""
    return _no_store(make_response(render_template("account/verify.html", form=form), status))
