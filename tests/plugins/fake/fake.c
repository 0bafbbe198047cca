/*
 * fake: one source, many deliberately broken (or deliberately old/new)
 * plugins for the loader tests. FAKE_CASE picks the variant; see
 * tests/local.mk for the module each case builds.
 */
#include <stddef.h>
#include <stdio.h>

#include <pulse-host/plugin.h>

#define CASE_GOOD 1
#define CASE_OLD_MINOR 2        /* smaller struct from an "older" 1.x header */
#define CASE_NEWER_TAIL_SET 3   /* bigger struct, unknown field set */
#define CASE_NEWER_TAIL_ZERO 4  /* bigger struct, unknown field zero */
#define CASE_MAJOR_FIELD 5      /* entry_v1 but abi_major 2 in the struct */
#define CASE_MAJOR_SYMBOL 6     /* exports pulse_plugin_entry_v2 only */
#define CASE_NO_ENTRY 7         /* exports no entry at all */
#define CASE_DUP 8              /* same name as another module */
#define CASE_INIT_FAILS 9
#define CASE_OPS_MAJOR 10       /* ops table from another major */

#ifndef FAKE_NAME
#define FAKE_NAME "fake"
#endif

static int32_t fake_extract(void *state, pulse_job *job)
{
	(void)state;
	(void)job;
	return PULSE_OK;
}

static int32_t fake_transform(void *state, pulse_job *job,
			      const pulse_raw_page *page)
{
	(void)state;
	(void)job;
	(void)page;
	return PULSE_OK;
}

static int32_t fake_init(const pulse_host_api *api, pulse_host *host,
			 void **state, char *err, uint32_t errlen)
{
	(void)api;
	(void)host;
	*state = (void *)1;
#if FAKE_CASE == CASE_INIT_FAILS
	snprintf(err, errlen, "cannot open license file /nonexistent/license.key");
	return PULSE_ERR;
#else
	(void)err;
	(void)errlen;
	return PULSE_OK;
#endif
}

static void fake_fini(void *state)
{
	(void)state;
}

static const pulse_config_field fields[] = {
	{PULSE_STRUCT_INIT(pulse_config_field), "endpoint", PULSE_CFG_URL, 1,
	 NULL, "where the fake talks to"},
	{PULSE_STRUCT_INIT(pulse_config_field), "retries", PULSE_CFG_INT, 0, "3",
	 "how often to retry"},
	{PULSE_STRUCT_INIT(pulse_config_field), NULL, 0, 0, NULL, NULL},
};

static const pulse_source_ops ops = {
	(uint32_t)sizeof(pulse_source_ops),
#if FAKE_CASE == CASE_OPS_MAJOR
	2,
#else
	PULSE_ABI_MAJOR,
#endif
	PULSE_ABI_MINOR, fake_extract, fake_transform, NULL,
};

/* A struct as a hypothetical 1.5 header would declare it. */
struct info_v1_5 {
	pulse_plugin_info base;
	const char *future_field;
};

static const struct info_v1_5 info = {
	{
#if FAKE_CASE == CASE_OLD_MINOR
		(uint32_t)offsetof(pulse_plugin_info, description),
#elif FAKE_CASE == CASE_NEWER_TAIL_SET || FAKE_CASE == CASE_NEWER_TAIL_ZERO
		(uint32_t)sizeof(struct info_v1_5),
#else
		(uint32_t)sizeof(pulse_plugin_info),
#endif
#if FAKE_CASE == CASE_MAJOR_FIELD
		2,
#else
		PULSE_ABI_MAJOR,
#endif
#if FAKE_CASE == CASE_NEWER_TAIL_SET || FAKE_CASE == CASE_NEWER_TAIL_ZERO
		5,
#else
		PULSE_ABI_MINOR,
#endif
		PULSE_KIND_SOURCE, 0, FAKE_NAME, "0.0.1", &ops,
		/* Past the old-minor cut: the host must not read these. */
		"a fake plugin for loader tests", fields, fake_init, fake_fini,
	},
#if FAKE_CASE == CASE_NEWER_TAIL_SET
	"needs a newer host",
#else
	NULL,
#endif
};

#if FAKE_CASE == CASE_MAJOR_SYMBOL
PULSE_EXPORT const pulse_plugin_info *pulse_plugin_entry_v2(uint32_t host_minor);
PULSE_EXPORT const pulse_plugin_info *pulse_plugin_entry_v2(uint32_t host_minor)
{
	(void)host_minor;
	return &info.base;
}
#elif FAKE_CASE == CASE_NO_ENTRY
PULSE_EXPORT int fake_not_an_entry(void);
PULSE_EXPORT int fake_not_an_entry(void)
{
	return (int)info.base.kind;
}
#else
PULSE_EXPORT const pulse_plugin_info *pulse_plugin_entry_v1(uint32_t host_minor)
{
	(void)host_minor;
	return &info.base;
}
#endif
