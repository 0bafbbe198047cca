/* plugins: load bundled plugins for the fuzz targets, as the host does. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/log.h"
#include "plugin/loader.h"
#include "plugin/trust.h"
#include "plugins.h"

/* Lives until exit: plugins keep pointers into their struct plugin. */
static struct loader ld;

struct plugin *fuzz_plugin(const char *name, const char *dir,
			   const char *file)
{
	struct plugin *p = loader_find(&ld, name);
	char path[4096];

	if (p)
		return p;
#ifdef FUZZ_PLUGIN_FLAT
	(void)dir;
	snprintf(path, sizeof(path), "%s/%s", FUZZ_PLUGIN_ROOT, file);
#else
	snprintf(path, sizeof(path), "%s/plugins/%s/.libs/%s",
		 FUZZ_PLUGIN_ROOT, dir, file);
#endif
	log_set_level(LOG_ERROR);
	/* A build tree may be group-writable; trust it, as tests do. */
	plugin_trust_set(1);
	if (loader_load_file(&ld, path) < 0 || !(p = loader_find(&ld, name))) {
		fprintf(stderr, "fuzz: plugin '%s' did not load from %s (build "
			"the plugins first: make)\n", name, path);
		abort();
	}
	return p;
}
