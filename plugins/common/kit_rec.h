/* kit_rec: the sticky record builder of the bundled transforms. The
 * first failing call is remembered and later calls do nothing, so an
 * emitter reads as a list of fields followed by one kt_rec_end. */
#ifndef PULSE_PLUGINS_KIT_REC_H
#define PULSE_PLUGINS_KIT_REC_H

#include <stdint.h>

#include <pulse-host/plugin.h>

struct json_object;

struct kt_rec {
	const pulse_host_api *api;   /* borrowed */
	pulse_record *r;             /* the host's; ended by kt_rec_end */
	int32_t rc;                  /* the first error, or PULSE_OK */
};

void kt_rec_begin(struct kt_rec *x, const pulse_host_api *api, pulse_job *job,
		  const char *entity);
void kt_rec_str(struct kt_rec *x, const char *field, const char *v);
/* An empty string counts as no time (null). */
void kt_rec_time(struct kt_rec *x, const char *field, const char *v);
void kt_rec_int(struct kt_rec *x, const char *field, int64_t v);
void kt_rec_bool(struct kt_rec *x, const char *field, int v);
/* v as JSON text; NULL is JSON null. */
void kt_rec_json(struct kt_rec *x, const char *field, struct json_object *v);
/* End the record, or abort it after an error; returns the first error. */
int32_t kt_rec_end(struct kt_rec *x);

#endif
