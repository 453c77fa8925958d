"""The field types and small schemas every read answer shares: progress numbers, enumerations,
status counts, a department reference.
"""

from __future__ import annotations

from marshmallow import Schema, fields

from ...models import Status

FLAGS = ("overdue", "due_soon", "stale")
MISSING = ("baseline", "target", "reference", "measurement")


class Progress(fields.Float):
    """Progress in percent, one decimal, or null."""

    def __init__(self, **kwargs):
        kwargs.setdefault("allow_none", True)
        kwargs.setdefault("metadata", {})
        kwargs["metadata"].setdefault("description", "Percent, one decimal (0.0–100.0); null when no item counts")
        super().__init__(**kwargs)

    def _serialize(self, value, attr, obj, **kwargs):
        if value is None:
            return None
        return round(float(value), 1)


def _number(description: str, **kw) -> fields.Float:
    return fields.Float(allow_none=True, metadata={"description": description}, **kw)


def _enum(enum_cls, description: str = "", **kw) -> fields.Enum:
    return fields.Enum(enum_cls, by_value=True, metadata={"description": description} if description else {}, **kw)


StatusCountsSchema = Schema.from_dict({s.value: fields.Integer(required=True) for s in Status}, name="StatusCounts")


class DepartmentRefSchema(Schema):
    id = fields.Integer(required=True)
    code = fields.String(required=True)
    name_zh = fields.String(required=True)
    name_en = fields.String(required=True)
