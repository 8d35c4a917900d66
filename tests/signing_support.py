"""Test helpers that play a signatory's tool and an attacker.

They build simple PDFs, sign them with pyHanko as an incremental update (as
Autenticação.gov, AutoFirma or any PAdES tool would), and forge the
modifications a validator must refuse: a flipped byte, a page change after
a signature. The PKI comes from ``omd_gov.demo.pki``; nothing touches disk
or the network.
"""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass, field
from typing import Any

from asn1crypto import crl as asn1_crl
from asn1crypto import keys as asn1_keys
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.pdf_utils.writer import copy_into_new_writer
from pyhanko.sign import fields, signers, timestamps
from pyhanko.sign.timestamps.dummy_client import DummyTimeStamper
from pyhanko.sign.validation.dss import DocumentSecurityStore
from pyhanko_certvalidator.registry import SimpleCertificateStore
from pypdf import PdfWriter
from pypdf.generic import DecodedStreamObject, NameObject

from omd_gov.demo import pki
from omd_gov.demo.pki import Issued


def asn1_cert(certificate: x509.Certificate) -> asn1_x509.Certificate:
    return asn1_x509.Certificate.load(certificate.public_bytes(serialization.Encoding.DER))


def make_pdf(pages: int = 1, text: str = "Data sharing agreement") -> bytes:
    """A small plain PDF with one line of text per page."""
    writer = PdfWriter()
    for number in range(1, pages + 1):
        page = writer.add_blank_page(width=595, height=842)
        content = DecodedStreamObject()
        line = f"{text} - page {number}".replace("(", "[").replace(")", "]")
        content.set_data(f"BT /F1 12 Tf 72 770 Td ({line}) Tj ET".encode())
        page[NameObject("/Contents")] = writer._add_object(content)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def with_xref_stream(pdf: bytes) -> bytes:
    """The same document rewritten with a cross-reference stream, as some
    LibreOffice exports are."""
    writer = copy_into_new_writer(PdfFileReader(io.BytesIO(pdf)), {"stream_xrefs": True})
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def signer_for(issued: Issued) -> signers.SimpleSigner:
    key = issued.key.private_bytes(
        serialization.Encoding.DER,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    return signers.SimpleSigner(
        signing_cert=asn1_cert(issued.certificate),
        signing_key=asn1_keys.PrivateKeyInfo.load(key),
        cert_registry=SimpleCertificateStore.from_certs([asn1_cert(c) for c in issued.chain]),
    )


def sign(
    pdf: bytes,
    issued: Issued,
    field_name: str = "Signature1",
    *,
    timestamper: timestamps.TimeStamper | None = None,
) -> bytes:
    """``pdf`` plus one incremental update carrying a PAdES signature."""
    writer = IncrementalPdfFileWriter(io.BytesIO(pdf), strict=False)
    meta = signers.PdfSignatureMetadata(
        field_name=field_name, subfilter=fields.SigSeedSubFilter.PADES
    )
    out = signers.sign_pdf(
        writer,
        meta,
        signer_for(issued),
        timestamper=timestamper,
        new_field_spec=fields.SigFieldSpec(field_name),
    )
    return out.getvalue()


def tamper(pdf: bytes, offset: int) -> bytes:
    """Flip one byte (a signed byte, if ``offset`` lies in the signed range)."""
    data = bytearray(pdf)
    data[offset] ^= 0x01
    return bytes(data)


def add_page_change(pdf: bytes, text: str = "Altered after signing") -> bytes:
    """Append an incremental update that replaces page 0's content stream."""
    writer = IncrementalPdfFileWriter(io.BytesIO(pdf), strict=False)
    page_ref = writer.root["/Pages"]["/Kids"][0]
    page = page_ref.get_object()
    stream = generic.StreamObject(stream_data=f"BT /F1 12 Tf 72 770 Td ({text}) Tj ET".encode())
    page["/Contents"] = writer.add_object(stream)
    writer.update_container(page)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def sign_with_page_change(pdf: bytes, issued: Issued, field_name: str = "Signature1") -> bytes:
    """One revision that both rewrites page 0 and signs: the signature is
    valid, but over a text legal never approved."""
    writer = IncrementalPdfFileWriter(io.BytesIO(pdf), strict=False)
    page = writer.root["/Pages"]["/Kids"][0].get_object()
    page["/Contents"] = writer.add_object(generic.StreamObject(stream_data=b"BT ET"))
    writer.update_container(page)
    meta = signers.PdfSignatureMetadata(field_name=field_name)
    spec = fields.SigFieldSpec(field_name)
    return signers.sign_pdf(writer, meta, signer_for(issued), new_field_spec=spec).getvalue()


def crl(
    issuer: Issued, revoked: tuple[Issued, ...] = (), *, at: dt.datetime | None = None
) -> bytes:
    """A fresh DER CRL from ``issuer`` listing ``revoked``, issued an hour
    before ``at`` (default: now)."""
    now = at or dt.datetime.now(dt.UTC)
    builder = (
        x509.CertificateRevocationListBuilder()
        .issuer_name(issuer.certificate.subject)
        .last_update(now - dt.timedelta(hours=1))
        .next_update(now + dt.timedelta(days=7))
    )
    for cert in revoked:
        builder = builder.add_revoked_certificate(
            x509.RevokedCertificateBuilder()
            .serial_number(cert.certificate.serial_number)
            .revocation_date(now - dt.timedelta(hours=2))
            .build()
        )
    der = builder.sign(issuer.key, hashes.SHA256()).public_bytes(serialization.Encoding.DER)
    return der


def add_dss(pdf: bytes, crls: list[bytes]) -> bytes:
    """Append a DSS update carrying ``crls``, as a B-LT signing tool would."""
    out = io.BytesIO(pdf)
    DocumentSecurityStore.add_dss(
        out, None, crls=[asn1_crl.CertificateList.load(der) for der in crls], strict=False
    )
    return out.getvalue()


def add_harmless_update(pdf: bytes) -> bytes:
    """Append an incremental update that changes nothing that matters."""
    writer = IncrementalPdfFileWriter(io.BytesIO(pdf), strict=False)
    writer.update_root()
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def _leaf(issuer: Issued, name: x509.Name, key: Any, extensions: list[tuple[Any, bool]]) -> Issued:
    """An end-entity certificate with hand-picked extensions (what
    ``omd_gov.demo.pki`` does not offer: a TSA, a CRL distribution point)."""
    start = dt.datetime.now(dt.UTC) - dt.timedelta(days=1)
    builder = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(issuer.certificate.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(start + dt.timedelta(days=30))
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer.key.public_key()),
            critical=False,
        )
    )
    for extension, critical in extensions:
        builder = builder.add_extension(extension, critical=critical)
    certificate = builder.sign(issuer.key, hashes.SHA256())
    return Issued(certificate, key, (issuer.certificate, *issuer.chain))


