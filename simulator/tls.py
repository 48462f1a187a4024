"""A throwaway certificate, so the simulator can be served over HTTPS as https://web.whatsapp.com/.

Clients that hardcode that address (whatsapp-web.js) reach the simulator through Chromium's
`--host-resolver-rules=MAP web.whatsapp.com 127.0.0.1:<port>` with `--ignore-certificate-errors`;
Python clients trust the certificate itself (`TlsFiles.client_context()`). Made at run time, never
committed, valid for a day.
"""

from __future__ import annotations

import datetime
import ipaddress
import ssl
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

DEFAULT_HOSTS = ("web.whatsapp.com", "localhost", "127.0.0.1")


@dataclass(frozen=True)
class TlsFiles:
    cert_path: Path
    key_path: Path

    def client_context(self) -> ssl.SSLContext:
        """An SSL context that trusts exactly this certificate (for httpx's `verify=`)."""
        return ssl.create_default_context(cafile=str(self.cert_path))


def write_self_signed_certificate(directory: str | Path, hosts: tuple[str, ...] = DEFAULT_HOSTS) -> TlsFiles:
    """A self-signed certificate and its key (PEM) in `directory`, for `hosts` (names or IPs)."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, hosts[0])])
    now = datetime.datetime.now(datetime.UTC)
    public_key = key.public_key()
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(public_key)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([_general_name(host) for host in hosts]), critical=False)
        # Its own CA as well, so Python's strict verification accepts it as a trust anchor.
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                key_cert_sign=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(public_key), critical=False)
        .sign(key, hashes.SHA256())
    )
    files = TlsFiles(directory / "simulator-cert.pem", directory / "simulator-key.pem")
    files.cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    files.key_path.touch(mode=0o600)  # private before the key is in it
    files.key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    return files


def _general_name(host: str) -> x509.GeneralName:
    try:
        return x509.IPAddress(ipaddress.ip_address(host))
    except ValueError:
        return x509.DNSName(host)
