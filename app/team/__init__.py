"""The Team page: a manager invites colleagues, makes managers and removes people; a colleague joins by link."""
