/* oauth2_errors: what a refused token request means and what to do.
 * The identity platform's `error` field is stable; its AADSTS numbers
 * (error_codes) say precisely which configuration is wrong, so the remedy
 * is chosen by code, then by error, never by the description text. */
#include "config.h"

#include <json-c/json.h>
#include <stdio.h>
#include <string.h>

#include <pulse-host/plugin.h>

#include "auth/oauth2_cc.h"

struct remedy {
	long code;
	int transient;
	const char *what;   /* what happened */
	const char *fix;    /* what to do */
};

/* %s in fix: the secret's config field is not known here, so the hint
 * names the command and the integration; see docs/directory-entra.md. */
static const struct remedy remedies[] = {
	{7000215, 0, "invalid client secret (often the secret's ID was stored "
	 "instead of its Value)", "copy the secret's Value (not its Secret ID) "
	 "from App registrations > Certificates & secrets, and store it with "
	 "`pulse-host integration set-secret`"},
	{7000222, 0, "the client secret has expired", "create a new client "
	 "secret under App registrations > Certificates & secrets and store "
	 "it with `pulse-host integration set-secret`"},
	{700016, 0, "the application was not found in the tenant", "check "
	 "`client_id` (the Application (client) ID, not the Object ID) and "
	 "`tenant`; a multi-tenant app needs admin consent in this tenant"},
	{90002, 0, "the tenant was not found", "check `tenant` (the Directory "
	 "(tenant) ID or a verified domain) and `authority` (national clouds "
	 "have their own)"},
	{70011, 0, "the scope is invalid", "the scope must be one resource's "
	 "/.default, e.g. https://graph.microsoft.com/.default"},
	{500011, 0, "the resource's service principal is not in the tenant",
	 "the tenant has not enabled this resource (API); ask its admin"},
	{53003, 0, "Conditional Access blocked the token", "exclude the "
	 "service principal from the policy, or allow this host's address"},
	{90024, 1, "the identity platform is busy", "nothing: retried later"},
	{90033, 1, "the identity platform is busy", "nothing: retried later"},
	{90006, 1, "the identity platform is busy", "nothing: retried later"},
};

static const struct remedy *by_code(long code)
{
	size_t i;

	for (i = 0; i < sizeof(remedies) / sizeof(remedies[0]); i++)
		if (remedies[i].code == code)
			return &remedies[i];
	return NULL;
}

int32_t oauth2_error_judge(long status, const char *body,
			   const struct oauth2_key *k, char *msg, size_t n)
{
	struct json_object *o = body ? json_tokener_parse(body) : NULL, *v;
	const struct remedy *r = NULL;
	const char *error = NULL;
	long code = 0;
	int32_t rc;
	size_t i;

	if (o && json_object_object_get_ex(o, "error", &v) &&
	    json_object_is_type(v, json_type_string))
		error = json_object_get_string(v);
	if (o && json_object_object_get_ex(o, "error_codes", &v) &&
	    json_object_is_type(v, json_type_array))
		for (i = 0; !r && i < json_object_array_length(v); i++) {
			code = (long)json_object_get_int64(
				json_object_array_get_idx(v, i));
			r = by_code(code);
		}
	if (r) {
		snprintf(msg, n, "oauth2: token request for application %s in "
			 "tenant %s refused: AADSTS%ld, %s; %s", k->client_id,
			 k->tenant, code, r->what, r->fix);
		rc = r->transient ? PULSE_ERR_TRANSIENT : PULSE_ERR_PERMANENT;
	} else if (status >= 500 || status == 429 || status == 408 ||
		   (error && strcmp(error, "temporarily_unavailable") == 0)) {
		snprintf(msg, n, "oauth2: the token endpoint of tenant %s is "
			 "unavailable (HTTP %ld%s%s); the job will be retried",
			 k->tenant, status, error ? ", " : "", error ? error : "");
		rc = PULSE_ERR_TRANSIENT;
	} else {
		char cb[32] = "";

		if (code)
			snprintf(cb, sizeof(cb), ", AADSTS%ld", code);
		snprintf(msg, n, "oauth2: token request for application %s in "
			 "tenant %s refused (HTTP %ld, %s%s); check `tenant`, "
			 "`client_id`, the client secret and `authority` (%s)",
			 k->client_id, k->tenant, status, error ? error : "no error",
			 cb, k->authority);
		rc = PULSE_ERR_PERMANENT;
	}
	json_object_put(o);
	return rc;
}
