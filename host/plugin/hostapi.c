/* hostapi: the vtable plugins call; thin, it only routes to subsystems. */
#include "config.h"

#include <json-c/json.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <strings.h>

#include "auth/oauth2_http.h"
#include "http/http.h"
#include "plugin/abi.h"
#include "plugin/hostapi.h"
#include "plugin/job.h"
#include "plugin/loaded.h"
#include "base/log.h"

#define BE(job, fn) ((job) && (job)->be && (job)->be->fn)

static void api_log(pulse_host *host, uint32_t level, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vmsg(level < 1 || level > 4 ? LOG_INFO : (int)level,
		 host ? host->category : "PLUGIN", fmt, ap);
	va_end(ap);
}

static void api_free(void *p)
{
	free(p);
}

static struct json_object *setting(pulse_job *job, const char *key)
{
	struct json_object *v = NULL;

	if (!job || !job->settings || !key)
		return NULL;
	if (!json_object_object_get_ex(job->settings, key, &v))
		return NULL;
	return v;
}

static const char *api_config_string(pulse_job *job, const char *key)
{
	struct json_object *v = setting(job, key);

	if (!v || json_object_is_type(v, json_type_null))
		return NULL;
	if (json_object_is_type(v, json_type_string))
		return json_object_get_string(v);
	/* Lists and objects come back as JSON text. */
	return json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN);
}

static int64_t api_config_int(pulse_job *job, const char *key, int64_t dflt)
{
	struct json_object *v = setting(job, key);

	return v && json_object_is_type(v, json_type_int) ?
		json_object_get_int64(v) : dflt;
}

static int32_t api_config_bool(pulse_job *job, const char *key, int32_t dflt)
{
	struct json_object *v = setting(job, key);

	return v && json_object_is_type(v, json_type_boolean) ?
		json_object_get_boolean(v) : dflt;
}

static uint32_t api_config_list_count(pulse_job *job, const char *key)
{
	struct json_object *v = setting(job, key);

	return v && json_object_is_type(v, json_type_array) ?
		(uint32_t)json_object_array_length(v) : 0;
}

/* Settings allow integers in id lists ("boards": [7]); json-c renders a
 * non-string element as its JSON text, so the plugin reads "7". */
static const char *api_config_list_item(pulse_job *job, const char *key,
					uint32_t i)
{
	struct json_object *v = setting(job, key), *e;

	if (!v || !json_object_is_type(v, json_type_array) ||
	    i >= json_object_array_length(v))
		return NULL;
	e = json_object_array_get_idx(v, i);
	return e ? json_object_get_string(e) : NULL;
}

static char *api_secret_get(pulse_job *job, const char *key, uint32_t i)
{
	return BE(job, secret_get) ? job->be->secret_get(job, key, i) : NULL;
}

static int32_t unsupported(pulse_job *job, const char *what)
{
	return job_fail(job, PULSE_ERR_PERMANENT,
			"%s is not available in this context (%s)", what,
			job && job->mode == JOB_TRANSFORM ? "transform" : "extract");
}

static const char *plugin_name(const pulse_job *job)
{
	return job && job->plugin && job->plugin->name ? job->plugin->name : "?";
}

/* The ABI gate for a struct passed on a call: dst gets the host's full
 * layout, or the job fails (PERMANENT: a rebuilt plugin is the fix). */
static int32_t gate(pulse_job *job, void *dst, size_t dst_size,
		    const void *src, size_t min_size, const char *what)
{
	char why[768];

	if (abi_gate(plugin_name(job), dst, dst_size, src, min_size, what, why,
		     sizeof(why)) == 0)
		return PULSE_OK;
	return job_fail(job, PULSE_ERR_PERMANENT, "%s", why);
}

static int has_header(const char *const *headers, const char *name)
{
	size_t i, n = strlen(name);

	for (i = 0; headers && headers[i]; i++)
		if (strncasecmp(headers[i], name, n) == 0 && headers[i][n] == ':')
			return 1;
	return 0;
}

