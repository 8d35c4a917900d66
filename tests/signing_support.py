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

from asn1crypto import keys as asn1_keys
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.sign import fields, signers, timestamps
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


def add_harmless_update(pdf: bytes) -> bytes:
    """Append an incremental update that changes nothing that matters."""
    writer = IncrementalPdfFileWriter(io.BytesIO(pdf), strict=False)
    writer.update_root()
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


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
