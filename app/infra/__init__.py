"""Infrastructure the services, notifications and views share: the clock, after-commit hooks, signed tokens,
links, file storage, and the runner that commits units of work outside a request. Nothing here knows about
bids or pages: it imports no service, view or blueprint.
"""
