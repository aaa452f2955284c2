"""Letters of commitment: upload, replace and download."""
