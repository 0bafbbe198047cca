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
FUZZ_CLANG_FLAGS = -g -O1 -fsanitize=fuzzer,address,undefined \
	-I$(top_builddir) -I$(top_srcdir)/host -I$(top_srcdir)/sdk/include \
	$(JSONC_CFLAGS) $(GCRYPT_CFLAGS)
fuzz-libfuzzer: tests/fuzz/libfuzzer-wsmsg tests/fuzz/libfuzzer-token
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
