# The embed-local provider (pinned name "embed-local"): sentence embeddings
# from a BERT model on local files. The internals are a convenience library
# so the tests and the benchmark tool can drive them directly.
# plugins/common/blascore.c (OpenBLAS's kernels against the CPU) is also
# compiled into the host, so both give the same advice.
noinst_LTLIBRARIES += plugins/provider-embed-local/libembedlocal.la
plugins_provider_embed_local_libembedlocal_la_SOURCES = \
	plugins/provider-embed-local/embed.h \
	plugins/provider-embed-local/vocab.c \
	plugins/provider-embed-local/tokenize.c \
	plugins/provider-embed-local/model.c \
	plugins/provider-embed-local/forward.c \
	plugins/provider-embed-local/gelu.c \
	plugins/provider-embed-local/softmax.c \
	plugins/provider-embed-local/layernorm.c \
	plugins/provider-embed-local/share.c \
	plugins/provider-embed-local/scratch.c \
	plugins/provider-embed-local/pack.c \
	plugins/provider-embed-local/digest.c \
	plugins/common/blascore.c plugins/common/blascore.h
plugins_provider_embed_local_libembedlocal_la_CFLAGS = $(PLUGIN_CC_FLAGS) \
	-I$(top_srcdir)/plugins/common \
	$(JSONC_CFLAGS) $(OPENBLAS_CFLAGS) $(UTF8PROC_CFLAGS) $(GCRYPT_CFLAGS)
plugins_provider_embed_local_libembedlocal_la_LIBADD = \
	$(JSONC_LIBS) $(OPENBLAS_LIBS) $(UTF8PROC_LIBS) $(GCRYPT_LIBS) -lm

# The module: the internals above plus the ABI glue. OpenBLAS, utf8proc,
# json-c and libgcrypt are linked into it privately (RTLD_LOCAL).
plugin_LTLIBRARIES += plugins/provider-embed-local/embed-local.la
plugins_provider_embed_local_embed_local_la_SOURCES = \
	plugins/provider-embed-local/plugin.c
plugins_provider_embed_local_embed_local_la_CFLAGS = $(PLUGIN_CC_FLAGS) \
	-I$(top_srcdir)/plugins/common \
	$(JSONC_CFLAGS) $(OPENBLAS_CFLAGS)
plugins_provider_embed_local_embed_local_la_LDFLAGS = $(PLUGIN_LD_FLAGS)
plugins_provider_embed_local_embed_local_la_LIBADD = \
	plugins/provider-embed-local/libembedlocal.la
