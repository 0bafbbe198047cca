/* transform: drive one source plugin's transform over a raw page outside
 * the daemon, the way host/pipeline/pipeline.c calls it, with a record
 * backend that checks what the plugin hands over instead of loading it. */
#ifndef PULSE_FUZZ_TRANSFORM_H
#define PULSE_FUZZ_TRANSFORM_H

#include <stddef.h>
#include <stdint.h>

struct plugin;

/*
 * Run p's transform over the page encoded in data: byte 0 picks the raw
 * page entity from entities (n of them; the plugin's own kinds, as its
 * extract stores them), the rest is "PARAMS\0BODY" or, without a NUL,
 * only BODY (request_params NULL). settings_json: the integration's
 * settings (checked with settings_parse, defaults applied, as the
 * pipeline does). Aborts when the plugin breaks the host API's contract
 * (an unfinished record, a record or deletion without an entity, a
 * failure without a reason); a transform refusing the page is fine.
 */
void fuzz_transform(struct plugin *p, const char *settings_json,
		    const char *const *entities, size_t n,
		    const uint8_t *data, size_t size);

#endif
