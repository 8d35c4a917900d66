"""Revocation: what pyHanko is asked to check, what it may download, and what
omd-gov records about it.

Sources of revocation data. The CRLs and OCSP responses the signer's tool put
into the PDF's DSS are always used. With ``OMD_REVOCATION_FETCH=1`` (the
default) omd-gov also downloads what the certificates point to (CRL
distribution points, OCSP responders, and missing issuers from the AIA), with
pyHanko-certvalidator's own aiohttp fetchers, ``FETCH_TIMEOUT_SECONDS`` per
request. An air-gapped host sets ``OMD_REVOCATION_FETCH=0``: nothing is ever
downloaded. The data downloaded for an accepted upload is stored with its
report, so a re-validation years later (:mod:`omd_gov.signatures.verify`)
never needs the network.

Modes (``OMD_REVOCATION_MODE``), for every certificate below the trust root:

``off``        nothing consulted, nothing downloaded; recorded ``not_checked``.
``soft-fail``  recorded ``good`` when every certificate has revocation data
               that says good; ``not_checked`` when some cannot be checked (no
               CRL/OCSP location, the download failed, fetching disabled);
               refused at step ``revocation`` when data says revoked.
``hard-fail``  refused at step ``revocation`` unless every certificate is
               checked and good; passing records ``good``.

How. pyHanko's "soft-fail" cannot tell "checked" from "could not check", and
its "hard-fail" only checks certificates that declare a CRL/OCSP location. So
the first pass uses pyHanko's "require" (every certificate needs good data).
If that pass fails, a second pass in pyHanko's "soft-fail" over the same data
(downloading nothing more) decides: a revocation, or a failure unrelated to
revocation, is refused; otherwise the chain is fine but unproven:
``not_checked`` in soft-fail, refused in hard-fail. A download that times out
counts as one that failed: pyHanko-certvalidator 0.33's aiohttp fetchers turn
connection errors into fetch errors but let a timeout escape the whole
validation, so :func:`two_passes` catches it and goes to the second pass. All
downloads of one upload share ``FETCH_BUDGET_SECONDS``, which keeps an upload
under gunicorn's 30-second worker timeout whatever the CA's servers do.
"""

from __future__ import annotations

import asyncio
import base64
import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from asn1crypto import crl as asn1_crl
from asn1crypto import ocsp as asn1_ocsp
from asn1crypto import x509 as asn1_x509
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.ades.report import AdESIndeterminate
from pyhanko.sign.validation.dss import DocumentSecurityStore, NoDSSFoundError
from pyhanko.sign.validation.pdf_embedded import (
    EmbeddedPdfSignature,
    async_validate_pdf_signature,
)
from pyhanko.sign.validation.status import PdfSignatureStatus
from pyhanko_certvalidator import ValidationContext
from pyhanko_certvalidator.fetchers import OwnedFetcherBackend
from pyhanko_certvalidator.fetchers.aiohttp_fetchers import AIOHttpFetcherBackend

from omd_gov.signatures.identity import Problem
from omd_gov.signatures.trust import SIGNING_KEY_USAGE, TrustSettings

FETCH_TIMEOUT_SECONDS = 10  # per request
FETCH_BUDGET_SECONDS = 20  # every download of one validation together
# A live OCSP responder dates its answer after our validation time; pyHanko
# refuses data newer than that plus this tolerance ("too new").
CLOCK_SKEW = dt.timedelta(minutes=5)
REVOKED = frozenset({AdESIndeterminate.REVOKED_NO_POE, AdESIndeterminate.REVOKED_CA_NO_POE})

# pyHanko's status, the first failing step (or None), the timestamp's time
Judged = tuple[PdfSignatureStatus, Problem | None, dt.datetime | None]
FileData = tuple[list[asn1_x509.Certificate], list[asn1_crl.CertificateList], list[Any]]


def file_data(reader: PdfFileReader | None) -> FileData:
    """Certificates, CRLs and OCSP responses in the file's DSS, if any."""
    try:
        dss = DocumentSecurityStore.read_dss(reader) if reader is not None else None
    except NoDSSFoundError:
        dss = None
    if dss is None:
        return [], [], []
    return (
        list(dss.load_certs()),
        [asn1_crl.CertificateList.load(ref.get_object().data) for ref in dss.crls],
        [asn1_ocsp.OCSPResponse.load(ref.get_object().data) for ref in dss.ocsps],
    )


def validation_context(
    roots: list[asn1_x509.Certificate],
    *,
    mode: str = "none",
    moment: dt.datetime | None = None,
    reader: PdfFileReader | None = None,
    other_certs: Iterable[asn1_x509.Certificate] = (),
    crls: Iterable[Any] = (),
    ocsps: Iterable[Any] = (),
    fetch: bool = False,
) -> ValidationContext:
    """A pyHanko context (``mode`` is pyHanko's: none, soft-fail, require)
    over the file's DSS plus ``crls``/``ocsps``; it downloads only if ``fetch``."""
    certs, file_crls, file_ocsps = file_data(reader)
    backend = AIOHttpFetcherBackend(per_request_timeout=FETCH_TIMEOUT_SECONDS) if fetch else None
    return ValidationContext(
        trust_roots=roots,
        other_certs=[*certs, *other_certs],
        allow_fetching=fetch,
        fetcher_backend=OwnedFetcherBackend(backend) if backend else None,
        revocation_mode=mode,
        moment=moment or dt.datetime.now(dt.UTC),
        crls=[*file_crls, *crls],  # lists, never None: "require" refuses to start without
        ocsps=[*file_ocsps, *ocsps],
        time_tolerance=CLOCK_SKEW if mode != "none" else dt.timedelta(seconds=1),
    )


