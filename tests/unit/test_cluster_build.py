"""The node's build: the wrapper module it writes, the host check before any work, and binaries that land whole.

The go command is replaced by an injected runner that writes (or half-writes, then fails) the output the real one
would, so these run in milliseconds; the real build is what the extended node test and ``make cluster-setup`` run.
"""

import re
from pathlib import Path

import pytest

from upgrade_suite.base.errors import SuiteError
from upgrade_suite.cluster import build
from upgrade_suite.cluster.build import BINARIES, Build, GoCaches


def test_the_wrapper_replaces_every_staging_module_with_its_published_version():
    go_mod = build.kubernetes_wrapper("v1.37.2")["go.mod"]
    assert "require k8s.io/kubernetes v1.37.2\n" in go_mod
    replaces = dict(re.findall(r"^\t(k8s\.io/\S+) => k8s\.io/\S+ (v\S+)$", go_mod, re.MULTILINE))
    assert set(replaces) == {f"k8s.io/{name}" for name in build.STAGING_MODULES}
    assert len(replaces) == 31 and set(replaces.values()) == {"v0.37.2"}
    assert re.findall(r"^\t(k8s\.io/\S+) => (k8s\.io/\S+) ", go_mod, re.MULTILINE) == [(m, m) for m in replaces]


def test_the_wrapper_follows_the_kubernetes_version_and_keeps_the_commands_in_its_graph():
    files = build.kubernetes_wrapper("v1.36.3")
    assert "k8s.io/api => k8s.io/api v0.36.3" in files["go.mod"]
    assert files["tools.go"].startswith("//go:build tools\n")
    for command in build.KUBE_COMMANDS:
        assert f'_ "k8s.io/kubernetes/cmd/{command}"' in files["tools.go"]


def test_etcd_is_built_with_every_sibling_module_at_its_release():
    go_mod = build.etcd_wrapper("v3.7.4")["go.mod"]
    for module in ("server", "etcdctl", "api", "client/pkg", "client", "pkg"):
        assert f"go.etcd.io/etcd/{module}/v3 v3.7.4" in go_mod
    assert "replace" not in go_mod


def test_the_kubernetes_binaries_report_their_version():
    apiserver = next(b for b in BINARIES if b.name == "kube-apiserver")
    assert "-X k8s.io/component-base/version.gitVersion=v1.37.2" in apiserver.ldflags
    assert "-X k8s.io/client-go/pkg/version.gitMinor=37" in apiserver.ldflags


class FakeGo:
    """Does what go would: tidy writes go.sum, build writes -o, install writes into GOBIN; can fail half-way."""

    def __init__(self, fail_on: str = ""):
        self.calls: list[list[str]] = []
        self.fail_on = fail_on

    def __call__(self, command, cwd: Path, env) -> None:
        self.calls.append(list(command))
        if command[1] == "mod":
            (cwd / "go.sum").write_text("sums\n")
            return
        if command[1] == "build":
            output = Path(command[command.index("-o") + 1])
        else:
            output = Path(env["GOBIN"]) / command[-1].split("@")[0].rpartition("/")[2]
        output.write_bytes(b"half a binary")
        if self.fail_on and self.fail_on in command[-1]:
            raise SuiteError("go build failed")
        output.write_bytes(b"\x7fELF a whole binary")


def caches(tmp_path: Path) -> GoCaches:
    return GoCaches(tmp_path / "mod", tmp_path / "gocache")


def test_a_build_writes_every_binary_and_tidies_each_wrapper_once(tmp_path):
    go = FakeGo()
    built = Build(tmp_path / "bin", caches(tmp_path), go, say=lambda line: None).run()
    assert built == [b.name for b in BINARIES]
    assert all((tmp_path / "bin" / b.name).read_bytes().startswith(b"\x7fELF") for b in BINARIES)
    assert [call[1:3] for call in go.calls].count(["mod", "tidy"]) == 2
    assert (tmp_path / "src" / "kubernetes" / "go.mod").read_text() == build.kubernetes_wrapper()["go.mod"]
    assert not list((tmp_path / "bin").glob(".partial-*"))