/* req.content_type (1.1) becomes a header, unless the plugin sent one.
 * *hdrs and *line are new allocations the caller frees; on success
 * req->headers may point into them. */
static int32_t add_content_type(pulse_job *job, pulse_http_request *req,
				const char ***hdrs, char **line)
{
	size_t n = 0;

	*hdrs = NULL;
	*line = NULL;
	if (!req->content_type || has_header(req->headers, "Content-Type"))
		return PULSE_OK;
	if (strpbrk(req->content_type, "\r\n"))
		return job_fail(job, PULSE_ERR_PERMANENT, "plugin '%s': http "
				"content_type contains a line break",
				plugin_name(job));
	while (req->headers && req->headers[n])
		n++;
	*hdrs = calloc(n + 2, sizeof(**hdrs));
	*line = malloc(strlen(req->content_type) + sizeof("Content-Type: "));
	if (!*hdrs || !*line)
		return job_fail(job, PULSE_ERR_TRANSIENT, "out of memory");
	sprintf(*line, "Content-Type: %s", req->content_type);
	if (n)
		memcpy(*hdrs, req->headers, n * sizeof(**hdrs));
	(*hdrs)[n] = *line;
	req->headers = *hdrs;
	return PULSE_OK;
}

static int32_t api_http(pulse_job *job, const pulse_http_request *reqp,
			pulse_http_response **resp)
{
	pulse_http_request req;
	const char **hdrs = NULL;
	char *line = NULL;
	int32_t rc;

	if (resp)
		*resp = NULL;
	if (!BE(job, http))
		return unsupported(job, "http");
	rc = gate(job, &req, sizeof(req), reqp, ABI_V1_0_HTTP_REQUEST,
		  "pulse_http_request");
	if (rc == PULSE_OK)
		rc = add_content_type(job, &req, &hdrs, &line);
	req.flags &= ~HTTP_HOST_PASS_401; /* host-internal */
	if (rc == PULSE_OK)
		rc = job->be->http(job, &req, resp);
	free(hdrs);
	free(line);
	return rc;
}

/* 1.3: the token service; both structs pass the gate (the client's whole
 * 1.3 struct is its minimum: it was born in 1.3). */
static int32_t api_oauth2_http(pulse_job *job, const pulse_oauth2_client *cp,
			       const pulse_http_request *reqp,
			       pulse_http_response **resp)
{
	pulse_oauth2_client client;
	pulse_http_request req;
	const char **hdrs = NULL;
	char *line = NULL;
	int32_t rc;

	if (resp)
		*resp = NULL;
	if (!BE(job, http))
		return unsupported(job, "oauth2_http");
	if (!resp)
		return job_fail(job, PULSE_ERR_PERMANENT, "plugin '%s': "
				"oauth2_http without a response pointer",
				plugin_name(job));
	rc = gate(job, &client, sizeof(client), cp, sizeof(client),
		  "pulse_oauth2_client");
	if (rc == PULSE_OK)
		rc = gate(job, &req, sizeof(req), reqp, ABI_V1_0_HTTP_REQUEST,
			  "pulse_http_request");
	if (rc == PULSE_OK)
		rc = add_content_type(job, &req, &hdrs, &line);
	req.flags &= ~HTTP_HOST_PASS_401;
	if (rc == PULSE_OK)
		rc = oauth2_http(job, &client, &req, resp);
	free(hdrs);
	free(line);
	return rc;
}

static int32_t api_wait_until(pulse_job *job, int64_t until, const char *why)
{
	if (!BE(job, wait_until))
		return unsupported(job, "wait_until");
	return job->be->wait_until(job, until, why);
}

static void api_rate_budget(pulse_job *job, int64_t remaining, int64_t limit,
			    int64_t reset)
{
	if (BE(job, rate_budget))
		job->be->rate_budget(job, remaining, limit, reset);
}

