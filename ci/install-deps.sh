#!/bin/sh
# Installs the Debian packages that the tests, checks, demo and benchmarks
# need, when any of them is missing.  Needs apt (Debian or Ubuntu); uses sudo
# only when not already root.  Prints nothing when all is there.
set -eu

pkgs="
make gcc clang pkg-config libcmocka-dev libclang-rt-dev valgrind
python3 python3-pytest python3-pytest-xdist
cppcheck clang-tidy shellcheck mandoc pyflakes3 lintian
socat ncat ucspi-tcp busybox netcat-openbsd
gnuplot-nox procps util-linux iproute2
"
# The grader's sandbox and the check of its page need more, and a browser is
# heavy: only the goals that use them (make passes its goals) ask for them.
for goal in "$@"; do
	case $goal in
	grading* | gradescope) pkgs="$pkgs bubblewrap chromium" ;;
	# The Python distribution and the .deb built from it (mk/package.mk).
	deb* | wheel* | install) pkgs="$pkgs python3-build python3-setuptools python3-wheel
		python3-installer python3-venv pipx debhelper dh-python pybuild-plugin-pyproject" ;;
	esac
done
# npm installs the workflow validator for make lint.  Debian's npm package
# conflicts with a nodejs from elsewhere, so it is asked for only when no npm
# is on PATH.
command -v npm >/dev/null 2>&1 || pkgs="$pkgs npm"

# One dpkg-query for all: make runs this script before most goals, so the
# check that finds nothing missing must be quick.
# shellcheck disable=SC2086 # one word per package, on purpose
installed=" $(dpkg-query -W -f='${db:Status-Abbrev} ${Package}\n' $pkgs 2>/dev/null |
	sed -n 's/^ii  *//p' | tr '\n' ' ') "
missing=""
for p in $pkgs; do
	case "$installed" in
	*" $p "*) ;;
	*) missing="$missing $p" ;;
	esac
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
