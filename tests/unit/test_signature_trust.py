"""The trust store (a folder of certificates, a local ETSI trusted list), the
settings read from config, and the signer identity read from a certificate."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization

from omd_gov.demo import pki as demo_pki
from omd_gov.signatures.identity import SignerIdentity, national_id_of
from omd_gov.signatures.trust import (
    TrustSettings,
    TrustStoreError,
    load_trust_roots,
    trust_settings,
)
from tests.signing_support import TestPKI, asn1_cert


@pytest.fixture(scope="module")
def pki() -> TestPKI:
    return TestPKI()


def _der(issued: demo_pki.Issued) -> bytes:
    return issued.certificate.public_bytes(serialization.Encoding.DER)


def _subjects(roots) -> set[str]:
    return {root.subject.native["common_name"] for root in roots}


# -- the folder -------------------------------------------------------------------


def test_a_folder_of_pem_and_der_certificates(tmp_path: Path, pki: TestPKI):
    (tmp_path / "root.pem").write_bytes(pki.root.pem)
    bundle = pki.other_root.pem + pki.intermediate.pem  # a PEM bundle: both count
    (tmp_path / "bundle.crt").write_bytes(bundle)
    (tmp_path / "issuing.CER").write_bytes(_der(pki.intermediate))  # DER, upper-case suffix
    (tmp_path / "README.txt").write_text("not a certificate, and not read")
    (tmp_path / ".gitkeep").write_text("")
    roots = load_trust_roots(str(tmp_path))
    assert _subjects(roots) == {
        "omd-gov Demo Root CA",
        "Untrusted Root CA",
        "omd-gov Test Issuing CA",
    }
    assert len(roots) == 3  # the intermediate is in two files, listed once


def test_a_missing_or_unset_folder_is_an_empty_store(tmp_path: Path):
    assert load_trust_roots(str(tmp_path / "missing")) == []
    assert load_trust_roots("") == []
    assert load_trust_roots(str(tmp_path)) == []  # exists, but empty


@pytest.mark.parametrize(
    "content",
    [
        b"this is not a certificate",
        b"\x30\x03\x02\x01\x01",  # DER, but not a certificate
        b"-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n",
    ],
)
def test_a_junk_certificate_file_is_refused_by_name(tmp_path: Path, content: bytes):
    (tmp_path / "broken.pem").write_bytes(content)
    with pytest.raises(TrustStoreError, match="broken.pem"):
        load_trust_roots(str(tmp_path))


# -- a local ETSI TS 119 612 trusted list ---------------------------------------------

CA_QC = "http://uri.etsi.org/TrstSvc/Svctype/CA/QC"
TSA_QTST = "http://uri.etsi.org/TrstSvc/Svctype/TSA/QTST"
GRANTED = "http://uri.etsi.org/TrstSvc/TrustedList/Svcstatus/granted"
WITHDRAWN = "http://uri.etsi.org/TrstSvc/TrustedList/Svcstatus/withdrawn"


def _service(kind: str, status: str, der: bytes) -> str:
    return f"""
      <tsl:TSPService><tsl:ServiceInformation>
        <tsl:ServiceTypeIdentifier>{kind}</tsl:ServiceTypeIdentifier>
        <tsl:ServiceDigitalIdentity><tsl:DigitalId>
          <tsl:X509Certificate>
            {base64.encodebytes(der).decode()}
          </tsl:X509Certificate>
        </tsl:DigitalId></tsl:ServiceDigitalIdentity>
        <tsl:ServiceStatus>{status}</tsl:ServiceStatus>
      </tsl:ServiceInformation></tsl:TSPService>"""


def _trusted_list(tmp_path: Path, services: str, signer_der: bytes) -> Path:
    path = tmp_path / "tl.xml"
    path.write_text(
        f"""<?xml version="1.0" encoding="UTF-8"?>
<tsl:TrustServiceStatusList xmlns:tsl="http://uri.etsi.org/02231/v2#"
    xmlns:ds="http://www.w3.org/2000/09/xmldsig#">
  <tsl:TrustServiceProviderList><tsl:TrustServiceProvider><tsl:TSPServices>
    {services}
  </tsl:TSPServices></tsl:TrustServiceProvider></tsl:TrustServiceProviderList>
  <ds:Signature><ds:KeyInfo><ds:X509Data><ds:X509Certificate>
    {base64.b64encode(signer_der).decode()}
  </ds:X509Certificate></ds:X509Data></ds:KeyInfo></ds:Signature>
