# The daemon and CLI. Host code is built into a convenience library so unit
# tests link the same objects the binary uses.
noinst_LTLIBRARIES += host/libpulsehost.la
host_libpulsehost_la_SOURCES = \
	host/abi.c host/abi.h \
	host/cli.c host/cli.h \
	host/cmd_config.c host/cmd_plugins.c \
	host/conf.c host/conf.h \
	host/hostapi.c host/hostapi.h host/job.h \
	host/loader.c host/loader.h \
	host/log.c host/log.h \
	host/strbuf.c host/strbuf.h
host_libpulsehost_la_CFLAGS = $(AM_CFLAGS) $(CURL_CFLAGS) $(PQ_CFLAGS) \
	$(JSONC_CFLAGS) $(CONFIG_CFLAGS) $(GCRYPT_CFLAGS) $(RABBITMQ_CFLAGS) \
	$(LWS_CFLAGS)
host_libpulsehost_la_LIBADD = $(CURL_LIBS) $(PQ_LIBS) $(JSONC_LIBS) \
	$(CONFIG_LIBS) $(GCRYPT_LIBS) $(RABBITMQ_LIBS) $(LWS_LIBS)

bin_PROGRAMS += host/pulse-host
host_pulse_host_SOURCES = host/main.c
host_pulse_host_CFLAGS = $(host_libpulsehost_la_CFLAGS)
host_pulse_host_LDADD = host/libpulsehost.la
# Plugins call back into the host only through the vtable; nothing is
# exported from the executable.
