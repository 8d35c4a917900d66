"""Validate one uploaded signed PDF against the round's current PDF.

:func:`validate_upload` runs the checks in this order and refuses the upload
at the first failure with :class:`SignatureRejected`, naming the step:

``pdf``           the upload is not a readable PDF.
``intact``        a signature (or its timestamp) in the file does not verify
                  over its byte range, or its byte range does not cover a
                  whole revision.
``prefix``        the previous PDF is not an exact, shorter prefix of the upload.
``modifications`` pyHanko's diff analysis from the previous PDF's last revision
                  finds anything beyond new signature fields, their widgets
                  and DSS validation data (or a certification signature forbids
                  even that).
``count``         not exactly one new signature after that revision.
``trust``         the new signer's certificate does not chain to a root in
                  the trust store (or the chain fails for a reason not below).
``key_usage``     the certificate lacks digitalSignature and nonRepudiation.
``validity``      the certificate (or an intermediate) is outside its validity
                  at the claimed signing time, at the timestamp, or now.
``revocation``    revoked per the revocation data (the file's or downloaded),
                  or (hard-fail) some certificate of the chain not checked.

Revocation modes, downloads and what is recorded: see
:mod:`omd_gov.signatures.revocation`.
"""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass, field
from typing import Any

from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.diff_analysis import DiffResult, ModificationLevel
from pyhanko.sign.fields import enumerate_sig_fields
from pyhanko.sign.validation import validate_pdf_timestamp
from pyhanko.sign.validation.errors import SignatureValidationError
from pyhanko.sign.validation.generic_cms import validate_sig_integrity
from pyhanko.sign.validation.pdf_embedded import EmbeddedPdfSignature, read_certification_data
from pyhanko.sign.validation.status import PdfSignatureStatus, SignatureCoverageLevel

from omd_gov.errors import ServiceError
from omd_gov.signatures import revocation
from omd_gov.signatures.identity import SignerIdentity, signer_problem
from omd_gov.signatures.trust import DIFF_POLICY, TrustSettings, to_pem

_WHOLE_REVISION = (SignatureCoverageLevel.ENTIRE_FILE, SignatureCoverageLevel.ENTIRE_REVISION)


class SignatureRejected(ServiceError):
    status, title, slug = 422, "Signed PDF refused", "signature-rejected"

    def __init__(
        self,
        detail: str,
        errors: list[dict[str, Any]] | None = None,
        *,
        step: str,
        signature: str | None = None,
        **extra: Any,
    ):
        super().__init__(detail, errors, step=step, signature=signature, **extra)
        self.step = step
        self.signature = signature


def _refuse(step: str, detail: str, signature: str | None = None) -> SignatureRejected:
    return SignatureRejected(detail, step=step, signature=signature)


@dataclass(frozen=True)
class UploadReport:
    field_name: str
    signer: SignerIdentity
    signing_time: dt.datetime
    timestamp_time: dt.datetime | None
    revocation: str
    validation_data: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {
            "field_name": self.field_name,
            "signer": self.signer.as_dict(),
            "signing_time": self.signing_time.isoformat(),
            "timestamp_time": self.timestamp_time.isoformat() if self.timestamp_time else None,
            "revocation": self.revocation,
            "validation_data": self.validation_data,
        }


def read_pdf(data: bytes) -> PdfFileReader:
    """A reader over ``data``; anything unreadable is refused at step "pdf"."""
    try:
        reader = PdfFileReader(io.BytesIO(data), strict=False)
        reader.root  # noqa: B018 - touch the catalog so a broken trailer fails here
        return reader
    except Exception as error:  # pyHanko raises many kinds on hostile input
        raise _refuse("pdf", f"Not a readable PDF: {error}") from error


def embedded_signatures(reader: PdfFileReader) -> list[EmbeddedPdfSignature]:
    """Every filled signature field, in signing order. Unlike pyHanko's own
    listing this never skips one it cannot read: that one is not intact."""
    found = []
    try:
        fields = list(enumerate_sig_fields(reader, filled_status=True))
    except Exception as error:  # a broken AcroForm is a broken PDF
        raise _refuse("pdf", f"Unreadable signature fields: {error}") from error
    for name, _value, field_ref in fields:
        try:
            found.append(EmbeddedPdfSignature(reader, field_ref, name))
        except Exception as error:  # unparsable CMS, missing /ByteRange, ...
            raise _refuse("intact", f"Unreadable signature: {error}", name) from error
    return sorted(found, key=lambda signature: signature.signed_revision)


def check_intact(signature: EmbeddedPdfSignature) -> None:
    """The signature verifies over its byte range, which spans whole revisions."""
    name = signature.field_name
    try:
        signature.compute_integrity_info(skip_diff=True)
        if signature.sig_object_type == "/DocTimeStamp":
            status = validate_pdf_timestamp(
                signature, validation_context=revocation.validation_context([])
            )
            intact = status.intact and status.valid
        else:
            intact, valid = validate_sig_integrity(
                signature.signer_info,
                signature.signer_cert,
                expected_content_type="data",
                actual_digest=signature.compute_digest(),
            )
            intact = intact and valid
    except Exception as error:  # hostile input breaks pyHanko in many ways
        raise _refuse("intact", f"Signature cannot be verified: {error}", name) from error
    if not intact:
        raise _refuse("intact", "The signed bytes were changed after signing.", name)
    if signature.coverage not in _WHOLE_REVISION:
        raise _refuse("intact", "The signature does not cover a whole revision.", name)


