/* oauth2_http: the plugin API's oauth2_http (ABI 1.3), the token service
 * (oauth2_cc.h) wired to a job's HTTP client and secrets. */
#ifndef PULSE_AUTH_OAUTH2_HTTP_H
#define PULSE_AUTH_OAUTH2_HTTP_H

#include <stdint.h>

#include <pulse-host/plugin.h>

struct pulse_job;

/* client and req have passed the ABI gate (full host layouts); req's
 * Content-Type is already a header. As the host API's oauth2_http:
 * *resp is the caller's on PULSE_OK. */
int32_t oauth2_http(struct pulse_job *job, const pulse_oauth2_client *client,
		    const pulse_http_request *req, pulse_http_response **resp);

#endif
