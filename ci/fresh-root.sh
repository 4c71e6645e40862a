#!/bin/sh
# Rehearses a command as a new user would run it: on a brand-new Debian
# root of the release named (debootstrap's minbase plus make and git,
# nothing else), in a fresh clone of this repository's main branch, as root
# in a chroot.
#
#   ci/fresh-root.sh [-k] [-c FILE]... RELEASE 'COMMAND'
#     RELEASE   the Debian release, by its code name: bookworm (Debian 12),
#               trixie (Debian 13)
#     -k        keep the root afterwards (its path is printed) instead of
#               removing it
#     -c FILE   copy FILE into the root's /tmp first (a .deb, a mutant)
#
# The first run for a release builds its pristine root once and keeps it as
# a tarball ($FRESH_ROOT_CACHE, one per release); every run unpacks a copy
# of it, so each starts from the same untouched system.  Needs root and the network (apt inside the
# root).  Slow on purpose, so nothing runs it by default; see ci/README.md.
set -eu

usage="usage: $0 [-k] [-c FILE]... RELEASE 'COMMAND' (RELEASE: bookworm, trixie, ...)"
mirror=${FRESH_ROOT_MIRROR:-http://deb.debian.org/debian}
keep=""
copies=""
while getopts kc: opt; do
	case $opt in
	k) keep=1 ;;
	c) copies="$copies $(realpath "$OPTARG")" ;;
	*) echo "$usage" >&2; exit 2 ;;
	esac
done
shift $((OPTIND - 1))
if [ $# -ne 2 ]; then
	echo "$usage" >&2
	exit 2
fi
release=$1
command=$2
# A code name is one lower-case word; debootstrap judges whether it knows it.
case $release in
'' | *[!a-z]*)
	echo "fresh-root: '$release' is not a Debian release's code name; $usage" >&2
	exit 2
	;;
esac
cache=${FRESH_ROOT_CACHE:-/var/tmp/echo-kit-fresh-root-$release.tar}
if [ "$(id -u)" -ne 0 ]; then
	echo "fresh-root: needs root (debootstrap, mount, chroot)" >&2
	exit 1
fi
repo=$(git -C "$(dirname "$0")" rev-parse --show-toplevel)

if [ ! -s "$cache" ]; then
	command -v debootstrap >/dev/null 2>&1 ||
		DEBIAN_FRONTEND=noninteractive apt-get install -y -q debootstrap
	build=$(mktemp -d /var/tmp/echo-kit-debootstrap.XXXXXX)
	echo "fresh-root: building the pristine $release root once, into $cache"
	if ! debootstrap --variant=minbase --include=make,git "$release" "$build" "$mirror" \
		>"$build.log" 2>&1; then
		tail -20 "$build.log" >&2
		rm -rf "$build"
		echo "fresh-root: debootstrap failed; its log: $build.log" >&2
		exit 1
	fi
	rm -f "$build.log"
	# A partial tarball must never pass for the cache: write aside, then
	# rename.
	tar -C "$build" -cf "$cache.tmp" . && mv "$cache.tmp" "$cache"
	rm -rf "$build"
fi

root=$(mktemp -d /var/tmp/echo-kit-root.XXXXXX)
mounted=""
# shellcheck disable=SC2317 # reached through the EXIT trap
cleanup() {
	status=$?
	# Innermost first; -l so that a process the command left behind
	# cannot keep a mount, and with it the host's /dev, pinned in the root.
	for m in $mounted; do
		umount -R -l "$m" || status=1
	done
	if [ -n "$keep" ]; then
		echo "fresh-root: kept $root"
	elif [ -z "$mounted" ] || ! grep -q " $root/" /proc/mounts; then
		rm -rf "$root"
	else
		echo "fresh-root: $root still has mounts; not removed" >&2
		status=1
	fi
	exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP

tar -C "$root" -xf "$cache"
# It becomes /: mktemp's 0700, which the tarball's "." keeps from the
# folder debootstrap filled, would keep every user but root (the reference
# tests run the server as a uid of their own) from reaching even libc.
chmod 755 "$root"
cp /etc/resolv.conf "$root/etc/resolv.conf"
git clone -q --branch main "$repo" "$root/root/echo-kit"
for f in $copies; do
	cp "$f" "$root/tmp/"
done

# Each mount is recorded before the next is made, so the trap undoes
# exactly what was done.  rslave keeps an unmount here from reaching the
# host's own /dev and /sys.
# The root is made a mount point of its own first, as / is on a real
# machine: a program that makes a mount namespace (`unshare -m`, as the
# suite's C-HOST-1 does for a private /etc/hosts) must be able to make /
# private there, which fails on a folder that is no mount point.
mount --bind "$root" "$root"
mounted="$root"
mount --make-private "$root"
mount -t proc proc "$root/proc"
mounted="$root/proc $mounted"
mount --rbind /sys "$root/sys"
mount --make-rslave "$root/sys"
mounted="$root/sys $mounted"
mount --rbind /dev "$root/dev"
mount --make-rslave "$root/dev"
mounted="$root/dev $mounted"

echo "fresh-root: running in $root ($release): $command"
start=$(date +%s)
rc=0
chroot "$root" /usr/bin/env -i HOME=/root TERM="${TERM:-dumb}" \
	PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
	/bin/sh -c "cd /root/echo-kit && $command" || rc=$?
echo "fresh-root: exit status $rc after $(($(date +%s) - start)) s"
exit $rc
