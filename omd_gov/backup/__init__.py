"""Backup and restore of an instance: the database (SQLite's online backup
API or ``pg_dump``), the document storage and the audit signer's last note,
with a manifest of sha256 sums written last (docs/OPERATIONS.md)."""
