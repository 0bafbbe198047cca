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
