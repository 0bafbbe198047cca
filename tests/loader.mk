# Fake plugins for the loader tests: one source, one module per case.
FAKE_PLUGINS =
check_LTLIBRARIES += tests/fixtures/plugins/fake/fake-good.la
FAKE_PLUGINS += tests/fixtures/plugins/fake/fake-good.la
tests_fixtures_plugins_fake_fake_good_la_SOURCES = tests/fixtures/plugins/fake/fake.c
tests_fixtures_plugins_fake_fake_good_la_CFLAGS = $(PLUGIN_CC_FLAGS) -DFAKE_CASE=CASE_GOOD -DFAKE_NAME='"fake-good"'
tests_fixtures_plugins_fake_fake_good_la_LDFLAGS = $(TEST_PLUGIN_LD_FLAGS)
check_LTLIBRARIES += tests/fixtures/plugins/fake/fake-old-minor.la
FAKE_PLUGINS += tests/fixtures/plugins/fake/fake-old-minor.la
tests_fixtures_plugins_fake_fake_old_minor_la_SOURCES = tests/fixtures/plugins/fake/fake.c
tests_fixtures_plugins_fake_fake_old_minor_la_CFLAGS = $(PLUGIN_CC_FLAGS) -DFAKE_CASE=CASE_OLD_MINOR -DFAKE_NAME='"fake-old"'
tests_fixtures_plugins_fake_fake_old_minor_la_LDFLAGS = $(TEST_PLUGIN_LD_FLAGS)
check_LTLIBRARIES += tests/fixtures/plugins/fake/fake-newer-tail-set.la
FAKE_PLUGINS += tests/fixtures/plugins/fake/fake-newer-tail-set.la
tests_fixtures_plugins_fake_fake_newer_tail_set_la_SOURCES = tests/fixtures/plugins/fake/fake.c
tests_fixtures_plugins_fake_fake_newer_tail_set_la_CFLAGS = $(PLUGIN_CC_FLAGS) -DFAKE_CASE=CASE_NEWER_TAIL_SET -DFAKE_NAME='"fake-newer-set"'
tests_fixtures_plugins_fake_fake_newer_tail_set_la_LDFLAGS = $(TEST_PLUGIN_LD_FLAGS)
check_LTLIBRARIES += tests/fixtures/plugins/fake/fake-newer-tail-zero.la
FAKE_PLUGINS += tests/fixtures/plugins/fake/fake-newer-tail-zero.la
tests_fixtures_plugins_fake_fake_newer_tail_zero_la_SOURCES = tests/fixtures/plugins/fake/fake.c
tests_fixtures_plugins_fake_fake_newer_tail_zero_la_CFLAGS = $(PLUGIN_CC_FLAGS) -DFAKE_CASE=CASE_NEWER_TAIL_ZERO -DFAKE_NAME='"fake-newer-zero"'
tests_fixtures_plugins_fake_fake_newer_tail_zero_la_LDFLAGS = $(TEST_PLUGIN_LD_FLAGS)
check_LTLIBRARIES += tests/fixtures/plugins/fake/fake-major-field.la
FAKE_PLUGINS += tests/fixtures/plugins/fake/fake-major-field.la
tests_fixtures_plugins_fake_fake_major_field_la_SOURCES = tests/fixtures/plugins/fake/fake.c
tests_fixtures_plugins_fake_fake_major_field_la_CFLAGS = $(PLUGIN_CC_FLAGS) -DFAKE_CASE=CASE_MAJOR_FIELD -DFAKE_NAME='"fake-major-field"'
tests_fixtures_plugins_fake_fake_major_field_la_LDFLAGS = $(TEST_PLUGIN_LD_FLAGS)
check_LTLIBRARIES += tests/fixtures/plugins/fake/fake-major-symbol.la
FAKE_PLUGINS += tests/fixtures/plugins/fake/fake-major-symbol.la
tests_fixtures_plugins_fake_fake_major_symbol_la_SOURCES = tests/fixtures/plugins/fake/fake.c
tests_fixtures_plugins_fake_fake_major_symbol_la_CFLAGS = $(PLUGIN_CC_FLAGS) -DFAKE_CASE=CASE_MAJOR_SYMBOL -DFAKE_NAME='"fake-major-symbol"'
tests_fixtures_plugins_fake_fake_major_symbol_la_LDFLAGS = $(TEST_PLUGIN_LD_FLAGS)
check_LTLIBRARIES += tests/fixtures/plugins/fake/fake-no-entry.la
FAKE_PLUGINS += tests/fixtures/plugins/fake/fake-no-entry.la
tests_fixtures_plugins_fake_fake_no_entry_la_SOURCES = tests/fixtures/plugins/fake/fake.c
tests_fixtures_plugins_fake_fake_no_entry_la_CFLAGS = $(PLUGIN_CC_FLAGS) -DFAKE_CASE=CASE_NO_ENTRY -DFAKE_NAME='"fake-no-entry"'
# Exports only a non-entry symbol (an empty export list breaks ld).
tests_fixtures_plugins_fake_fake_no_entry_la_LDFLAGS = $(AM_LDFLAGS) -module -avoid-version \
	-shared -rpath /nowhere -export-symbols-regex '^fake_'
