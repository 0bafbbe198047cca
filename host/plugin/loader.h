/* loader: find, dlopen and validate plugins. */
#ifndef PULSE_LOADER_H
#define PULSE_LOADER_H

#include <stddef.h>

#include <pulse-host/plugin.h>

#include "plugin/loaded.h"

struct loader {
	struct plugin **v; /* each allocated once: plugins keep &p->host */
	size_t n;
};

/* Scan each directory (sorted by file name) for *.so and try to load each.
 * Refusals are logged, recorded with their reason, and do not stop the
 * scan. A missing directory is only logged at debug level. Returns the
 * number of plugins loaded. The loader owns everything; loader_free
 * calls each plugin's fini and dlcloses it. */
int loader_scan(struct loader *ld, char *const *dirs);
/* Load one file (used by scan and by tests). Returns 0 if loaded. */
int loader_load_file(struct loader *ld, const char *path);
/* A loaded plugin by name, or NULL. */
struct plugin *loader_find(struct loader *ld, const char *name);
void loader_free(struct loader *ld);

const char *loader_kind_name(unsigned kind);
const char *loader_field_type_name(unsigned type);

#endif
