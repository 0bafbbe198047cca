# Failpoints (host/base/failpoint.c) and the chaos suite (tests/chaos,
# docs/testing.md "Chaos").
check_PROGRAMS += tests/unit/test-failpoint
tests_unit_test_failpoint_SOURCES = tests/unit/test-failpoint.c
tests_unit_test_failpoint_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_unit_test_failpoint_LDADD = host/libpulsehost.la $(CMOCKA_LIBS)
TESTS += tests/unit/test-failpoint

# A CI-sized chaos run: two fixed seeds (see the top of chaos.sh).
TESTS += tests/chaos/chaos.sh
EXTRA_DIST += tests/chaos/chaos.sh tests/chaos/chaos-lib.sh
tests/chaos/chaos.log: host/pulse-host $(testplugin_LTLIBRARIES) $(plugin_LTLIBRARIES)

# `make chaos TRIALS=N [SEED=S]`: N trials from seed S (default random);
# one line per trial, also written to chaos-trials.txt here.
.PHONY: chaos
chaos: host/pulse-host $(testplugin_LTLIBRARIES) $(plugin_LTLIBRARIES)
	@abs_top_srcdir='$(abs_top_srcdir)' abs_top_builddir='$(abs_top_builddir)' \
	PULSE_HOST_BIN='$(abs_top_builddir)/host/pulse-host' \
	CHAOS_TRIALS='$(TRIALS)' CHAOS_SEED='$(SEED)' \
	CHAOS_REPORT='$(abs_top_builddir)/chaos-trials.txt' \
	bash $(abs_top_srcdir)/tests/chaos/chaos.sh
