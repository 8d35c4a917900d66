"""The office's trust store: which certificate authorities a signature must
chain to before omd-gov calls it "trusted"; and the pyHanko settings every
validation uses with it (signing key usages, and the diff policy deciding
what an update after a signature may change).

Two sources, both local files (trust roots are never downloaded):

- ``OMD_TRUST_DIR``: a folder of root (or issuing CA) certificates, PEM or
  DER, named ``*.pem``, ``*.crt`` or ``*.cer``; a PEM file may hold a bundle.
  Other files (a README, ``.gitkeep``) are ignored. A file with a certificate
  extension that holds no readable certificate is an operator mistake and
  raises :class:`TrustStoreError` naming it, rather than silently trusting
  less than intended. A missing folder means an empty store: every signature
  is then untrusted.
- ``OMD_TRUST_LIST``: an ETSI TS 119 612 trusted list (e.g. a national list
  downloaded from the EU list of trusted lists) saved as XML. Every
  ``X509Certificate`` inside a ``ServiceDigitalIdentity`` of a certificate
  authority service (type ``…/Svctype/CA/…``) whose current status is granted
  or nationally recognised is a root. The list's own XML-signature
  certificate is not one, nor are timestamping or other services.

Revocation settings live here too (``OMD_REVOCATION_MODE``,
``OMD_REVOCATION_FETCH``); what they do is described and implemented in
:mod:`omd_gov.signatures.revocation`.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast
from xml.etree.ElementTree import Element

import defusedxml.ElementTree as SafeET
from asn1crypto import pem
from asn1crypto import x509 as asn1_x509
from defusedxml import DefusedXmlException
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.reader import HistoricalResolver
from pyhanko.sign.diff_analysis import (
    DEFAULT_DIFF_POLICY,
    FormUpdatingRule,
    GenericFieldModificationRule,
    SigFieldCreationRule,
    SigFieldModificationRule,
    StandardDiffPolicy,
)
from pyhanko.sign.validation.settings import KeyUsageConstraints

from omd_gov.errors import ServiceError

CERT_SUFFIXES = (".pem", ".crt", ".cer")
REVOCATION_MODES = ("hard-fail", "soft-fail", "off")
SIGNING_KEY_USAGE = KeyUsageConstraints(
    key_usage={"digital_signature", "non_repudiation"}, match_all_key_usages=False
)
_YES, _NO = ("1", "true", "yes", "on"), ("0", "false", "no", "off")
_ACCEPTED_STATUS = ("/granted", "/recognisedatnationallevel", "/undersupervision", "/accredited")


class TrustStoreError(ServiceError):
    """The configured trust store cannot be read as configured: the operator
    must fix it, so uploads answer 503 and name the file or setting."""

    status, title, slug = 503, "Trust store misconfigured", "trust-store-misconfigured"


@dataclass(frozen=True)
class TrustSettings:
    """``fetch``: download CRLs/OCSP responses (``OMD_REVOCATION_FETCH``).
    :func:`trust_settings` turns it on by default; built by hand, settings
    stay offline unless asked."""

    roots: list[asn1_x509.Certificate]
    revocation_mode: str = "soft-fail"
    fetch: bool = False

    def __post_init__(self) -> None:
        if self.revocation_mode not in REVOCATION_MODES:
            raise TrustStoreError(
                f"OMD_REVOCATION_MODE must be one of {', '.join(REVOCATION_MODES)}, "
                f"not {self.revocation_mode!r}"
            )


def _certificates_in(path: Path) -> list[asn1_x509.Certificate]:
    data = path.read_bytes()
    try:
        if pem.detect(data):
            return [
                asn1_x509.Certificate.load(der)
                for kind, _headers, der in pem.unarmor(data, multiple=True)
                if kind == "CERTIFICATE"
            ]
        certificate = asn1_x509.Certificate.load(data)
        certificate.native  # asn1crypto parses lazily: force it to find junk now  # noqa: B018
        return [certificate]
    except (ValueError, TypeError) as error:
        raise TrustStoreError(
            f"{path.name} in OMD_TRUST_DIR is not a PEM or DER certificate: {error}"
        ) from error


def _folder_roots(trust_dir: str) -> list[asn1_x509.Certificate]:
    folder = Path(trust_dir) if trust_dir else None
    if folder is None or not folder.is_dir():
        return []
    roots: list[asn1_x509.Certificate] = []
    for path in sorted(folder.iterdir()):
        if path.is_file() and path.suffix.lower() in CERT_SUFFIXES:
            found = _certificates_in(path)
            if not found:
                raise TrustStoreError(f"{path.name} in OMD_TRUST_DIR holds no certificate")
            roots += found
    return roots


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _children(element: Element, name: str) -> Iterator[Element]:
    return (child for child in element.iter() if _local(child.tag) == name)


def _text_of(element: Element, name: str) -> str:
    return next((child.text or "" for child in _children(element, name)), "").strip()


def _accepted(service_info: Element) -> bool:
    service_type = _text_of(service_info, "ServiceTypeIdentifier")
    status = _text_of(service_info, "ServiceStatus")
    return "/Svctype/CA/" in service_type and status.endswith(_ACCEPTED_STATUS)


def _list_roots(trust_list: str) -> list[asn1_x509.Certificate]:
    try:
        tree = SafeET.parse(trust_list)
    except (OSError, SafeET.ParseError, DefusedXmlException) as error:
        raise TrustStoreError(f"cannot read the trusted list (OMD_TRUST_LIST): {error}") from error
    roots = []
    # Only the current ServiceInformation: ServiceHistory holds past identities.
    root = tree.getroot()
    for info in _children(root, "ServiceInformation") if root is not None else ():
        if not _accepted(info):
            continue
        for identity in _children(info, "ServiceDigitalIdentity"):
            for node in _children(identity, "X509Certificate"):
                try:
                    der = base64.b64decode("".join((node.text or "").split()), validate=True)
                    roots.append(asn1_x509.Certificate.load(der))
                except (binascii.Error, ValueError) as error:
                    raise TrustStoreError(
                        "bad X509Certificate in the trusted list (OMD_TRUST_LIST)"
                    ) from error
    return roots


def load_trust_roots(trust_dir: str, trust_list: str = "") -> list[asn1_x509.Certificate]:
    """Every root in the trust folder and, when given, the local trusted list,
    without duplicates."""
    roots = _folder_roots(trust_dir) + (_list_roots(trust_list) if trust_list else [])
    unique: dict[bytes, asn1_x509.Certificate] = {}
    for root in roots:
        unique.setdefault(root.sha256, root)
    return list(unique.values())


def trust_settings(config: Mapping[str, Any]) -> TrustSettings:
    """The trust store and revocation policy from a Flask config mapping."""
    return TrustSettings(
        roots=load_trust_roots(
            str(config.get("OMD_TRUST_DIR") or ""), str(config.get("OMD_TRUST_LIST") or "")
        ),
        revocation_mode=str(config.get("OMD_REVOCATION_MODE") or "soft-fail"),
        fetch=_flag("OMD_REVOCATION_FETCH", config.get("OMD_REVOCATION_FETCH", "1")),
    )


def _flag(name: str, value: Any) -> bool:
    text = str(value).strip().lower()
    if text not in _YES + _NO:
        raise TrustStoreError(f"{name} must be 1 or 0, not {value!r}")
    return text in _YES


def to_pem(certificate: asn1_x509.Certificate) -> str:
    return pem.armor("CERTIFICATE", certificate.dump()).decode()


def from_pem(text: str) -> asn1_x509.Certificate:
    return asn1_x509.Certificate.load(pem.unarmor(text.encode())[2])


class _BaseWithEmptyForm:
    """The base revision as pyHanko's form rule needs it. pyHanko only diffs
    from a signed revision, which always has a form; the first signature on
    an unsigned PDF adds one. Seen through this view the base has an empty
    one, so the new form's fields are judged by pyHanko's usual rules."""

    def __init__(self, old: HistoricalResolver, new: HistoricalResolver):
        self._old = old
        form = generic.DictionaryObject({"/Fields": generic.ArrayObject()})
        flags = new.root["/AcroForm"].get("/SigFlags")
        if isinstance(flags, int) and 0 <= flags <= 3:  # SignaturesExist | AppendOnly
            form["/SigFlags"] = generic.NumberObject(flags)
        self.root = generic.DictionaryObject(old.root)
        self.root.container_ref = old.root.container_ref
        self.root["/AcroForm"] = form

    def __getattr__(self, name: str) -> Any:
        return getattr(self._old, name)

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self._old(*args, **kwargs)


class _FormRule(FormUpdatingRule):
    def apply(self, old: HistoricalResolver, new: HistoricalResolver) -> Iterator[Any]:
        if "/AcroForm" not in old.root:
            if "/AcroForm" not in new.root:
                return
            old = cast(HistoricalResolver, _BaseWithEmptyForm(old, new))
        yield from super().apply(old, new)


# pyHanko's default policy, with the form rule above.
DIFF_POLICY = StandardDiffPolicy(
    global_rules=DEFAULT_DIFF_POLICY.global_rules,
    form_rule=_FormRule(
        field_rules=[
            SigFieldCreationRule(),
            SigFieldModificationRule(),
            GenericFieldModificationRule(),
        ]
    ),
)
