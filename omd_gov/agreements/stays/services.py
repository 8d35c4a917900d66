"""The stays' catch-up (``omd-gov init``): agreements whose history predates
the ``agreement_stays`` table get their stays from the audit trail."""

from __future__ import annotations

from sqlalchemy.orm import Session

from omd_gov.agreements import stays
from omd_gov.db import transaction

CATCH_UP_BATCH = 2_000  # agreements per unit of work: memory and locks stay small


def catch_up_stays(session: Session) -> int:
    """Fill the stays of every agreement that has none; the stays written.
    Committed batch by batch, so an interrupted run resumes where it stopped."""
    written, after = 0, 0
    while True:
        with transaction(session):
            batch = stays.unfilled(session, after, CATCH_UP_BATCH)
            if not batch:
                return written
            written += stays.backfill(session, batch)
        after = batch[-1]
