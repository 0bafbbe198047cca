/* loader: dlopen plugins and refuse, with a reason, any that do not fit. */
#include "config.h"

#include <ctype.h>
#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plugin/abi.h"
#include "plugin/hostapi.h"
#include "plugin/loader.h"
#include "plugin/trust.h"
#include "base/log.h"

const char *loader_kind_name(unsigned kind)
{
	switch (kind) {
	case PULSE_KIND_SOURCE: return "source";
	case PULSE_KIND_LLM: return "llm";
	case PULSE_KIND_EMBEDDER: return "embedder";
	case PULSE_KIND_VECTOR_STORE: return "vector-store";
	}
	return "unknown";
}

const char *loader_field_type_name(unsigned type)
{
	static const char *const names[] = {
		"?", "string", "int", "bool", "string-list", "secret",
		"secret-list", "regex", "date", "url", "json",
	};

	return type < sizeof(names) / sizeof(names[0]) ? names[type] : "?";
}

static int name_valid(const char *name)
{
	const char *p;

	if (!name || !*name || strlen(name) > 32)
		return 0;
	for (p = name; *p; p++)
		if (!islower((unsigned char)*p) && !isdigit((unsigned char)*p) &&
		    *p != '-' && *p != '_')
			return 0;
	return 1;
}

/* Copy the config-field table; the stride is the first entry's size. */
static int copy_fields(struct plugin *p, const pulse_config_field *table,
		       char *why, size_t whylen)
{
	const unsigned char *cur = (const unsigned char *)table;
	size_t stride, n = 0, i;
	int rc = -1;

	if (!table)
		return 0;
	stride = table->struct_size;
	if (stride < offsetof(pulse_config_field, description)) {
		snprintf(why, whylen, "config_fields[0] has struct_size %zu, "
			 "too small for a pulse_config_field", stride);
		return -1;
	}
	for (;;) {
		const pulse_config_field *f = (const void *)(cur + n * stride);

		if (!f->name)
			break;
		if (++n > 256) {
			snprintf(why, whylen, "config_fields has no NULL-name "
				 "terminator within 256 entries");
			return -1;
		}
	}
	p->fields = calloc(n ? n : 1, sizeof(*p->fields));
	if (!p->fields)
		goto out;
	for (i = 0; i < n; i++) {
		char what[64];
		pulse_config_field *f = &p->fields[i];

		snprintf(what, sizeof(what), "config_fields[%zu]", i);
		if (abi_copy(f, sizeof(*f), cur + i * stride,
			     offsetof(pulse_config_field, default_json), what, why,
			     whylen) < 0)
			goto out;
		if (f->type < PULSE_CFG_STRING || f->type > PULSE_CFG_JSON) {
			snprintf(why, whylen, "config field '%s' has unknown type %u",
				 f->name, f->type);
			goto out;
		}
		if (f->flags & (PULSE_CFG_HAS_MIN | PULSE_CFG_HAS_MAX) &&
		    f->type != PULSE_CFG_INT) {
			snprintf(why, whylen, "config field '%s' declares an "
				 "integer range but is of type %s; ranges apply "
				 "to int fields only", f->name,
				 loader_field_type_name(f->type));
			goto out;
		}
		if ((f->flags & PULSE_CFG_HAS_MIN) &&
		    (f->flags & PULSE_CFG_HAS_MAX) && f->int_min > f->int_max) {
			snprintf(why, whylen, "config field '%s' has an empty "
				 "range: int_min %lld > int_max %lld", f->name,
				 (long long)f->int_min, (long long)f->int_max);
			goto out;
		}
		p->nfields = i + 1;
	}
	rc = 0;
out:
	return rc;
}

/* Name the first NULL among a table's mandatory ops, or return NULL. */
#define NEED(ops, fn) if (!(ops).fn) return #fn
static const char *missing_source(const pulse_source_ops *o)
{
	NEED(*o, extract);
	NEED(*o, transform);
	return NULL;
}

static const char *missing_embedder(const pulse_embedder_ops *o)
{
	NEED(*o, open);
	NEED(*o, close);
	NEED(*o, info);
	NEED(*o, embed);
	return NULL;
}

static const char *missing_llm(const pulse_llm_ops *o)
{
	NEED(*o, open);
	NEED(*o, close);
	NEED(*o, chat);
	return NULL;
}

static const char *missing_vector_store(const pulse_vector_store_ops *o)
{
	NEED(*o, open);
	NEED(*o, close);
	NEED(*o, ensure_collection);
	NEED(*o, upsert);
	NEED(*o, remove);
	NEED(*o, query);
	/* scroll (1.4) is optional: a 1.1-1.3 table reads it as NULL. */
	return NULL;
}
#undef NEED

/*
 * Copy the ops table of the plugin's kind through the ABI gate. Provider
 * tables are new in 1.1, so all of their 1.1 members are required in the
 * struct; source ops keep their 1.0 minimum (validate is optional).
 */
