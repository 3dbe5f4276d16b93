"""The hub certificate: its names, and keeping it across restarts."""

from __future__ import annotations

from pathlib import Path

from cryptography import x509

from emulator.tls import HubTLS

from .clock import FakeClock


def test_certificate_names(clock: FakeClock) -> None:
    """The common name is the hub id; the SANs cover the hub id and loopback."""
    tls = HubTLS("hearth-abc123", ["192.0.2.7", "0.0.0.0"], clock)  # noqa: S104
    cert = x509.load_pem_x509_certificate(tls.certificate.cert_pem)
    common_name = cert.subject.get_attributes_for_oid(x509.NameOID.COMMON_NAME)
    assert common_name[0].value == "hearth-abc123"
    names = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert set(names.get_values_for_type(x509.DNSName)) == {
        "hearth-abc123",
        "localhost",
    }
    assert {str(ip) for ip in names.get_values_for_type(x509.IPAddress)} == {
        "127.0.0.1",
        "192.0.2.7",
    }
    assert len(tls.fingerprint) == 64
    assert tls.fingerprint == tls.fingerprint.lower()


def test_files_keep_the_fingerprint(tmp_path: Path, clock: FakeClock) -> None:
    """With files, a restart keeps the certificate and a rotation rewrites it."""
    files = (tmp_path / "tls" / "cert.pem", tmp_path / "tls" / "key.pem")
    first = HubTLS("hearth-abc123", [], clock, files)
    assert files[1].stat().st_mode & 0o777 == 0o600
    assert HubTLS("hearth-abc123", [], clock, files).fingerprint == first.fingerprint
    rotated = first.rotate()
    assert rotated != HubTLS("hearth-abc123", [], clock).fingerprint
    assert HubTLS("hearth-abc123", [], clock, files).fingerprint == rotated
