# The Microsoft Fabric source plugin (pinned name "fabric"): REST v1
# inventory, job runs, deploy operations, Git links and API-for-GraphQL
# tables, with the host's OAuth2 token service (ABI 1.3).
plugin_LTLIBRARIES += plugins/source-fabric/fabric.la
plugins_source_fabric_fabric_la_SOURCES = $(PLUGIN_KIT_SOURCES) \
	plugins/source-fabric/fabric.c plugins/source-fabric/fabric.h \
	plugins/source-fabric/client.c plugins/source-fabric/extract.c \
	plugins/source-fabric/graphql.c plugins/source-fabric/transform.c
plugins_source_fabric_fabric_la_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/plugins/common
plugins_source_fabric_fabric_la_CFLAGS = $(PLUGIN_CC_FLAGS) $(JSONC_CFLAGS)
plugins_source_fabric_fabric_la_LDFLAGS = $(PLUGIN_LD_FLAGS)
plugins_source_fabric_fabric_la_LIBADD = $(JSONC_LIBS)
