"""The demo's signing certificates (``omd-gov demo``): a demo root CA in the
trust store, a PKCS#12 file for each demo signatory whose subject carries the
identity configured for them, and the city's e-seal. All under the instance
folder, all with the public password ``demo``: DEMO CREDENTIALS.
See docs/SIGNATURES.md for the walk-through with pyHanko's command line."""

from __future__ import annotations

from pathlib import Path

from omd_gov.demo import pki
from omd_gov.demo.data import DEMO_SIGNING_IDENTITIES, DEMO_USERS

PASSWORD = b"demo"
SEAL_FILE = "city-seal.p12"


def demo_signing_summary(signing_dir: Path, trust_dir: Path) -> str:
    """Write the files if need be; say where they are, for ``omd-gov demo``."""
    files = write_demo_signing(signing_dir, trust_dir)
    lines = ["demo signing certificates (PKCS#12, password 'demo'; root in OMD_TRUST_DIR):"]
    return "\n".join(lines + [f"  {path}" for path in files])


def write_demo_signing(signing_dir: Path, trust_dir: Path) -> list[Path]:
    """Create the files once (a second call keeps them); return the PKCS#12 files."""
    root_file = trust_dir / "omd-gov-demo-root.pem"
    if root_file.exists() and (signing_dir / SEAL_FILE).exists():
        return sorted(signing_dir.glob("*.p12"))
    signing_dir.mkdir(parents=True, exist_ok=True)
    trust_dir.mkdir(parents=True, exist_ok=True)
    root = pki.root_ca("omd-gov DEMO Root CA (not for production)")
    issuing = pki.issue(root, "omd-gov DEMO Signing CA", ca=True)
    names = {email: name for email, name, _role, _org, _token in DEMO_USERS}
    written = [
        pki.write_pkcs12(
            pki.issue(issuing, names[email], national_id=identity),
            signing_dir / f"{email.split('@')[0]}.{email.split('@')[1].split('.')[0]}.p12",
            PASSWORD,
        )
        for email, identity in DEMO_SIGNING_IDENTITIES.items()
    ]
    seal = pki.issue(issuing, "Porto City Council e-seal (DEMO)", org="Câmara Municipal do Porto")
    written.append(pki.write_pkcs12(seal, signing_dir / SEAL_FILE, PASSWORD))
    (signing_dir / "demo-root.pem").write_bytes(root.pem)
    root_file.write_bytes(root.pem)  # written last: its presence means "complete"
    return sorted(written)
