"""Business rules. Writes are verb-named operations that flush but never commit;
reads shared by pages, the API and exports live in progress.py and benchmark.py."""

from ..errors import ConflictError, DomainError, InvalidDate, NotFound, PermissionDenied

__all__ = ["ConflictError", "DomainError", "InvalidDate", "NotFound", "PermissionDenied"]
