/* kit_rec: the sticky record builder (see kit_rec.h). */
#include <json-c/json.h>

#include "kit_rec.h"

void kt_rec_begin(struct kt_rec *x, const pulse_host_api *api, pulse_job *job,
		  const char *entity)
{
	x->api = api;
	x->r = api->record_begin(job, entity);
	x->rc = x->r ? PULSE_OK : PULSE_ERR_PERMANENT;
}

void kt_rec_str(struct kt_rec *x, const char *f, const char *v)
{
	if (x->rc == PULSE_OK)
		x->rc = x->api->record_str(x->r, f, v);
}

void kt_rec_time(struct kt_rec *x, const char *f, const char *v)
{
	if (x->rc == PULSE_OK)
		x->rc = x->api->record_time(x->r, f, v && *v ? v : NULL);
}

void kt_rec_int(struct kt_rec *x, const char *f, int64_t v)
{
	if (x->rc == PULSE_OK)
		x->rc = x->api->record_int(x->r, f, v);
}

void kt_rec_bool(struct kt_rec *x, const char *f, int v)
{
	if (x->rc == PULSE_OK)
		x->rc = x->api->record_bool(x->r, f, v);
}

void kt_rec_json(struct kt_rec *x, const char *f, struct json_object *v)
{
	if (x->rc == PULSE_OK)
		x->rc = x->api->record_json(x->r, f, v ?
			json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN) :
			"null");
}

int32_t kt_rec_end(struct kt_rec *x)
{
	if (!x->r)
		return x->rc;
	if (x->rc != PULSE_OK) {
		x->api->record_abort(x->r);
		return x->rc;
	}
	return x->api->record_end(x->r);
}
