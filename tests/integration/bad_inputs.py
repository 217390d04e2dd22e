"""The table of wrong inputs a user can give, and the one line each must end in.

The bad-input sweep (test_bad_input_sweep.py) runs every row for real; the table of errors in
docs/bad-inputs.md is this table's rendering (``python -m tests.integration.bad_inputs`` prints it; the sweep
checks docs/bad-inputs.md holds it). ``{tmp}`` in an argument is the case's own scratch directory, ``{root}``
the checkout.
"""

from __future__ import annotations

from dataclasses import dataclass

GATE_CASE = "--tags=@UPG-02 and @sqlite and not @current"  # one fresh install: the cheapest real selection


@dataclass(frozen=True)
class BadInput:
    """One wrong input: how to give it, and the line that must end the run (or the scenario) because of it."""

    id: str
    shown: str  # the input as docs/bad-inputs.md shows it
    args: tuple[str, ...]  # behave arguments after the features, or make's (command "make")
    line: str  # a regular expression the one line matches
    where: str = "start"  # "start": before any work; "scenario": the scenario is broken, the run ends red
    setup: str = ""  # scratch the case needs: "files", "tiny-tmpfs", "read-only-tmpfs"
    without: tuple[str, ...] = ()  # programs taken off PATH
    environment: tuple[tuple[str, str], ...] = ()
    command: str = "behave"
    features: str = "features/upgrade.feature"


def _d(setting: str) -> tuple[str, str]:
    return ("-D", setting)


