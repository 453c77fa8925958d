"""The OpenAPI description of the request bodies, built from the service's field list
(``services.structure.Field``), so the documentation and the checks cannot disagree.
"""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, fields

from ...inputs import MAX_INT
from ...services import structure
from ...services.structure import Field


def _property(spec: Field, creating: bool) -> dict[str, Any]:
    kind = spec.kind
    meta: dict[str, Any]
    if kind in ("text", "code"):
        meta = {"type": "string", "maxLength": spec.max_len}
        if spec.required:
            meta["minLength"] = 1
            meta["pattern"] = r"\S"
        if kind == "code":
            meta["pattern"] = r"^[A-Za-z0-9][A-Za-z0-9._-]*$"
        meta["description"] = (
            "Text without NUL, lone surrogates (400) or text-direction controls (422)"
            if kind == "text"
            else "Letters A–Z, digits, . _ -; unique within the parent"
        )
    elif kind == "date":
        meta = {"type": "string", "format": "date", "description": "YYYY-MM-DD, 1912-01-01 … 2199-12-31"}
    elif kind == "int":
        meta = {
            "type": "integer",
            "minimum": 0,
            "maximum": MAX_INT,
            "description": "Order among its siblings (default: after the last)",
        }
    elif kind == "year":
        meta = {"type": "integer", "minimum": structure.YEAR_MIN, "maximum": structure.YEAR_MAX}
    elif kind == "decimal":
        meta = {
            "type": "number",
            "minimum": -999999999999999,
            "maximum": 999999999999999,
            "description": "At most four decimals",
        }
    elif kind == "weight":
        meta = {
            "type": "number",
            "minimum": 0,
            "exclusiveMinimum": True,
            "maximum": 99999.999,
            "description": "Weight in the recommendation's roll-up (default 1), at most three decimals",
        }
    elif kind == "budget":
        meta = {"type": "integer", "minimum": 0, "maximum": 999999999999999, "description": "Whole NT$"}
    elif kind == "enum":
        assert spec.enum is not None
        meta = {"type": "string", "enum": [m.value for m in spec.enum]}
    elif kind == "ref":
        meta = {
            "type": "integer",
            "minimum": 1,
            "maximum": MAX_INT,
            "description": "Id of an existing record"
            + (" (set on creation, cannot change)" if spec.create_only else ""),
        }
    elif kind == "refs":
        meta = {
            "type": "array",
            "maxItems": 100,
            "uniqueItems": True,
            "items": {"type": "integer", "minimum": 1, "maximum": MAX_INT},
        }
    else:  # pragma: no cover
        raise AssertionError(kind)
    return meta


def body_schema(name: str, specs: tuple[Field, ...], creating: bool) -> type[Schema]:
    """A request schema whose fields are read raw (the service checks them and words the
    messages) and whose OpenAPI description states each rule."""
    attrs: dict[str, Any] = {}
    for spec in specs:
        if spec.create_only and not creating:
            continue
        required = creating and spec.required
        attrs[spec.name] = fields.Raw(required=required, allow_none=not required, metadata=_property(spec, creating))
    return Schema.from_dict(attrs, name=name)
