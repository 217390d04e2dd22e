"""The node's certificates and kubeconfigs, made in Python with ``cryptography`` (no openssl, no kubeadm).

One self-made CA signs everything: the apiserver's and the kubelet's serving certificates, and one client
certificate per component whose subject is what Kubernetes' default RBAC and the Node authorizer expect
(``system:node:<name>`` in ``system:nodes`` for the kubelet, ``system:kube-proxy`` and so on), so the node
needs no RBAC of its own. The service-account signing key is a keypair beside them. Everything is written
under the node's state directory, keys readable by the owner only.
"""

from __future__ import annotations

import base64
import datetime
import ipaddress
import json
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

#: The first address of the service range: the ``kubernetes`` Service, which the apiserver's certificate must name.
SERVICE_CIDR = "10.96.0.0/12"
API_SERVICE_IP = "10.96.0.1"
API_PORT = 6443
_VALIDITY = datetime.timedelta(days=3650)


@dataclass(frozen=True)
class Client:
    """A client certificate's subject: file name, CN and (optional) group."""

    name: str
    common_name: str
    group: str = ""


def clients(node_name: str) -> tuple[Client, ...]:
    """Who talks to the apiserver, named as the default RBAC bindings and the Node authorizer know them."""
    return (
        Client("admin", "kubernetes-admin", "system:masters"),
        Client("apiserver-kubelet-client", "kube-apiserver-kubelet-client", "system:masters"),
        Client("kubelet", f"system:node:{node_name}", "system:nodes"),
        Client("controller-manager", "system:kube-controller-manager"),
        Client("scheduler", "system:kube-scheduler"),
        Client("kube-proxy", "system:kube-proxy"),
    )


#: The clients that get a kubeconfig (the apiserver's own client certificate is passed by flag).
KUBECONFIG_USERS = ("admin", "kubelet", "controller-manager", "scheduler", "kube-proxy")


def _key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def _name(common_name: str, group: str = "") -> x509.Name:
    parts = [x509.NameAttribute(NameOID.ORGANIZATION_NAME, group)] if group else []
    return x509.Name([*parts, x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def _pem_key(key: rsa.RSAPrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def _builder(subject: x509.Name, issuer: x509.Name, public: rsa.RSAPublicKey) -> x509.CertificateBuilder:
    now = datetime.datetime.now(datetime.UTC)
    return (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(public)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))  # a clock a little behind still accepts it
        .not_valid_after(now + _VALIDITY)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public), critical=False)
    )


def subject_alt_names(names: list[str]) -> x509.SubjectAlternativeName:
    """IP addresses as IP entries, everything else as DNS names (a client verifies an IP only against an IP SAN)."""
    entries: list[x509.GeneralName] = []
    for name in names:
        try:
            entries.append(x509.IPAddress(ipaddress.ip_address(name)))
        except ValueError:
            entries.append(x509.DNSName(name))
    return x509.SubjectAlternativeName(entries)


