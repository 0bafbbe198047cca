/*
 * source-ad conn: connect, TLS and the simple bind, and LDAP errors as
 * job failures that say what to do. The password is fetched from the
 * host only for the bind and wiped right after.
 */
#include <ldap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "ad.h"

int32_t ad_oom(struct ad *g)
{
	return ad_api->fail(g->job, PULSE_ERR_TRANSIENT, "out of memory");
}

/* The server's or library's diagnostic text, into buf ("" if none). */
static void diag(struct ad *g, char *buf, size_t n)
{
	char *m = NULL;

	buf[0] = '\0';
	if (g->ld && ldap_get_option(g->ld, LDAP_OPT_DIAGNOSTIC_MESSAGE, &m) ==
	    LDAP_OPT_SUCCESS && m) {
		snprintf(buf, n, "%s", m);
		ldap_memfree(m);
	}
}

int32_t ad_fail_ldap(struct ad *g, int rc, const char *what)
{
	char d[300];
	const char *url = g->url ? g->url : "";

	diag(g, d, sizeof(d));
	switch (rc) {
	case LDAP_INVALID_CREDENTIALS:
		return ad_api->fail(g->job, PULSE_ERR_PERMANENT,
			"%s at %s: the DC refused the bind as \"%s\": invalid "
			"credentials (49%s%s); check `bind_dn` and set the password "
			"with `pulse-host integration set-secret ID bind_password` "
			"(an expired or locked service account answers the same)",
			what, url, g->bind_dn ? g->bind_dn : "", d[0] ? ", " : "", d);
	case LDAP_STRONG_AUTH_REQUIRED:
	case LDAP_CONFIDENTIALITY_REQUIRED:
		return ad_api->fail(g->job, PULSE_ERR_PERMANENT,
			"%s at %s: the DC requires an encrypted connection for "
			"simple binds (%d%s%s); use an ldaps:// URL or keep "
			"`starttls` on", what, url, rc, d[0] ? ", " : "", d);
	case LDAP_INSUFFICIENT_ACCESS:
		return ad_api->fail(g->job, PULSE_ERR_PERMANENT,
			"%s at %s: insufficient access (50%s%s); the service "
			"account needs read access to the users, groups and org "
			"units (see docs/directory.md)", what, url,
			d[0] ? ", " : "", d);
	case LDAP_NO_SUCH_OBJECT:
		return ad_api->fail(g->job, PULSE_ERR_PERMANENT,
			"%s at %s: no such object (32%s%s); check `base_dn`",
			what, url, d[0] ? ", " : "", d);
	case LDAP_FILTER_ERROR:
		return ad_api->fail(g->job, PULSE_ERR_PERMANENT,
			"%s at %s: the DC rejected the filter (87); check "
			"`user_filter`, `group_filter` and `ou_filter`", what, url);
	case LDAP_SERVER_DOWN:
	case LDAP_CONNECT_ERROR:
	case LDAP_TIMEOUT:
	case LDAP_BUSY:
	case LDAP_UNAVAILABLE:
		return ad_api->fail(g->job, PULSE_ERR_TRANSIENT,
			"%s at %s: %s (%d%s%s); check that the DC is reachable, "
			"and for TLS that `ca_file` holds the CA that signed its "
			"certificate and that the URL's host name matches it", what,
			url, ldap_err2string(rc), rc, d[0] ? ": " : "", d);
	default:
		return ad_api->fail(g->job, PULSE_ERR_TRANSIENT,
			"%s at %s: %s (%d%s%s)", what, url, ldap_err2string(rc), rc,
			d[0] ? ": " : "", d);
	}
}

/* TLS options on the handle: our CA file, certificates always checked,
 * then a fresh TLS context so that they take effect on this handle. */
static int32_t tls_options(struct ad *g)
{
	const char *ca = ad_api->config_string(g->job, "ca_file");
	int demand = LDAP_OPT_X_TLS_DEMAND, zero = 0, rc;

	if ((rc = ldap_set_option(g->ld, LDAP_OPT_X_TLS_REQUIRE_CERT, &demand)))
		return ad_fail_ldap(g, rc, "setting TLS options");
	if (ca && *ca &&
	    (rc = ldap_set_option(g->ld, LDAP_OPT_X_TLS_CACERTFILE, ca)))
		return ad_fail_ldap(g, rc, "setting `ca_file`");
	if ((rc = ldap_set_option(g->ld, LDAP_OPT_X_TLS_NEWCTX, &zero))) {
		if (ca && *ca)
			return ad_api->fail(g->job, PULSE_ERR_PERMANENT,
				"TLS set-up for %s failed: cannot use `ca_file` %s (%s); "
				"it must be a readable PEM file of the CA certificate",
				g->url, ca, ldap_err2string(rc));
		return ad_fail_ldap(g, rc, "TLS set-up");
	}
	return PULSE_OK;
}

int32_t ad_connect(struct ad *g)
{
	int v3 = LDAP_VERSION3, rc;
	int64_t tmo = ad_api->config_int(g->job, "timeout_seconds", 30);
	struct timeval tv = {(time_t)tmo, 0};
	struct berval cred;
	char *pw = NULL;
	int32_t ret;

	if ((rc = ldap_initialize(&g->ld, g->url)) != LDAP_SUCCESS)
		return ad_api->fail(g->job, PULSE_ERR_PERMANENT, "`url` %s is not "
			"a valid LDAP URL (%s); use ldaps://host[:port] or "
			"ldap://host[:port]", g->url, ldap_err2string(rc));
	ldap_set_option(g->ld, LDAP_OPT_PROTOCOL_VERSION, &v3);
	ldap_set_option(g->ld, LDAP_OPT_REFERRALS, LDAP_OPT_OFF);
	ldap_set_option(g->ld, LDAP_OPT_NETWORK_TIMEOUT, &tv);
	ldap_set_option(g->ld, LDAP_OPT_TIMEOUT, &tv);
	if ((ret = tls_options(g)) != PULSE_OK)
		return ret;
	if (strncasecmp(g->url, "ldap://", 7) == 0) {
		if (ad_api->config_bool(g->job, "starttls", 1)) {
			g->round_trips++;
			if ((rc = ldap_start_tls_s(g->ld, NULL, NULL)) != LDAP_SUCCESS)
				return ad_fail_ldap(g, rc, "StartTLS");
		} else {
			ad_api->job_log(g->job, PULSE_LOG_WARN, "plain_bind url=%s "
				"reason=\"starttls is off: the password crosses the "
				"network in clear\"", g->url);
		}
	}
	if (!(pw = ad_api->secret_get(g->job, "bind_password", 0)))
		return ad_api->fail(g->job, PULSE_ERR_PERMANENT, "no `bind_password` "
			"is set; set it with `pulse-host integration set-secret ID "
			"bind_password`");
	cred.bv_val = pw;
	cred.bv_len = strlen(pw);
	g->round_trips++;
	rc = ldap_sasl_bind_s(g->ld, g->bind_dn, LDAP_SASL_SIMPLE, &cred, NULL,
			      NULL, NULL);
	explicit_bzero(pw, cred.bv_len);
	ad_api->free(pw);
	if (rc != LDAP_SUCCESS)
		return ad_fail_ldap(g, rc, "bind");
	return PULSE_OK;
}

void ad_disconnect(struct ad *g)
{
	if (g->ld)
		ldap_unbind_ext_s(g->ld, NULL, NULL);
	g->ld = NULL;
}
