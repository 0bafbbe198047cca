# Public SDK: header, pkg-config file, the out-of-tree example.
pulsehostincludedir = $(includedir)/pulse-host
pulsehostinclude_HEADERS = sdk/include/pulse-host/plugin.h
pkgconfig_DATA = sdk/pulse-host-plugin.pc
exampledir = $(docdir)/examples/example-source
dist_example_DATA = sdk/examples/example-source/example.c \
	sdk/examples/example-source/Makefile \
	sdk/examples/example-source/README.md
# configure.ac reads the ABI version from the header: re-run it on change.
CONFIGURE_DEPENDENCIES = $(top_srcdir)/sdk/include/pulse-host/plugin.h
