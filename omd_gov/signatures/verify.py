"""Re-validate every signature of a stored document of record, offline.

Each accepted upload stored its validation data (the signer's certificate,
the intermediates and the trust root that anchored it, the time it was
validated, its revocation result and the CRLs/OCSP responses downloaded for
it). :func:`verify_document` trusts exactly
those roots, never the current ``OMD_TRUST_DIR``, and validates each
signature at the time it was accepted, so a report made years later does
not depend on the network, on today's trust store, or on certificates that
have expired since. A signature recorded with revocation ``good`` is proven
good again from the stored and the file's revocation data (nothing is ever
downloaded): ``good``, ``revoked`` (then not ``ok``), or ``not_checked`` when
that data no longer suffices. A signature without stored validation data
(none should exist) is checked against the pooled roots at the current time.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Any

from asn1crypto import x509 as asn1_x509
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko.sign.validation.pdf_embedded import EmbeddedPdfSignature
from pyhanko.sign.validation.status import SignatureCoverageLevel
from pyhanko_certvalidator import ValidationContext

from omd_gov.signatures import revocation
from omd_gov.signatures.identity import SignerIdentity
from omd_gov.signatures.trust import SIGNING_KEY_USAGE, from_pem
from omd_gov.signatures.validation import embedded_signatures, read_pdf


@dataclass(frozen=True)
class SignatureCheck:
    field_name: str
    signer: SignerIdentity
    signing_time: dt.datetime | None
    timestamp_time: dt.datetime | None
    intact: bool
    covers_whole_document: bool
    trusted: bool
    revocation: str

    @property
    def ok(self) -> bool:
        return (
            self.intact
            and self.covers_whole_document
            and self.trusted
            and self.revocation != "revoked"
        )

    def as_dict(self) -> dict[str, Any]:
        return {
            "field_name": self.field_name,
            "signer": self.signer.as_dict(),
            "signing_time": self.signing_time.isoformat() if self.signing_time else None,
            "timestamp_time": self.timestamp_time.isoformat() if self.timestamp_time else None,
            "intact": self.intact,
            "covers_whole_document": self.covers_whole_document,
            "trusted": self.trusted,
            "revocation": self.revocation,
            "ok": self.ok,
        }


def _pooled(validation_data: list[dict[str, Any]]) -> tuple[list, list]:
    roots: dict[bytes, asn1_x509.Certificate] = {}
    others: dict[bytes, asn1_x509.Certificate] = {}
    for data in validation_data:
        if data.get("trust_root"):
            root = from_pem(data["trust_root"])
            roots[root.sha256] = root
        for text in data.get("intermediates") or []:
            certificate = from_pem(text)
            others[certificate.sha256] = certificate
    return list(roots.values()), list(others.values())


def _moment(data: dict[str, Any] | None) -> dt.datetime | None:
    if data and data.get("validation_time"):
        return dt.datetime.fromisoformat(data["validation_time"])
    return None


def _revocation(
    signature: EmbeddedPdfSignature,
    data: dict[str, Any] | None,
    context: Callable[..., ValidationContext],
) -> str:
    """Prove a stored ``good`` again, offline, from the stored and the file's data."""
    if (data or {}).get("revocation") != "good":
        return "not_checked"
    crls, ocsps = revocation.stored(data)
    proof = validate_pdf_signature(
        signature,
        context(mode="require", crls=crls, ocsps=ocsps),
        key_usage_settings=SIGNING_KEY_USAGE,
        skip_diff=True,
    )
    if proof.trusted:
        return "good"
    return "revoked" if proof.trust_problem_indic in revocation.REVOKED else "not_checked"


def _check(
    signature: EmbeddedPdfSignature,
    data: dict[str, Any] | None,
    pooled: tuple[list, list],
    reader: PdfFileReader,
) -> SignatureCheck:
    roots, others = pooled
    context = partial(
        revocation.validation_context,
        roots,
        moment=_moment(data),
        reader=reader,
        other_certs=others,
    )
    status = validate_pdf_signature(signature, context(), key_usage_settings=SIGNING_KEY_USAGE)
    whole = status.coverage == SignatureCoverageLevel.ENTIRE_FILE or bool(
        status.coverage == SignatureCoverageLevel.ENTIRE_REVISION and status.docmdp_ok
    )
    token = status.timestamp_validity
    return SignatureCheck(
        field_name=signature.field_name,
        signer=SignerIdentity.from_certificate(status.signing_cert),
        signing_time=status.signer_reported_dt,
        timestamp_time=token.timestamp if token and token.intact and token.valid else None,
        intact=bool(status.intact and status.valid),
        covers_whole_document=whole,
        trusted=bool(status.trusted),
        revocation=_revocation(signature, data, context),
    )


def _broken(signature: EmbeddedPdfSignature) -> SignatureCheck:
    return SignatureCheck(
        field_name=signature.field_name,
        signer=SignerIdentity.from_certificate(signature.signer_cert),
        signing_time=None,
        timestamp_time=None,
        intact=False,
        covers_whole_document=False,
        trusted=False,
        revocation="not_checked",
    )


def verify_document(pdf: bytes, validation_data: list[dict[str, Any]]) -> list[SignatureCheck]:
    """One check per signature (``/Sig``; document timestamps are not listed),
    in signing order. An unreadable PDF raises ``SignatureRejected`` (step "pdf")."""
    reader = read_pdf(pdf)
    by_field = {data.get("field_name"): data for data in validation_data if data}
    pooled = _pooled(validation_data)
    checks = []
    for signature in embedded_signatures(reader):
        if signature.sig_object_type != "/Sig":
            continue
        try:
            checks.append(_check(signature, by_field.get(signature.field_name), pooled, reader))
        except Exception:  # a damaged file breaks pyHanko in many ways: that is "not ok"
            checks.append(_broken(signature))
    return checks