@dataclass
class Pki:
    """The CA and what it signed, as files under ``directory`` (``pki/``) and kubeconfigs (``kubeconfig/``)."""

    directory: Path
    node_name: str
    node_ip: str

    @property
    def pki(self) -> Path:
        return self.directory / "pki"

    @property
    def kubeconfigs(self) -> Path:
        return self.directory / "kubeconfig"

    def cert(self, name: str) -> Path:
        return self.pki / f"{name}.crt"

    def key(self, name: str) -> Path:
        return self.pki / f"{name}.key"

    def kubeconfig(self, user: str) -> Path:
        return self.kubeconfigs / f"{user}.conf"

    def apiserver_names(self) -> list[str]:
        """Every name a client reaches the apiserver by: loopback, the node, and the in-cluster Service."""
        service = ["kubernetes", "kubernetes.default", "kubernetes.default.svc", "kubernetes.default.svc.cluster.local"]
        return ["127.0.0.1", API_SERVICE_IP, self.node_ip, "localhost", self.node_name, *service]

    def kubelet_names(self) -> list[str]:
        return ["127.0.0.1", self.node_ip, "localhost", self.node_name]

    def create(self) -> Pki:
        """Write the CA, every certificate, the service-account keypair and the kubeconfigs (a fresh CA each time:
        the node's state directory is new for each node)."""
        self.pki.mkdir(parents=True, exist_ok=True)
        self.kubeconfigs.mkdir(parents=True, exist_ok=True)
        ca_key = _key()
        ca_name = _name("kubernetes-ca")
        ca = (
            _builder(ca_name, ca_name, ca_key.public_key())
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .add_extension(_usage(cert_sign=True), critical=True)
            .sign(ca_key, hashes.SHA256())
        )
        self._write("ca", ca, ca_key)
        self._issue(
            ca, ca_key, "apiserver", _name("kube-apiserver"), ExtendedKeyUsageOID.SERVER_AUTH, self.apiserver_names()
        )
        self._issue(
            ca, ca_key, "kubelet-server", _name(self.node_name), ExtendedKeyUsageOID.SERVER_AUTH, self.kubelet_names()
        )
        for client in clients(self.node_name):
            self._issue(
                ca, ca_key, client.name, _name(client.common_name, client.group), ExtendedKeyUsageOID.CLIENT_AUTH
            )
        service_accounts = _key()
        self._private("sa.key", _pem_key(service_accounts))
        public = service_accounts.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        (self.pki / "sa.pub").write_bytes(public)
        for user in KUBECONFIG_USERS:
            self._write_kubeconfig(user)
        return self

    def _issue(
        self,
        ca: x509.Certificate,
        ca_key: rsa.RSAPrivateKey,
        name: str,
        subject: x509.Name,
        purpose: x509.ObjectIdentifier,
        sans: list[str] | None = None,
    ) -> None:
        key = _key()
        builder = (
            _builder(subject, ca.subject, key.public_key())
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(_usage(cert_sign=False), critical=True)
            .add_extension(x509.ExtendedKeyUsage([purpose]), critical=False)
            .add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_public_key(ca.public_key()),  # type: ignore[arg-type]
                critical=False,
            )
        )
        if sans:
            builder = builder.add_extension(subject_alt_names(sans), critical=False)
        self._write(name, builder.sign(ca_key, hashes.SHA256()), key)

    def _write(self, name: str, cert: x509.Certificate, key: rsa.RSAPrivateKey) -> None:
        self.cert(name).write_bytes(cert.public_bytes(serialization.Encoding.PEM))
        self._private(f"{name}.key", _pem_key(key))

    def _private(self, file: str, data: bytes) -> None:
        path = self.pki / file
        path.touch(mode=0o600)
        path.write_bytes(data)

    def _write_kubeconfig(self, user: str) -> None:
        """A kubeconfig with the data embedded (JSON is YAML), pointing at the apiserver on loopback."""

        def b64(path: Path) -> str:
            return base64.b64encode(path.read_bytes()).decode()

        config = {
            "apiVersion": "v1",
            "kind": "Config",
            "clusters": [
                {
                    "name": "local",
                    "cluster": {
                        "server": f"https://127.0.0.1:{API_PORT}",
                        "certificate-authority-data": b64(self.cert("ca")),
                    },
                }
            ],
            "users": [
                {
                    "name": user,
                    "user": {"client-certificate-data": b64(self.cert(user)), "client-key-data": b64(self.key(user))},
                }
            ],
            "contexts": [{"name": f"{user}@local", "context": {"cluster": "local", "user": user}}],
            "current-context": f"{user}@local",
        }
        path = self.kubeconfig(user)
        path.touch(mode=0o600)
        path.write_text(json.dumps(config, indent=2))


def _usage(cert_sign: bool) -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=True,
        content_commitment=False,
        key_encipherment=not cert_sign,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=cert_sign,
        crl_sign=cert_sign,
        encipher_only=False,
        decipher_only=False,
    )
