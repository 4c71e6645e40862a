# Installing the kit.
#
#   make install          programs, suite, command, man pages (PREFIX, DESTDIR)
#                         (the suite: the echo_conformance package, its
#                         .dist-info for pytest's entry point, the
#                         echo-conformance command)
#   make uninstall        remove what install put there (same PREFIX, DESTDIR)
#   make deb              $(B)/echo-kit_VERSION_ARCH.deb, with dpkg-deb alone
#                         (no network, no root, no dpkg-dev)
#   make deb-lint         make deb, then lintian: any error or warning fails
#   make installcheck     the installed kit (PREFIX) tried from a scratch folder
#                         (echo-conformance against the installed
#                         echo-server, and pytest -p echo_conformance beside
#                         a test of its own)
#
# Both need only make, a C compiler, python3 (the .dist-info's RECORD) and
# (deb) dpkg-deb and binutils; neither calls apt, so that a packager's
# offline build can run them.

PREFIX  ?= /usr/local
BINDIR  ?= $(PREFIX)/bin
MANDIR  ?= $(PREFIX)/share/man
DESTDIR ?=
# Where the suite's package goes: Debian's python3 reads /usr/lib/python3/
# dist-packages for /usr, and /usr/local/lib/python3.N/dist-packages for
# /usr/local; under another prefix, PYTHONPATH must name PYTHONDIR.
PYTHONDIR ?= $(if $(filter /usr,$(PREFIX)),/usr/lib/python3/dist-packages,$(PREFIX)/lib/python3.$(PY_MINOR)/dist-packages)
PY_MINOR   = $(shell python3 -c 'import sys; print(sys.version_info.minor)')
SUITE_PKG  = tests/integration/echo_conformance
MAN_PAGES  = man/echo-server.1 man/echo-client.1 man/echo-conformance.1

VERSION  := $(shell sed -n 's/^\#define ECHO_KIT_VERSION "\(.*\)"$$/\1/p' src/opt.h)
DEB_ARCH := $(shell dpkg --print-architecture 2>/dev/null)
DEB       = $(B)/echo-kit_$(VERSION)_$(DEB_ARCH).deb
DEB_ROOT  = $(B)/deb/root
DEB_DOC   = $(DEB_ROOT)/usr/share/doc/echo-kit
# What dpkg-buildflags gives on bookworm, written out so that dpkg-dev is
# not needed: the hardening lintian looks for in a packaged program.  The
# prefix map keeps the build folder's path out of the debugging data.
DEB_CPPFLAGS = -Wdate-time -D_FORTIFY_SOURCE=2
DEB_CFLAGS   = -g -O2 -ffile-prefix-map=$(CURDIR)=. -fstack-protector-strong \
               -Wformat -Werror=format-security
# The changelog's date is the last commit's, so that two builds of one
# commit give the same package.
SOURCE_DATE_EPOCH ?= $(shell git log -1 --format=%ct 2>/dev/null || date +%s)

.PHONY: install uninstall deb deb-lint installcheck
# The package's files are its modules, the test modules and SPEC.md, as
# they are in the tree (the top-level SPEC.md is a link to its copy there).
install: $(PROGS)
	install -d -m 755 $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(PYTHONDIR)
	install -m 755 $(PROGS) packaging/echo-conformance $(DESTDIR)$(BINDIR)/
	install -m 644 $(MAN_PAGES) $(DESTDIR)$(MANDIR)/man1/
	rm -rf $(DESTDIR)$(PYTHONDIR)/echo_conformance $(DESTDIR)$(PYTHONDIR)/echo_conformance-*.dist-info
	cd $(SUITE_PKG)/.. && find echo_conformance -name __pycache__ -prune -o \
	    \( -name '*.py' -o -name SPEC.md \) -print | while read -r f; do \
	    install -D -m 644 "$$f" "$(abspath $(DESTDIR)$(PYTHONDIR))/$$f" || exit 1; done
	python3 packaging/dist_info.py $(DESTDIR)$(PYTHONDIR) $(VERSION)

uninstall:
	rm -f $(DESTDIR)$(BINDIR)/echo-server $(DESTDIR)$(BINDIR)/echo-client \
	      $(DESTDIR)$(BINDIR)/echo-conformance \
	      $(addprefix $(DESTDIR)$(MANDIR)/man1/,$(notdir $(MAN_PAGES)))
	rm -rf $(DESTDIR)$(PYTHONDIR)/echo_conformance $(DESTDIR)$(PYTHONDIR)/echo_conformance-*.dist-info

# A build folder of its own, with Debian's flags; then Debian's layout:
# stripped programs, compressed man pages, copyright and changelog, md5sums,
# and a libc dependency on the newest symbol version the programs use.
deb:
	rm -rf $(B)/deb $(DEB)
	$(MAKE) --no-print-directory B=$(B)/deb/build PREFIX=/usr DESTDIR=$(abspath $(DEB_ROOT)) \
	    CPPFLAGS='$(DEB_CPPFLAGS)' CFLAGS='$(DEB_CFLAGS)' install
	strip --strip-unneeded --remove-section=.comment --remove-section=.note \
	    $(DEB_ROOT)/usr/bin/echo-server $(DEB_ROOT)/usr/bin/echo-client
	gzip -9n $(DEB_ROOT)/usr/share/man/man1/*.1
	install -d -m 755 $(DEB_DOC) $(DEB_ROOT)/DEBIAN
	install -m 644 packaging/copyright $(DEB_DOC)/
	sed -e 's/@VERSION@/$(VERSION)/' \
	    -e "s/@DATE@/$$(date -R -u -d @$(SOURCE_DATE_EPOCH))/" packaging/changelog.in | \
	    gzip -9n >$(DEB_DOC)/changelog.gz
	chmod 644 $(DEB_DOC)/changelog.gz
	cd $(DEB_ROOT) && find usr -type f | LC_ALL=C sort | xargs md5sum >DEBIAN/md5sums
	glibc=$$(objdump -T $(DEB_ROOT)/usr/bin/echo-server $(DEB_ROOT)/usr/bin/echo-client | \
	    sed -n 's/.*GLIBC_\([0-9.]*\).*/\1/p' | sort -V | tail -n 1) && \
	size=$$(du -sk --exclude=DEBIAN $(DEB_ROOT) | cut -f1) && \
	sed -e 's/@VERSION@/$(VERSION)/' -e 's/@ARCH@/$(DEB_ARCH)/' \
	    -e "s/@GLIBC@/$$glibc/" -e "s/@SIZE@/$$size/" packaging/control.in \
	    >$(DEB_ROOT)/DEBIAN/control
	chmod 644 $(DEB_ROOT)/DEBIAN/control $(DEB_ROOT)/DEBIAN/md5sums
	dpkg-deb --root-owner-group --build $(DEB_ROOT) $(DEB)

deb-lint: deb
	lintian --fail-on error,warning $(DEB)

# Only what is installed, from a folder that is not this tree, so that
# nothing here (pytest.ini, conftest.py, build/) can stand in for it.
installcheck:
	@dir=$$(mktemp -d) && cd "$$dir" && export PYTHONPATH='$(PYTHONDIR)' && \
	$(BINDIR)/echo-conformance --server '$(BINDIR)/echo-server {port}' && \
	printf 'def test_own():\n    pass\n' >test_own.py && \
	$(PYTHON) -m pytest -p echo_conformance -p no:cacheprovider \
	    --server-cmd '$(BINDIR)/echo-server {port}' --only-clauses S-ECHO-1,S-REAP-2; \
	status=$$?; rm -rf "$$dir"; exit $$status
