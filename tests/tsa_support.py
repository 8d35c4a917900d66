"""A loopback RFC 3161 timestamp authority for the tests: pyHanko's in-process
``DummyTimeStamper`` behind a tiny ``http.server`` on 127.0.0.1, so the seal
exercises the real HTTP client (``HTTPTimeStamper``) without any network.

The TSA certificate is issued by a demo PKI CA (``omd_gov.demo.pki``) with
the critical ``timeStamping`` extended key usage that validators require.
Its key is RSA because pyHanko's dummy timestamper signs with RSA only.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Literal

from asn1crypto import core, keys, tsp
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from pyhanko.sign.timestamps import DummyTimeStamper
from pyhanko_certvalidator.registry import SimpleCertificateStore

from omd_gov.demo.pki import Issued


@dataclass(frozen=True)
class TsaIdentity:
    certificate: x509.Certificate
    key: rsa.RSAPrivateKey
    chain: tuple[x509.Certificate, ...]


def issue_tsa(issuer: Issued, common_name: str = "omd-gov Test TSA") -> TsaIdentity:
    """An RSA time-stamping certificate signed by ``issuer``."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    now = dt.datetime.now(dt.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)]))
        .issuer_name(issuer.certificate.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=365))
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer.key.public_key()),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        # RFC 3161 §2.3: the TSA certificate has exactly this EKU, critical.
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.TIME_STAMPING]), critical=True)
        .sign(issuer.key, hashes.SHA256())
    )
    return TsaIdentity(certificate, key, (issuer.certificate, *issuer.chain))


def dummy_timestamper(tsa: TsaIdentity) -> DummyTimeStamper:
    der = serialization.Encoding.DER
    key_der = tsa.key.private_bytes(
        der, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    chain = [asn1_x509.Certificate.load(c.public_bytes(der)) for c in tsa.chain]
    return DummyTimeStamper(
        tsa_cert=asn1_x509.Certificate.load(tsa.certificate.public_bytes(der)),
        tsa_key=keys.PrivateKeyInfo.load(key_der),
        certs_to_embed=SimpleCertificateStore.from_certs(chain),
    )


class _Rejection(core.Sequence):
    """A TimeStampResp without a token: asn1crypto's own class wrongly
    requires one, but RFC 3161 §2.4.2 leaves it out on failure."""

    _fields = [("status", tsp.PKIStatusInfo)]


Answer = Literal["grant", "reject", "garbage"]


def _reply(stamper: DummyTimeStamper, answer: Answer, query: bytes) -> bytes:
    if answer == "reject":  # a TSA that answers, but says no (RFC 3161 PKIStatus)
        status = {"status": "rejection", "status_string": ["policy not accepted"]}
        return _Rejection({"status": status}).dump()
    if answer == "garbage":
        return b"<html>maintenance</html>"
    return stamper.request_tsa_response(tsp.TimeStampReq.load(query)).dump()


def _handler(stamper: DummyTimeStamper, answer: Answer) -> type[BaseHTTPRequestHandler]:
    class TimestampHandler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            if self.headers.get("Content-Type") != "application/timestamp-query":
                self.send_error(415, "expected application/timestamp-query")
                return
            reply = _reply(stamper, answer, body)
            self.send_response(200)
            self.send_header("Content-Type", "application/timestamp-reply")
            self.send_header("Content-Length", str(len(reply)))
            self.end_headers()
            self.wfile.write(reply)

        def log_message(self, format: str, *args: object) -> None:  # noqa: A002
            pass  # keep the test output quiet

    return TimestampHandler


@contextmanager
def running_tsa(issuer: Issued, *, answer: Answer = "grant") -> Iterator[str]:
    """Serve a TSA whose certificate ``issuer`` signs; yield its URL.

    ``answer="reject"`` refuses every request with an RFC 3161 rejection;
    ``"garbage"`` replies 200 with the right content type and a non-DER body."""
    stamper = dummy_timestamper(issue_tsa(issuer))
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(stamper, answer))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/tsa"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