static int32_t api_raw_store(pulse_job *job, const pulse_raw_page *pagep)
{
	pulse_raw_page page;
	int32_t rc;

	if (!BE(job, raw_store))
		return unsupported(job, "raw_store");
	rc = gate(job, &page, sizeof(page), pagep, ABI_V1_0_RAW_PAGE,
		  "pulse_raw_page");
	return rc == PULSE_OK ? job->be->raw_store(job, &page) : rc;
}

static char *api_state_get(pulse_job *job, const char *key)
{
	return BE(job, state_get) ? job->be->state_get(job, key) : NULL;
}

static int32_t api_state_set(pulse_job *job, const char *key, const char *v)
{
	if (!BE(job, state_set))
		return unsupported(job, "state_set");
	return job->be->state_set(job, key, v);
}

/* The backends' state_set deletes on a NULL value (job.h). */
static int32_t api_state_delete(pulse_job *job, const char *key)
{
	if (!BE(job, state_set))
		return unsupported(job, "state_delete");
	if (!key || !*key)
		return job_fail(job, PULSE_ERR_PERMANENT, "plugin '%s': "
				"state_delete with an empty key (plugin bug)",
				plugin_name(job));
	return job->be->state_set(job, key, NULL);
}

static void api_job_log(pulse_job *job, uint32_t level, const char *fmt, ...)
{
	va_list ap;
	char msg[2048];

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt ? fmt : "", ap);
	va_end(ap);
	if (!job) {
		log_msg(LOG_WARN, "PLUGIN", "job_log without a job: %s", msg);
		return;
	}
	log_msg(level < 1 || level > 4 ? LOG_INFO : (int)level,
		job->plugin ? job->plugin->host.category : "PLUGIN",
		"tenant=%lld integration=%lld run=%lld %s",
		(long long)job->tenant_id, (long long)job->integration_id,
		(long long)job->run_id, msg);
}

static void api_progress(pulse_job *job, const char *step, uint64_t done,
			 uint64_t total)
{
	if (BE(job, progress))
		job->be->progress(job, step, done, total);
}

static int32_t api_cancelled(pulse_job *job)
{
	return BE(job, cancelled) ? job->be->cancelled(job) : 0;
}

#define HINT_SET_SECRET "integration set-secret ID "

static int32_t api_fail(pulse_job *job, int32_t klass, const char *fmt, ...)
{
	va_list ap;
	char msg[1024];

	char *at;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	/* A plugin cannot know its integration's id (not in the ABI): its
	 * hint says "set-secret ID FIELD" and the host fills the id in. */
	at = strstr(msg, HINT_SET_SECRET);
	if (at && job->integration_id > 0) {
		char tail[1024];

		snprintf(tail, sizeof(tail), "%s", at + strlen(HINT_SET_SECRET));
		snprintf(at, sizeof(msg) - (size_t)(at - msg), "integration "
			 "set-secret %lld %s", (long long)job->integration_id,
			 tail);
	}
	return job_fail(job, klass, "%s", msg);
}

static pulse_record *api_record_begin(pulse_job *job, const char *entity)
{
	if (!BE(job, record_begin)) {
		unsupported(job, "record_begin");
		return NULL;
	}
	return job->be->record_begin(job, entity);
}

static int32_t api_record_delete(pulse_job *job, const char *entity,
				 const char *external_id)
{
	if (!BE(job, record_delete))
		return unsupported(job, "record_delete");
	return job->be->record_delete(job, entity, external_id);
}

static int32_t rec_set(pulse_record *rec, const char *field,
		       const struct rec_value *v)
{
	struct pulse_job *job = rec ? rec->job : NULL;

	if (!BE(job, record_set))
		return PULSE_ERR_INVALID;
	if (!field || !*field)
		return job_fail(job, PULSE_ERR_PERMANENT,
				"record field name is empty");
	return job->be->record_set(rec, field, v);
}

