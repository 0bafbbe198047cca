# The example plugin, built from the SDK example so both stay one source.
plugin_LTLIBRARIES += plugins/example/example.la
plugins_example_example_la_SOURCES = sdk/examples/example-source/example.c
plugins_example_example_la_CFLAGS = $(PLUGIN_CC_FLAGS)
plugins_example_example_la_LDFLAGS = $(PLUGIN_LD_FLAGS)
