"""The directory area: a convening body's organisations, contacts and tags."""
