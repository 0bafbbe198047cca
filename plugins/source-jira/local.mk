# The Jira source plugin (pinned name "jira"). json-c is linked into the
# module privately; the host loads plugins RTLD_LOCAL.
plugin_LTLIBRARIES += plugins/source-jira/jira.la
plugins_source_jira_jira_la_SOURCES = $(PLUGIN_KIT_SOURCES) \
	plugins/source-jira/jira.c plugins/source-jira/jira.h \
	plugins/source-jira/extract.c plugins/source-jira/client.c \
	plugins/source-jira/catalog.c plugins/source-jira/issues.c \
	plugins/source-jira/changelogs.c plugins/source-jira/devstatus.c \
	plugins/source-jira/reconcile.c plugins/source-jira/state.c \
	plugins/source-jira/transform.c plugins/source-jira/util.c \
	plugins/source-jira/tz.c
plugins_source_jira_jira_la_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/plugins/common
plugins_source_jira_jira_la_CFLAGS = $(PLUGIN_CC_FLAGS) $(JSONC_CFLAGS)
plugins_source_jira_jira_la_LDFLAGS = $(PLUGIN_LD_FLAGS)
plugins_source_jira_jira_la_LIBADD = $(JSONC_LIBS)
