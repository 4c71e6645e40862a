#!/bin/sh
# Installs the Debian packages that the tests, checks, demo and benchmarks
# need, when any of them is missing.  Needs apt (Debian or Ubuntu); uses sudo
# only when not already root.  Prints nothing when all is there.
set -eu

pkgs="
make gcc clang pkg-config libcmocka-dev libclang-rt-dev valgrind
python3 python3-pytest python3-pytest-xdist
cppcheck clang-tidy shellcheck mandoc
socat ncat ucspi-tcp busybox netcat-openbsd
gnuplot-nox procps util-linux iproute2
"
# npm installs the workflow validator for make lint.  Debian's npm package
# conflicts with a nodejs from elsewhere, so it is asked for only when no npm
# is on PATH.
command -v npm >/dev/null 2>&1 || pkgs="$pkgs npm"

missing=""
for p in $pkgs; do
	dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q '^install ok installed$' ||
		missing="$missing $p"
done
[ -z "$missing" ] && exit 0

if ! command -v apt-get >/dev/null 2>&1; then
	echo "install-deps: no apt-get here; install these yourself:$missing" >&2
	exit 1
fi
sudo=""
if [ "$(id -u)" -ne 0 ]; then
	sudo=sudo
fi
echo "install-deps: installing$missing"
$sudo apt-get update -q
# shellcheck disable=SC2086 # one word per package, on purpose
$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $missing
