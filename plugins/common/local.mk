# The connector kit (plugins/common): compiled into each bundled source
# plugin, which lists $(PLUGIN_KIT_SOURCES) in its own SOURCES.
PLUGIN_KIT_SOURCES = \
	plugins/common/kit.h \
	plugins/common/kit_fmt.c plugins/common/kit_fmt.h \
	plugins/common/kit_ids.c plugins/common/kit_ids.h \
	plugins/common/kit_page.c plugins/common/kit_page.h \
	plugins/common/kit_paging.c plugins/common/kit_paging.h \
	plugins/common/kit_rec.c plugins/common/kit_rec.h \
	plugins/common/kit_time.c plugins/common/kit_time.h \
	plugins/common/pjson.c plugins/common/pjson.h
