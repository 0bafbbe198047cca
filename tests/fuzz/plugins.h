/* plugins: the bundled plugins, loaded once per fuzz process the way the
 * host loads them (host/plugin/loader.c: dlopen, ABI checks, field table
 * copy, init). */
#ifndef PULSE_FUZZ_PLUGINS_H
#define PULSE_FUZZ_PLUGINS_H

struct plugin;

/*
 * The plugin `name` from the module `dir`/`file` (e.g. "source-github",
 * "github.so") under FUZZ_PLUGIN_ROOT: ROOT/plugins/DIR/.libs/FILE in a
 * build tree, or ROOT/FILE when FUZZ_PLUGIN_FLAT is defined (the clang
 * builds of `make fuzz`). Loaded on the first call and kept for the life
 * of the process (borrowed). A plugin that does not load aborts: a fuzz
 * target that silently fuzzes nothing is worse than a failure.
 */
struct plugin *fuzz_plugin(const char *name, const char *dir,
			   const char *file);

#endif
