# The GitHub source plugin (pinned name "github"). json-c is linked into
# the module privately; the host loads plugins RTLD_LOCAL.
plugin_LTLIBRARIES += plugins/source-github/github.la
plugins_source_github_github_la_SOURCES = $(PLUGIN_KIT_SOURCES) \
	plugins/source-github/github.c plugins/source-github/github.h \
	plugins/source-github/extract.c plugins/source-github/extract.h \
	plugins/source-github/client.c plugins/source-github/repos.c \
	plugins/source-github/prs.c plugins/source-github/deployments.c \
	plugins/source-github/transform.c plugins/source-github/util.c
plugins_source_github_github_la_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/plugins/common
plugins_source_github_github_la_CFLAGS = $(PLUGIN_CC_FLAGS) $(JSONC_CFLAGS)
plugins_source_github_github_la_LDFLAGS = $(PLUGIN_LD_FLAGS)
plugins_source_github_github_la_LIBADD = $(JSONC_LIBS)
