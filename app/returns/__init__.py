"""Impact returns pages: the convenor's programmes and dashboard, the member's returns."""

from app.returns import convenor, documents, member
from app.returns.blueprint import bp

#: the modules whose views attach to ``bp``
VIEWS = (convenor, documents, member)

__all__ = ["VIEWS", "bp"]
