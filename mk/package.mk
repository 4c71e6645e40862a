# Packaging the kit.  The conformance suite is a Python distribution
# (pyproject.toml at the top); the .deb is built by debhelper and pybuild
# from debian/, from that same metadata.
#
#   make wheel           $(B)/dist/: the suite's wheel and sdist, built offline
#   make wheel-check     the wheel in a fresh venv (pip) and with pipx, each tried
#   make install         programs, man pages, the wheel as pip would (PREFIX, DESTDIR)
#   make uninstall       remove what install put there (same PREFIX, DESTDIR)
#   make deb             $(B)/echo-kit_VERSION_ARCH.deb, dpkg-buildpackage -b
#   make deb-lint        make deb, then lintian: any error or warning fails
#   make installcheck    the installed kit (PREFIX) tried from a scratch folder
#
# wheel: python3 -m build --no-isolation.  wheel-check: Debian's pytest
# reaches each venv through --system-site-packages, nothing comes from the
# network; each copy's echo-conformance passes the reference and fails a
# one-at-a-time server, its plugin runs beside a test of its own.  install:
# the echo_conformance package, its .dist-info and the echo-conformance
# command.  deb: on a copy of the tree (git's files, committed or not), so
# that neither its clean nor its output touch this one.  installcheck:
# echo-conformance against the installed echo-server, and pytest -p
# echo_conformance beside a test of its own.
#
# wheel, install, deb and installcheck never call apt, so that a
# packager's offline build can run them; deb-lint and wheel-check, like
# every other goal, first install what is missing (ci/install-deps.sh).
# The Debian packages they need: python3-build, python3-setuptools,
# python3-wheel, python3-installer (install), python3-venv and pipx
# (wheel-check), debhelper, dh-python, pybuild-plugin-pyproject (deb),
# lintian (deb-lint).

PREFIX  ?= /usr/local
BINDIR  ?= $(PREFIX)/bin
MANDIR  ?= $(PREFIX)/share/man
DESTDIR ?=
# Where the suite's package goes: Debian's python3 reads /usr/lib/python3/
# dist-packages for /usr, and /usr/local/lib/python3.N/dist-packages for
# /usr/local; under another prefix, PYTHONPATH must name PYTHONDIR.
PYTHONDIR ?= $(if $(filter /usr,$(PREFIX)),/usr/lib/python3/dist-packages,$(PREFIX)/lib/python3.$(PY_MINOR)/dist-packages)
PY_MINOR   = $(shell $(PYTHON) -c 'import sys; print(sys.version_info.minor)')
MAN_PAGES  = man/echo-server.1 man/echo-client.1 man/echo-conformance.1

# The kit's one version (setup.py reads it from src/opt.h too).
VERSION  := $(shell sed -n 's/^\#define ECHO_KIT_VERSION "\(.*\)"$$/\1/p' src/opt.h)
DEB_ARCH := $(shell dpkg --print-architecture 2>/dev/null)
DEB       = $(B)/echo-kit_$(VERSION)_$(DEB_ARCH).deb
# A package is built by the system's own tools (pybuild runs python3.N
# from PATH), whatever other Python comes first on the user's PATH.
DEB_PATH  = /usr/sbin:/usr/bin:/sbin:/bin
WHEEL     = $(B)/dist/echo_conformance-$(VERSION)-py3-none-any.whl
SDIST     = $(B)/dist/echo-conformance-$(VERSION).tar.gz

.PHONY: wheel wheel-check install uninstall deb deb-lint installcheck
# The sdist first, then the wheel from it: what the sdist lacks, the wheel
# build finds missing.
wheel:
	rm -rf $(B)/dist
	$(PYTHON) -m build --no-isolation --outdir $(B)/dist .

# Each installed copy is checked by installcheck, against this tree's
# programs: its command and plugin, run by its own interpreter.  pipx's
# log is shown only on failure: offline, it always reports that it could
# not upgrade pip in its shared environment, and goes on.
CHECK_INSTALLED = $(MAKE) --no-print-directory installcheck PYTHONDIR= \
    SERVER_BIN='$(abspath $(B))/echo-server' BROKEN_BIN='$(abspath $(B))/mutants/one-at-a-time'