def test_a_finished_binary_is_not_built_again(tmp_path):
    Build(tmp_path / "bin", caches(tmp_path), FakeGo(), say=lambda line: None).run()
    again = FakeGo()
    lines: list[str] = []
    assert Build(tmp_path / "bin", caches(tmp_path), again, say=lines.append).run() == []
    assert again.calls == [] and "all 15 binaries" in lines[0]


def test_a_failed_build_leaves_no_partial_binary_and_the_next_run_resumes_after_the_last_whole_one(tmp_path):
    with pytest.raises(SuiteError, match="go build failed"):
        Build(tmp_path / "bin", caches(tmp_path), FakeGo(fail_on="helm"), say=lambda line: None).run()
    bin_dir = tmp_path / "bin"
    assert not (bin_dir / "helm").exists() and not list(bin_dir.glob(".partial-*"))
    assert (bin_dir / "etcdctl").is_file()
    resumed = FakeGo()
    built = Build(bin_dir, caches(tmp_path), resumed, say=lambda line: None).run()
    assert built[0] == "helm" and "kubectl" not in built
    assert not any(call[1] == "mod" for call in resumed.calls)  # the wrappers were tidied by the first run


def test_an_interrupted_build_leaves_nothing_half_written(tmp_path):
    def interrupted(command, cwd, env):
        if command[1] == "mod":
            (cwd / "go.sum").write_text("")
            return
        Path(command[command.index("-o") + 1]).write_bytes(b"half")
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        Build(tmp_path / "bin", caches(tmp_path), interrupted, say=lambda line: None).run()
    assert [p.name for p in (tmp_path / "bin").iterdir()] == []


def test_the_go_caches_default_under_the_suite_cache_and_follow_the_environment(tmp_path):
    default = GoCaches.from_environment({"UPGRADE_SUITE_CACHE": str(tmp_path)})
    assert default.modcache == tmp_path / "cluster" / "go" / "modcache"
    pointed = GoCaches.from_environment({"UPGRADE_SUITE_GOMODCACHE": "/m", "UPGRADE_SUITE_GOCACHE": "/b"})
    assert (pointed.modcache, pointed.buildcache) == (Path("/m"), Path("/b"))
    env = pointed.environment()
    assert (env["GOMODCACHE"], env["GOCACHE"], env["GOMAXPROCS"], env["GOTOOLCHAIN"]) == ("/m", "/b", "1", "local")


@pytest.mark.parametrize(
    "present, version, message",
    [
        ({"containerd", "runc"}, (1, 26, 8), "go is not on PATH"),
        ({"go", "containerd", "runc"}, (1, 25, 4), "is Go 1.25.4; the cluster's modules need Go 1.26.8"),
        ({"go", "runc"}, (1, 26, 8), "containerd is not installed"),
        ({"go", "containerd"}, (1, 27, 0), "runc is not installed"),
    ],
)
def test_the_host_check_says_in_one_line_what_is_missing(present, version, message):
    with pytest.raises(SuiteError, match=message) as raised:
        build.check_host(lambda tool: f"/usr/bin/{tool}" if tool in present else None, lambda go: version)
    assert "\n" not in str(raised.value)


def test_the_command_line_fails_in_one_line_before_any_work(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("PATH", str(tmp_path))  # no go at all
    assert build.main(["--bin-dir", str(tmp_path / "bin")]) == 1
    assert (
        capsys.readouterr().err
        == "cluster build: go is not on PATH: the cluster is built from Go modules; install Go 1.26.8 or newer\n"
    )
    assert not (tmp_path / "bin").exists()


def test_a_failing_go_command_is_reported_by_its_last_line_with_the_log_kept(tmp_path):
    fake = tmp_path / "path" / "go"
    fake.parent.mkdir()
    fake.write_text("#!/bin/sh\necho 'go: downloading k8s.io/api v0.37.2'\necho 'go: 403 Forbidden' >&2\nexit 1\n")
    fake.chmod(0o755)
    env = {"PATH": f"{fake.parent}:/usr/bin:/bin"}
    with pytest.raises(SuiteError, match=r"'go mod tidy …' failed with status 1: go: 403 Forbidden \(log: "):
        build.run_go(["go", "mod", "tidy"], tmp_path, env)
    assert "downloading" in (tmp_path / "go.log").read_text()
