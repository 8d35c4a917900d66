"""The city's server-side e-seal: a PAdES signature made with the office's
PKCS#12 (``OMD_SEAL_P12``/``OMD_SEAL_PASSWORD``), added to a PDF as an
incremental update so every earlier signature stays valid.

PAdES B-B by default; B-T (a RFC 3161 timestamp over the signature) when
``OMD_TSA_URL`` is set. No Flask and no database here: bytes in, bytes out,
and a :class:`ServiceError` with a readable detail when it cannot seal. A seal
is all or nothing: on any failure (a dead TSA included) nothing is returned.
"""

from __future__ import annotations

from io import BytesIO
from pathlib import Path

from asn1crypto import cms, core, tsp
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.sign import fields, signers
from pyhanko.sign.timestamps import HTTPTimeStamper, TimestampRequestError

from omd_gov.errors import ServiceError


class SealNotConfigured(ServiceError):
    status, title, slug = 503, "The e-seal is not configured", "seal-not-configured"


class SealFailed(ServiceError):
    status, title, slug = 503, "The e-seal failed", "seal-failed"


def seal_pdf(
    pdf: bytes,
    *,
    p12_path: str,
    password: str,
    tsa_url: str = "",
    field_name: str = "CitySeal",
) -> bytes:
    """Return ``pdf`` plus one incremental update carrying the city's seal."""
    signer = _load_signer(p12_path, password)
    try:
        writer = IncrementalPdfFileWriter(BytesIO(pdf))
    except Exception as error:  # pyHanko raises several kinds on a broken file
        raise SealFailed(f"the PDF to seal cannot be read: {error}") from error
    meta = signers.PdfSignatureMetadata(
        field_name=_free_field_name(writer, field_name),
        subfilter=fields.SigSeedSubFilter.PADES,
        md_algorithm="sha256",
    )
    timestamper = _TimeStamper(tsa_url) if tsa_url else None
    try:
        output = signers.sign_pdf(writer, meta, signer=signer, timestamper=timestamper)
    except TimestampRequestError as error:
        raise SealFailed(
            f"the timestamp authority at {tsa_url} did not give a timestamp "
            f"({_cause(error)}); nothing was sealed",
            tsa_url=tsa_url,
        ) from error
    except Exception as error:
        raise SealFailed(f"pyHanko could not seal the PDF: {error}") from error
    return bytes(output.getbuffer())


class _Reply(core.Sequence):
    """RFC 3161 TimeStampResp with its token OPTIONAL, as the RFC says:
    asn1crypto's class requires it, so a TSA's refusal would not parse."""

    _fields = [
        ("status", tsp.PKIStatusInfo),
        ("time_stamp_token", cms.ContentInfo, {"optional": True}),
    ]


class _TimeStamper(HTTPTimeStamper):
    """pyHanko's HTTP client, but a refusal or an unreadable reply becomes a
    TimestampRequestError that names the reason, not a parser error."""

    async def async_request_tsa_response(self, req: tsp.TimeStampReq) -> tsp.TimeStampResp:
        try:  # pyHanko parses the reply as it reads it: garbage raises here already
            response = await super().async_request_tsa_response(req)
            status = _Reply.load(response.dump())["status"]
            granted = status["status"].native in ("granted", "granted_with_mods")
        except ValueError as error:
            raise TimestampRequestError("the reply is not an RFC 3161 response") from error
        if not granted:
            reasons = "; ".join(status["status_string"].native or []) or "no reason given"
            raise TimestampRequestError(f"refused: {status['status'].native} ({reasons})")
        return response


def _load_signer(p12_path: str, password: str) -> signers.SimpleSigner:
    if not p12_path:
        raise SealNotConfigured("OMD_SEAL_P12 is not set: the office has no e-seal")
    path = Path(p12_path)
    if not path.is_file():
        # The detail reaches API clients: name the setting, not the server's paths.
        raise SealNotConfigured("the e-seal file that OMD_SEAL_P12 names does not exist")
    try:
        return signers.SimpleSigner.load_pkcs12_data(
            path.read_bytes(), other_certs=(), passphrase=password.encode() or None
        )
    except Exception as error:  # wrong password, not a PKCS#12, no key inside
        raise SealFailed(
            "the e-seal file (OMD_SEAL_P12) cannot be opened: wrong OMD_SEAL_PASSWORD, "
            "or not a PKCS#12 file with a key and certificate"
        ) from error


def _free_field_name(writer: IncrementalPdfFileWriter, wanted: str) -> str:
    """``wanted``, or ``wanted-2``, ``wanted-3``… if the PDF already has it."""
    taken = {name for name, _value, _ref in fields.enumerate_sig_fields(writer)}
    name, n = wanted, 1
    while name in taken:
        n += 1
        name = f"{wanted}-{n}"
    return name


def _cause(error: BaseException | None) -> str:
    """The whole chain of reasons, outermost first ("…: Connection refused")."""
    reasons = []
    while error is not None:
        reasons.append(str(error) or type(error).__name__)
        error = error.__cause__
    return ": ".join(reasons)
