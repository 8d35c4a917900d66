"""The officers' web pages (docs/WEB.md): server-rendered Jinja2 on the same
services and queries as the API, signed in with an e-mail and a password.

Every rule (who sees what, who may fire what, the guards) lives in the
services and queries below; a page only parses a form, calls one use case
and shows the answer or the refusal.
"""
