"""language-http's `tls` options against a real HTTPS server: a private certificate authority, a server
certificate it signed, and a server that may ask for a client certificate."""

from __future__ import annotations

import datetime
import json
import ssl
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from openfn.adaptors import http
from openfn.adaptors._http_client import HttpConnectionError, TlsOptionError
from openfn.runtime.credentials import secret_values
from openfn.runtime.resources import run_scope


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def _issue(subject: str, key, issuer_name: x509.Name, issuer_key, *, ca: bool = False, server: bool = False) -> x509.Certificate:
    now = datetime.datetime.now(datetime.timezone.utc)
    builder = (
        x509.CertificateBuilder().subject_name(_name(subject)).issuer_name(issuer_name).public_key(key.public_key())
        .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
    )  # fmt: skip
    if ca:
        builder = builder.add_extension(x509.KeyUsage(True, False, False, False, False, True, True, False, False), critical=True)
        builder = builder.add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
    else:
        builder = builder.add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_key.public_key()), critical=False)
    if server:
        import ipaddress

        builder = builder.add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
    return builder.sign(issuer_key, hashes.SHA256())


def _pem(certificate: x509.Certificate) -> str:
    return certificate.public_bytes(serialization.Encoding.PEM).decode()


def _key_pem(key, passphrase: str | None = None) -> str:
    encryption = serialization.BestAvailableEncryption(passphrase.encode()) if passphrase else serialization.NoEncryption()
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, encryption).decode()


@pytest.fixture(scope="module")
def pki(tmp_path_factory):
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca = _issue("Test CA", ca_key, _name("Test CA"), ca_key, ca=True)
    server_key = ec.generate_private_key(ec.SECP256R1())
    server = _issue("localhost", server_key, ca.subject, ca_key, server=True)
    client_key = ec.generate_private_key(ec.SECP256R1())
    client = _issue("clinic-integration", client_key, ca.subject, ca_key)
    folder = tmp_path_factory.mktemp("pki")
    (folder / "server.pem").write_text(_pem(server) + _pem(ca))
    (folder / "server.key").write_text(_key_pem(server_key))
    return {"ca": _pem(ca), "folder": folder, "client_cert": _pem(client), "client_key": client_key}


class _Handler(BaseHTTPRequestHandler):
    def do_GET(self):  # noqa: N802 - http.server's name
        peer = self.connection.getpeercert()
        subject = dict(item[0] for item in peer["subject"]) if peer else {}
        body = json.dumps({"client": subject.get("commonName")}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def _serve(pki, require_client: bool):
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(pki["folder"] / "server.pem", pki["folder"] / "server.key")
    if require_client:
        context.load_verify_locations(cadata=pki["ca"])
        context.verify_mode = ssl.CERT_REQUIRED
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


@pytest.fixture
def https(pki):
    server = _serve(pki, require_client=False)
    yield f"https://localhost:{server.server_address[1]}"
    server.shutdown()


@pytest.fixture
def mutual(pki):
    server = _serve(pki, require_client=True)
    yield f"https://localhost:{server.server_address[1]}"
    server.shutdown()


def run(operation, configuration: dict | None = None) -> dict:
    with run_scope():  # the run's clients, closed at its end
        return operation({"configuration": configuration or {}, "data": {}, "references": []})


def test_a_private_authority_is_refused_without_tls(https):
    with pytest.raises(HttpConnectionError, match="CERTIFICATE_VERIFY_FAILED"):
        run(http.get(f"{https}/whoami"))


def test_ca_on_the_request_trusts_the_private_authority(https, pki):
    state = run(http.get(f"{https}/whoami", tls={"ca": pki["ca"]}))
    assert state["data"] == {"client": None} and state["response"]["statusCode"] == 200


def test_ca_in_the_credential_serves_every_request(https, pki):
    state = run(http.get("/whoami"), {"baseUrl": https, "tls": {"ca": [pki["ca"]]}})
    assert state["data"] == {"client": None}


def test_ca_replaces_the_trusted_authorities(https, pki):
    other_key = ec.generate_private_key(ec.SECP256R1())
    other = _pem(_issue("Other CA", other_key, _name("Other CA"), other_key, ca=True))
    with pytest.raises(HttpConnectionError, match="CERTIFICATE_VERIFY_FAILED"):
        run(http.get(f"{https}/whoami", tls={"ca": other}))


def test_reject_unauthorized_false_accepts_any_certificate(https):
    state = run(http.get(f"{https}/whoami", tls={"rejectUnauthorized": False}))
    assert state["response"]["statusCode"] == 200


def test_client_certificate_for_a_server_that_requires_one(mutual, pki):
    with pytest.raises(HttpConnectionError):
        run(http.get(f"{mutual}/whoami", tls={"ca": pki["ca"]}))
    tls = {"ca": pki["ca"], "cert": pki["client_cert"], "key": _key_pem(pki["client_key"])}
    assert run(http.get(f"{mutual}/whoami", tls=tls))["data"] == {"client": "clinic-integration"}


def test_client_key_with_a_passphrase(mutual, pki):
    key = _key_pem(pki["client_key"], "s3cret-pass")
    tls = {"ca": pki["ca"], "cert": pki["client_cert"], "key": key, "passphrase": "s3cret-pass"}
    assert run(http.get("/whoami"), {"baseUrl": mutual, "tls": tls})["data"] == {"client": "clinic-integration"}
    with pytest.raises(TlsOptionError, match="could not be loaded"):
        run(http.get("/whoami"), {"baseUrl": mutual, "tls": {**tls, "passphrase": "wrong"}})


def test_the_client_key_and_passphrase_are_secrets(pki):
    key = _key_pem(pki["client_key"], "s3cret-pass")
    values = secret_values({"baseUrl": "https://x", "tls": {"ca": pki["ca"], "cert": pki["client_cert"], "key": key, "passphrase": "s3cret-pass"}})
    assert key in values and "s3cret-pass" in values and pki["ca"] not in values


@pytest.mark.parametrize(
    ("tls", "message"),
    [
        ("yes", "must be a dict"),
        ({"servername": "x"}, "does not apply: servername"),
        ({"cert": "PEM"}, "needs both `cert` and `key`"),
        ({"ca": 3}, "PEM text or a list"),
        ({"rejectUnauthorized": "false"}, "true or false"),
    ],
)
def test_options_we_would_not_apply_are_refused_when_the_job_loads(tls, message):
    with pytest.raises(TlsOptionError, match=message):
        http.get("https://example.org", tls=tls)


def test_options_in_the_credential_are_checked_when_the_request_is_made():
    with pytest.raises(TlsOptionError, match="in the credential has options this adaptor does not apply: ciphers"):
        run(http.get("/x"), {"baseUrl": "https://127.0.0.1:9", "tls": {"ciphers": "HIGH"}})