check_LTLIBRARIES += tests/fixtures/plugins/fake/fake-dup-a.la
FAKE_PLUGINS += tests/fixtures/plugins/fake/fake-dup-a.la
tests_fixtures_plugins_fake_fake_dup_a_la_SOURCES = tests/fixtures/plugins/fake/fake.c
tests_fixtures_plugins_fake_fake_dup_a_la_CFLAGS = $(PLUGIN_CC_FLAGS) -DFAKE_CASE=CASE_DUP -DFAKE_NAME='"fake-dup"'
tests_fixtures_plugins_fake_fake_dup_a_la_LDFLAGS = $(TEST_PLUGIN_LD_FLAGS)
check_LTLIBRARIES += tests/fixtures/plugins/fake/fake-dup-b.la
FAKE_PLUGINS += tests/fixtures/plugins/fake/fake-dup-b.la
tests_fixtures_plugins_fake_fake_dup_b_la_SOURCES = tests/fixtures/plugins/fake/fake.c
tests_fixtures_plugins_fake_fake_dup_b_la_CFLAGS = $(PLUGIN_CC_FLAGS) -DFAKE_CASE=CASE_DUP -DFAKE_NAME='"fake-dup"'
tests_fixtures_plugins_fake_fake_dup_b_la_LDFLAGS = $(TEST_PLUGIN_LD_FLAGS)
check_LTLIBRARIES += tests/fixtures/plugins/fake/fake-init-fails.la
FAKE_PLUGINS += tests/fixtures/plugins/fake/fake-init-fails.la
tests_fixtures_plugins_fake_fake_init_fails_la_SOURCES = tests/fixtures/plugins/fake/fake.c
tests_fixtures_plugins_fake_fake_init_fails_la_CFLAGS = $(PLUGIN_CC_FLAGS) -DFAKE_CASE=CASE_INIT_FAILS -DFAKE_NAME='"fake-init-fails"'
tests_fixtures_plugins_fake_fake_init_fails_la_LDFLAGS = $(TEST_PLUGIN_LD_FLAGS)
check_LTLIBRARIES += tests/fixtures/plugins/fake/fake-ops-major.la
FAKE_PLUGINS += tests/fixtures/plugins/fake/fake-ops-major.la
tests_fixtures_plugins_fake_fake_ops_major_la_SOURCES = tests/fixtures/plugins/fake/fake.c
tests_fixtures_plugins_fake_fake_ops_major_la_CFLAGS = $(PLUGIN_CC_FLAGS) -DFAKE_CASE=CASE_OPS_MAJOR -DFAKE_NAME='"fake-ops-major"'
tests_fixtures_plugins_fake_fake_ops_major_la_LDFLAGS = $(TEST_PLUGIN_LD_FLAGS)

