#!/bin/sh
# Installs every Debian package tracebench needs. Idempotent, and quick when
# everything is present: it asks dpkg first and calls apt-get only for what
# is missing.
set -eu

PACKAGES="
build-essential cmake pkg-config
libmicrohttpd-dev libcurl4-openssl-dev libcjson-dev
libprotobuf-c-dev protobuf-c-compiler libmsgpack-dev zlib1g-dev
libcriterion-dev
python3 python3-dev python3-py-zipkin
libdd-opentracing-dev libopentracing-dev libopentracing-c-wrapper-dev
nodejs
gnuplot-nox
valgrind
"
# `sh ci/install-deps.sh fuzz`: also what make fuzz needs (clang with
# libFuzzer and the sanitizer runtimes). Not needed by make check.
if [ "${1:-}" = "fuzz" ]; then
    PACKAGES="$PACKAGES clang libclang-rt-14-dev"
fi

missing=""
for p in $PACKAGES; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed"; then
        missing="$missing $p"
    fi
done

# Debian's nodejs comes without npm; a NodeSource nodejs brings its own.
if ! command -v npm >/dev/null 2>&1; then
    missing="$missing npm"
fi

if [ -z "$missing" ]; then
    echo "install-deps: all Debian packages present"
    exit 0
fi

echo "install-deps: missing:$missing"
if [ "$(id -u)" -ne 0 ]; then
    SUDO=""
    command -v sudo >/dev/null 2>&1 && SUDO="sudo"
    if [ -z "$SUDO" ]; then
        echo "install-deps: not root and no sudo; as root run: apt-get install -y$missing" >&2
        exit 1
    fi
else
    SUDO=""
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -q
# shellcheck disable=SC2086
$SUDO apt-get install -y -q --no-install-recommends $missing