</tsl:TrustServiceStatusList>"""
    )
    return path


def test_a_trusted_list_gives_its_granted_ca_services(tmp_path: Path, pki: TestPKI):
    services = _service(CA_QC, GRANTED, _der(pki.root))
    services += _service(TSA_QTST, GRANTED, _der(pki.intermediate))  # a TSA: not a root
    services += _service(CA_QC, WITHDRAWN, _der(pki.alice))  # withdrawn: not a root
    path = _trusted_list(tmp_path, services, signer_der=_der(pki.other_root))
    roots = load_trust_roots(str(tmp_path / "no-folder"), str(path))
    assert _subjects(roots) == {"omd-gov Demo Root CA"}  # nor the list's own signer


def test_folder_and_list_together_without_duplicates(tmp_path: Path, pki: TestPKI):
    folder = tmp_path / "trust"
    folder.mkdir()
    (folder / "root.pem").write_bytes(pki.root.pem)
    path = _trusted_list(tmp_path, _service(CA_QC, GRANTED, _der(pki.root)), _der(pki.bruno))
    assert len(load_trust_roots(str(folder), str(path))) == 1


@pytest.mark.parametrize("content", ["<not-xml", "<a><!ENTITY x 'y'></a>"])
def test_an_unreadable_trusted_list_is_an_error(tmp_path: Path, content: str):
    path = tmp_path / "tl.xml"
    path.write_text(content)
    with pytest.raises(TrustStoreError):
        load_trust_roots("", str(path))
    with pytest.raises(TrustStoreError):
        load_trust_roots("", str(tmp_path / "missing.xml"))


def test_entity_expansion_is_refused(tmp_path: Path):
    path = tmp_path / "bomb.xml"
    path.write_text('<!DOCTYPE a [<!ENTITY x "boom">]><a>&x;</a>')
    with pytest.raises(TrustStoreError, match="(?i)entit"):
        load_trust_roots("", str(path))


# -- settings from config ----------------------------------------------------------------


def test_trust_settings_from_config(tmp_path: Path, pki: TestPKI):
    (tmp_path / "root.pem").write_bytes(pki.root.pem)
    settings = trust_settings({"OMD_TRUST_DIR": str(tmp_path), "OMD_REVOCATION_MODE": "hard-fail"})
    assert settings.revocation_mode == "hard-fail"
    assert _subjects(settings.roots) == {"omd-gov Demo Root CA"}
    defaults = trust_settings({})
    assert defaults.roots == [] and defaults.revocation_mode == "soft-fail"
    assert defaults.fetch is True  # OMD_REVOCATION_FETCH defaults to 1


@pytest.mark.parametrize(("value", "expected"), [("1", True), ("0", False), (" OFF ", False)])
def test_the_fetch_setting(value: str, expected: bool):
    assert trust_settings({"OMD_REVOCATION_FETCH": value}).fetch is expected
    assert TrustSettings([]).fetch is False  # built by hand: offline unless asked


@pytest.mark.parametrize("value", ["", "maybe", "2"])
def test_a_mistyped_fetch_setting_is_refused(value: str):
    with pytest.raises(TrustStoreError, match="OMD_REVOCATION_FETCH"):
        trust_settings({"OMD_REVOCATION_FETCH": value})


def test_an_unknown_revocation_mode_is_refused():
    with pytest.raises(TrustStoreError, match="OMD_REVOCATION_MODE"):
        TrustSettings([], "maybe")


# -- the signer's identity ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("attribute", "expected"),
    [
        ("IDCPT-12345678", "IDCPT-12345678"),
        ("idces-12345678z", "IDCES-12345678Z"),
        ("PNOPT-123456789", "PNOPT-123456789"),
        ("BI12345678", "BI12345678"),
        ("12345678", None),
        ("ABC-1", None),
        ("", None),
        (None, None),
    ],
)
def test_national_id_semantics(attribute, expected):
    assert national_id_of(attribute) == expected


def test_identity_from_a_certificate(pki: TestPKI):
    identity = SignerIdentity.from_certificate(asn1_cert(pki.alice.certificate))
    assert identity.common_name == "Alice Almeida"
    assert identity.national_id == "IDCPT-12345678"
    assert identity.serial_number == format(pki.alice.certificate.serial_number, "x")
    assert identity.issuer == "CN=omd-gov Test Issuing CA"
    assert "CN=Alice Almeida" in identity.subject and "O=Lisboa" in identity.subject
    assert len(identity.certificate_sha256) == 64
    assert SignerIdentity.from_dict(identity.as_dict()) == identity


def test_identity_without_a_national_id(pki: TestPKI):
    plain = demo_pki.issue(pki.intermediate, "Plain Person")
    identity = SignerIdentity.from_certificate(asn1_cert(plain.certificate))
    assert identity.national_id is None
    assert identity.matches("plain person") and not identity.matches("12345678")


@pytest.mark.parametrize(
    ("configured", "expected"),
    [
        ("IDCPT-12345678", True),
        ("idcpt-12345678", True),
        ("12345678", True),
        (" 12345678 ", True),
        ("alice almeida", True),
        ("IDCES-12345678", False),  # same digits, another country
        ("IDCPT-87654321", False),
        ("Bruno Bermúdez", False),
        ("", False),
        (None, False),
    ],
)
def test_identity_matches(pki: TestPKI, configured, expected):
    identity = SignerIdentity.from_certificate(asn1_cert(pki.alice.certificate))
    assert identity.matches(configured) is expected
