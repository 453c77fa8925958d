"""Writing the structure of reports: create (POST) and update (PATCH) reports,
recommendations, reference practices and their figures, indicators and action items;
and the lists and single reads of the objects the read API did not have yet.

Rules (docs/api.md):
- Every signed-in role and token reads; only administrators write (403 before the body is
  read, logged as ``access.denied``). The operations are ``services.structure``: the same
  checks and audit rows whatever the caller.
- POST answers 201 with the object, ``Location`` and ``ETag``. PATCH changes only the keys
  it sends and needs ``If-Match`` with the ETag read: none is 428, an older version 412
  (with the current ``etag``), a malformed tag 400.
- A body key the object does not have, a missing required field or a value that breaks a
  rule is a 422 with ``errors`` mapping each field to its message.

The package: ``blueprint`` (the blueprint, its guard, parser and shared steps), ``bodies``
(OpenAPI bodies from the service's fields), then the endpoints by object: ``reports``
(reports and recommendations), ``practices`` (practices and figures), ``indicators`` and
``items``. Importing the endpoint modules registers their routes, in this order.
"""

# The routes register in import order, which is the order of the OpenAPI document.
# isort: off
from . import reports  # noqa: F401
from . import practices  # noqa: F401
from . import indicators  # noqa: F401
from . import items  # noqa: F401

# isort: on
from .blueprint import blp

__all__ = ["blp"]
