# Debian packages (included from the top-level Makefile.am).
#   make deb   -> deb/*.deb (+ .changes, .buildinfo) in the build directory
# See docs/packaging.md. DEB_BUILD_OPTIONS=nocheck skips the test suite.
deb: dist
	bash '$(srcdir)/packaging/build-deb.sh' '$(DIST_ARCHIVES)' '$(abs_builddir)/deb'
.PHONY: deb

clean-local: clean-deb
clean-deb:
	-rm -rf deb
.PHONY: clean-deb

# The state directory holding key_file and jwt_key_file: private to the
# daemon's user (the keys decrypt every tenant's secrets). The host also
# creates it, 0700, on first use (host/base/crypto.c).
pulsestatedir = $(localstatedir)/lib/pulse-host
install-data-local: install-pulse-statedir
install-pulse-statedir:
	$(MKDIR_P) -m 0700 '$(DESTDIR)$(pulsestatedir)'
	chmod 0700 '$(DESTDIR)$(pulsestatedir)'
.PHONY: install-pulse-statedir
print-pulsestatedir:
	@echo '$(pulsestatedir)'
.PHONY: print-pulsestatedir
print-plugindirs:
	@echo 'plugindir=$(plugindir)'
	@echo 'testplugindir=$(testplugindir)'
.PHONY: print-plugindirs

# The packaged unit under a private systemd (root; the CI packages step).
EXTRA_DIST += tests/packaging/systemd-unit.sh
