"""How documents join the agreement lifecycle, without the lifecycle core
importing them. The app factory calls :func:`register`.

- the fact ``document_ready`` (a DSA exists for the current content version),
  asked for by the ``send_for_signature`` guard only;
- before ``send_for_signature`` fires, the latest DSA is frozen and its sha256
  recorded in the transition's audit event (``frozen_sha256``).
"""

from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy.orm import Session

from omd_gov.agreements.guards import DOCUMENT_READY
from omd_gov.agreements.hooks import TransitionStep, before, provide_fact
from omd_gov.agreements.lifecycle import Trigger
from omd_gov.documents.freezing import document_ready, freeze_for_signature


def register() -> None:
    provide_fact(Trigger.SEND_FOR_SIGNATURE, DOCUMENT_READY, document_ready)
    before(Trigger.SEND_FOR_SIGNATURE, freeze_before_sending)


def freeze_before_sending(session: Session, step: TransitionStep) -> Mapping[str, object]:
    document = freeze_for_signature(session, step.agreement, step.actor)
    return {"frozen_sha256": document.sha256, "frozen_pdf_sha256": document.pdf_sha256}