static int copy_ops(struct plugin *p, char *why, size_t whylen)
{
	const char *what, *missing;
	int rc;

	switch (p->info.kind) {
	case PULSE_KIND_SOURCE:
		what = "pulse_source_ops";
		rc = abi_copy(&p->source, sizeof(p->source), p->info.ops,
			      offsetof(pulse_source_ops, validate), what, why,
			      whylen);
		missing = rc ? NULL : missing_source(&p->source);
		break;
	case PULSE_KIND_EMBEDDER:
		what = "pulse_embedder_ops";
		rc = abi_copy(&p->embedder, sizeof(p->embedder), p->info.ops,
			      ABI_END(pulse_embedder_ops, embed), what, why,
			      whylen);
		missing = rc ? NULL : missing_embedder(&p->embedder);
		break;
	case PULSE_KIND_LLM:
		what = "pulse_llm_ops";
		rc = abi_copy(&p->llm, sizeof(p->llm), p->info.ops,
			      ABI_END(pulse_llm_ops, chat), what, why, whylen);
		missing = rc ? NULL : missing_llm(&p->llm);
		break;
	case PULSE_KIND_VECTOR_STORE:
		what = "pulse_vector_store_ops";
		rc = abi_copy(&p->vector_store, sizeof(p->vector_store),
			      p->info.ops, ABI_END(pulse_vector_store_ops, query),
			      what, why, whylen);
		missing = rc ? NULL : missing_vector_store(&p->vector_store);
		break;
	default:
		snprintf(why, whylen, "unknown plugin kind %u; this host (ABI "
			 "%d.%d) knows source, llm, embedder and vector-store; "
			 "a newer pulse-host may know it", p->info.kind,
			 PULSE_ABI_MAJOR, PULSE_ABI_MINOR);
		return -1;
	}
	if (rc < 0)
		return -1;
	if (missing) {
		snprintf(why, whylen, "%s lacks the mandatory op '%s' (it is "
			 "NULL); a %s plugin must implement it", what, missing,
			 loader_kind_name(p->info.kind));
		return -1;
	}
	return 0;
}

static void plugin_release(struct plugin *p)
{
	if (p->state && p->info.fini)
		p->info.fini(p->state);
	p->state = NULL;
	if (p->dl)
		dlclose(p->dl);
	p->dl = NULL;
	free(p->fields);
	p->fields = NULL;
	p->nfields = 0;
	/* Pointers into the closed object are no longer valid. */
	memset(&p->info, 0, sizeof(p->info));
	memset(&p->source, 0, sizeof(p->source));
	memset(&p->embedder, 0, sizeof(p->embedder));
	memset(&p->llm, 0, sizeof(p->llm));
	memset(&p->vector_store, 0, sizeof(p->vector_store));
}

/* Look for an entry of another major to give a useful refusal. */
static int other_major(void *dl)
{
	char sym[40];
	int m;

	for (m = 0; m <= 16; m++) {
		if (m == PULSE_ABI_MAJOR)
			continue;
		snprintf(sym, sizeof(sym), "pulse_plugin_entry_v%d", m);
		if (dlsym(dl, sym))
			return m;
	}
	return -1;
}

static int validate(struct loader *ld, struct plugin *p, char *why,
		    size_t whylen)
{
	pulse_plugin_entry_fn entry;
	const pulse_plugin_info *info;
	char ierr[512] = "";
	size_t i;
	int m;

	*(void **)&entry = dlsym(p->dl, PULSE_ENTRY_SYMBOL);
	if (!entry) {
		m = other_major(p->dl);
		if (m >= 0)
			snprintf(why, whylen,
				 "built for ABI major %d (exports "
				 "pulse_plugin_entry_v%d); this host speaks ABI %d; "
				 "rebuild it against pulse-host-plugin %d",
				 m, m, PULSE_ABI_MAJOR, PULSE_ABI_MAJOR);
		else
			snprintf(why, whylen,
				 "no %s symbol; not a pulse-host plugin, or built "
				 "without PULSE_EXPORT/-export-symbols-regex",
				 PULSE_ENTRY_SYMBOL);
		return -1;
	}
	info = entry(PULSE_ABI_MINOR);
	if (abi_copy(&p->info, sizeof(p->info), info,
		     offsetof(pulse_plugin_info, description), "pulse_plugin_info",
		     why, whylen) < 0)
		return -1;
	p->abi_major = p->info.abi_major;
	p->abi_minor = p->info.abi_minor;
	p->kind = p->info.kind;
	if (!name_valid(p->info.name)) {
		snprintf(why, whylen, "plugin name '%s' is invalid; use 1-32 "
			 "characters of [a-z0-9_-]",
			 p->info.name ? p->info.name : "(null)");
		return -1;
	}
	p->name = strdup(p->info.name);
	p->version = strdup(p->info.version ? p->info.version : "0");
	p->description = strdup(p->info.description ? p->info.description : "");
	for (i = 0; i < ld->n; i++) {
		struct plugin *o = ld->v[i];

		if (o != p && o->status == PLUGIN_LOADED && o->name &&
		    strcmp(o->name, p->name) == 0) {
			snprintf(why, whylen,
				 "plugin name '%s' is already taken by %s; remove "
				 "one of the two files",
				 p->name, o->path);
			return -1;
		}
	}
	if (copy_ops(p, why, whylen) < 0)
		return -1;
	if (copy_fields(p, p->info.config_fields, why, whylen) < 0)
		return -1;
	p->host.plugin = p;
	for (i = 0; p->name[i] && i < sizeof(p->host.category) - 1; i++)
		p->host.category[i] = (char)toupper((unsigned char)p->name[i]);
	p->host.category[i] = '\0';
	if (p->info.init &&
	    p->info.init(hostapi_table(), &p->host, &p->state, ierr,
			 (uint32_t)sizeof(ierr)) != PULSE_OK) {
		ierr[sizeof(ierr) - 1] = '\0';
		snprintf(why, whylen, "init failed: %s",
			 ierr[0] ? ierr : "(the plugin gave no reason)");
		p->state = NULL; /* never fini a plugin whose init failed */
		return -1;
	}
	return 0;
}

