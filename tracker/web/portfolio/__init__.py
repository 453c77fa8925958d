"""The portfolio of reports (every signed-in role reads it) and the administrator's forms
for reports, recommendations, practices, figures, indicators and action items, archiving
and the spreadsheet import.

Business rules live in services/portfolio/ and services/importer/; these views turn
their DomainErrors into messages on the form (422) and never write on their own.

The package: ``blueprint`` (``bp`` and the shared form view), ``listing`` (the list),
``forms`` (the administrator's forms) and ``imports`` (the spreadsheet import).
"""

# Importing the view modules registers their routes on ``bp``.
# isort: off
from .blueprint import bp
from . import listing  # noqa: F401
from . import forms  # noqa: F401
from . import imports  # noqa: F401

# isort: on

__all__ = ["bp"]
