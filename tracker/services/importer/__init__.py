"""Importing reports, recommendations and action items from a spreadsheet (CSV, XLSX, ODS).

The template has the columns of the CSV export (tracker/exports: one row per action item,
the same headings in either language), followed by the columns only an import needs (the
report's and the recommendation's own fields). docs/portfolio.md lists them.

The whole file is checked before anything is kept: the rows are written through the same
services as the administrator's forms (services/portfolio/) inside one transaction, every
problem is collected as (row, column, reason), and any problem rolls everything back. A
dry run always rolls back. Keys are stable (report code; recommendation code within the
report; item code within the recommendation): a row whose key exists must agree with what
is stored, so importing the same file again changes nothing.

The package: ``columns`` (the columns, headings and result types), ``rows`` (reading the
sheet into typed rows), ``writes`` (writing them through the portfolio services), ``run``
(``import_file``, the whole import in one transaction) and ``template`` (the template file).
"""

from .columns import BY_KEY, COLUMNS, Column, ImportFailed, ImportResult, Problem, SystemActor, headings
from .run import import_file
from .template import TEMPLATE_EXAMPLE, template_bytes, template_rows

__all__ = [
    "BY_KEY",
    "COLUMNS",
    "TEMPLATE_EXAMPLE",
    "Column",
    "ImportFailed",
    "ImportResult",
    "Problem",
    "SystemActor",
    "headings",
    "import_file",
    "template_bytes",
    "template_rows",
]