int loader_load_file(struct loader *ld, const char *path)
{
	struct plugin **v, *p;
	char why[768];
	int rc = -1;

	v = realloc(ld->v, (ld->n + 1) * sizeof(*v));
	if (!v)
		return -1;
	ld->v = v;
	p = calloc(1, sizeof(*p));
	if (!p)
		return -1;
	ld->v[ld->n++] = p;
	p->path = strdup(path);
	if (plugin_trust_check(path, why, sizeof(why)) < 0)
		goto out;
	/* RTLD_LOCAL: plugins never see each other's symbols. */
	p->dl = dlopen(path, RTLD_NOW | RTLD_LOCAL);
	if (!p->dl) {
		snprintf(why, sizeof(why), "dlopen failed: %s; check that its "
			 "library dependencies are installed", dlerror());
		goto out;
	}
	if (validate(ld, p, why, sizeof(why)) < 0)
		goto out;
	p->status = PLUGIN_LOADED;
	log_debug("LOADER", "loaded plugin=%s kind=%s version=%s abi=%u.%u file=%s",
		  p->name, loader_kind_name(p->info.kind), p->version,
		  p->abi_major, p->abi_minor, path);
	rc = 0;
out:
	if (rc < 0) {
		p->status = PLUGIN_REFUSED;
		p->reason = strdup(why);
		plugin_release(p);
		log_error("LOADER", "refused file=%s reason=\"%s\"", path, why);
	}
	return rc;
}

static int is_plugin_file(const char *name)
{
	size_t n = strlen(name);

	return n > 3 && strcmp(name + n - 3, ".so") == 0 && name[0] != '.';
}

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int scan_dir(struct loader *ld, const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	char **names = NULL, **nn;
	size_t n = 0, i;
	int loaded = 0;

	if (!d) {
		log_debug("LOADER", "skipping plugin dir=%s reason=\"%s\"", dir,
			  strerror(errno));
		return 0;
	}
	while ((de = readdir(d)) != NULL) {
		if (!is_plugin_file(de->d_name))
			continue;
		nn = realloc(names, (n + 1) * sizeof(*names));
		if (!nn)
			break;
		names = nn;
		names[n++] = strdup(de->d_name);
	}
	closedir(d);
	if (n) /* qsort(NULL, 0, ...) is undefined: a directory without plugins */
		qsort(names, n, sizeof(*names), cmp_names);
	for (i = 0; i < n; i++) {
		char path[4096];

		snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
		if (loader_load_file(ld, path) == 0)
			loaded++;
		free(names[i]);
	}
	free(names);
	return loaded;
}

int loader_scan(struct loader *ld, char *const *dirs)
{
	int loaded = 0;
	size_t i;

	for (i = 0; dirs && dirs[i]; i++)
		loaded += scan_dir(ld, dirs[i]);
	return loaded;
}

struct plugin *loader_find(struct loader *ld, const char *name)
{
	size_t i;

	for (i = 0; i < ld->n; i++)
		if (ld->v[i]->status == PLUGIN_LOADED &&
		    strcmp(ld->v[i]->name, name) == 0)
			return ld->v[i];
	return NULL;
}

void loader_free(struct loader *ld)
{
	size_t i;

	for (i = 0; i < ld->n; i++) {
		struct plugin *p = ld->v[i];

		plugin_release(p);
		free(p->path);
		free(p->reason);
		free(p->name);
		free(p->version);
		free(p->description);
		free(p);
	}
	free(ld->v);
	ld->v = NULL;
	ld->n = 0;
}
