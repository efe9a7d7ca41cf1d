# Quarry: build, install, test.
#
#   make                      swift build -c release
#   make install              binaries, systemd units, config, man pages (PREFIX=/usr/local, DESTDIR=)
#   make uninstall            removes what install put, except /etc/quarry/quarry.toml (kept, always)
#   make test                 ./scripts/test.sh (install deps, swift build, swift test), as CI runs it
#
# Where things go (a Debian admin's expectations for software installed outside the package
# manager):
#   $(PREFIX)/bin                      quarry, quarryd, quarry-index
#   $(PREFIX)/lib/systemd/system       units. /usr/local/lib/systemd/system is on systemd's unit
#                                      path ("units installed by the administrator"), leaving
#                                      /lib/systemd/system to Debian packages and
#                                      /etc/systemd/system to local overrides (systemctl edit).
#                                      Set UNITDIR for a PREFIX systemd does not search.
#   $(PREFIX)/share/doc/quarry         quarry-index.cron (copy it to /etc/cron.d to use cron)
#   $(PREFIX)/share/man/man1, man8     quarry.1; quarryd.8, quarry-index.8
#   /etc/quarry/quarry.toml            the config, only if none exists (never overwritten)
# The units' /usr/local/bin paths are rewritten to $(PREFIX)/bin. No user is created: install
# prints the useradd line to run.

PREFIX   ?= /usr/local
DESTDIR  ?=
BINDIR   ?= $(PREFIX)/bin
UNITDIR  ?= $(PREFIX)/lib/systemd/system
MANDIR   ?= $(PREFIX)/share/man
DOCDIR   ?= $(PREFIX)/share/doc/quarry
SYSCONFDIR ?= /etc
SWIFT    ?= swift
INSTALL  ?= install

PROGRAMS = quarry quarryd quarry-index
UNITS    = quarryd.service quarryd.socket quarry-index.service quarry-index.timer
RELEASE  ?= .build/release

.PHONY: all build install uninstall test clean

all: build

build:
	$(SWIFT) build -c release

# install builds first (a no-op when the release build is up to date), so it never installs
# stale binaries: run `make` as yourself, then `sudo make install`.
install: build
	$(INSTALL) -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(UNITDIR) $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(MANDIR)/man8 \
		$(DESTDIR)$(DOCDIR) $(DESTDIR)$(SYSCONFDIR)/quarry
	for p in $(PROGRAMS); do $(INSTALL) -m 0755 $(RELEASE)/$$p $(DESTDIR)$(BINDIR)/$$p; done
	for u in $(UNITS); do \
		sed -e 's#/usr/local/bin/#$(BINDIR)/#g' -e 's#/etc/quarry/#$(SYSCONFDIR)/quarry/#g' systemd/$$u \
			> $(DESTDIR)$(UNITDIR)/$$u.tmp && chmod 0644 $(DESTDIR)$(UNITDIR)/$$u.tmp && \
			mv $(DESTDIR)$(UNITDIR)/$$u.tmp $(DESTDIR)$(UNITDIR)/$$u || exit 1; \
	done
	sed -e 's#/usr/local/bin/#$(BINDIR)/#g' -e 's#/etc/quarry/#$(SYSCONFDIR)/quarry/#g' systemd/quarry-index.cron \
		> $(DESTDIR)$(DOCDIR)/quarry-index.cron
	chmod 0644 $(DESTDIR)$(DOCDIR)/quarry-index.cron
	$(INSTALL) -m 0644 man/quarry.1 $(DESTDIR)$(MANDIR)/man1/quarry.1
	$(INSTALL) -m 0644 man/quarryd.8 man/quarry-index.8 $(DESTDIR)$(MANDIR)/man8/
	@if [ -e $(DESTDIR)$(SYSCONFDIR)/quarry/quarry.toml ]; then \
		echo "kept $(DESTDIR)$(SYSCONFDIR)/quarry/quarry.toml (exists; the shipped one is Config/quarry.toml)"; \
	else \
		$(INSTALL) -m 0644 Config/quarry.toml $(DESTDIR)$(SYSCONFDIR)/quarry/quarry.toml && \
		echo "installed $(DESTDIR)$(SYSCONFDIR)/quarry/quarry.toml"; \
	fi
	@echo
	@echo "Next steps (as root; install creates no users):"
	@getent passwd quarry >/dev/null 2>&1 || \
		echo "  useradd --system --no-create-home --shell /usr/sbin/nologin quarry"
	@echo "  systemctl daemon-reload"
	@echo "  systemctl enable --now quarryd.socket quarryd.service quarry-index.timer"
	@echo "  install -d -o quarry -g quarry /var/lib/quarry/input   # put sources here"
	@echo "  systemctl start quarry-index.service                    # first build"

uninstall:
	for p in $(PROGRAMS); do rm -f $(DESTDIR)$(BINDIR)/$$p; done
	for u in $(UNITS); do rm -f $(DESTDIR)$(UNITDIR)/$$u; done
	rm -f $(DESTDIR)$(DOCDIR)/quarry-index.cron
	-rmdir $(DESTDIR)$(DOCDIR) 2>/dev/null
	rm -f $(DESTDIR)$(MANDIR)/man1/quarry.1 $(DESTDIR)$(MANDIR)/man8/quarryd.8 $(DESTDIR)$(MANDIR)/man8/quarry-index.8
	@echo "kept $(DESTDIR)$(SYSCONFDIR)/quarry/quarry.toml, /var/lib/quarry (the index) and the quarry user;"
	@echo "remove them by hand if you no longer want them (systemctl daemon-reload after uninstall)."

test:
	./scripts/test.sh

clean:
	rm -rf .build
