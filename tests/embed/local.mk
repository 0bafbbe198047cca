# Tests of the embed-local provider (included from the top-level Makefile.am).
# embed-tool drives the internals; the parity tests compare it with an
# independent tokenizer (npm) and with PyTorch (Debian's python3-torch).
check_PROGRAMS += tests/embed/embed-tool
tests_embed_embed_tool_SOURCES = tests/embed/embed-tool.c \
	tests/embed/fma-peak.c tests/embed/fma-peak.h
tests_embed_embed_tool_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/plugins/provider-embed-local
tests_embed_embed_tool_CFLAGS = $(AM_CFLAGS) $(JSONC_CFLAGS) $(OPENBLAS_CFLAGS)
tests_embed_embed_tool_LDADD = plugins/provider-embed-local/libembedlocal.la \
	$(JSONC_LIBS) $(OPENBLAS_LIBS) -lpthread

TESTS += tests/embed/tokenizer-parity.sh tests/embed/forward-parity.sh \
	tests/embed/forward-minilm.sh tests/embed/cli-embed.sh \
	tests/embed/cli-embed-db.sh
EXTRA_DIST += tests/embed/lib.sh tests/embed/ensure-deps.sh \
	tests/embed/package.json tests/embed/make-vocab.js \
	tests/embed/peer-tokenize.js tests/embed/gen-corpus.py \
	tests/embed/torch-ref.py tests/embed/tokenizer-parity.sh \
	tests/embed/forward-parity.sh tests/embed/forward-minilm.sh \
	tests/embed/cli-embed.sh tests/embed/cli-embed-db.sh

# The loaders' faults, the tokenizer's fixed rules and the fuzz corpus
# (tests/fixtures/embed-fuzz) of the safetensors and vocab.txt parsers.
check_PROGRAMS += tests/unit/test-embed-files
tests_unit_test_embed_files_SOURCES = tests/unit/test-embed-files.c
tests_unit_test_embed_files_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/plugins/provider-embed-local
tests_unit_test_embed_files_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_unit_test_embed_files_LDADD = plugins/provider-embed-local/libembedlocal.la $(CMOCKA_LIBS)
TESTS += tests/unit/test-embed-files
EXTRA_DIST += tests/fixtures/embed-fuzz

# The fast erf, GELU, exp and softmax of the forward pass against libm.
check_PROGRAMS += tests/unit/test-embed-gelu
tests_unit_test_embed_gelu_SOURCES = tests/unit/test-embed-gelu.c
tests_unit_test_embed_gelu_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/plugins/provider-embed-local
tests_unit_test_embed_gelu_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_unit_test_embed_gelu_LDADD = plugins/provider-embed-local/libembedlocal.la $(CMOCKA_LIBS) -lm
TESTS += tests/unit/test-embed-gelu

check_PROGRAMS += tests/unit/test-embed-share
tests_unit_test_embed_share_SOURCES = tests/unit/test-embed-share.c
tests_unit_test_embed_share_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/plugins/provider-embed-local
tests_unit_test_embed_share_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_unit_test_embed_share_LDADD = plugins/provider-embed-local/libembedlocal.la $(CMOCKA_LIBS) -lm
TESTS += tests/unit/test-embed-share

# MemoryDenyWriteExecute= of the systemd unit: every plugin and an
# embed-local forward pass under the kernel's MDWE (docs/operations.md).
TESTS += tests/embed/mdwe.sh
EXTRA_DIST += tests/embed/mdwe.sh

# OpenBLAS's kernel choice against the CPU (plugins/common/blascore.c), and the
# host's restart with OPENBLAS_CORETYPE when it picked generic kernels.
check_PROGRAMS += tests/unit/test-blascore
tests_unit_test_blascore_SOURCES = tests/unit/test-blascore.c plugins/common/blascore.c
tests_unit_test_blascore_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/plugins/common
tests_unit_test_blascore_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS) $(OPENBLAS_CFLAGS)
tests_unit_test_blascore_LDADD = $(CMOCKA_LIBS) $(OPENBLAS_LIBS)
TESTS += tests/unit/test-blascore tests/embed/cli-blascore.sh
EXTRA_DIST += tests/embed/cli-blascore.sh
