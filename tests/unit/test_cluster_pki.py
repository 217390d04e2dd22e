"""The node's certificates: one CA whose chain verifies, serving certificates with every name a client uses, and
client subjects that Kubernetes' default RBAC and the Node authorizer know."""

import ipaddress
import json
import stat
from base64 import b64decode

import pytest
from cryptography import x509
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from cryptography.x509.verification import PolicyBuilder, Store

from upgrade_suite.cluster.pki import Pki, clients


@pytest.fixture(scope="module")
def pki(tmp_path_factory):
    return Pki(tmp_path_factory.mktemp("state"), "suite-node", "192.0.2.2").create()


def load(pki, name):
    return x509.load_pem_x509_certificate(pki.cert(name).read_bytes())


def test_the_apiserver_certificate_verifies_for_every_name_clients_use(pki):
    store = Store([load(pki, "ca")])
    leaf = load(pki, "apiserver")
    for name in ("kubernetes.default.svc", "kubernetes.default.svc.cluster.local", "localhost", "suite-node"):
        PolicyBuilder().store(store).build_server_verifier(x509.DNSName(name)).verify(leaf, [])
    for address in ("127.0.0.1", "10.96.0.1", "192.0.2.2"):
        PolicyBuilder().store(store).build_server_verifier(x509.IPAddress(ipaddress.ip_address(address))).verify(
            leaf, []
        )


def test_a_name_the_certificate_does_not_carry_fails_verification(pki):
    verifier = PolicyBuilder().store(Store([load(pki, "ca")])).build_server_verifier(x509.DNSName("example.com"))
    with pytest.raises(x509.verification.VerificationError):
        verifier.verify(load(pki, "apiserver"), [])


def test_the_kubelet_serves_on_the_node_address_only_under_its_own_names(pki):
    sans = load(pki, "kubelet-server").extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert {str(ip) for ip in sans.get_values_for_type(x509.IPAddress)} == {"127.0.0.1", "192.0.2.2"}
    assert set(sans.get_values_for_type(x509.DNSName)) == {"localhost", "suite-node"}


def test_client_subjects_are_what_rbac_and_the_node_authorizer_expect(pki):
    subjects = {}
    for client in clients("suite-node"):
        cert = load(pki, client.name)
        cert.verify_directly_issued_by(load(pki, "ca"))
        usage = cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
        assert list(usage) == [ExtendedKeyUsageOID.CLIENT_AUTH]
        org = cert.subject.get_attributes_for_oid(NameOID.ORGANIZATION_NAME)
        subjects[client.name] = (
            cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value,
            [o.value for o in org],
        )
    assert subjects["kubelet"] == ("system:node:suite-node", ["system:nodes"])
    assert subjects["admin"] == ("kubernetes-admin", ["system:masters"])
    assert subjects["kube-proxy"] == ("system:kube-proxy", [])


def test_keys_are_private_and_kubeconfigs_embed_their_own_certificate(pki):
    for key in pki.pki.glob("*.key"):
        assert stat.S_IMODE(key.stat().st_mode) == 0o600, key
    config = json.loads(pki.kubeconfig("kubelet").read_text())
    assert config["clusters"][0]["cluster"]["server"] == "https://127.0.0.1:6443"
    assert b64decode(config["clusters"][0]["cluster"]["certificate-authority-data"]) == pki.cert("ca").read_bytes()
    assert b64decode(config["users"][0]["user"]["client-certificate-data"]) == pki.cert("kubelet").read_bytes()
    assert (pki.pki / "sa.pub").read_text().startswith("-----BEGIN PUBLIC KEY-----")
