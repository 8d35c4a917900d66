"""The city's e-seal: PAdES B-B, B-T against a loopback TSA, incremental
updates that keep earlier signatures valid, and every way it must refuse.

Validation is pyHanko's own, offline (``allow_fetching=False``), trusting only
the test root; the only socket is the loopback TSA.
"""

from __future__ import annotations

import socket
from io import BytesIO
from pathlib import Path

import pytest
from asn1crypto import x509 as asn1_x509
from cryptography.hazmat.primitives import serialization
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign import fields, signers
from pyhanko.sign.diff_analysis import DiffResult, ModificationLevel
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko.sign.validation.status import PdfSignatureStatus, SignatureCoverageLevel
from pyhanko_certvalidator import ValidationContext
from pypdf import PdfWriter

from omd_gov.demo import pki
from omd_gov.signatures.seal import SealFailed, SealNotConfigured, seal_pdf
from tests.tsa_support import Answer, running_tsa

PASSWORD = "s3al-passw0rd"


@pytest.fixture(scope="module")
def root() -> pki.Issued:
    return pki.root_ca()


@pytest.fixture(scope="module")
def seal_p12(root: pki.Issued, tmp_path_factory: pytest.TempPathFactory) -> str:
    # Through an intermediate: the seal must embed the chain for validators.
    intermediate = pki.issue(root, "omd-gov Demo Issuing CA", ca=True)
    seal = pki.issue(intermediate, "Câmara Municipal de Exemplo", org="Município de Exemplo")
    path = tmp_path_factory.mktemp("seal") / "seal.p12"
    return str(pki.write_pkcs12(seal, path, PASSWORD.encode()))


@pytest.fixture(scope="module")
def blank_pdf() -> bytes:
    writer = PdfWriter()
    writer.add_blank_page(595, 842)
    out = BytesIO()
    writer.write(out)
    return out.getvalue()


def _context(root: pki.Issued) -> ValidationContext:
    der = root.certificate.public_bytes(serialization.Encoding.DER)
    return ValidationContext(trust_roots=[asn1_x509.Certificate.load(der)], allow_fetching=False)


def _validate(pdf: bytes, root: pki.Issued) -> list[PdfSignatureStatus]:
    reader = PdfFileReader(BytesIO(pdf))
    return [
        validate_pdf_signature(sig, _context(root), ts_validation_context=_context(root))
        for sig in reader.embedded_signatures
    ]


def _seal(pdf: bytes, p12: str, **kwargs: str) -> bytes:
    return seal_pdf(pdf, p12_path=p12, password=PASSWORD, **kwargs)


def _sign_as_party(pdf: bytes, root: pki.Issued, password: bytes = b"party") -> bytes:
    """A signatory's own tool signing first, as pyHanko would."""
    party = pki.issue(root, "Maria Exemplo", national_id="IDCPT-12345678")
    signer = signers.SimpleSigner.load_pkcs12_data(party.pkcs12(password), (), password)
    meta = signers.PdfSignatureMetadata(
        field_name="Signature1", subfilter=fields.SigSeedSubFilter.PADES, md_algorithm="sha256"
    )
    return signers.sign_pdf(IncrementalPdfFileWriter(BytesIO(pdf)), meta, signer).getvalue()


# --- happy paths -----------------------------------------------------------------


def test_seal_b_b_is_intact_trusted_and_untimestamped(
    blank_pdf: bytes, seal_p12: str, root: pki.Issued
) -> None:
    sealed = _seal(blank_pdf, seal_p12)

    assert sealed.startswith(blank_pdf) and len(sealed) > len(blank_pdf)
    [status] = _validate(sealed, root)
    assert status.intact and status.valid and status.trusted
    assert status.bottom_line
    assert status.coverage == SignatureCoverageLevel.ENTIRE_FILE
    assert status.timestamp_validity is None
    assert status.signing_cert.subject.native["common_name"] == "Câmara Municipal de Exemplo"
    sig = PdfFileReader(BytesIO(sealed)).embedded_signatures[0]
    assert sig.field_name == "CitySeal"
    assert sig.sig_object["/SubFilter"] == "/ETSI.CAdES.detached"


def test_seal_b_t_carries_a_valid_trusted_timestamp(
    blank_pdf: bytes, seal_p12: str, root: pki.Issued
) -> None:
    with running_tsa(root) as url:
        sealed = _seal(blank_pdf, seal_p12, tsa_url=url)

    [status] = _validate(sealed, root)
    assert status.bottom_line
    ts = status.timestamp_validity
    assert ts is not None
    assert ts.intact and ts.valid and ts.trusted
    assert ts.signing_cert.subject.native["common_name"] == "omd-gov Test TSA"
    assert status.signer_reported_dt is not None
    assert abs((ts.timestamp - status.signer_reported_dt).total_seconds()) < 60