# 1.0-sized structs passed on each call, and a struct with a set unknown tail.
check_LTLIBRARIES += tests/fixtures/plugins/fake/fake-call-v1-0.la
FAKE_PLUGINS += tests/fixtures/plugins/fake/fake-call-v1-0.la
tests_fixtures_plugins_fake_fake_call_v1_0_la_SOURCES = tests/fixtures/plugins/fake/fake.c
tests_fixtures_plugins_fake_fake_call_v1_0_la_CFLAGS = $(PLUGIN_CC_FLAGS) -DFAKE_CASE=CASE_CALL_V1_0 -DFAKE_NAME='"fake-call-v1-0"'
tests_fixtures_plugins_fake_fake_call_v1_0_la_LDFLAGS = $(TEST_PLUGIN_LD_FLAGS)
check_LTLIBRARIES += tests/fixtures/plugins/fake/fake-call-tail-set.la
FAKE_PLUGINS += tests/fixtures/plugins/fake/fake-call-tail-set.la
tests_fixtures_plugins_fake_fake_call_tail_set_la_SOURCES = tests/fixtures/plugins/fake/fake.c
tests_fixtures_plugins_fake_fake_call_tail_set_la_CFLAGS = $(PLUGIN_CC_FLAGS) -DFAKE_CASE=CASE_CALL_TAIL_SET -DFAKE_NAME='"fake-call-tail-set"'
tests_fixtures_plugins_fake_fake_call_tail_set_la_LDFLAGS = $(TEST_PLUGIN_LD_FLAGS)
check_LTLIBRARIES += tests/fixtures/plugins/fake/fake-call-oauth2.la
FAKE_PLUGINS += tests/fixtures/plugins/fake/fake-call-oauth2.la
tests_fixtures_plugins_fake_fake_call_oauth2_la_SOURCES = tests/fixtures/plugins/fake/fake.c
tests_fixtures_plugins_fake_fake_call_oauth2_la_CFLAGS = $(PLUGIN_CC_FLAGS) -DFAKE_CASE=CASE_CALL_OAUTH2 -DFAKE_NAME='"fake-call-oauth2"'
tests_fixtures_plugins_fake_fake_call_oauth2_la_LDFLAGS = $(TEST_PLUGIN_LD_FLAGS)
# Provider kinds (ABI 1.1): one of each, and broken ops tables.
check_LTLIBRARIES += tests/fixtures/plugins/fake/fake-embedder.la
FAKE_PLUGINS += tests/fixtures/plugins/fake/fake-embedder.la
tests_fixtures_plugins_fake_fake_embedder_la_SOURCES = tests/fixtures/plugins/fake/providers.c
tests_fixtures_plugins_fake_fake_embedder_la_CFLAGS = $(PLUGIN_CC_FLAGS) -DPROVIDER_CASE=P_EMBEDDER -DPROVIDER_NAME='"fake-embedder"'
tests_fixtures_plugins_fake_fake_embedder_la_LDFLAGS = $(TEST_PLUGIN_LD_FLAGS)
check_LTLIBRARIES += tests/fixtures/plugins/fake/fake-llm.la
FAKE_PLUGINS += tests/fixtures/plugins/fake/fake-llm.la
tests_fixtures_plugins_fake_fake_llm_la_SOURCES = tests/fixtures/plugins/fake/providers.c
tests_fixtures_plugins_fake_fake_llm_la_CFLAGS = $(PLUGIN_CC_FLAGS) -DPROVIDER_CASE=P_LLM -DPROVIDER_NAME='"fake-llm"'
tests_fixtures_plugins_fake_fake_llm_la_LDFLAGS = $(TEST_PLUGIN_LD_FLAGS)
check_LTLIBRARIES += tests/fixtures/plugins/fake/fake-vector-store.la
FAKE_PLUGINS += tests/fixtures/plugins/fake/fake-vector-store.la
tests_fixtures_plugins_fake_fake_vector_store_la_SOURCES = tests/fixtures/plugins/fake/providers.c
tests_fixtures_plugins_fake_fake_vector_store_la_CFLAGS = $(PLUGIN_CC_FLAGS) -DPROVIDER_CASE=P_VECTOR_STORE -DPROVIDER_NAME='"fake-vector-store"'
tests_fixtures_plugins_fake_fake_vector_store_la_LDFLAGS = $(TEST_PLUGIN_LD_FLAGS)
check_LTLIBRARIES += tests/fixtures/plugins/fake/fake-vector-v1-3.la
FAKE_PLUGINS += tests/fixtures/plugins/fake/fake-vector-v1-3.la
tests_fixtures_plugins_fake_fake_vector_v1_3_la_SOURCES = tests/fixtures/plugins/fake/providers.c
tests_fixtures_plugins_fake_fake_vector_v1_3_la_CFLAGS = $(PLUGIN_CC_FLAGS) -DPROVIDER_CASE=P_VECTOR_V1_3 -DPROVIDER_NAME='"fake-vector-v1-3"'
tests_fixtures_plugins_fake_fake_vector_v1_3_la_LDFLAGS = $(TEST_PLUGIN_LD_FLAGS)
check_LTLIBRARIES += tests/fixtures/plugins/fake/fake-embedder-short.la
FAKE_PLUGINS += tests/fixtures/plugins/fake/fake-embedder-short.la
tests_fixtures_plugins_fake_fake_embedder_short_la_SOURCES = tests/fixtures/plugins/fake/providers.c
tests_fixtures_plugins_fake_fake_embedder_short_la_CFLAGS = $(PLUGIN_CC_FLAGS) -DPROVIDER_CASE=P_EMBEDDER_SHORT -DPROVIDER_NAME='"fake-embedder-short"'
tests_fixtures_plugins_fake_fake_embedder_short_la_LDFLAGS = $(TEST_PLUGIN_LD_FLAGS)
check_LTLIBRARIES += tests/fixtures/plugins/fake/fake-vector-no-query.la
FAKE_PLUGINS += tests/fixtures/plugins/fake/fake-vector-no-query.la
tests_fixtures_plugins_fake_fake_vector_no_query_la_SOURCES = tests/fixtures/plugins/fake/providers.c
tests_fixtures_plugins_fake_fake_vector_no_query_la_CFLAGS = $(PLUGIN_CC_FLAGS) -DPROVIDER_CASE=P_VECTOR_NO_QUERY -DPROVIDER_NAME='"fake-vector-no-query"'
tests_fixtures_plugins_fake_fake_vector_no_query_la_LDFLAGS = $(TEST_PLUGIN_LD_FLAGS)
check_LTLIBRARIES += tests/fixtures/plugins/fake/fake-llm-tail-set.la
FAKE_PLUGINS += tests/fixtures/plugins/fake/fake-llm-tail-set.la
tests_fixtures_plugins_fake_fake_llm_tail_set_la_SOURCES = tests/fixtures/plugins/fake/providers.c
tests_fixtures_plugins_fake_fake_llm_tail_set_la_CFLAGS = $(PLUGIN_CC_FLAGS) -DPROVIDER_CASE=P_LLM_TAIL_SET -DPROVIDER_NAME='"fake-llm-tail-set"'
tests_fixtures_plugins_fake_fake_llm_tail_set_la_LDFLAGS = $(TEST_PLUGIN_LD_FLAGS)

