"""Live tracking: the per-bid event stream, its polling fallback, the feed, charts and projection."""
