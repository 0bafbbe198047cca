# The shipped configuration file, installed as /etc/pulse-host/pulse-host.conf.
pulsehostconfdir = $(sysconfdir)/pulse-host
dist_pulsehostconf_DATA = conf/pulse-host.conf
EXTRA_DIST += conf/integrations