def timestamper(issuer: Issued, *, at: dt.datetime | None = None) -> timestamps.TimeStamper:
    """pyHanko's in-process test TSA (RSA only), its certificate from ``issuer``."""
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "omd-gov Test TSA")])
    usage = x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.TIME_STAMPING])
    tsa = _leaf(issuer, name, rsa.generate_private_key(65537, 2048), [(usage, True)])
    return DummyTimeStamper(
        tsa_cert=asn1_cert(tsa.certificate),
        tsa_key=signer_for(tsa).signing_key,
        certs_to_embed=SimpleCertificateStore.from_certs([asn1_cert(c) for c in tsa.chain]),
        fixed_dt=at,
    )


def signer_with_crl_pointer(
    issuer: Issued,
    common_name: str,
    url: str = "http://crl.invalid/issuing.crl",
    *,
    national_id: str | None = None,
) -> Issued:
    """A signer whose certificate declares a CRL location, as qualified ones
    do. The default URL cannot resolve; tests that fetch pass a loopback one
    (``tests.revocation_support``)."""
    attributes = [x509.NameAttribute(NameOID.COMMON_NAME, common_name)]
    if national_id:
        attributes.append(x509.NameAttribute(NameOID.SERIAL_NUMBER, national_id))
    point = x509.DistributionPoint([x509.UniformResourceIdentifier(url)], None, None, None)
    usage = x509.KeyUsage(True, True, False, False, False, False, False, False, False)
    extensions = [(x509.CRLDistributionPoints([point]), False), (usage, True)]
    key = ec.generate_private_key(ec.SECP256R1())
    return _leaf(issuer, x509.Name(attributes), key, extensions)


def _past(days: int) -> dt.datetime:
    return dt.datetime.now(dt.UTC) - dt.timedelta(days=days)


@dataclass
class TestPKI:
    """A whole test PKI: a trusted root and intermediate with signers under
    it, plus the bad cases (an untrusted root, an expired signer, a signer
    without the signing key usages)."""

    __test__ = False  # not a pytest test class

    root: Issued = field(default_factory=pki.root_ca)
    other_root: Issued = field(default_factory=lambda: pki.root_ca("Untrusted Root CA"))

    def __post_init__(self) -> None:
        self.intermediate = pki.issue(self.root, "omd-gov Test Issuing CA", ca=True)
        self.alice = pki.issue(
            self.intermediate, "Alice Almeida", national_id="IDCPT-12345678", org="Lisboa"
        )
        self.bruno = pki.issue(
            self.intermediate, "Bruno Bermúdez", national_id="IDCES-87654321Z", org="Vigo"
        )
        self.untrusted = pki.issue(self.other_root, "Mallory Untrusted", national_id="IDCPT-999")
        self.expired = pki.issue(
            self.intermediate, "Eve Expired", national_id="IDCPT-555", valid_from=_past(30), days=2
        )
        self.no_usage = pki.issue(
            self.intermediate, "Nuno NoUsage", national_id="IDCPT-777", signing_usage=False
        )

    @property
    def roots(self) -> list[asn1_x509.Certificate]:
        return [asn1_cert(self.root.certificate)]
