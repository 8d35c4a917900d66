"""Revocation data downloaded while validating an upload (OMD_REVOCATION_FETCH)
and kept for offline re-validation. The certificate authority's CRL server is
a loopback HTTP server; nothing leaves 127.0.0.1.

The signers below point at a CRL on that server for their own certificate;
the issuing CA's status (the root's CRL) travels in the file's DSS, as a B-LT
signing tool would put it, so "good" needs both sources."""

from __future__ import annotations

import base64
import datetime as dt
import time
from collections.abc import Iterator

import pytest

from omd_gov.demo.pki import Issued
from omd_gov.signatures import revocation
from omd_gov.signatures.trust import TrustSettings
from omd_gov.signatures.validation import SignatureRejected, validate_upload
from omd_gov.signatures.verify import verify_document
from tests.revocation_support import CrlServer, closed_url, crl_server, silent_url
from tests.signing_support import (
    TestPKI,
    add_dss,
    crl,
    make_pdf,
    sign,
    signer_with_crl_pointer,
    timestamper,
)


@pytest.fixture(scope="module")
def pki() -> TestPKI:
    return TestPKI()


@pytest.fixture(scope="module")
def base() -> bytes:
    return make_pdf()


@pytest.fixture
def server(pki: TestPKI) -> Iterator[CrlServer]:
    with crl_server() as running:
        running.served["/issuing.crl"] = crl(pki.intermediate)
        yield running


def settings(pki: TestPKI, mode: str, fetch: bool = True) -> TrustSettings:
    return TrustSettings(pki.roots, mode, fetch=fetch)


def signed(base: bytes, pki: TestPKI, signer: Issued) -> bytes:
    return add_dss(sign(base, signer), [crl(pki.root)])


def refused(base: bytes, upload: bytes, trust: TrustSettings) -> SignatureRejected:
    with pytest.raises(SignatureRejected) as caught:
        validate_upload(base, upload, trust)
    return caught.value


@pytest.mark.parametrize("mode", ["soft-fail", "hard-fail"])
def test_a_downloaded_crl_proves_the_signer_good(base, pki, server, mode):
    carol = signer_with_crl_pointer(pki.intermediate, "Carol", server.url())
    report = validate_upload(base, signed(base, pki, carol), settings(pki, mode))
    assert report.revocation == "good" and server.requests == ["/issuing.crl"]
    data = report.validation_data
    assert data["revocation"] == "good" and data["revocation_fetch"] is True
    # Only what was downloaded is kept; the root's CRL is in the file already.
    (kept,) = data["revocation_data"]["crls"]
    assert base64.b64decode(kept) == server.served["/issuing.crl"]
    assert data["revocation_data"]["ocsps"] == []


@pytest.mark.parametrize("mode", ["soft-fail", "hard-fail"])
def test_a_downloaded_crl_listing_the_signer_is_refused(base, pki, server, mode):
    dave = signer_with_crl_pointer(pki.intermediate, "Dave", server.url("/revoked.crl"))
    server.served["/revoked.crl"] = crl(pki.intermediate, (dave,))
    error = refused(base, signed(base, pki, dave), settings(pki, mode))
    assert error.step == "revocation" and "revoked" in error.detail
    assert server.requests == ["/revoked.crl"]


@pytest.mark.parametrize(("mode", "stamped"), [("soft-fail", True), ("hard-fail", False)])
def test_the_timestamp_authority_is_judged_by_the_mode(base, pki, server, mode, stamped):
    # The TSA's certificate has no revocation data: soft-fail still takes its
    # timestamp as evidence (as before downloads existed), hard-fail does not.
    carol = signer_with_crl_pointer(pki.intermediate, "Carol", server.url())
    upload = add_dss(sign(base, carol, timestamper=timestamper(pki.intermediate)), [crl(pki.root)])
    report = validate_upload(base, upload, settings(pki, mode))
    assert report.revocation == "good"
    assert (report.timestamp_time is not None) is stamped


def test_without_fetching_soft_fail_records_not_checked(base, pki, server):
    carol = signer_with_crl_pointer(pki.intermediate, "Carol", server.url())
    report = validate_upload(base, signed(base, pki, carol), settings(pki, "soft-fail", False))
    assert report.revocation == "not_checked" and server.requests == []
    assert report.validation_data["revocation_fetch"] is False
    assert report.validation_data["revocation_data"] == {"crls": [], "ocsps": []}


def test_without_fetching_hard_fail_refuses(base, pki, server):
    carol = signer_with_crl_pointer(pki.intermediate, "Carol", server.url())
    error = refused(base, signed(base, pki, carol), settings(pki, "hard-fail", False))
    assert error.step == "revocation" and "OMD_REVOCATION_FETCH=0" in error.detail
    assert server.requests == []


