"""Who does something: a user (through the API, the web pages or the CLI), or
the system (the worker, a migration). Services take one ``Actor``: it carries
the user whose permissions are checked and what the audit trail records."""

from __future__ import annotations

from dataclasses import dataclass

from omd_gov.auth.models import User


@dataclass(frozen=True)
class Actor:
    user: User | None
    label: str
    role: str
    source: str  # "api", "ui", "cli" or "worker"

    @classmethod
    def of(cls, user: User, source: str = "api") -> Actor:
        return cls(user=user, label=user.label, role=user.role, source=source)

    @classmethod
    def system(cls, source: str = "worker") -> Actor:
        return cls(user=None, label="system", role="system", source=source)

    @property
    def user_id(self) -> int | None:
        return self.user.id if self.user is not None else None

    def require_user(self) -> User:
        """The acting user, for the use cases only a person may start."""
        if self.user is None:
            raise RuntimeError(f"{self.label} ({self.source}) is not a user")
        return self.user