# The loader, ABI layout and config tests.
check_PROGRAMS += tests/unit/test-abi-layout tests/unit/test-loader tests/unit/test-conf \
	tests/unit/test-abi-gate
tests_unit_test_abi_gate_SOURCES = tests/unit/test-abi-gate.c
tests_unit_test_abi_gate_CFLAGS = $(host_libpulsehost_la_CFLAGS) $(CMOCKA_CFLAGS)
tests_unit_test_abi_gate_LDADD = host/libpulsehost.la $(CMOCKA_LIBS)
tests_unit_test_abi_layout_SOURCES = tests/unit/test-abi-layout.c tests/unit/abi-layout.h
tests_unit_test_abi_layout_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_unit_test_abi_layout_LDADD = $(CMOCKA_LIBS)
tests_unit_test_loader_SOURCES = tests/unit/test-loader.c
tests_unit_test_loader_CFLAGS = $(host_libpulsehost_la_CFLAGS) $(CMOCKA_CFLAGS)
tests_unit_test_loader_LDADD = host/libpulsehost.la $(CMOCKA_LIBS)
tests_unit_test_conf_SOURCES = tests/unit/test-conf.c
tests_unit_test_conf_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_unit_test_conf_LDADD = host/libpulsehost.la $(CMOCKA_LIBS)
TESTS += tests/unit/test-abi-layout tests/unit/test-loader tests/unit/test-conf \
	tests/unit/test-abi-gate tests/unit/loader-cli.sh tests/unit/example-oot.sh
EXTRA_DIST += tests/unit/loader-cli.sh tests/unit/example-oot.sh sdk/abi
# The loader tests need the fake modules built first.
tests/unit/test-loader.log tests/unit/test-abi-gate.log \
	tests/unit/loader-cli.log: $(FAKE_PLUGINS)
