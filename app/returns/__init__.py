"""Impact returns pages: the convenor's programmes and dashboard, the member's returns."""

from app.returns import convenor, documents, links, member, taking_part
from app.returns.blueprint import bp

#: the modules whose views attach to ``bp``
VIEWS = (convenor, documents, links, member, taking_part)

__all__ = ["VIEWS", "bp"]
