"""The Celery plumbing every feature shares: the app wiring and broker
transports, publishing after commit, retry back-off, and the worker command
line. Features keep their own ``tasks.py``; nothing here knows a feature."""
