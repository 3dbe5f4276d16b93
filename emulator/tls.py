"""The hub's self-signed certificate and the TLS context that serves it."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
import hashlib
import ipaddress
import os
from pathlib import Path
import ssl
import tempfile

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

_VALIDITY = timedelta(days=3650)


@dataclass(frozen=True, slots=True)
class Certificate:
    """A PEM certificate with its key and its SHA-256 fingerprint."""

    cert_pem: bytes
    key_pem: bytes
    #: SHA-256 of the DER certificate, 64 lower-case hex digits.
    fingerprint: str


def _subject_alt_names(hub_id: str, hosts: Iterable[str]) -> list[x509.GeneralName]:
    names: list[x509.GeneralName] = []
    seen: set[str] = set()
    for host in (hub_id, "localhost", "127.0.0.1", *hosts):
        if not host or host in seen or host in {"0.0.0.0", "::"}:  # noqa: S104
            continue
        seen.add(host)
        try:
            names.append(x509.IPAddress(ipaddress.ip_address(host)))
        except ValueError:
            names.append(x509.DNSName(host))
    return names


def generate_certificate(
    hub_id: str, hosts: Iterable[str] = (), *, now: datetime | None = None
) -> Certificate:
    """Make a self-signed P-256 certificate for the hub.

    The common name is the hub id; the alternative names are the hub id,
    ``localhost``, ``127.0.0.1`` and any other ``hosts``.
    """
    now = now or datetime.now(UTC)
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.COMMON_NAME, hub_id),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Hearth"),
        ]
    )
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + _VALIDITY)
        .add_extension(
            x509.SubjectAlternativeName(_subject_alt_names(hub_id, hosts)),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    return Certificate(
        cert_pem=cert.public_bytes(serialization.Encoding.PEM),
        key_pem=key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        ),
        fingerprint=_fingerprint(cert),
    )


def _fingerprint(cert: x509.Certificate) -> str:
    return hashlib.sha256(cert.public_bytes(serialization.Encoding.DER)).hexdigest()


def _write(path: Path, data: bytes, mode: int) -> None:
    """Write a file that only gets ``mode`` permissions, replacing any old one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.unlink(missing_ok=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    with os.fdopen(descriptor, "wb") as file:
        file.write(data)


def save_certificate(certificate: Certificate, cert_file: Path, key_file: Path) -> None:
    """Write a certificate and its key (the key readable by the owner only)."""
    _write(cert_file, certificate.cert_pem, 0o644)
    _write(key_file, certificate.key_pem, 0o600)


def load_certificate(cert_file: Path, key_file: Path) -> Certificate:
    """Read a PEM certificate and its key (e.g. written by :func:`save_certificate`)."""
    cert_pem = cert_file.read_bytes()
    return Certificate(
        cert_pem=cert_pem,
        key_pem=key_file.read_bytes(),
        fingerprint=_fingerprint(x509.load_pem_x509_certificate(cert_pem)),
    )


def _load(context: ssl.SSLContext, certificate: Certificate) -> None:
    """Load a certificate into a context (the ssl module only reads files)."""
    with tempfile.TemporaryDirectory(prefix="hearth-tls-") as directory:
        cert_path = Path(directory, "cert.pem")
        key_path = Path(directory, "key.pem")
        _write(cert_path, certificate.cert_pem, 0o600)
        _write(key_path, certificate.key_pem, 0o600)
        context.load_cert_chain(cert_path, key_path)


class HubTLS:
    """The server TLS context; rotating swaps the certificate for new handshakes.

    With ``files`` (certificate and key PEM paths) the certificate survives
    restarts, so a pinned client trusts the hub again: it is read from them
    when they exist, and every new one (also after a rotation) is written there.
    """

    def __init__(
        self,
        hub_id: str,
        hosts: Iterable[str],
        clock: Callable[[], float],
        files: tuple[Path, Path] | None = None,
    ) -> None:
        """Load or generate the first certificate."""
        self._hub_id = hub_id
        self._hosts = list(hosts)
        self._clock = clock
        self._files = files
        self.context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self.context.minimum_version = ssl.TLSVersion.TLSv1_2
        if self._files and all(path.exists() for path in self._files):
            self.certificate = load_certificate(*self._files)
            _load(self.context, self.certificate)
        else:
            self._install(self._new_certificate())

    @property
    def fingerprint(self) -> str:
        """Return the SHA-256 fingerprint of the current certificate."""
        return self.certificate.fingerprint

    def rotate(self) -> str:
        """Switch to a new certificate; return its fingerprint."""
        self._install(self._new_certificate())
        return self.certificate.fingerprint

    def _install(self, certificate: Certificate) -> None:
        _load(self.context, certificate)
        self.certificate = certificate
        if self._files:
            save_certificate(certificate, *self._files)

    def _new_certificate(self) -> Certificate:
        now = datetime.fromtimestamp(self._clock(), UTC)
        return generate_certificate(self._hub_id, self._hosts, now=now)
