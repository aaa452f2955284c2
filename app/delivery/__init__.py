"""After the bid: the outcome, the grants members make, the delivery dashboard and the 360Giving export."""

from app.delivery import grant_routes, routes
from app.delivery.blueprint import bp
from app.services import grant_reminders  # noqa: F401  (registers its sweep step)

#: The page modules: importing them attaches their routes to ``bp``.
PAGES = (grant_routes, routes)

__all__ = ["PAGES", "bp"]