wheel-check: wheel $(PROGS) $(B)/mutants/one-at-a-time
	@tmp=$$(mktemp -d) && trap 'rm -rf "$$tmp"' EXIT && unset PYTHONPATH && \
	echo "wheel-check: pip install into a fresh venv" && \
	$(PYTHON) -m venv --system-site-packages "$$tmp/venv" && \
	"$$tmp/venv/bin/python" -m pip install -q --no-index $(WHEEL) && \
	$(CHECK_INSTALLED) BINDIR="$$tmp/venv/bin" PYTHON="$$tmp/venv/bin/python" && \
	echo "wheel-check: pipx install" && \
	{ PIPX_HOME="$$tmp/pipx" PIPX_BIN_DIR="$$tmp/pipx-bin" PIP_NO_INDEX=1 \
	    pipx install --system-site-packages $(WHEEL) >"$$tmp/pipx.log" 2>&1 || \
	    { cat "$$tmp/pipx.log"; exit 1; }; } && \
	$(CHECK_INSTALLED) BINDIR="$$tmp/pipx-bin" \
	    PYTHON="$$tmp/pipx/venvs/echo-conformance/bin/python"

install: $(PROGS) wheel
	install -d -m 755 $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(PYTHONDIR)
	install -m 755 $(PROGS) $(DESTDIR)$(BINDIR)/
	install -m 644 $(MAN_PAGES) $(DESTDIR)$(MANDIR)/man1/
	rm -rf $(DESTDIR)$(PYTHONDIR)/echo_conformance $(DESTDIR)$(PYTHONDIR)/echo_conformance-*.dist-info
	$(PYTHON) packaging/install_wheel.py $(WHEEL) $(PYTHONDIR) $(BINDIR) $(DESTDIR)

uninstall:
	rm -f $(DESTDIR)$(BINDIR)/echo-server $(DESTDIR)$(BINDIR)/echo-client \
	      $(DESTDIR)$(BINDIR)/echo-conformance \
	      $(addprefix $(DESTDIR)$(MANDIR)/man1/,$(notdir $(MAN_PAGES)))
	rm -rf $(DESTDIR)$(PYTHONDIR)/echo_conformance $(DESTDIR)$(PYTHONDIR)/echo_conformance-*.dist-info

deb:
	rm -rf $(B)/deb $(DEB)
	mkdir -p $(B)/deb/echo-kit
	git ls-files -z --cached --others --exclude-standard | \
	    tar --null -T - --ignore-failed-read -cf - | tar -xf - -C $(B)/deb/echo-kit
	cd $(B)/deb/echo-kit && env -u PYTHONPATH PATH=$(DEB_PATH) dpkg-buildpackage -b --no-sign
	mv $(B)/deb/$(notdir $(DEB)) $(DEB)

deb-lint: deb
	lintian --fail-on error,warning $(DEB)

# Only what is installed, from a folder that is not this tree, so that
# nothing here (pytest.ini, conftest.py, build/) can stand in for it.  The
# command passes SERVER_BIN (the installed echo-server) and fails
# BROKEN_BIN when one is named (a server that serves one client at a time);
# the plugin runs beside a test of the folder's own.
SERVER_BIN ?= $(BINDIR)/echo-server
BROKEN_BIN ?=
installcheck:
	@dir=$$(mktemp -d) && cd "$$dir" && export PYTHONPATH='$(PYTHONDIR)' && \
	$(BINDIR)/echo-conformance --server '$(SERVER_BIN) {port}' $(INSTALLCHECK_ARGS) && \
	if [ -n '$(BROKEN_BIN)' ]; then \
	    $(BINDIR)/echo-conformance --server '$(BROKEN_BIN) {port}' --only S-CONC-1 \
	        $(INSTALLCHECK_ARGS) >broken.log; \
	    s=$$?; [ $$s -eq 1 ] || { cat broken.log; echo "installcheck: $(BROKEN_BIN) not failed (exit $$s)"; exit 1; }; \
	    echo "installcheck: $(BROKEN_BIN) fails S-CONC-1, as it should"; fi && \
	printf 'def test_own():\n    pass\n' >test_own.py && \
	$(PYTHON) -m pytest -p echo_conformance -p no:cacheprovider \
	    --server-cmd '$(SERVER_BIN) {port}' --only-clauses S-ECHO-1,S-REAP-2 $(INSTALLCHECK_ARGS); \
	status=$$?; rm -rf "$$dir"; exit $$status
