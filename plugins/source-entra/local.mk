# The Entra ID source plugin (pinned name "entra"): Graph delta queries
# with the host's OAuth2 token service (ABI 1.3).
plugin_LTLIBRARIES += plugins/source-entra/entra.la
plugins_source_entra_entra_la_SOURCES = $(PLUGIN_KIT_SOURCES) \
	plugins/source-entra/entra.c plugins/source-entra/entra.h \
	plugins/source-entra/extract.c plugins/source-entra/transform.c \
	plugins/source-entra/known.c plugins/source-entra/links.c
plugins_source_entra_entra_la_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/plugins/common
plugins_source_entra_entra_la_CFLAGS = $(PLUGIN_CC_FLAGS) $(JSONC_CFLAGS)
plugins_source_entra_entra_la_LDFLAGS = $(PLUGIN_LD_FLAGS)
plugins_source_entra_entra_la_LIBADD = $(JSONC_LIBS)
