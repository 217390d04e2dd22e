#!/bin/sh
# A Docker engine for the docker driver: `up` installs debootstrap and docker.io (apt) when missing and
# starts dockerd when no engine answers; `down` stops only a dockerd that `up` started (its pid is recorded in $STATE).
# Debian's package does not start the service here (no init), so dockerd is launched by hand.
set -eu
STATE=${DOCKER_ENGINE_STATE:-/run/gateway-upgrade-suite-dockerd}
SOCKET=/var/run/docker.sock

answers() { docker version --format '{{.Server.Version}}' >/dev/null 2>&1; }

up() {
    need=""  # debootstrap makes the images' Debian base; docker.io only when no engine answers
    command -v debootstrap >/dev/null || need="debootstrap"
    answers || command -v dockerd >/dev/null || need="$need docker.io"
    if [ -n "$need" ]; then
        [ "$(id -u)" = 0 ] || { echo "docker-setup: run as root (installs with apt:$need)" >&2; exit 1; }
        apt-get -o DPkg::Lock::Timeout=600 update -qq
        DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -qq $need >/dev/null
    fi
    if answers; then echo "docker-setup: an engine already answers on $SOCKET (left as it is)"; return; fi
    [ "$(id -u)" = 0 ] || { echo "docker-setup: run as root (starts dockerd)" >&2; exit 1; }
    mkdir -p "$STATE"
    setsid dockerd --host "unix://$SOCKET" --pidfile "$STATE/dockerd.pid" >"$STATE/dockerd.log" 2>&1 </dev/null &
    echo $! >"$STATE/started-by-suite"
    i=0
    until answers; do
        i=$((i + 1))
        if [ $i -gt 60 ]; then echo "docker-setup: dockerd did not answer within 30 s; see $STATE/dockerd.log" >&2; exit 1; fi
        sleep 0.5
    done
    echo "docker-setup: dockerd $(docker version --format '{{.Server.Version}}') started (pid $(cat "$STATE/started-by-suite")); stop it with: make docker-teardown"
}

down() {
    if [ ! -f "$STATE/started-by-suite" ]; then echo "docker-teardown: no dockerd started by docker-setup; nothing stopped"; return; fi
    pid=$(cat "$STATE/started-by-suite")
    if kill -0 "$pid" 2>/dev/null; then
        kill -TERM "$pid"
        i=0
        while kill -0 "$pid" 2>/dev/null; do
            i=$((i + 1)); [ $i -gt 60 ] && { kill -KILL "$pid" 2>/dev/null || true; break; }
            sleep 0.5
        done
    fi
    rm -f "$STATE/started-by-suite"
    echo "docker-teardown: dockerd (pid $pid) stopped"
}

case "${1:-}" in
    up) up ;;
    down) down ;;
    *) echo "usage: $0 up|down" >&2; exit 2 ;;
esac
