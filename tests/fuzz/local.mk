# Fuzz targets, one per parser of client input (included from the
# top-level Makefile.am). Each target defines LLVMFuzzerTestOneInput;
# tests/fuzz/driver.c replays the committed corpus (tests/fuzz/corpus/
# TARGET/) through it, so `make check` runs every input with the normal
# compiler and, in a --enable-sanitizers build, under ASan/UBSan.
# `make fuzz-libfuzzer` builds real libFuzzer binaries with clang (see
# docs/testing.md). Add a target: a fuzz-NAME.c, a corpus directory of
# seeds you wrote, and the four lines below.

FUZZ_DRIVER_SOURCES = tests/fuzz/driver.c tests/fuzz/fuzz.h

check_PROGRAMS += tests/fuzz/fuzz-wsmsg
tests_fuzz_fuzz_wsmsg_SOURCES = tests/fuzz/fuzz-wsmsg.c $(FUZZ_DRIVER_SOURCES)
tests_fuzz_fuzz_wsmsg_CPPFLAGS = $(AM_CPPFLAGS) \
	-DFUZZ_CORPUS='"$(abs_top_srcdir)/tests/fuzz/corpus/wsmsg"'
tests_fuzz_fuzz_wsmsg_LDADD = host/libpulsehost.la

check_PROGRAMS += tests/fuzz/fuzz-token
tests_fuzz_fuzz_token_SOURCES = tests/fuzz/fuzz-token.c $(FUZZ_DRIVER_SOURCES)
tests_fuzz_fuzz_token_CPPFLAGS = $(AM_CPPFLAGS) \
	-DFUZZ_CORPUS='"$(abs_top_srcdir)/tests/fuzz/corpus/token"'
tests_fuzz_fuzz_token_LDADD = host/libpulsehost.la

TESTS += tests/fuzz/fuzz-wsmsg tests/fuzz/fuzz-token
EXTRA_DIST += tests/fuzz/corpus

# Real fuzzing (not part of check): clang's libFuzzer with ASan/UBSan,
# the parsers compiled in directly so coverage guides the search.
# Run e.g.: tests/fuzz/libfuzzer-wsmsg -max_total_time=60 CORPUS_COPY/
FUZZ_CLANG = clang
FUZZ_CLANG_FLAGS = -g -O1 -fsanitize=fuzzer,address,undefined $(AM_CPPFLAGS) \
	-I$(top_builddir) -I$(top_srcdir)/host -I$(top_srcdir)/sdk/include \
	$(JSONC_CFLAGS) $(GCRYPT_CFLAGS)
FUZZ_ALL = wsmsg token sqlguard conninfo conf rest embed
fuzz-libfuzzer: $(FUZZ_ALL:%=tests/fuzz/libfuzzer-%)
tests/fuzz/libfuzzer-wsmsg: $(srcdir)/tests/fuzz/fuzz-wsmsg.c \
		$(srcdir)/host/server/wsmsg.c $(srcdir)/host/server/progress.c \
		$(srcdir)/host/base/strbuf.c
	$(MKDIR_P) tests/fuzz
	$(FUZZ_CLANG) $(FUZZ_CLANG_FLAGS) -o $@ $^ $(JSONC_LIBS)
tests/fuzz/libfuzzer-token: $(srcdir)/tests/fuzz/fuzz-token.c \
		$(srcdir)/host/server/auth.c $(srcdir)/host/base/strbuf.c
	$(MKDIR_P) tests/fuzz
	$(FUZZ_CLANG) $(FUZZ_CLANG_FLAGS) -o $@ $^ $(JSONC_LIBS) $(GCRYPT_LIBS)
CLEANFILES += tests/fuzz/libfuzzer-wsmsg tests/fuzz/libfuzzer-token
.PHONY: fuzz-libfuzzer

