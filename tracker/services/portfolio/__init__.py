"""The portfolio of reports: the list with its aggregates, and the administrator's writes
(reports, recommendations, reference practices and figures, indicators, action items,
archiving).

Reads (``listing``): ``portfolio_page`` answers with a constant number of statements
whatever the number of reports and items (one count, one page of reports with every
aggregate as a GROUP BY subquery, one for the adoption decisions of that page).

Writes (``reports``, ``contents``): every field is described once (``fields.Field``) and
checked by ``fields.clean``; all problems are raised together as
``DomainError(errors={field: message})`` before anything is written. Every create and edit
is recorded in the audit log with the fields that changed (before and after). The
spreadsheet import (services/importer/) goes through the same functions, so a rule holds
whichever way the data comes in.
"""

from .contents import create_item, save_figure, save_indicator, save_practice, save_recommendation
from .fields import (
    FIGURE_FIELDS,
    INDICATOR_FIELDS,
    ITEM_FIELDS,
    PRACTICE_FIELDS,
    RECOMMENDATION_FIELDS,
    REPORT_FIELDS,
    Field,
    clean,
    snapshot,
)
from .listing import (
    PER_PAGE,
    SORTS,
    STATES,
    PortfolioFilters,
    PortfolioPage,
    PortfolioRow,
    collecting_period,
    filter_choices,
    portfolio_page,
)
from .reports import (
    archive_report,
    create_report,
    current_report_ids,
    edit_report,
    item_ids_of,
    open_items,
    report_filter,
    unarchive_report,
)

__all__ = [
    "FIGURE_FIELDS",
    "INDICATOR_FIELDS",
    "ITEM_FIELDS",
    "PER_PAGE",
    "PRACTICE_FIELDS",
    "RECOMMENDATION_FIELDS",
    "REPORT_FIELDS",
    "SORTS",
    "STATES",
    "Field",
    "PortfolioFilters",
    "PortfolioPage",
    "PortfolioRow",
    "archive_report",
    "clean",
    "collecting_period",
    "create_item",
    "create_report",
    "current_report_ids",
    "edit_report",
    "filter_choices",
    "item_ids_of",
    "open_items",
    "portfolio_page",
    "report_filter",
    "save_figure",
    "save_indicator",
    "save_practice",
    "save_recommendation",
    "snapshot",
    "unarchive_report",
]
