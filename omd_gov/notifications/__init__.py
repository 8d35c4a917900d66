"""Notifications: in-app, e-mail over SMTP and signed webhooks, delivered at most once per claim."""
