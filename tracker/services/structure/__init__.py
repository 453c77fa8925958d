"""Creating and editing what a report is made of: reports, recommendations, reference
practices and their figures, indicators and action items (administrators only).

One operation per object and verb (``create_report``, ``update_report``, ...), used by the
API and meant for the admin forms too. Each takes the raw values a form or a JSON body
sends (strings or typed values), checks every field before anything is written and raises
all problems together as ``DomainError(errors={field: message})`` (422); a caller without
the right gets ``PermissionDenied`` after an audit row ("<kind>.denied") is added.

Updates are partial: only the keys present in ``values`` change. They name the version the
caller read (``based_on_version``) and bump it with one guarded
``UPDATE ... SET version = version + 1 WHERE id = :id AND version = :v``; a concurrent
writer's update then matches no row and gets ``ConflictError`` (the API answers 412).

Every write adds an audit row ("report.create", "report.edit", ...) whose summary holds
the changed fields before and after. Item writes mark the item's read model for refresh
(``projections.touch``); a report whose filing date changes touches all its items, since
tracking starts on that date.

Fields that tie an object to its parent (``report_id`` of a recommendation,
``recommendation_id`` of a practice, indicator or item, ``practice_id`` of a figure) are
set on creation and cannot be changed: moving an object would rewrite the history of
the report it came from.

The package: ``fields`` (what each object's fields are and how raw values are read),
``steps`` (the admin check, audit snapshots, version bump, generic create and update),
``rules`` (each object's cross-field rules) and ``operations`` (the public verbs and ``get``).
"""

from .fields import (
    BUDGET_LIMIT,
    FIGURE_FIELDS,
    INDICATOR_FIELDS,
    ITEM_FIELDS,
    ITEM_LISTS,
    KINDS,
    MAX_LONG_TEXT,
    PRACTICE_FIELDS,
    RECOMMENDATION_FIELDS,
    REPORT_FIELDS,
    VALUE_LIMIT,
    WEIGHT_LIMIT,
    YEAR_MAX,
    YEAR_MIN,
    Field,
)
from .operations import (
    create_figure,
    create_indicator,
    create_item,
    create_practice,
    create_recommendation,
    create_report,
    get,
    update_figure,
    update_indicator,
    update_item,
    update_practice,
    update_recommendation,
    update_report,
)
from .steps import DuplicateCode, snapshot

__all__ = [
    "BUDGET_LIMIT",
    "FIGURE_FIELDS",
    "INDICATOR_FIELDS",
    "ITEM_FIELDS",
    "ITEM_LISTS",
    "KINDS",
    "MAX_LONG_TEXT",
    "PRACTICE_FIELDS",
    "RECOMMENDATION_FIELDS",
    "REPORT_FIELDS",
    "VALUE_LIMIT",
    "WEIGHT_LIMIT",
    "YEAR_MAX",
    "YEAR_MIN",
    "DuplicateCode",
    "Field",
    "create_figure",
    "create_indicator",
    "create_item",
    "create_practice",
    "create_recommendation",
    "create_report",
    "get",
    "snapshot",
    "update_figure",
    "update_indicator",
    "update_item",
    "update_practice",
    "update_recommendation",
    "update_report",
]
