"""The funder's private page: headline figures and the downloads of one pack version, nothing else."""
