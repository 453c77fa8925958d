"""Signing in and out, and personal API tokens."""

from __future__ import annotations

from flask import Blueprint, abort, flash, make_response, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ..services import NotFound, signin, throttle
from ..services import tokens as token_service
from .authn import end_session, landing_url, safe_next, start_session
from .forms import ConfirmForm, LoginForm, TokenForm, apply_errors
from .saving import save

bp = Blueprint("auth", __name__)


@bp.route("/login", methods=["GET", "POST"])
def login():
    form = LoginForm()
    if request.method == "GET":
        if current_user.is_authenticated:
            return redirect(safe_next(request.args.get("next"), landing_url(current_user)))
        form.next.data = request.args.get("next", "")
    status = 200
    if form.validate_on_submit():

        def sign_in():
            # Throttled per account in the database (5 failures: locked 15 minutes).
            user = throttle.check_login(form.email.data or "", form.password.data or "")
            start_session(user)
            return user

        saved = save(sign_in, keep_refusal=True)  # a refusal keeps the failure's audit row
        if saved.ok:
            return redirect(safe_next(form.next.data, landing_url(saved.result)))
        form.password.errors = [saved.error.message]
    form.password.data = ""
    return render_template("auth/login.html", form=form), status


@bp.post("/logout")
def logout():
    """Sign out and end every other session of this user too (a copied cookie stops working)."""
    user = current_user._get_current_object()
    save(lambda: signin.sign_out(user))
    end_session()
    flash(_("You have signed out."), "info")
    return redirect(url_for("auth.login"))


@bp.route("/account/tokens", methods=["GET", "POST"])
def tokens():
    """The user's API tokens; a new token is shown once, on the page that creates it."""
    form = TokenForm()
    user = current_user._get_current_object()
    new_token = None
    status = 200
    if form.validate_on_submit():

        def create():
            # The name first (nothing to count), then the password and code (counted).
            token_service.check_token_name(form.name.data)
            token_service.reauthenticate(user, form.password.data, form.code.data)
            return token_service.create_token(user, form.name.data or "", actor=user)[1]

        saved = save(create, keep_refusal=True)  # a refusal keeps its audit row and the attempt count
        if saved.ok:
            new_token = saved.result
            form = TokenForm(formdata=None)
        else:
            apply_errors(form, saved.errors("name"))
            status = 422
    form.password.data = ""
    form.code.data = ""
    resp = make_response(
        render_template(
            "auth/tokens.html",
            form=form,
            new_token=new_token,
            tokens=token_service.user_tokens(user),
            revoke_form=ConfirmForm(),
            needs_code=user.totp_enabled,
            revoked_reason=token_service.revoked_reason_label,
        ),
        status,
    )
    # The raw token appears in this one response only: never cache it.
    resp.headers["Cache-Control"] = "no-store"
    return resp


@bp.post("/account/tokens/<int:token_id>/revoke")
def revoke_token(token_id: int):
    try:
        token = token_service.get_own_token(current_user, token_id)
    except NotFound:
        abort(404)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    save(
        lambda: token_service.revoke_token(token, actor=current_user),
        _("The token %(prefix)s… no longer works.", prefix=token.prefix),
    )
    return redirect(url_for("auth.tokens"))
