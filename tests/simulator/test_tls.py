"""The simulator over HTTPS (`--tls-cert`/`--tls-key`) with a certificate made at test time, as
clients that hardcode https://web.whatsapp.com/ need it (tests/reference)."""

from __future__ import annotations

import ipaddress
import stat
from pathlib import Path

import httpx
import pytest
from cryptography import x509

from simulator.__main__ import parse_args
from simulator.testing import SimulatorProcess
from simulator.tls import write_self_signed_certificate


def test_the_certificate_names_web_whatsapp_com_and_loopback(tmp_path: Path) -> None:
    files = write_self_signed_certificate(tmp_path)
    certificate = x509.load_pem_x509_certificate(files.cert_path.read_bytes())
    names = certificate.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert "web.whatsapp.com" in names.get_values_for_type(x509.DNSName)
    assert ipaddress.ip_address("127.0.0.1") in names.get_values_for_type(x509.IPAddress)
    assert stat.S_IMODE(files.key_path.stat().st_mode) == 0o600


def test_tls_flags_go_together() -> None:
    assert parse_args(["--tls-cert", "c.pem", "--tls-key", "k.pem"]).tls_cert == "c.pem"
    assert parse_args([]).tls_cert is None
    with pytest.raises(SystemExit):
        parse_args(["--tls-cert", "c.pem"])


def test_the_simulator_serves_https(tmp_path: Path) -> None:
    files = write_self_signed_certificate(tmp_path)
    with SimulatorProcess(tls=files) as simulator:
        assert simulator.url.startswith("https://127.0.0.1:")
        assert "simulator ready on https://" in simulator.log_path.read_text()
        assert simulator.control.health()["ok"] is True
        page = httpx.get(simulator.url, verify=files.client_context())
        assert page.status_code == 200 and "<title>WhatsApp</title>" in page.text
        with pytest.raises(httpx.HTTPError):  # an untrusted certificate is refused, as it should be
            httpx.get(simulator.url + "control/health")