def test_off_never_downloads(base, pki, server):
    carol = signer_with_crl_pointer(pki.intermediate, "Carol", server.url())
    assert validate_upload(base, signed(base, pki, carol), settings(pki, "off")).revocation == (
        "not_checked"
    )
    assert server.requests == []


@pytest.mark.parametrize("mode", ["soft-fail", "hard-fail"])
def test_a_crl_server_that_is_down(base, pki, mode):
    erin = signer_with_crl_pointer(pki.intermediate, "Erin", closed_url())
    upload, trust = signed(base, pki, erin), settings(pki, mode)
    started = time.monotonic()
    if mode == "soft-fail":
        assert validate_upload(base, upload, trust).revocation == "not_checked"
    else:
        error = refused(base, upload, trust)
        assert error.step == "revocation" and "did not answer" in error.detail
    assert time.monotonic() - started < 5  # a refused connection does not wait the timeout


@pytest.mark.parametrize(
    ("per_request", "budget"), [(0.5, 20), (10, 0.5)], ids=["request-timeout", "budget"]
)
def test_a_crl_server_that_never_answers(base, pki, monkeypatch, per_request, budget):
    # pyHanko's fetchers let a timeout escape; it must count as a failed download.
    monkeypatch.setattr(revocation, "FETCH_TIMEOUT_SECONDS", per_request)
    monkeypatch.setattr(revocation, "FETCH_BUDGET_SECONDS", budget)
    with silent_url() as url:
        gail = signer_with_crl_pointer(pki.intermediate, "Gail", url)
        upload = signed(base, pki, gail)
        started = time.monotonic()
        assert validate_upload(base, upload, settings(pki, "soft-fail")).revocation == (
            "not_checked"
        )
        assert time.monotonic() - started < 3
        error = refused(base, upload, settings(pki, "hard-fail"))
        assert error.step == "revocation" and "in time" in error.detail


def test_a_crl_server_answering_404(base, pki, server):
    frank = signer_with_crl_pointer(pki.intermediate, "Frank", server.url("/missing.crl"))
    upload = signed(base, pki, frank)
    assert validate_upload(base, upload, settings(pki, "soft-fail")).revocation == "not_checked"
    assert refused(base, upload, settings(pki, "hard-fail")).step == "revocation"


def test_good_needs_every_certificate_below_the_root(base, pki, server):
    # The signer's CRL downloads fine, but nothing speaks for the issuing CA.
    carol = signer_with_crl_pointer(pki.intermediate, "Carol", server.url())
    upload = sign(base, carol)
    assert validate_upload(base, upload, settings(pki, "soft-fail")).revocation == "not_checked"
    assert refused(base, upload, settings(pki, "hard-fail")).step == "revocation"


def test_a_crl_dated_minutes_ahead_is_accepted(base, pki, server):
    # The CA's clock runs two minutes fast (a live OCSP responder's answer is
    # always dated after the validation time starts).
    ahead = dt.datetime.now(dt.UTC) + dt.timedelta(hours=1, minutes=2)
    server.served["/issuing.crl"] = crl(pki.intermediate, at=ahead)
    carol = signer_with_crl_pointer(pki.intermediate, "Carol", server.url())
    assert validate_upload(base, signed(base, pki, carol), settings(pki, "hard-fail")).revocation
    # (pyHanko's default one-second tolerance would call that CRL "too new")


def test_verify_proves_good_again_offline_from_the_stored_crl(base, pki):
    with crl_server() as server:
        server.served["/issuing.crl"] = crl(pki.intermediate)
        carol = signer_with_crl_pointer(pki.intermediate, "Carol", server.url())
        upload = signed(base, pki, carol)
        report = validate_upload(base, upload, settings(pki, "soft-fail"))
    assert report.revocation == "good"
    # The server is gone: only the stored CRL (and the file's DSS) can speak.
    (check,) = verify_document(upload, [report.validation_data])
    assert check.ok and check.revocation == "good"
    forgotten = dict(report.validation_data, revocation_data={"crls": [], "ocsps": []})
    (check,) = verify_document(upload, [forgotten])
    assert check.ok and check.revocation == "not_checked"


def test_verify_reports_a_revocation_in_the_stored_data(base, pki, server):
    carol = signer_with_crl_pointer(pki.intermediate, "Carol", server.url())
    upload = signed(base, pki, carol)
    report = validate_upload(base, upload, settings(pki, "soft-fail"))
    listing = base64.b64encode(crl(pki.intermediate, (carol,))).decode()
    forged = dict(report.validation_data, revocation_data={"crls": [listing], "ocsps": []})
    (check,) = verify_document(upload, [forged])
    assert check.revocation == "revoked" and check.trusted and not check.ok