# Targets of the proof suites (issue 20): configuration files, REST query
# strings and bodies, the SQL guard, URL masking, the embed-local files
# and tokenizer.
check_PROGRAMS += tests/fuzz/fuzz-sqlguard tests/fuzz/fuzz-conninfo \
	tests/fuzz/fuzz-conf tests/fuzz/fuzz-rest tests/fuzz/fuzz-embed
tests_fuzz_fuzz_sqlguard_SOURCES = tests/fuzz/fuzz-sqlguard.c $(FUZZ_DRIVER_SOURCES)
tests_fuzz_fuzz_sqlguard_CPPFLAGS = $(AM_CPPFLAGS) \
	-DFUZZ_CORPUS='"$(abs_top_srcdir)/tests/fuzz/corpus/sqlguard"'
tests_fuzz_fuzz_sqlguard_CFLAGS = $(AM_CFLAGS) $(JSONC_CFLAGS)
tests_fuzz_fuzz_sqlguard_LDADD = host/libpulsehost.la
tests_fuzz_fuzz_conninfo_SOURCES = tests/fuzz/fuzz-conninfo.c $(FUZZ_DRIVER_SOURCES)
tests_fuzz_fuzz_conninfo_CPPFLAGS = $(AM_CPPFLAGS) \
	-DFUZZ_CORPUS='"$(abs_top_srcdir)/tests/fuzz/corpus/conninfo"'
tests_fuzz_fuzz_conninfo_CFLAGS = $(AM_CFLAGS) $(PQ_CFLAGS)
tests_fuzz_fuzz_conninfo_LDADD = host/libpulsehost.la
tests_fuzz_fuzz_conf_SOURCES = tests/fuzz/fuzz-conf.c $(FUZZ_DRIVER_SOURCES)
tests_fuzz_fuzz_conf_CPPFLAGS = $(AM_CPPFLAGS) \
	-DFUZZ_CORPUS='"$(abs_top_srcdir)/tests/fuzz/corpus/conf"'
tests_fuzz_fuzz_conf_LDADD = host/libpulsehost.la
tests_fuzz_fuzz_rest_SOURCES = tests/fuzz/fuzz-rest.c $(FUZZ_DRIVER_SOURCES)
tests_fuzz_fuzz_rest_CPPFLAGS = $(AM_CPPFLAGS) \
	-DFUZZ_CORPUS='"$(abs_top_srcdir)/tests/fuzz/corpus/rest"'
tests_fuzz_fuzz_rest_CFLAGS = $(host_libpulsehost_la_CFLAGS)
tests_fuzz_fuzz_rest_LDADD = host/libpulsehost.la
tests_fuzz_fuzz_embed_SOURCES = tests/fuzz/fuzz-embed.c $(FUZZ_DRIVER_SOURCES)
tests_fuzz_fuzz_embed_CPPFLAGS = $(AM_CPPFLAGS) \
	-I$(top_srcdir)/plugins/provider-embed-local \
	-DFUZZ_CORPUS='"$(abs_top_srcdir)/tests/fuzz/corpus/embed"'
tests_fuzz_fuzz_embed_LDADD = plugins/provider-embed-local/libembedlocal.la
TESTS += tests/fuzz/fuzz-sqlguard tests/fuzz/fuzz-conninfo \
	tests/fuzz/fuzz-conf tests/fuzz/fuzz-rest tests/fuzz/fuzz-embed

# `make fuzz FUZZ_SECONDS=N [FUZZ_RUN="sqlguard rest"]`: every (or the
# named) libFuzzer target for N seconds on a
# copy of its corpus (new finds stay in build/fuzz-work/, crashes are
# written there as crash-*: add them to tests/fuzz/corpus/TARGET/).
# The module under test is compiled by clang with coverage; the rest of
# the host comes uninstrumented from the convenience library.
FUZZ_SECONDS = 60
FUZZ_HOST_LIBS = $(top_builddir)/host/.libs/libpulsehost.a $(CURL_LIBS) \
	$(PQ_LIBS) $(JSONC_LIBS) $(CONFIG_LIBS) $(GCRYPT_LIBS) $(RABBITMQ_LIBS) \
	$(LWS_LIBS) $(PGQUERY_LIBS) $(OPENBLAS_LIBS) -lm -ldl -lpthread
