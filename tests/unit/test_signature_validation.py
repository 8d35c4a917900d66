"""validate_upload, step by step, and verify_document: real pyHanko
signatures over PDFs built in the test, a PKI from omd_gov.demo.pki, no
network and no database."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from omd_gov.documents.pdf import convert_docx_to_pdf
from omd_gov.signatures.trust import TrustSettings
from omd_gov.signatures.validation import SignatureRejected, UploadReport, validate_upload
from omd_gov.signatures.verify import verify_document
from tests.signing_support import (
    TestPKI,
    add_dss,
    add_harmless_update,
    add_page_change,
    crl,
    make_pdf,
    sign,
    sign_with_page_change,
    signer_with_crl_pointer,
    tamper,
    timestamper,
    with_xref_stream,
)

TEMPLATES = Path(__file__).resolve().parents[2] / "agreement_templates"


@pytest.fixture(scope="module")
def pki() -> TestPKI:
    return TestPKI()


@pytest.fixture(scope="module")
def trust(pki: TestPKI) -> TrustSettings:
    return TrustSettings(pki.roots, "soft-fail")


@pytest.fixture(scope="module")
def base() -> bytes:
    return make_pdf(3)


@pytest.fixture(scope="module")
def first(base: bytes, pki: TestPKI) -> bytes:
    return sign(base, pki.alice, "Lisboa")


@pytest.fixture(scope="module")
def second(first: bytes, pki: TestPKI) -> bytes:
    return sign(first, pki.bruno, "Vigo")


def refused(previous: bytes, upload: bytes, trust: TrustSettings) -> SignatureRejected:
    with pytest.raises(SignatureRejected) as caught:
        validate_upload(previous, upload, trust)
    error = caught.value
    assert error.status == 422 and error.slug == "signature-rejected"
    assert error.extra["step"] == error.step and error.detail
    return error


# -- the happy path -----------------------------------------------------------


def test_one_valid_signature_is_accepted_and_reported(base, first, trust, pki):
    report = validate_upload(base, first, trust)
    assert report.field_name == "Lisboa"
    assert report.signer.national_id == "IDCPT-12345678"
    assert report.signer.common_name == "Alice Almeida"
    assert report.revocation == "not_checked"
    assert report.timestamp_time is None
    assert abs(report.signing_time - dt.datetime.now(dt.UTC)) < dt.timedelta(minutes=5)
    data = report.validation_data
    assert data["field_name"] == "Lisboa" and data["revocation"] == "not_checked"
    assert "BEGIN CERTIFICATE" in data["signer_certificate"]
    assert len(data["intermediates"]) == 1  # the issuing CA, not the signer, not the root
    assert data["trust_root"] and data["intermediates"][0] != data["trust_root"]
    stored = json.loads(json.dumps(report.as_dict()))  # JSON-safe for storage
    assert stored["signer"]["certificate_sha256"] == report.signer.certificate_sha256


def test_second_party_signs_on_top_of_the_first(first, second, trust):
    report = validate_upload(first, second, trust)
    assert report.field_name == "Vigo"
    assert report.signer.national_id == "IDCES-87654321Z"


def test_a_trusted_timestamp_is_recorded(base, pki, trust):
    stamped = sign(base, pki.alice, "Lisboa", timestamper=timestamper(pki.intermediate))
    report = validate_upload(base, stamped, trust)
    assert report.timestamp_time is not None
    assert abs(report.timestamp_time - dt.datetime.now(dt.UTC)) < dt.timedelta(minutes=5)
    assert report.as_dict()["timestamp_time"] == report.timestamp_time.isoformat()


def test_a_timestamp_from_an_unknown_tsa_is_not_evidence(base, pki, trust):
    stamped = sign(base, pki.alice, "Lisboa", timestamper=timestamper(pki.other_root))
    assert validate_upload(base, stamped, trust).timestamp_time is None


# -- pdf, intact, prefix --------------------------------------------------------


@pytest.mark.parametrize("garbage", [b"", b"garbage", b"%PDF-1.7\n%%EOF\n"])
def test_garbage_is_refused_at_step_pdf(base, trust, garbage):
    error = refused(base, garbage, trust)
    assert error.step == "pdf" and error.signature is None


def test_a_flipped_signed_byte_is_refused_as_not_intact(base, first, trust):
    # Inside the page text of the original, well within the signed range.
    offset = first.index(b"Data sharing agreement") + 2
    error = refused(base, tamper(first, offset), trust)
    assert (error.step, error.signature) == ("intact", "Lisboa")


def test_tampering_the_first_signature_is_caught_on_the_second_upload(first, second, trust):
    offset = second.index(b"Data sharing agreement") + 2
    error = refused(first, tamper(second, offset), trust)
    assert error.step == "intact"


def test_a_signature_over_a_different_pdf_is_refused_at_prefix(base, pki, trust):
    other = sign(make_pdf(3, text="Altered agreement"), pki.alice, "Lisboa")
    assert refused(base, other, trust).step == "prefix"


def test_the_previous_file_itself_is_refused_at_prefix(first, trust):
    assert refused(first, first, trust).step == "prefix"


# -- modifications ------------------------------------------------------------------


def test_a_page_change_after_a_signature_is_refused(base, first, trust):
    assert refused(base, add_page_change(first), trust).step == "modifications"


def test_a_page_change_after_the_second_signature_is_refused(first, second, trust):
    assert refused(first, add_page_change(second), trust).step == "modifications"


def test_a_page_change_inside_the_signing_revision_is_refused(base, pki, trust):
    # The signature itself is valid: it covers the rewritten page.
    assert refused(base, sign_with_page_change(base, pki.alice), trust).step == "modifications"


def test_a_page_change_before_the_signature_is_refused(base, pki, trust):
    assert refused(base, sign(add_page_change(base), pki.alice), trust).step == "modifications"


# -- count --------------------------------------------------------------------------


def test_an_update_without_a_new_signature_is_refused_at_count(first, trust):
    error = refused(first, add_harmless_update(first), trust)
    assert error.step == "count"


def test_two_new_signatures_are_refused_at_count(base, pki, trust):
    both = sign(sign(base, pki.alice, "Lisboa"), pki.bruno, "Vigo")
    error = refused(base, both, trust)
    assert error.step == "count" and "Lisboa" in error.detail and "Vigo" in error.detail


# -- the signer's certificate -----------------------------------------------------


def test_an_untrusted_root_is_refused_at_trust(base, pki, trust):
    error = refused(base, sign(base, pki.untrusted), trust)
    assert (error.step, error.signature) == ("trust", "Signature1")


def test_an_empty_trust_store_trusts_nobody(base, first):
    assert refused(base, first, TrustSettings([], "soft-fail")).step == "trust"


def test_an_expired_certificate_is_refused_at_validity(base, pki, trust):
    error = refused(base, sign(base, pki.expired), trust)
    assert error.step == "validity" and "Eve Expired" in error.detail


def test_a_certificate_without_signing_usage_is_refused_at_key_usage(base, pki, trust):
    assert refused(base, sign(base, pki.no_usage), trust).step == "key_usage"


@pytest.mark.parametrize("mode", ["soft-fail", "off"])
def test_lenient_modes_accept_without_revocation_data(base, first, pki, mode):
    report = validate_upload(base, first, TrustSettings(pki.roots, mode))
    assert report.revocation == "not_checked"
    assert report.validation_data["revocation_mode"] == mode


def test_hard_fail_refuses_when_revocation_cannot_be_checked(base, first, pki):
    error = refused(base, first, TrustSettings(pki.roots, "hard-fail"))
    assert error.step == "revocation" and "hard-fail" in error.detail


def test_hard_fail_accepts_with_embedded_crls_and_records_good(base, first, pki):
    upload = add_dss(first, [crl(pki.root), crl(pki.intermediate)])
    report = validate_upload(base, upload, TrustSettings(pki.roots, "hard-fail"))
    assert report.revocation == "good"


@pytest.fixture(scope="module")
def carol(pki: TestPKI):
    return signer_with_crl_pointer(pki.intermediate, "Carol CRL")


@pytest.mark.parametrize("mode", ["soft-fail", "hard-fail"])
def test_a_revoked_certificate_is_refused_at_revocation(base, pki, carol, mode):
    upload = add_dss(sign(base, carol), [crl(pki.root), crl(pki.intermediate, (carol,))])
    error = refused(base, upload, TrustSettings(pki.roots, mode))
    assert error.step == "revocation" and "revoked" in error.detail


def test_off_mode_ignores_revocation_data(base, pki, carol):
    upload = add_dss(sign(base, carol), [crl(pki.intermediate, (carol,))])
    assert validate_upload(base, upload, TrustSettings(pki.roots, "off")).revocation == (
        "not_checked"
    )


def test_soft_fail_accepts_a_declared_crl_it_cannot_fetch(base, pki, carol, trust):
    # Carol's certificate points at http://crl.invalid/: nothing is fetched.
    assert validate_upload(base, sign(base, carol), trust).revocation == "not_checked"


# -- verify_document ----------------------------------------------------------------


@pytest.fixture(scope="module")
def reports(base, first, second, trust) -> list[UploadReport]:
    return [validate_upload(base, first, trust), validate_upload(first, second, trust)]


def test_verify_a_two_signature_document(second, reports):
    checks = verify_document(second, [r.validation_data for r in reports])
    assert [c.field_name for c in checks] == ["Lisboa", "Vigo"]
    for check in checks:
        assert check.ok and check.intact and check.trusted and check.covers_whole_document
        assert check.revocation == "not_checked"
    assert checks[1].signer.national_id == "IDCES-87654321Z"
    assert json.loads(json.dumps(checks[0].as_dict()))["ok"] is True


def test_verify_uses_only_the_stored_data(second, reports, monkeypatch, tmp_path):
    # Whatever the environment says now, the stored roots decide.
    monkeypatch.setenv("OMD_TRUST_DIR", str(tmp_path / "nothing-here"))
    assert all(c.ok for c in verify_document(second, [r.validation_data for r in reports]))
    checks = verify_document(second, [])
    assert [c.trusted for c in checks] == [False, False]
    assert [c.intact for c in checks] == [True, True]


def test_verify_validates_at_the_stored_time(base, pki, trust):
    report = validate_upload(base, sign(base, pki.alice), trust)
    data = dict(report.validation_data, validation_time="2020-01-01T00:00:00+00:00")
    (check,) = verify_document(sign(base, pki.alice), [data])
    assert not check.trusted  # Alice's certificate did not exist in 2020


def test_verify_a_tampered_document(second, reports):
    offset = second.index(b"Data sharing agreement") + 2
    checks = verify_document(tamper(second, offset), [r.validation_data for r in reports])
    assert checks and not any(c.ok or c.intact for c in checks)


def test_verify_an_update_after_the_last_signature(second, reports):
    checks = verify_document(add_page_change(second), [r.validation_data for r in reports])
    assert [c.covers_whole_document for c in checks] == [False, False]
    assert not any(c.ok for c in checks)


def test_verify_garbage_raises_at_step_pdf():
    with pytest.raises(SignatureRejected) as caught:
        verify_document(b"not a pdf", [])
    assert caught.value.step == "pdf"


# -- a real LibreOffice PDF (PDF/A, xref stream) --------------------------------


@pytest.fixture(scope="module")
def libreoffice_pdf() -> bytes:
    docx = (TEMPLATES / "canvas_en.docx").read_bytes()
    return convert_docx_to_pdf(docx, soffice="soffice", timeout=120)


def test_a_libreoffice_pdf_signed_twice(libreoffice_pdf, pki, trust):
    assert libreoffice_pdf.startswith(b"%PDF-") and b"pdfaid" in libreoffice_pdf
    one = sign(libreoffice_pdf, pki.alice, "Lisboa")
    two = sign(one, pki.bruno, "Vigo")
    reports = [validate_upload(libreoffice_pdf, one, trust), validate_upload(one, two, trust)]
    assert [r.field_name for r in reports] == ["Lisboa", "Vigo"]
    assert all(c.ok for c in verify_document(two, [r.validation_data for r in reports]))
    assert refused(one, add_page_change(two), trust).step == "modifications"


def test_a_pdf_with_an_xref_stream_signed_twice(pki, trust):
    original = with_xref_stream(make_pdf(2))
    assert b"/XRef" in original
    one = sign(original, pki.alice, "Lisboa")
    two = sign(one, pki.bruno, "Vigo")
    assert validate_upload(original, one, trust).field_name == "Lisboa"
    assert validate_upload(one, two, trust).field_name == "Vigo"
    assert refused(original, add_page_change(one), trust).step == "modifications"


# -- the order of the steps -----------------------------------------------------------


def test_intact_is_checked_before_prefix(base, pki, trust):
    other = sign(make_pdf(3, text="Altered agreement"), pki.alice)
    offset = other.index(b"Altered agreement") + 2
    assert refused(base, tamper(other, offset), trust).step == "intact"


def test_trust_is_checked_before_validity_and_key_usage(base, pki, trust):
    empty = TrustSettings([], "soft-fail")
    assert refused(base, sign(base, pki.expired), empty).step == "trust"
    assert refused(base, sign(base, pki.no_usage), empty).step == "trust"