@dataclass(frozen=True)
class Pass:
    """One validation: the signer's context and the signature timestamp's.
    The timestamp authority is held to the mode as pyHanko reads it (soft-fail
    stays soft-fail), so a TSA without revocation data still dates a
    signature in soft-fail, as it did before downloads."""

    signer: ValidationContext
    timestamp: ValidationContext

    def contexts(self) -> list[ValidationContext]:
        return [self.signer] if self.timestamp is self.signer else [self.signer, self.timestamp]


def first_pass(trust: TrustSettings, moment: dt.datetime, reader: PdfFileReader) -> Pass:
    """``off``: pyHanko "none". Otherwise "require", downloading if allowed."""
    if trust.revocation_mode == "off":
        return _same(validation_context(trust.roots, moment=moment, reader=reader))
    signer = validation_context(
        trust.roots, mode="require", moment=moment, reader=reader, fetch=trust.fetch
    )
    if trust.revocation_mode == "hard-fail":
        return _same(signer)
    timestamp = validation_context(
        trust.roots, mode="soft-fail", moment=moment, reader=reader, fetch=trust.fetch
    )
    return Pass(signer, timestamp)


def _same(context: ValidationContext) -> Pass:
    return Pass(context, context)


def second_pass(trust: TrustSettings, moment: dt.datetime, first: Pass) -> Pass:
    """pyHanko "soft-fail" over everything the first pass had or downloaded."""
    contexts = first.contexts()
    return _same(
        validation_context(
            trust.roots,
            mode="soft-fail",
            moment=moment,
            other_certs=[cert for context in contexts for cert in context.certificate_registry],
            crls=[item for context in contexts for item in context.crls],
            ocsps=[item for context in contexts for item in context.ocsps],
        )
    )


def validate(signature: EmbeddedPdfSignature, validation: Pass) -> PdfSignatureStatus:
    """pyHanko's validation (no diff: the caller ran it), closing the HTTP
    sessions the contexts opened for downloads inside the same event loop."""
    contexts = validation.contexts()

    async def run() -> PdfSignatureStatus:
        pending = async_validate_pdf_signature(
            signature,
            validation.signer,
            ts_validation_context=validation.timestamp,
            key_usage_settings=SIGNING_KEY_USAGE,
            skip_diff=True,
        )
        fetching = any(context.fetching_allowed for context in contexts)
        try:
            return await asyncio.wait_for(pending, FETCH_BUDGET_SECONDS if fetching else None)
        finally:
            for context in contexts:
                await context.aclose()

    return asyncio.run(run())


def two_passes(
    trust: TrustSettings,
    moment: dt.datetime,
    reader: PdfFileReader,
    judge: Callable[[Pass], Judged],
) -> tuple[Judged, str, dict[str, list[str]]]:
    """The verdict (see "How" above), the recorded ``revocation`` and the
    downloaded data to keep."""
    first = first_pass(trust, moment, reader)
    try:
        judged = judge(first)
        if trust.revocation_mode == "off" or judged[1] is None:
            outcome = "not_checked" if trust.revocation_mode == "off" else "good"
            return judged, outcome, downloaded(first, reader)
    except TimeoutError:  # a download timed out: it failed (see above)
        pass
    status, problem, stamped = judge(second_pass(trust, moment, first))
    if problem is None and trust.revocation_mode == "hard-fail":
        problem = ("revocation", unchecked(trust))
    return (status, problem, stamped), "not_checked", downloaded(first, reader)


def unchecked(trust: TrustSettings) -> str:
    """Why a hard-fail upload whose chain is otherwise fine is refused."""
    where = (
        "the certificates' CRL/OCSP addresses did not answer in time or name none"
        if trust.fetch
        else "fetching is disabled (OMD_REVOCATION_FETCH=0)"
    )
    return (
        "Revocation could not be checked (hard-fail): the file carries no CRL or OCSP "
        f"response for every certificate in the chain, and {where}."
    )


def downloaded(validation: Pass, reader: PdfFileReader) -> dict[str, list[str]]:
    """The CRLs and OCSP responses the contexts hold beyond the file's own
    (i.e. downloaded), base64 DER, for storage with the report."""
    _certs, crls, ocsps = file_data(reader)
    seen = {item.dump() for item in [*crls, *ocsps]}
    kept: dict[str, list[str]] = {"crls": [], "ocsps": []}
    for context in validation.contexts():
        for kind, items in (("crls", context.crls), ("ocsps", context.ocsps)):
            for item in items:
                if item.dump() not in seen:
                    seen.add(item.dump())
                    kept[kind].append(base64.b64encode(item.dump()).decode())
    return kept


def stored(data: dict[str, Any] | None) -> tuple[list[Any], list[Any]]:
    """The downloaded CRLs and OCSP responses kept in a report's validation data."""
    kept = (data or {}).get("revocation_data") or {}
    return (
        [asn1_crl.CertificateList.load(base64.b64decode(text)) for text in kept.get("crls", [])],
        [asn1_ocsp.OCSPResponse.load(base64.b64decode(text)) for text in kept.get("ocsps", [])],
    )
