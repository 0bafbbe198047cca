# The qdrant provider (docs/vectors.md): a vector store over Qdrant's REST
# API. The wire logic is a convenience library so tests drive it directly.
noinst_LTLIBRARIES += plugins/provider-qdrant/libqdrant.la
plugins_provider_qdrant_libqdrant_la_SOURCES = \
	plugins/provider-qdrant/qd.h plugins/provider-qdrant/wire.c \
	plugins/provider-qdrant/scroll.c
plugins_provider_qdrant_libqdrant_la_CFLAGS = $(PLUGIN_CC_FLAGS) $(JSONC_CFLAGS)
plugins_provider_qdrant_libqdrant_la_LIBADD = $(JSONC_LIBS) -lm

plugin_LTLIBRARIES += plugins/provider-qdrant/qdrant.la
plugins_provider_qdrant_qdrant_la_SOURCES = plugins/provider-qdrant/plugin.c
plugins_provider_qdrant_qdrant_la_CFLAGS = $(PLUGIN_CC_FLAGS) $(JSONC_CFLAGS)
plugins_provider_qdrant_qdrant_la_LDFLAGS = $(PLUGIN_LD_FLAGS)
plugins_provider_qdrant_qdrant_la_LIBADD = plugins/provider-qdrant/libqdrant.la