tests/fuzz/libfuzzer-sqlguard: $(srcdir)/tests/fuzz/fuzz-sqlguard.c \
		$(srcdir)/host/ai/sqlguard.c host/libpulsehost.la
	$(MKDIR_P) tests/fuzz
	$(FUZZ_CLANG) $(FUZZ_CLANG_FLAGS) -o $@ $(srcdir)/tests/fuzz/fuzz-sqlguard.c $(srcdir)/host/ai/sqlguard.c $(FUZZ_HOST_LIBS)
tests/fuzz/libfuzzer-conninfo: $(srcdir)/tests/fuzz/fuzz-conninfo.c \
		$(srcdir)/host/base/conf_mask.c host/libpulsehost.la
	$(MKDIR_P) tests/fuzz
	$(FUZZ_CLANG) $(FUZZ_CLANG_FLAGS) $(PQ_CFLAGS) -o $@ $(srcdir)/tests/fuzz/fuzz-conninfo.c $(srcdir)/host/base/conf_mask.c $(FUZZ_HOST_LIBS)
tests/fuzz/libfuzzer-conf: $(srcdir)/tests/fuzz/fuzz-conf.c \
		$(srcdir)/host/base/conf.c host/libpulsehost.la
	$(MKDIR_P) tests/fuzz
	$(FUZZ_CLANG) $(FUZZ_CLANG_FLAGS) -o $@ $(srcdir)/tests/fuzz/fuzz-conf.c $(srcdir)/host/base/conf.c $(FUZZ_HOST_LIBS)
tests/fuzz/libfuzzer-rest: $(srcdir)/tests/fuzz/fuzz-rest.c \
		$(srcdir)/host/server/api_io.c host/libpulsehost.la
	$(MKDIR_P) tests/fuzz
	$(FUZZ_CLANG) $(FUZZ_CLANG_FLAGS) $(PQ_CFLAGS) -o $@ $(srcdir)/tests/fuzz/fuzz-rest.c $(srcdir)/host/server/api_io.c $(FUZZ_HOST_LIBS)
tests/fuzz/libfuzzer-embed: $(srcdir)/tests/fuzz/fuzz-embed.c \
		$(srcdir)/plugins/provider-embed-local/vocab.c \
		$(srcdir)/plugins/provider-embed-local/tokenize.c \
		$(srcdir)/plugins/provider-embed-local/model.c \
		plugins/provider-embed-local/libembedlocal.la
	$(MKDIR_P) tests/fuzz
	$(FUZZ_CLANG) $(FUZZ_CLANG_FLAGS) -I$(top_srcdir)/plugins/provider-embed-local \
		$(OPENBLAS_CFLAGS) $(UTF8PROC_CFLAGS) -o $@ $(srcdir)/tests/fuzz/fuzz-embed.c $(srcdir)/plugins/provider-embed-local/vocab.c $(srcdir)/plugins/provider-embed-local/tokenize.c $(srcdir)/plugins/provider-embed-local/model.c \
		$(top_builddir)/plugins/provider-embed-local/.libs/libembedlocal.a \
		$(JSONC_LIBS) $(OPENBLAS_LIBS) $(UTF8PROC_LIBS) $(GCRYPT_LIBS) -lm -lpthread
CLEANFILES += tests/fuzz/libfuzzer-sqlguard tests/fuzz/libfuzzer-conninfo \
	tests/fuzz/libfuzzer-conf tests/fuzz/libfuzzer-rest tests/fuzz/libfuzzer-embed
