#!/bin/sh
# What the suite's own Kubernetes node needs from the host's package manager (the binaries themselves are built from
# Go modules by upgrade_suite/cluster/build.py): containerd and runc (the node's runtime, run as a private instance),
# iptables (kube-proxy and the CNI plugins), gcc (the pause image is a static C program), busybox-static (the
# extended test's web image) and socat (the TCP front through which the upstream chart's pods reach PostgreSQL).
# Installs with apt only what is missing; a present package is left as it is.
set -eu
need=""
for pair in containerd:containerd runc:runc iptables:iptables gcc:gcc busybox:busybox-static socat:socat; do
    command -v "${pair%%:*}" >/dev/null 2>&1 || need="$need ${pair#*:}"
done
# busybox from the non-static package cannot go into an image: the static one is the one the test writes in
[ -x /bin/busybox ] && ! ldd /bin/busybox >/dev/null 2>&1 || case "$need" in *busybox-static*) ;; *) need="$need busybox-static" ;; esac
if [ -z "$need" ]; then echo "cluster-host: containerd, runc, iptables, gcc, a static busybox and socat are present"; exit 0; fi
[ "$(id -u)" = 0 ] || { echo "cluster-host: run as root (installs with apt:$need)" >&2; exit 1; }
apt-get -o DPkg::Lock::Timeout=600 update -qq
DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends $need >/dev/null
echo "cluster-host: installed$need"
