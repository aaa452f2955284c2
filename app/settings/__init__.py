"""The convening body's settings: its identity on bid packs and the funder page."""
