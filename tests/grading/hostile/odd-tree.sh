#!/bin/sh
# odd-tree.sh KIND DIR - a hostile submission made of its folder's shape
# rather than of code, which git cannot hold: DIR gets a Makefile and
#   fifo   a FIFO, which a copy that opens it waits on forever
#   deep   folders 1,200 levels deep, past Python's recursion limit
# Either must fail that submission alone, in seconds, with the reason.
set -eu
kind=$1
dir=$2
mkdir -p "$dir"
printf 'all:\n\ttrue\n' >"$dir/Makefile"
case $kind in
fifo) mkfifo "$dir/pipe" ;;
deep)
	cd "$dir"
	i=0
	while [ "$i" -lt 1200 ]; do
		mkdir d
		cd d
		i=$((i + 1))
	done
	;;
*)
	echo "odd-tree.sh: unknown kind $kind (fifo or deep)" >&2
	exit 2
	;;
esac