FUZZ_RUN = $(FUZZ_ALL)
fuzz: $(FUZZ_RUN:%=tests/fuzz/libfuzzer-%)
	@for t in $(FUZZ_RUN); do \
		w=fuzz-work/$$t; rm -rf $$w; mkdir -p $$w/corpus; \
		cp $(srcdir)/tests/fuzz/corpus/$$t/* $$w/corpus/; \
		echo "fuzz: $$t for $(FUZZ_SECONDS) s"; \
		( cd $$w && LSAN_OPTIONS=suppressions=$(abs_top_srcdir)/tests/lsan.supp \
			../../tests/fuzz/libfuzzer-$$t -max_total_time=$(FUZZ_SECONDS) \
			-print_final_stats=1 -rss_limit_mb=1024 corpus > log 2>&1 ); rc=$$?; \
		grep -E '^(#[0-9]+[[:space:]]+DONE|stat::number_of_executed_units|Done)' $$w/log | tail -2; \
		grep -Eo 'cov: [0-9]+ ft: [0-9]+' $$w/log | tail -1; \
		if [ $$rc -ne 0 ]; then echo "fuzz: $$t FAILED (see $$w/log; crash-* there)"; fail=1; fi; \
	done; exit $${fail:-0}
.PHONY: fuzz

# Integration settings against each bundled plugin's declared fields, and
# each source plugin's transform over raw pages. The plugins are loaded by
# the host's loader from the build tree (FUZZ_PLUGIN_ROOT), so `make`
# must have built them; tests/fuzz/transform.c drives a transform as the
# pipeline does, with a record backend that checks instead of loading.
FUZZ_PLUGIN_SOURCES = tests/fuzz/plugins.c tests/fuzz/plugins.h
FUZZ_TRANSFORM_SOURCES = tests/fuzz/transform.c tests/fuzz/transform.h \
	$(FUZZ_PLUGIN_SOURCES) $(FUZZ_DRIVER_SOURCES)
FUZZ_PLUGIN_CPPFLAGS = $(AM_CPPFLAGS) -DFUZZ_PLUGIN_ROOT='"$(abs_top_builddir)"'
check_PROGRAMS += tests/fuzz/fuzz-integration \
	tests/fuzz/fuzz-transform-github tests/fuzz/fuzz-transform-jira \
	tests/fuzz/fuzz-transform-fabric tests/fuzz/fuzz-transform-directory
tests_fuzz_fuzz_integration_SOURCES = tests/fuzz/fuzz-integration.c \
	$(FUZZ_PLUGIN_SOURCES) $(FUZZ_DRIVER_SOURCES)
tests_fuzz_fuzz_integration_CPPFLAGS = $(FUZZ_PLUGIN_CPPFLAGS) \
	-DFUZZ_CORPUS='"$(abs_top_srcdir)/tests/fuzz/corpus/integration"'
tests_fuzz_fuzz_integration_CFLAGS = $(AM_CFLAGS) $(JSONC_CFLAGS)
tests_fuzz_fuzz_integration_LDADD = host/libpulsehost.la
tests_fuzz_fuzz_transform_github_SOURCES = tests/fuzz/fuzz-transform-github.c \
	$(FUZZ_TRANSFORM_SOURCES)
tests_fuzz_fuzz_transform_github_CPPFLAGS = $(FUZZ_PLUGIN_CPPFLAGS) \
	-DFUZZ_CORPUS='"$(abs_top_srcdir)/tests/fuzz/corpus/transform-github"'
tests_fuzz_fuzz_transform_github_CFLAGS = $(AM_CFLAGS) $(JSONC_CFLAGS)
tests_fuzz_fuzz_transform_github_LDADD = host/libpulsehost.la
tests_fuzz_fuzz_transform_jira_SOURCES = tests/fuzz/fuzz-transform-jira.c \
	$(FUZZ_TRANSFORM_SOURCES)
tests_fuzz_fuzz_transform_jira_CPPFLAGS = $(FUZZ_PLUGIN_CPPFLAGS) \
	-DFUZZ_CORPUS='"$(abs_top_srcdir)/tests/fuzz/corpus/transform-jira"'
tests_fuzz_fuzz_transform_jira_CFLAGS = $(AM_CFLAGS) $(JSONC_CFLAGS)
tests_fuzz_fuzz_transform_jira_LDADD = host/libpulsehost.la
tests_fuzz_fuzz_transform_fabric_SOURCES = tests/fuzz/fuzz-transform-fabric.c \
	$(FUZZ_TRANSFORM_SOURCES)
tests_fuzz_fuzz_transform_fabric_CPPFLAGS = $(FUZZ_PLUGIN_CPPFLAGS) \
	-DFUZZ_CORPUS='"$(abs_top_srcdir)/tests/fuzz/corpus/transform-fabric"'
tests_fuzz_fuzz_transform_fabric_CFLAGS = $(AM_CFLAGS) $(JSONC_CFLAGS)
tests_fuzz_fuzz_transform_fabric_LDADD = host/libpulsehost.la
tests_fuzz_fuzz_transform_directory_SOURCES = \
	tests/fuzz/fuzz-transform-directory.c $(FUZZ_TRANSFORM_SOURCES)
tests_fuzz_fuzz_transform_directory_CPPFLAGS = $(FUZZ_PLUGIN_CPPFLAGS) \
	-DFUZZ_CORPUS='"$(abs_top_srcdir)/tests/fuzz/corpus/transform-directory"'
tests_fuzz_fuzz_transform_directory_CFLAGS = $(AM_CFLAGS) $(JSONC_CFLAGS)
tests_fuzz_fuzz_transform_directory_LDADD = host/libpulsehost.la
TESTS += tests/fuzz/fuzz-integration tests/fuzz/fuzz-transform-github \
	tests/fuzz/fuzz-transform-jira tests/fuzz/fuzz-transform-fabric \
	tests/fuzz/fuzz-transform-directory

# libFuzzer builds. integration: settings.c and settings_regex.c instrumented, the plugins as
# `make` built them. transform-*: the plugins themselves rebuilt by clang
# with coverage and ASan/UBSan into tests/fuzz/cov/, where the target
# loads them (-rdynamic: they resolve the sanitizer and coverage hooks
# from the executable).
FUZZ_COV_SO = $(FUZZ_CLANG) -g -O1 -fPIC -shared \
	-fsanitize=fuzzer-no-link,address,undefined $(AM_CPPFLAGS) \
	-I$(top_builddir) -I$(top_srcdir)/sdk/include \
	-I$(top_srcdir)/plugins/common $(JSONC_CFLAGS)
# The .c files of an automake SOURCES list, under srcdir.
FUZZ_C_OF = for f in $$list; do case $$f in *.c) echo $(srcdir)/$$f;; esac; done
tests/fuzz/cov/github.so: $(plugins_source_github_github_la_SOURCES)
	$(MKDIR_P) tests/fuzz/cov
	list='$(plugins_source_github_github_la_SOURCES)'; \
	$(FUZZ_COV_SO) -o $@ `$(FUZZ_C_OF)` $(JSONC_LIBS)
tests/fuzz/cov/jira.so: $(plugins_source_jira_jira_la_SOURCES)
	$(MKDIR_P) tests/fuzz/cov
	list='$(plugins_source_jira_jira_la_SOURCES)'; \
	$(FUZZ_COV_SO) -o $@ `$(FUZZ_C_OF)` $(JSONC_LIBS)
tests/fuzz/cov/fabric.so: $(plugins_source_fabric_fabric_la_SOURCES)
	$(MKDIR_P) tests/fuzz/cov
	list='$(plugins_source_fabric_fabric_la_SOURCES)'; \
	$(FUZZ_COV_SO) -o $@ `$(FUZZ_C_OF)` $(JSONC_LIBS)
tests/fuzz/cov/entra.so: $(plugins_source_entra_entra_la_SOURCES)
	$(MKDIR_P) tests/fuzz/cov
	list='$(plugins_source_entra_entra_la_SOURCES)'; \
	$(FUZZ_COV_SO) -o $@ `$(FUZZ_C_OF)` $(JSONC_LIBS)
tests/fuzz/cov/ad.so: $(plugins_source_ad_ad_la_SOURCES)
	$(MKDIR_P) tests/fuzz/cov
	list='$(plugins_source_ad_ad_la_SOURCES)'; \
	$(FUZZ_COV_SO) $(LDAP_CFLAGS) -o $@ `$(FUZZ_C_OF)` $(JSONC_LIBS) $(LDAP_LIBS)
FUZZ_TRANSFORM_LINK = $(FUZZ_CLANG) $(FUZZ_CLANG_FLAGS) -rdynamic -DFUZZ_PLUGIN_FLAT \
	-DFUZZ_PLUGIN_ROOT='"$(abs_top_builddir)/tests/fuzz/cov"' -o $@ \
	$(srcdir)/tests/fuzz/transform.c $(srcdir)/tests/fuzz/plugins.c
tests/fuzz/libfuzzer-integration: $(srcdir)/tests/fuzz/fuzz-integration.c \
		$(srcdir)/host/plugin/settings.c $(srcdir)/host/plugin/settings_regex.c \
		$(srcdir)/tests/fuzz/plugins.c \
		host/libpulsehost.la $(plugin_LTLIBRARIES) $(testplugin_LTLIBRARIES)
	$(MKDIR_P) tests/fuzz
	$(FUZZ_CLANG) $(FUZZ_CLANG_FLAGS) -DFUZZ_PLUGIN_ROOT='"$(abs_top_builddir)"' \
		-o $@ $(srcdir)/tests/fuzz/fuzz-integration.c \
		$(srcdir)/host/plugin/settings.c $(srcdir)/host/plugin/settings_regex.c \
		$(srcdir)/tests/fuzz/plugins.c \
		$(FUZZ_HOST_LIBS)
tests/fuzz/libfuzzer-transform-github: $(srcdir)/tests/fuzz/fuzz-transform-github.c \
		$(srcdir)/tests/fuzz/transform.c host/libpulsehost.la tests/fuzz/cov/github.so
	$(FUZZ_TRANSFORM_LINK) $(srcdir)/tests/fuzz/fuzz-transform-github.c $(FUZZ_HOST_LIBS)
tests/fuzz/libfuzzer-transform-jira: $(srcdir)/tests/fuzz/fuzz-transform-jira.c \
		$(srcdir)/tests/fuzz/transform.c host/libpulsehost.la tests/fuzz/cov/jira.so
	$(FUZZ_TRANSFORM_LINK) $(srcdir)/tests/fuzz/fuzz-transform-jira.c $(FUZZ_HOST_LIBS)
tests/fuzz/libfuzzer-transform-fabric: $(srcdir)/tests/fuzz/fuzz-transform-fabric.c \
		$(srcdir)/tests/fuzz/transform.c host/libpulsehost.la tests/fuzz/cov/fabric.so
	$(FUZZ_TRANSFORM_LINK) $(srcdir)/tests/fuzz/fuzz-transform-fabric.c $(FUZZ_HOST_LIBS)
tests/fuzz/libfuzzer-transform-directory: $(srcdir)/tests/fuzz/fuzz-transform-directory.c \
		$(srcdir)/tests/fuzz/transform.c host/libpulsehost.la \
		tests/fuzz/cov/entra.so tests/fuzz/cov/ad.so
	$(FUZZ_TRANSFORM_LINK) $(srcdir)/tests/fuzz/fuzz-transform-directory.c $(FUZZ_HOST_LIBS)
CLEANFILES += tests/fuzz/libfuzzer-integration \
	tests/fuzz/libfuzzer-transform-github tests/fuzz/libfuzzer-transform-jira \
	tests/fuzz/libfuzzer-transform-fabric tests/fuzz/libfuzzer-transform-directory \
	tests/fuzz/cov/github.so tests/fuzz/cov/jira.so tests/fuzz/cov/fabric.so \
	tests/fuzz/cov/entra.so tests/fuzz/cov/ad.so
EXTRA_DIST += tests/fuzz/harvest-pages.sh
FUZZ_ALL += integration transform-github transform-jira transform-fabric \
	transform-directory
