"""Impact returns: programmes and their measures (programmes), periods and their moments (periods), members'
returns (returns), the convenor's review (review), totals with small-number suppression (totals), reminders."""
