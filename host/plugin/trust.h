/*
 * trust: may a plugin file be loaded at all? A plugin runs inside the
 * daemon with every tenant's secrets in reach, so a .so that someone else
 * can replace is refused before dlopen: one writable by group or others,
 * one in a directory writable by group or others, or one owned by neither
 * this user nor root.
 *
 * An operator who knows better (a shared build tree, say) trusts the
 * plugin directories explicitly: `trust_plugin_dirs = 1` in the
 * configuration or PULSE_HOST_TRUST_PLUGIN_DIRS=1 in the environment.
 */
#ifndef PULSE_TRUST_H
#define PULSE_TRUST_H

#include <stddef.h>

/* Trust every plugin directory from now on (1) or not (0, the default). */
void plugin_trust_set(int trusted);

/* 0 if path may be loaded, else -1 with why saying what to fix. */
int plugin_trust_check(const char *path, char *why, size_t whylen);

#endif
