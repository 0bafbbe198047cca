# Regression tests of the hardening of issue 11 (included from the
# top-level Makefile.am); docs/security.md says what each one guards.
check_PROGRAMS += tests/unit/test-security
tests_unit_test_security_SOURCES = tests/unit/test-security.c
tests_unit_test_security_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS) $(GCRYPT_CFLAGS) \
	$(PQ_CFLAGS)
tests_unit_test_security_LDADD = host/libpulsehost.la $(CMOCKA_LIBS) $(GCRYPT_LIBS)
TESTS += tests/unit/test-security
TESTS += tests/unit/sec-config.sh tests/db/sec-rls-role.sh tests/daemon/sec-ws.sh
EXTRA_DIST += tests/unit/sec-config.sh tests/db/sec-rls-role.sh \
	tests/daemon/sec-ws.sh tests/daemon/sec-ws-client.mjs
TESTS += tests/unit/sec-install.sh
EXTRA_DIST += tests/unit/sec-install.sh
