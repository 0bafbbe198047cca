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
TESTS += tests/daemon/sec-http.sh
EXTRA_DIST += tests/daemon/sec-http.sh tests/daemon/sec-http-raw.py
# stop escalation, job process limits, no dumps (needs the orchtest plugin)
TESTS += tests/daemon/sec-jobs.sh
EXTRA_DIST += tests/daemon/sec-jobs.sh
# the WebSocket handshake keeps the database off the event loop
TESTS += tests/daemon/sec-ws-loop.sh
EXTRA_DIST += tests/daemon/sec-ws-loop.sh
# oversize URL or header beyond the lws buffer: still 414/431
TESTS += tests/daemon/sec-http-huge.sh
EXTRA_DIST += tests/daemon/sec-http-huge.sh
# users, password sign-in, sessions, audit log (issue 18, docs/auth.md)
check_PROGRAMS += tests/security/test-passwd
tests_security_test_passwd_SOURCES = tests/security/test-passwd.c
tests_security_test_passwd_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS) $(GCRYPT_CFLAGS)
tests_security_test_passwd_LDADD = host/libpulsehost.la $(CMOCKA_LIBS) $(GCRYPT_LIBS)
TESTS += tests/security/test-passwd
TESTS += tests/security/sec-users.sh
EXTRA_DIST += tests/security/sec-users.sh
# Changes made from the command line are audited (docs/auth.md).
TESTS += tests/security/sec-audit-cli.sh
EXTRA_DIST += tests/security/sec-audit-cli.sh
# single sign-on over OpenID Connect against oidc-provider (issue 18 item 4)
TESTS += tests/security/sec-oidc.sh
EXTRA_DIST += tests/security/sec-oidc.sh tests/sandbox/oidc/server.mjs \
	tests/sandbox/oidc/login.mjs tests/sandbox/oidc/sign.mjs \
	tests/sandbox/oidc/keys.mjs
# ID token signatures (RS256/ES256), claims and role mapping, offline
check_PROGRAMS += tests/unit/test-oidc
tests_unit_test_oidc_SOURCES = tests/unit/test-oidc.c
tests_unit_test_oidc_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS) $(GCRYPT_CFLAGS)
tests_unit_test_oidc_LDADD = host/libpulsehost.la $(CMOCKA_LIBS) $(GCRYPT_LIBS)
TESTS += tests/unit/test-oidc
