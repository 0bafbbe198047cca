# Tests of the embed-local provider (included from the top-level Makefile.am).
# embed-tool drives the internals; the parity tests compare it with an
# independent tokenizer (npm) and with PyTorch (Debian's python3-torch).
check_PROGRAMS += tests/embed/embed-tool
tests_embed_embed_tool_SOURCES = tests/embed/embed-tool.c
tests_embed_embed_tool_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/plugins/provider-embed-local
tests_embed_embed_tool_CFLAGS = $(AM_CFLAGS) $(JSONC_CFLAGS)
tests_embed_embed_tool_LDADD = plugins/provider-embed-local/libembedlocal.la $(JSONC_LIBS)
