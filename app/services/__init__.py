"""The domain rules. Plain arguments in, models out, domain errors raised; no request, no commit."""
