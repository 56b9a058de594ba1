"""A self-signed certificate for trying the hub out. Never for real practice data over a network."""

from __future__ import annotations

import ipaddress
import socket
from datetime import timedelta
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from mentalspace_desktop.store.files import open_private
from mentalspace_desktop.store.types import utcnow

WARNING = (
    "WARNING: serving with a SELF-SIGNED certificate. This is for trying the hub out only: "
    "workstations cannot tell this hub from an impostor. Use a certificate from your "
    "organisation or a public CA (--tls-cert/--tls-key) before real practice data is synced."
)


def self_signed(tls_dir: Path, *, host: str = "localhost") -> tuple[Path, Path]:
    """Write (or reuse) a clearly labelled self-signed certificate and key in ``tls_dir``."""
    cert_path = tls_dir / "self-signed-TRY-OUT-ONLY.crt"
    key_path = tls_dir / "self-signed-TRY-OUT-ONLY.key"
    if cert_path.exists() and key_path.exists():
        return cert_path, key_path
    tls_dir.mkdir(parents=True, exist_ok=True)
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.COMMON_NAME, "MentalSpace hub (self-signed, for trying out only)"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "NOT TRUSTED - self-signed"),
        ]
    )
    names: list[x509.GeneralName] = [
        x509.DNSName("localhost"),
        x509.DNSName(socket.gethostname()),
        x509.IPAddress(ipaddress.ip_address("127.0.0.1")),
    ]
    if host not in ("localhost", "0.0.0.0", "127.0.0.1", ""):
        try:
            names.append(x509.IPAddress(ipaddress.ip_address(host)))
        except ValueError:
            names.append(x509.DNSName(host))
    now = utcnow()
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=90))
        .add_extension(x509.SubjectAlternativeName(names), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .sign(key, hashes.SHA256())
    )
    with open_private(key_path) as handle:  # owner-only from the first byte
        handle.write(key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return cert_path, key_path
