"""Auth: who is calling (users, roles, bearer tokens) and what they may do."""
