#!/usr/bin/env bash
# scripts/deps.sh: installs what tidemark needs on Debian 12, from Debian's
# packages only. Works as root or through sudo.
#
#   bash scripts/deps.sh build   compiler and the compression libraries
#   bash scripts/deps.sh test    the above, plus the real clients and tools
#                                the tests drive (librdkafka, kcat, Python
#                                clients, Burrow, node for kafkajs, clang's
#                                sanitizer runtime)
set -euo pipefail

what=${1:-build}
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
	SUDO="sudo"
fi
export DEBIAN_FRONTEND=noninteractive

BUILD=(build-essential make zlib1g-dev libsnappy-dev liblz4-dev libzstd-dev)
TEST=(
	clang libclang-rt-14-dev
	librdkafka-dev kcat burrow
	python3 python3-pytest python3-confluent-kafka python3-kafka
	python3-snappy python3-lz4 python3-zstandard
)

case "$what" in
build) pkgs=("${BUILD[@]}") ;;
test)
	pkgs=("${BUILD[@]}" "${TEST[@]}")
	# kafkajs tests need node and npm; a machine may already have a nodejs
	# package that bundles npm, which Debian's separate npm would conflict with
	if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
		pkgs+=(nodejs npm)
	fi
	;;
*)
	echo "usage: $0 build|test" >&2
	exit 2
	;;
esac

$SUDO apt-get update -q </dev/null
$SUDO apt-get install -y -q --no-install-recommends "${pkgs[@]}" </dev/null
