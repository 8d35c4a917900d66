"""A small certificate authority for the demo and the tests: a root, an
intermediate and signer certificates, built with ``cryptography``.

Real signatories use certificates from a qualified provider (Cartão de
Cidadão, FNMT, …); this PKI only lets a new user and the test suite sign
with the same tools, offline. Never trust it in production.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import NameOID

_Key = ec.EllipticCurvePrivateKey


@dataclass(frozen=True)
class Issued:
    """A certificate with its private key (and the chain above it, nearest first)."""

    certificate: x509.Certificate
    key: _Key
    chain: tuple[x509.Certificate, ...] = ()

    @property
    def pem(self) -> bytes:
        return self.certificate.public_bytes(serialization.Encoding.PEM)

    def pkcs12(self, password: bytes, name: str = "signer") -> bytes:
        return pkcs12.serialize_key_and_certificates(
            name.encode(),
            self.key,
            self.certificate,
            list(self.chain),
            serialization.BestAvailableEncryption(password),
        )


def _name(common_name: str, *, national_id: str | None = None, org: str | None = None) -> x509.Name:
    attributes = [x509.NameAttribute(NameOID.COMMON_NAME, common_name)]
    if national_id:  # ETSI EN 319 412-1 semantics, e.g. IDCPT-12345678
        attributes.append(x509.NameAttribute(NameOID.SERIAL_NUMBER, national_id))
    if org:
        attributes.append(x509.NameAttribute(NameOID.ORGANIZATION_NAME, org))
    return x509.Name(attributes)


def _builder(
    subject: x509.Name, key: _Key, valid_from: dt.datetime, days: int
) -> x509.CertificateBuilder:
    return (
        x509.CertificateBuilder()
        .subject_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(valid_from)
        .not_valid_after(valid_from + dt.timedelta(days=days))
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
    )


def _usage(*, signing: bool, ca: bool) -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=signing,
        content_commitment=signing,  # non-repudiation
        key_encipherment=not signing and not ca,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=ca,
        crl_sign=ca,
        encipher_only=False,
        decipher_only=False,
    )


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def root_ca(common_name: str = "omd-gov Demo Root CA", days: int = 3650) -> Issued:
    key = ec.generate_private_key(ec.SECP256R1())
    subject = _name(common_name)
    certificate = (
        _builder(subject, key, _now() - dt.timedelta(days=1), days)
        .issuer_name(subject)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(_usage(signing=False, ca=True), critical=True)
        .sign(key, hashes.SHA256())
    )
    return Issued(certificate, key)


def issue(
    issuer: Issued,
    common_name: str,
    *,
    ca: bool = False,
    national_id: str | None = None,
    org: str | None = None,
    signing_usage: bool = True,
    valid_from: dt.datetime | None = None,
    days: int = 825,
) -> Issued:
    """A certificate signed by ``issuer``: an intermediate CA (``ca=True``) or
    an end-entity signer. ``signing_usage=False`` gives key encipherment only,
    which is not allowed to sign; ``valid_from``/``days`` make expired ones."""
    key = ec.generate_private_key(ec.SECP256R1())
    start = valid_from or _now() - dt.timedelta(days=1)
    certificate = (
        _builder(_name(common_name, national_id=national_id, org=org), key, start, days)
        .issuer_name(issuer.certificate.subject)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer.key.public_key()),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
        .add_extension(_usage(signing=signing_usage or ca, ca=ca), critical=True)
        .sign(issuer.key, hashes.SHA256())
    )
    return Issued(certificate, key, (issuer.certificate, *issuer.chain))


def write_pkcs12(issued: Issued, path: Path, password: bytes) -> Path:
    path.write_bytes(issued.pkcs12(password))
    path.chmod(0o600)
    return path
