# The Active Directory source plugin (pinned name "ad"): OpenLDAP's libldap
# and json-c linked into the module privately.
plugin_LTLIBRARIES += plugins/source-ad/ad.la
plugins_source_ad_ad_la_SOURCES = $(PLUGIN_KIT_SOURCES) \
	plugins/source-ad/ad.c plugins/source-ad/ad.h \
	plugins/source-ad/conn.c plugins/source-ad/search.c \
	plugins/source-ad/index.c plugins/source-ad/extract.c \
	plugins/source-ad/emit.c \
	plugins/source-ad/transform.c \
	plugins/source-ad/values.c plugins/source-ad/values.h
plugins_source_ad_ad_la_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/plugins/common
plugins_source_ad_ad_la_CFLAGS = $(PLUGIN_CC_FLAGS) $(JSONC_CFLAGS) $(LDAP_CFLAGS)
plugins_source_ad_ad_la_LDFLAGS = $(PLUGIN_LD_FLAGS)
plugins_source_ad_ad_la_LIBADD = $(JSONC_LIBS) $(LDAP_LIBS)
