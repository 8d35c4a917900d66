"""The signer's certificate: who it names, whether that is the signatory
configured for a party, and whether the certificate may sign at all (the
trust, key usage, validity and revocation steps of an upload).

Qualified certificates for natural persons carry a national identifier in the
subject's ``serialNumber`` attribute, following ETSI EN 319 412-1: three
letters for the kind (``IDC`` identity card, ``PNO`` national personal number,
``PAS`` passport, ``TIN`` tax number), the two-letter country and a hyphen,
e.g. ``IDCPT-12345678`` (Cartão de Cidadão) or ``IDCES-12345678Z`` (DNIe).
Older Portuguese certificates use ``BI12345678``. Anything else in that
attribute is not treated as a national id.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from dataclasses import asdict, dataclass
from typing import Any

from asn1crypto import x509 as asn1_x509
from cryptography import x509
from pyhanko.sign.ades.report import AdESIndeterminate
from pyhanko.sign.validation.status import PdfSignatureStatus

_ETSI_ID = re.compile(r"^(?P<prefix>(?:IDC|PNO|PAS|TIN)[A-Z]{2}-)(?P<value>[0-9A-Z]+)$")
_PT_BI = re.compile(r"^(?P<prefix>BI)(?P<value>[0-9]+[0-9A-Z]*)$")


def national_id_of(serial_attribute: str | None) -> str | None:
    """The subject serialNumber when it has national-id semantics, else None."""
    if not serial_attribute:
        return None
    value = serial_attribute.strip().upper()
    return value if _ETSI_ID.match(value) or _PT_BI.match(value) else None


def _bare(national_id: str) -> str:
    match = _ETSI_ID.match(national_id) or _PT_BI.match(national_id)
    return match.group("value") if match else national_id


@dataclass(frozen=True)
class SignerIdentity:
    common_name: str
    serial_number: str  # the certificate's serial, hex
    issuer: str  # RFC 4514
    subject: str  # RFC 4514
    national_id: str | None
    certificate_sha256: str

    @classmethod
    def from_certificate(cls, certificate: asn1_x509.Certificate) -> SignerIdentity:
        der = certificate.dump()
        parsed = x509.load_der_x509_certificate(der)
        common_names = parsed.subject.get_attributes_for_oid(x509.NameOID.COMMON_NAME)
        serials = parsed.subject.get_attributes_for_oid(x509.NameOID.SERIAL_NUMBER)
        return cls(
            common_name=str(common_names[0].value) if common_names else "",
            serial_number=format(parsed.serial_number, "x"),
            issuer=parsed.issuer.rfc4514_string(),
            subject=parsed.subject.rfc4514_string(),
            national_id=national_id_of(str(serials[0].value) if serials else None),
            certificate_sha256=hashlib.sha256(der).hexdigest(),
        )

    def matches(self, configured: str | None) -> bool:
        """Whether ``configured`` (a signatory's national id, with or without
        its ``IDCPT-`` style prefix, or their name) names this signer."""
        wanted = (configured or "").strip().upper()
        if not wanted:
            return False
        if self.national_id and wanted in (self.national_id, _bare(self.national_id)):
            return True
        return wanted.casefold() == self.common_name.strip().casefold()

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> SignerIdentity:
        return cls(**{name: data.get(name) for name in cls.__dataclass_fields__})  # type: ignore[arg-type]


_SIGNING_USAGES = {"digital_signature", "non_repudiation"}
_OUT_OF_BOUNDS = {
    AdESIndeterminate.OUT_OF_BOUNDS_NO_POE,
    AdESIndeterminate.OUT_OF_BOUNDS_NOT_REVOKED,
    AdESIndeterminate.EXPIRED,
    AdESIndeterminate.NOT_YET_VALID,
}
_REVOCATION = {
    AdESIndeterminate.REVOKED_NO_POE: "The certificate is revoked.",
    AdESIndeterminate.REVOKED_CA_NO_POE: "A certificate authority in the chain is revoked.",
    AdESIndeterminate.TRY_LATER: "The revocation data in the file is not fresh enough.",
    AdESIndeterminate.REVOCATION_OUT_OF_BOUNDS_NO_POE: "The revocation data is out of bounds.",
}
Problem = tuple[str, str]  # (step, detail)


def _chain(status: PdfSignatureStatus) -> list[asn1_x509.Certificate]:
    """The signer's certificate and the CAs above it, without the trust root
    (a root is trusted as configured, whatever its dates)."""
    path = status.validation_path
    if path is None:
        return [status.signing_cert]
    return list(path.iter_certs(include_root=False)) or [status.signing_cert]


def _validity_problem(status: PdfSignatureStatus, times: dict[str, dt.datetime]) -> Problem | None:
    for certificate in _chain(status):
        start, end = certificate.not_valid_before, certificate.not_valid_after
        for what, moment in times.items():
            if not start <= moment <= end:
                name = certificate.subject.human_friendly
                return "validity", (
                    f"The certificate {name} is valid from {start.isoformat()} to "
                    f"{end.isoformat()}, which excludes the {what} ({moment.isoformat()})."
                )
    if status.trust_problem_indic in _OUT_OF_BOUNDS:
        return "validity", "The certificate was not valid at the time of validation."
    return None


def signer_problem(status: PdfSignatureStatus, times: dict[str, dt.datetime]) -> Problem | None:
    """The first failing step among trust, key_usage, validity and revocation
    for a signature pyHanko validated, or None. ``times`` names the moments
    at which the certificate must be valid (claimed signing time, timestamp,
    validation time)."""
    indic = status.trust_problem_indic
    if indic == AdESIndeterminate.NO_CERTIFICATE_CHAIN_FOUND:
        return "trust", "The certificate does not chain to a root in the trust store."
    usages = status.signing_cert.key_usage_value
    if not _SIGNING_USAGES & set(usages.native if usages is not None else ()):
        return "key_usage", "The certificate may not sign: no digitalSignature/nonRepudiation."
    problem = _validity_problem(status, times)
    if problem:
        return problem
    if indic in _REVOCATION:
        return "revocation", _REVOCATION[indic]
    if indic is not None or not status.trusted:
        return "trust", f"The certificate chain does not validate ({getattr(indic, 'name', '?')})."
    return None
