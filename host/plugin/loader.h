/* loader: find, dlopen and validate plugins. */
#ifndef PULSE_LOADER_H
#define PULSE_LOADER_H

#include <stddef.h>

#include <pulse-host/plugin.h>

#define PLUGIN_LOADED 1
#define PLUGIN_REFUSED 2

/* What a plugin's handle points to; plugins see it as opaque. */
struct pulse_host {
	struct plugin *plugin;
	char category[40]; /* log category: the plugin name, upper-case */
};

struct plugin {
	char *path;                 /* file it came from */
	int status;                 /* PLUGIN_LOADED / PLUGIN_REFUSED */
	char *reason;               /* why it was refused */
	void *dl;                   /* dlopen handle, NULL once refused */
	pulse_plugin_info info;     /* host-layout copy */
	/* Host-layout copy of the ops table of info.kind (1.1: providers). */
	pulse_source_ops source;
	pulse_embedder_ops embedder;
	pulse_llm_ops llm;
	pulse_vector_store_ops vector_store;
	pulse_config_field *fields; /* host-layout copies */
	size_t nfields;
	void *state;                /* from init */
	struct pulse_host host;
	/* Copied strings, so the listing survives a refused plugin's dlclose. */
	char *name, *version, *description;
	unsigned abi_major, abi_minor;
	unsigned kind; /* PULSE_KIND_*, kept for the listing of a refusal */
};

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
