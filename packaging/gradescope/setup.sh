#!/bin/sh
# Gradescope runs this once, as root, to build the autograder's image
# (Ubuntu): what the suite and a C submission need.
set -eu
apt-get update -q
DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
	make gcc libc6-dev python3 python3-pytest util-linux procps coreutils
