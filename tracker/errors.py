"""Domain errors shared by every layer. The web views put them on the form, the API
turns them into its JSON error shape, the CLI prints them. Kept at the bottom of the
import graph (nothing here imports the app) so low modules such as ``dates`` can raise
them."""

from __future__ import annotations


class DomainError(Exception):
    """A broken business rule. ``field`` names the input it concerns (or None),
    ``code`` is a stable machine-readable reason for the API."""

    status_code = 422

    def __init__(self, message: str, field: str | None = None, code: str = "invalid", **extra: object):
        super().__init__(message)
        self.message = message
        self.field = field
        self.code = code
        self.extra = extra


class NotFound(DomainError):
    status_code = 404

    def __init__(self, message: str = "Not found", **kw: object):
        super().__init__(message, code="not_found", **kw)


class PermissionDenied(DomainError):
    status_code = 403

    def __init__(self, message: str = "You may not do this", **kw: object):
        super().__init__(message, code="forbidden", **kw)


class ConflictError(DomainError):
    """The item changed since the version the caller based its change on."""

    status_code = 409

    def __init__(self, message: str, current_version: int, **kw: object):
        super().__init__(message, code="version_conflict", current_version=current_version, **kw)
        self.current_version = current_version


class InvalidDate(DomainError):
    """A data date, knowledge date or other date argument that cannot be used; the
    message names the value and the rule. 400 on the API (it is a query argument)."""

    status_code = 400

    def __init__(self, message: str, field: str, **kw: object):
        super().__init__(message, field=field, code="invalid_date", **kw)


def raise_if_errors(errors: dict[str, str]) -> None:
    """Refuse a form's worth of input at once: a DomainError naming the first field, with every
    message by field in ``errors`` (one message alone is the error's own words)."""
    if errors:
        from flask_babel import gettext as _

        first = next(iter(errors))
        raise DomainError(
            errors[first] if len(errors) == 1 else _("Please correct the fields marked below."),
            field=first,
            errors=errors,
        )