def test_b_t_timestamp_is_untrusted_when_the_tsa_root_is_not(
    blank_pdf: bytes, seal_p12: str, root: pki.Issued
) -> None:
    with running_tsa(pki.root_ca("Some Other Root")) as url:
        sealed = _seal(blank_pdf, seal_p12, tsa_url=url)

    [status] = _validate(sealed, root)
    assert status.trusted  # the seal itself still chains to the test root
    assert status.timestamp_validity is not None
    assert status.timestamp_validity.intact and not status.timestamp_validity.trusted


def test_sealing_a_signed_pdf_keeps_the_earlier_signature_valid(
    blank_pdf: bytes, seal_p12: str, root: pki.Issued
) -> None:
    signed = _sign_as_party(blank_pdf, root)

    sealed = _seal(signed, seal_p12)

    assert sealed.startswith(signed)  # the earlier bytes are untouched: a new revision
    assert PdfFileReader(BytesIO(sealed)).xrefs.total_revisions == 3
    party, seal = _validate(sealed, root)
    assert party.bottom_line and seal.bottom_line
    assert party.coverage == SignatureCoverageLevel.ENTIRE_REVISION
    # pyHanko's diff analysis: after the party's signature, only the seal's field was added
    # (filling in a signature field counts as FORM_FILLING, which a PAdES signature allows).
    assert party.docmdp_ok
    assert party.modification_level == ModificationLevel.FORM_FILLING
    assert isinstance(party.diff_result, DiffResult)
    assert party.diff_result.changed_form_fields == {"CitySeal"}
    assert seal.coverage == SignatureCoverageLevel.ENTIRE_FILE


def test_field_names_stay_unique(blank_pdf: bytes, seal_p12: str, root: pki.Issued) -> None:
    once = _seal(blank_pdf, seal_p12)
    twice = _seal(once, seal_p12)
    thrice = _seal(twice, seal_p12)

    names = [s.field_name for s in PdfFileReader(BytesIO(thrice)).embedded_signatures]
    assert names == ["CitySeal", "CitySeal-2", "CitySeal-3"]
    assert all(status.bottom_line for status in _validate(thrice, root))


# --- refusals ----------------------------------------------------------------------


@pytest.mark.parametrize("p12_path", ["", "/nonexistent/seal.p12"])
def test_unconfigured_seal_is_refused(blank_pdf: bytes, p12_path: str) -> None:
    with pytest.raises(SealNotConfigured) as caught:
        seal_pdf(blank_pdf, p12_path=p12_path, password=PASSWORD)

    assert caught.value.status == 503
    assert caught.value.title == "The e-seal is not configured"
    assert "OMD_SEAL_P12" in caught.value.detail


def test_wrong_password_fails_clearly(blank_pdf: bytes, seal_p12: str) -> None:
    with pytest.raises(SealFailed) as caught:
        seal_pdf(blank_pdf, p12_path=seal_p12, password="not-the-password")

    assert caught.value.status == 503
    assert "OMD_SEAL_PASSWORD" in caught.value.detail
    assert seal_p12 not in caught.value.detail  # no server paths in a client-facing detail


def test_a_file_that_is_not_pkcs12_fails_clearly(blank_pdf: bytes, tmp_path: Path) -> None:
    bogus = tmp_path / "seal.p12"
    bogus.write_bytes(b"-----BEGIN NOTHING-----\n")

    with pytest.raises(SealFailed, match="cannot be opened"):
        seal_pdf(blank_pdf, p12_path=str(bogus), password=PASSWORD)


def test_a_file_that_is_not_a_pdf_fails_clearly(seal_p12: str) -> None:
    with pytest.raises(SealFailed, match="cannot be read"):
        _seal(b"%PDF-1.7 but truncated", seal_p12)


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port  # closed now: connecting there is refused


def test_dead_tsa_fails_and_returns_nothing(blank_pdf: bytes, seal_p12: str) -> None:
    url = f"http://127.0.0.1:{_closed_port()}/tsa"
    result = None

    with pytest.raises(SealFailed) as caught:
        result = _seal(blank_pdf, seal_p12, tsa_url=url)

    assert result is None
    assert url in caught.value.detail and "nothing was sealed" in caught.value.detail
    assert caught.value.extra == {"tsa_url": url}


@pytest.mark.parametrize(
    ("answer", "reason"),
    [
        ("reject", "refused: rejection (policy not accepted)"),
        ("garbage", "the reply is not an RFC 3161 response"),
    ],
)
def test_tsa_that_does_not_grant_fails_and_says_why(
    blank_pdf: bytes, seal_p12: str, root: pki.Issued, answer: Answer, reason: str
) -> None:
    with running_tsa(root, answer=answer) as url, pytest.raises(SealFailed) as caught:
        _seal(blank_pdf, seal_p12, tsa_url=url)

    assert url in caught.value.detail
    assert reason in caught.value.detail