BAD_INPUTS: tuple[BadInput, ...] = (
    BadInput("unknown-setting", "-D gaa=1.0.0", _d("gaa=1.0.0"), r"-D gaa=\.\.\. is not a setting of this suite"),
    BadInput(
        "unknown-alias",
        "-D rc2_resolved_at=2026-01-01",
        _d("rc2_resolved_at=2026-01-01"),
        r"unknown release alias 'rc2': use one of RC1, GA",
    ),
    BadInput(
        "unknown-version",
        "-D ga=9.9.9",
        _d("ga=9.9.9"),
        r"GA=9\.9\.9 is not a release of mcp-contextforge-gateway on PyPI",
    ),
    BadInput(
        "requires-python-unmet",
        "-D ga=<a wheel declaring Requires-Python >=3.99>",
        _d("ga={tmp}/mcp_contextforge_gateway-1.0.0+future-py3-none-any.whl"),
        r"GA=1\.0\.0\+future requires Python >=3\.99 and no interpreter satisfies it: tried",
        setup="files",
    ),
    BadInput(
        "wheel-missing",
        "-D ga=/nonexistent/….whl",
        _d("ga=/nonexistent/mcp_contextforge_gateway-1.0.0-py3-none-any.whl"),
        r"GA=/nonexistent/\S+\.whl: no such wheel file",
    ),
    BadInput(
        "not-the-gateways-wheel",
        "-D ga=junk.whl",
        _d("ga={tmp}/junk.whl"),
        r"is not a wheel of mcp-contextforge-gateway \(expected a file named",
        setup="files",
    ),
    BadInput(
        "wheel-not-a-zip",
        "-D ga=<a .whl that is not a zip>",
        _d("ga={tmp}/mcp_contextforge_gateway-1.0.0-py3-none-any.whl"),
        r"is not a wheel \(not a zip archive\)",
        setup="files",
    ),
    BadInput(
        "plain-file",
        "-D ga=notes.txt",
        _d("ga={tmp}/notes.txt"),
        r"is a file but not a wheel \(\*\.whl\)",
        setup="files",
    ),
    BadInput(
        "source-without-pyproject",
        "-D ga=<an empty directory>",
        _d("ga={tmp}/empty"),
        r"a source directory needs a pyproject\.toml",
        setup="files",
    ),
    BadInput(
        "source-of-another-project",
        "-D ga=<another project's checkout>",
        _d("ga={tmp}/other-project"),
        r"is not a source tree of mcp-contextforge-gateway \(its pyproject\.toml names 'something-else'\)",
        setup="files",
    ),
    BadInput("scale-negative", "-D scale=-1", _d("scale=-1"), r"-D scale=-1 is not a positive number of rows"),
    BadInput("scale-not-a-number", "-D scale=abc", _d("scale=abc"), r"-D scale=abc is not a positive number of rows"),
    BadInput("unknown-driver", "-D driver=k8s", _d("driver=k8s"), r"-D driver=k8s is not a driver: use one of process"),
    BadInput("bad-replicas", "-D replicas=0", _d("replicas=0"), r"-D replicas=0 is not a positive number of gateway"),
    BadInput(
        "bad-chart-scale",
        "-D chart_time_scale=2",
        _d("chart_time_scale=2"),
        r"-D chart_time_scale=2 is not a factor between 0 and 1 for the chart's probe timing",
    ),
    BadInput(
        "cluster-without-url", "-D kube_context=prod", _d("kube_context=prod"), r"-D kube_context needs -D kube_url="
    ),
    BadInput(
        "unknown-cluster",
        "-D cluster=kind",
        _d("cluster=kind"),
        r"-D cluster=kind is not a cluster the suite runs: -D cluster=node",
    ),
    BadInput(
        "two-clusters",
        "-D cluster=node -D kube_context=prod",
        (*_d("cluster=node"), *_d("kube_context=prod"), *_d("kube_url=http://gw"), *_d("kube_token=t")),
        r"-D cluster=node and -D kube_context name two clusters: give one",
    ),
    BadInput(
        "chart-without-chart-yaml",
        "-D cluster=node -D helm_chart=/nonexistent/mcp-stack",
        (*_d("cluster=node"), *_d("helm_chart=/nonexistent/mcp-stack")),
        r"-D helm_chart=/nonexistent/mcp-stack has no Chart.yaml: give a checkout's charts/mcp-stack",
    ),
    BadInput(
        "bad-pre-stop",
        "-D pre_stop_s=-1",
        _d("pre_stop_s=-1"),
        r"-D pre_stop_s=-1 is not a preStop sleep between 0 and 120 seconds",
    ),
    BadInput(
        "unreachable-postgres",
        "-D postgres_url=postgresql://nobody:x@127.0.0.1:1/postgres",
        _d("postgres_url=postgresql://nobody:x@127.0.0.1:1/postgres"),
        r"PostgreSQL at postgresql://nobody:\*\*\*@127\.0\.0\.1:1/postgres cannot be reached .*check -D postgres_url",
    ),
    BadInput(
        "someone-elses-database",
        "-D postgres_url=postgresql://…/precious",
        _d("postgres_url=postgresql://nobody:x@127.0.0.1:1/precious"),
        r"-D postgres_url names the database 'precious': the suite makes \(and drops\) a database of its own",
    ),
    BadInput(
        "tag-selects-nothing",
        "--tags=@UPG-99",
        ("--tags=@UPG-99",),
        r"no scenario matches this selection: known tags are @UPG-01",
    ),
    BadInput(
        "unwritable-reports",
        "-D reports_dir=<a read-only mount>",
        _d("reports_dir={tmp}/mount/reports"),
        r"reports directory \S+ is not writable \(Read-only file system\): set -D reports_dir=",
        setup="read-only-tmpfs",
    ),
    BadInput(
        "unwritable-cache",
        "-D cache_dir=/proc/no-cache-here",
        _d("cache_dir=/proc/no-cache-here"),
        r"cache directory /proc/no-cache-here is not writable",
    ),
    BadInput(
        "cache-disk-full",
        "-D cache_dir=<a 64 KiB tmpfs>",
        _d("cache_dir={tmp}/mount/cache"),
        r"cache directory \S+ has 0 MB free, less than the 256 MB a run may write there: free some space",
        setup="tiny-tmpfs",
    ),
    BadInput(
        "no-haproxy",
        "@rolling without haproxy (and no apt-get)",
        ("--tags=@rolling and not @kubernetes",),
        r"haproxy is not installed and the rolling upgrade needs it: run 'apt-get install haproxy' as root",
        without=("haproxy", "apt-get"),
        features="features/rolling.feature",
    ),
    BadInput(
        "no-docker-engine",
        "-D driver=docker without a Docker engine",
        _d("driver=docker"),
        r"no Docker engine answers at unix:///nonexistent/docker\.sock .*make docker-setup",
        environment=(("DOCKER_HOST", "unix:///nonexistent/docker.sock"),),
    ),
    BadInput(
        "no-helm",
        "-D kube_context=… without helm",
        (
            "--tags=@kubernetes",
            *_d("kube_context=lab"),
            *_d("kube_url=http://127.0.0.1:9"),
            *_d("kube_token=t"),
        ),
        r"helm is not installed and -D kube_context asks for the Helm rolling upgrade: install helm",
        without=("helm",),
        features="features/rolling.feature",
    ),
    BadInput(
        "matrix-engine-unknown",
        'make matrix ARGS="-D engine=docker"',
        ("matrix", "ARGS=-D engine=docker"),
        r"-D engine=docker is not where make matrix runs: -D engine=kubernetes runs its shards as an Indexed Job",
        command="make",
    ),
    BadInput(
        "matrix-context-without-image",
        'make matrix ARGS="-D engine=kubernetes -D kube_context=prod"',
        ("matrix", "ARGS=-D engine=kubernetes -D kube_context=prod"),
        r"-D kube_context=prod needs -D suite_image=<the suite's image in a registry the cluster pulls from>",
        command="make",
    ),
    BadInput(
        "no-npm",
        "make report without npm",
        ("report", "ALLURE={tmp}/no-allure/allure"),
        r"make report needs Node\.js and npm \(Debian: apt-get install nodejs npm\)",
        without=("npm",),
        command="make",
    ),
    BadInput(
        "no-chromium",
        "make report-tools without chromium, not as root",
        ("chromium",),
        r"the sign-off report is checked in Chromium: run 'apt-get install chromium' as root",
        without=("chromium", "chromium-browser", "apt-get"),
        command="make",
    ),
    BadInput(
        "probe-timeout",
        "-D migration_timeout=1 (a probe in the release's venv outlives it)",
        ("--tags=@UPG-03 and @sqlite and not @current", *_d("migration_timeout=1"), *_d("scale=10")),
        r"timed out after 1 s \(raise -D migration_timeout=\)",
        where="scenario",
    ),
)


def documented_table() -> str:
    """The table of errors in docs/bad-inputs.md: each input and the line the run ends with."""
    rows = ["| wrong input | ends | the one line (what it says, abridged) |", "|---|---|---|"]
    for case in BAD_INPUTS:
        ends = "the run, before any work" if case.where == "start" else "the scenario (broken), then the run, red"
        line = case.line.replace(r"\S+", "…").replace(".*", "…").replace("\\", "").replace("|", "\\|")
        rows.append(f"| `{case.shown}` | {ends} | {line} |")
    return "\n".join(rows)


if __name__ == "__main__":
    print(documented_table())