def _revision_count(previous: bytes) -> int:
    # Only the xref sections are read; objects stay unparsed.
    return PdfFileReader(io.BytesIO(previous), strict=False).xrefs.total_revisions


def check_modifications(
    reader: PdfFileReader, base_revision: int, signatures: list[EmbeddedPdfSignature]
) -> None:
    try:
        certification = read_certification_data(reader)
        result = DIFF_POLICY.review_file(
            reader, base_revision, doc_mdp=certification.permission if certification else None
        )
    except Exception as error:  # an update pyHanko cannot even read is not a harmless one
        raise _refuse("modifications", f"The update cannot be analysed: {error}") from error
    if not isinstance(result, DiffResult):
        raise _refuse("modifications", f"The file was changed after signing: {result}")
    if result.modification_level > ModificationLevel.FORM_FILLING:
        raise _refuse("modifications", "The update changes more than signature fields.")
    if certification and result.modification_level.value > certification.permission.value:
        raise _refuse("modifications", "A certification signature forbids this update.")
    signed_fields = {signature.field_name for signature in signatures}
    unexplained = sorted(result.changed_form_fields - signed_fields)
    if unexplained:
        raise _refuse("modifications", f"Form fields changed: {', '.join(unexplained)}")


def the_new_signature(
    signatures: list[EmbeddedPdfSignature], base_revision: int
) -> EmbeddedPdfSignature:
    new = [
        signature
        for signature in signatures
        if signature.signed_revision > base_revision and signature.sig_object_type == "/Sig"
    ]
    if len(new) != 1:
        names = ", ".join(signature.field_name for signature in new) or "none"
        raise _refuse(
            "count", f"Exactly one new signature is required; found {len(new)} ({names})."
        )
    return new[0]


def validate_upload(previous: bytes, upload: bytes, trust: TrustSettings) -> UploadReport:
    """Run every check on ``upload``, the round's ``previous`` PDF plus one
    signature; raise :class:`SignatureRejected` at the first failure."""
    reader = read_pdf(upload)
    signatures = embedded_signatures(reader)
    for signature in signatures:
        check_intact(signature)
    if len(upload) <= len(previous) or not upload.startswith(previous):
        raise _refuse("prefix", "The upload is not the current PDF plus incremental updates.")
    base_revision = _revision_count(previous) - 1
    check_modifications(reader, base_revision, signatures)
    new = the_new_signature(signatures, base_revision)
    return _validate_signer(reader, new, trust)


def timestamp_time(
    signature: EmbeddedPdfSignature, status: PdfSignatureStatus
) -> dt.datetime | None:
    """The signature timestamp's time when the token is intact and its TSA
    trusted; a broken token is refused, an untrusted one is not evidence."""
    token = status.timestamp_validity
    if token is None:
        return None
    if not (token.intact and token.valid):
        raise _refuse("intact", "The signature timestamp does not verify.", signature.field_name)
    return token.timestamp if token.trusted else None


def _status(signature: EmbeddedPdfSignature, context: revocation.Pass) -> PdfSignatureStatus:
    # Integrity and coverage are established and the diff ran once, from the base.
    try:
        return revocation.validate(signature, context)
    except SignatureValidationError as error:  # e.g. an unsupported /SubFilter
        raise _refuse(
            "intact", f"Signature cannot be validated: {error}", signature.field_name
        ) from error


def _judge(
    new: EmbeddedPdfSignature, context: revocation.Pass, moment: dt.datetime
) -> revocation.Judged:
    """pyHanko's verdict on the signer, the first failing step, the timestamp."""
    status = _status(new, context)
    times = {"validation time": moment}
    stamped = timestamp_time(new, status)
    if status.signer_reported_dt:
        times["claimed signing time"] = status.signer_reported_dt
    if stamped:
        times["timestamp"] = stamped
    return status, signer_problem(status, times), stamped


def _validate_signer(
    reader: PdfFileReader, new: EmbeddedPdfSignature, trust: TrustSettings
) -> UploadReport:
    moment = dt.datetime.now(dt.UTC)
    judged, outcome, kept = revocation.two_passes(
        trust, moment, reader, lambda context: _judge(new, context, moment)
    )
    status, problem, stamped = judged
    if problem:
        raise _refuse(problem[0], problem[1], new.field_name)
    return _report(new, status, trust, (moment, stamped), outcome, kept)


def _report(
    signature: EmbeddedPdfSignature,
    status: PdfSignatureStatus,
    trust: TrustSettings,
    times: tuple[dt.datetime, dt.datetime | None],
    outcome: str,
    kept: dict[str, list[str]],
) -> UploadReport:
    """The report of an accepted signature; ``times`` is (validation, timestamp),
    ``kept`` the revocation data downloaded for it."""
    moment, stamped = times
    path = status.validation_path
    assert path is not None  # a trusted status always carries its path
    leaf = status.signing_cert
    intermediates = [c for c in path.iter_certs(include_root=False) if c.sha256 != leaf.sha256]
    root = getattr(path.trust_anchor.authority, "certificate", None)
    return UploadReport(
        field_name=signature.field_name,
        signer=SignerIdentity.from_certificate(leaf),
        signing_time=status.signer_reported_dt or moment,
        timestamp_time=stamped,
        revocation=outcome,
        validation_data={
            "field_name": signature.field_name,
            "validation_time": moment.isoformat(),
            "revocation_mode": trust.revocation_mode,
            "revocation": outcome,
            "revocation_fetch": trust.fetch,
            "revocation_data": kept,
            "signer_certificate": to_pem(leaf),
            "intermediates": [to_pem(c) for c in intermediates],
            "trust_root": to_pem(root) if root is not None else None,
        },
    )