static int32_t api_record_str(pulse_record *rec, const char *field,
			      const char *value)
{
	struct rec_value v = {value ? REC_STR : REC_NULL, value, 0, 0};

	return rec_set(rec, field, &v);
}

static int32_t api_record_int(pulse_record *rec, const char *field, int64_t i)
{
	struct rec_value v = {REC_INT, NULL, i, 0};

	return rec_set(rec, field, &v);
}

static int32_t api_record_float(pulse_record *rec, const char *field, double f)
{
	struct rec_value v = {REC_FLOAT, NULL, 0, f};

	return rec_set(rec, field, &v);
}

static int32_t api_record_bool(pulse_record *rec, const char *field, int32_t b)
{
	struct rec_value v = {REC_BOOL, NULL, b ? 1 : 0, 0};

	return rec_set(rec, field, &v);
}

static int32_t api_record_time(pulse_record *rec, const char *field,
			       const char *iso)
{
	struct rec_value v = {iso ? REC_TIME : REC_NULL, iso, 0, 0};

	return rec_set(rec, field, &v);
}

static int32_t api_record_json(pulse_record *rec, const char *field,
			       const char *json)
{
	struct rec_value v = {json ? REC_JSON : REC_NULL, json, 0, 0};

	return rec_set(rec, field, &v);
}

static int32_t api_record_end(pulse_record *rec)
{
	struct pulse_job *job = rec ? rec->job : NULL;

	if (!BE(job, record_end))
		return PULSE_ERR_INVALID;
	return job->be->record_end(rec);
}

static void api_record_abort(pulse_record *rec)
{
	struct pulse_job *job = rec ? rec->job : NULL;

	if (BE(job, record_abort))
		job->be->record_abort(rec);
}

static uint32_t api_http_status(const pulse_http_response *r)
{
	return r ? r->status : 0;
}

static const char *api_http_body(const pulse_http_response *r, uint64_t *len)
{
	if (len)
		*len = r ? r->body_len : 0;
	return r && r->body ? r->body : "";
}

static const char *api_http_header(const pulse_http_response *r,
				   const char *name)
{
	size_t i;

	for (i = 0; r && name && i < r->nheaders; i++)
		if (strcasecmp(r->headers[2 * i], name) == 0)
			return r->headers[2 * i + 1];
	return NULL;
}

static void api_http_release(pulse_http_response *r)
{
	http_response_free(r);
}

static const pulse_host_api api = {
	PULSE_STRUCT_INIT(pulse_host_api),
	.log = api_log,
	.free = api_free,
	.config_string = api_config_string,
	.config_int = api_config_int,
	.config_bool = api_config_bool,
	.config_list_count = api_config_list_count,
	.config_list_item = api_config_list_item,
	.secret_get = api_secret_get,
	.http = api_http,
	.http_status = api_http_status,
	.http_body = api_http_body,
	.http_header = api_http_header,
	.http_release = api_http_release,
	.wait_until = api_wait_until,
	.rate_budget = api_rate_budget,
	.raw_store = api_raw_store,
	.state_get = api_state_get,
	.state_set = api_state_set,
	.progress = api_progress,
	.cancelled = api_cancelled,
	.fail = api_fail,
	.record_begin = api_record_begin,
	.record_str = api_record_str,
	.record_int = api_record_int,
	.record_float = api_record_float,
	.record_bool = api_record_bool,
	.record_time = api_record_time,
	.record_json = api_record_json,
	.record_end = api_record_end,
	.record_abort = api_record_abort,
	.record_delete = api_record_delete,
	/* 1.1 */
	.state_delete = api_state_delete,
	.job_log = api_job_log,
	/* 1.3 */
	.oauth2_http = api_oauth2_http,
};

const pulse_host_api *hostapi_table(void)
{
	return &api;
}
