"""User administration: accounts, roles, tokens and supervisors (the CLI and,
later, the admin pages call these services). Identity itself is ``auth``."""
