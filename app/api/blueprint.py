"""The API blueprint: bearer authentication before every view, problem+json errors, a per-token rate limit.

Kept apart from the resource modules so each of them can attach its routes to it.
"""

from __future__ import annotations

from flask import Blueprint

from app.api.auth import before_request, rate_limit_key, rate_limit_value
from app.api.errors import register as register_errors
from app.extensions import limiter

bp = Blueprint("api", __name__, url_prefix="/api/v1")
bp.before_request(before_request)
register_errors(bp)
# One allowance per token across the whole API (a plain ``limit`` would give each route its own).
limiter.shared_limit(rate_limit_value, scope="api", key_func=rate_limit_key)(bp)
