/*
 * loaded: a plugin as the rest of the host sees it once the loader has
 * it. Types only, so the services a plugin calls (hostapi, job, http)
 * can read a plugin's name without depending on the loader, which in
 * turn hands plugins the hostapi table.
 */
#ifndef PULSE_LOADED_H
#define PULSE_LOADED_H

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

#endif
