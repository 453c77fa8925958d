"""Read API: reports, recommendations, action items."""
from __future__ import annotations

from flask_smorest import Blueprint

blp = Blueprint("api_reports", __name__, url_prefix="/api/v1", description="Reports and their recommendations")
