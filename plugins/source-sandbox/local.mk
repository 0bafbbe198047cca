# sandbox: a network-free source plugin for pipeline tests and benchmarks.
# It parses pages with json-c, linked privately (no json-c type crosses the
# ABI). It makes up data and can be told to grow large: testing only, so
# it goes to $(testplugindir), not $(plugindir) (issue 11, item 5).
testplugin_LTLIBRARIES += plugins/source-sandbox/sandbox.la
plugins_source_sandbox_sandbox_la_SOURCES = plugins/source-sandbox/sandbox.c
plugins_source_sandbox_sandbox_la_CFLAGS = $(PLUGIN_CC_FLAGS) $(JSONC_CFLAGS)
plugins_source_sandbox_sandbox_la_LDFLAGS = $(PLUGIN_LD_FLAGS)
plugins_source_sandbox_sandbox_la_LIBADD = $(JSONC_LIBS)
