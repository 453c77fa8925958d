"""Pagination, sorting and filtering for every API list.

- ``?page=`` (1 … 1,000,000, default 1) and ``?per_page=`` (1 … 100, default 50); the body's
  ``pagination`` says ``page, per_page, total, pages``, the ``Link`` header (RFC 8288) gives
  ``first``, ``prev``, ``next`` and ``last``, ``X-Total-Count`` the number of rows.
- ``?sort=`` a comma-separated list of whitelisted fields, each optionally prefixed with
  ``-`` for descending (``sort=-report_date,code``); ties are broken by id, so pages never
  overlap. An unknown field is a 400 naming the fields the list takes.
- Filters are named query arguments of each list (``?report=3``); an argument the list does
  not take is a 400 too (``unknown=RAISE``), so a typo never silently returns everything.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from flask import request
from flask_babel import gettext as _
from marshmallow import RAISE, Schema, ValidationError, fields
from sqlalchemy import Select, func, select
from sqlalchemy.sql.elements import ColumnElement

from ..extensions import db
from .common import AsOfArgsSchema

MAX_PAGE = 1_000_000
MAX_PER_PAGE = 100
DEFAULT_PER_PAGE = 50


class BoundedInt(fields.Field):
    """A whole number in ASCII digits within [low, high]; anything else is a 400 naming the bounds."""

    def __init__(self, low: int, high: int, **kwargs: Any):
        self.low, self.high = low, high
        metadata = {"type": "integer", "minimum": low, "maximum": high, **kwargs.pop("metadata", {})}
        super().__init__(metadata=metadata, **kwargs)

    def _deserialize(self, value: Any, attr: str | None, data: Mapping[str, Any] | None, **kwargs: Any) -> int:
        text = value.strip() if isinstance(value, str) else None
        if text is not None and re.fullmatch(r"[0-9]{1,12}", text) and self.low <= int(text) <= self.high:
            return int(text)
        raise ValidationError(_("Use a whole number from %(low)d to %(high)d.", low=self.low, high=self.high))


class SortArg(fields.Field):
    """``sort=field,-other``: whitelisted fields, ``-`` for descending; loads as [(name, descending)]."""

    def __init__(self, allowed: Sequence[str], default: str, **kwargs: Any):
        self.allowed = tuple(allowed)
        choices = ", ".join(self.allowed)
        pattern = r"^-?(" + "|".join(self.allowed) + r")(,-?(" + "|".join(self.allowed) + r")){0,2}$"
        metadata = {
            "type": "string",
            "pattern": pattern,
            "example": default,
            "default": default,
            "description": f"Sort by up to three of: {choices}; prefix - for descending "
            f"(default {default}); ties by id",
            **kwargs.pop("metadata", {}),
        }
        # load_default is used as is (not deserialised): give the parsed form.
        super().__init__(
            load_default=[(d.lstrip("-"), d.startswith("-")) for d in default.split(",")], metadata=metadata, **kwargs
        )

    def _deserialize(
        self, value: Any, attr: str | None, data: Mapping[str, Any] | None, **kwargs: Any
    ) -> list[tuple[str, bool]]:
        parts = [p.strip() for p in value.split(",")] if isinstance(value, str) else []
        if not parts or len(parts) > 3:
            raise ValidationError(_("Sort by one to three fields, separated by commas."))
        out = []
        for part in parts:
            name = part[1:] if part.startswith("-") else part
            if name not in self.allowed:
                raise ValidationError(
                    _(
                        "This list cannot be sorted by “%(name)s”; use one of: %(fields)s (prefix - for descending).",
                        name=name[:40],
                        fields=", ".join(self.allowed),
                    )
                )
            out.append((name, part.startswith("-")))
        return out


class PagingArgsSchema(Schema):
    """Page, size and language; each list adds its ``sort`` and its filters."""

    class Meta:
        unknown = RAISE

    page = BoundedInt(1, MAX_PAGE, load_default=1, metadata={"description": "Page number, from 1"})
    per_page = BoundedInt(
        1,
        MAX_PER_PAGE,
        load_default=DEFAULT_PER_PAGE,
        metadata={"description": f"Rows per page (default {DEFAULT_PER_PAGE})"},
    )
    lang = fields.String(
        load_default=None, metadata={"description": "Language of error messages: zh-TW or en", "maxLength": 10}
    )


class ListArgsSchema(PagingArgsSchema, AsOfArgsSchema):
    """A list whose rows carry a state on a date: paging plus ``as_of`` and ``known_at``."""

    class Meta:
        unknown = RAISE


def text_filter(description: str, max_len: int = 120) -> fields.String:
    """A case-insensitive substring filter (``%`` and ``_`` match themselves)."""
    from marshmallow.validate import Length

    return fields.String(
        load_default=None, validate=Length(max=max_len), metadata={"description": description, "maxLength": max_len}
    )


@dataclass
class Page:
    ids: list[int]
    page: int
    per_page: int
    total: int

    @property
    def pages(self) -> int:
        return (self.total + self.per_page - 1) // self.per_page

    def body(self) -> dict[str, int]:
        return {"page": self.page, "per_page": self.per_page, "total": self.total, "pages": self.pages}

    def headers(self) -> dict[str, str]:
        links = [(1, "first")]
        if self.page > 1:
            links.append((min(self.page - 1, max(self.pages, 1)), "prev"))
        if self.page < self.pages:
            links.append((self.page + 1, "next"))
        links.append((max(self.pages, 1), "last"))
        return {
            "Link": ", ".join(f'<{_page_url(n)}>; rel="{rel}"' for n, rel in links),
            "X-Total-Count": str(self.total),
        }


def _page_url(page: int) -> str:
    args = [(k, v) for k, v in request.args.items(multi=True) if k != "page"] + [("page", str(page))]
    return f"{request.path}?{urlencode(args)}"


def order_clauses(
    sort: list[tuple[str, bool]], columns: Mapping[str, ColumnElement[Any]], id_column: ColumnElement[Any]
) -> list[Any]:
    """ORDER BY for ``sort``: empty values last in either direction (the same on SQLite and
    PostgreSQL), then the id in the direction of the first key."""
    out: list[Any] = []
    for name, descending in sort:
        column = columns[name]
        out += [column.is_(None), column.desc() if descending else column.asc()]
    out.append(id_column.desc() if sort and sort[0][1] else id_column.asc())
    return out


def page_ids(stmt: Select, args: Mapping[str, Any]) -> Page:
    """One page of the ids ``stmt`` selects (already filtered and ordered): two statements."""
    page, per_page = args["page"], args["per_page"]
    total = db.session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery())) or 0
    ids = list(db.session.scalars(stmt.limit(per_page).offset((page - 1) * per_page)))
    return Page(ids, page, per_page, total)


class PaginationSchema(Schema):
    page = fields.Integer(required=True, metadata={"minimum": 1})
    per_page = fields.Integer(required=True, metadata={"minimum": 1, "maximum": MAX_PER_PAGE})
    total = fields.Integer(required=True, metadata={"minimum": 0, "description": "Rows matching the filters"})
    pages = fields.Integer(required=True, metadata={"minimum": 0})


LIST_HEADERS = {
    "Link": {
        "description": "RFC 8288 links to the first, previous, next and last page, e.g. "
        '</api/v1/reports?page=2>; rel="next"',
        "schema": {"type": "string"},
    },
    "X-Total-Count": {"description": "Rows matching the filters", "schema": {"type": "string", "pattern": "^[0-9]+$"}},
}
