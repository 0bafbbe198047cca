/* http_guard: https only, no internal addresses, resolved once and pinned. */
#include "config.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "http/http_int.h"
#include "http/http_policy.h"
#include "plugin/job.h"

#define ALLOW_HINT "http.allow_hosts in pulse-host.conf"
#define PIN_REUSE_MS (60 * 1000)

static int allow_listed(const struct http_client *hc, const char *host)
{
	size_t i;

	for (i = 0; i < hc->nallow; i++)
		if (strcmp(hc->allow_hosts[i], host) == 0)
			return 1;
	return 0;
}

static void addr_text(const struct sockaddr *sa, char *out, size_t n)
{
	const void *a = sa->sa_family == AF_INET6 ?
		(const void *)&((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr :
		(const void *)&((const struct sockaddr_in *)(const void *)sa)->sin_addr;

	if (!inet_ntop(sa->sa_family, a, out, (socklen_t)n))
		snprintf(out, n, "?");
}

/* Same address (ports aside)? */
static int same_addr(const struct sockaddr *a, const struct sockaddr *b)
{
	if (a->sa_family != b->sa_family)
		return 0;
	if (a->sa_family == AF_INET)
		return ((const struct sockaddr_in *)(const void *)a)->sin_addr.s_addr ==
			((const struct sockaddr_in *)(const void *)b)->sin_addr.s_addr;
	if (a->sa_family == AF_INET6)
		return memcmp(&((const struct sockaddr_in6 *)(const void *)a)->sin6_addr,
			      &((const struct sockaddr_in6 *)(const void *)b)->sin6_addr,
			      sizeof(struct in6_addr)) == 0;
	return 0;
}

/* text as an IP literal into ss; 1 if it is one. */
static int ip_literal(const char *text, struct sockaddr_storage *ss)
{
	struct sockaddr_in *s4 = (struct sockaddr_in *)(void *)ss;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)(void *)ss;

	memset(ss, 0, sizeof(*ss));
	if (inet_pton(AF_INET, text, &s4->sin_addr) == 1) {
		s4->sin_family = AF_INET;
		return 1;
	}
	if (inet_pton(AF_INET6, text, &s6->sin6_addr) == 1) {
		s6->sin6_family = AF_INET6;
		return 1;
	}
	return 0;
}

/* Scheme, host (lower-case, no brackets) and port of url; -1 if it
 * does not parse. */
static int split_url(const char *url, char *scheme, size_t sn, char *host,
		     size_t hn, char *port, size_t pn)
{
	CURLU *u = curl_url();
	char *s = NULL, *h = NULL, *p = NULL;
	size_t len, i;
	int rc = -1;

	if (!u || curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_SCHEME, &s, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_HOST, &h, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_PORT, &p, CURLU_DEFAULT_PORT) != CURLUE_OK)
		goto out;
	len = strlen(h);
	if (len >= 2 && h[0] == '[' && h[len - 1] == ']')
		snprintf(host, hn, "%.*s", (int)(len - 2), h + 1);
	else
		snprintf(host, hn, "%s", h);
	for (i = 0; host[i]; i++)
		host[i] = (char)tolower((unsigned char)host[i]);
	snprintf(scheme, sn, "%s", s);
	snprintf(port, pn, "%s", p);
	rc = 0;
out:
	curl_free(s);
	curl_free(h);
	curl_free(p);
	curl_url_cleanup(u);
	return rc;
}

/* Resolve host into pin (all addresses, in the resolver's order). */
static void resolve(const char *host, const char *port, struct http_pin *pin)
{
	struct addrinfo hints, *res = NULL, *ai;
	size_t off;

	if (ip_literal(host, &pin->addr[0])) {
		pin->naddr = 1;
		return;
	}
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	if (getaddrinfo(host, port, &hints, &res) != 0)
		return; /* curl fails to resolve it too, and that is retried */
	off = (size_t)snprintf(pin->resolve, sizeof(pin->resolve), "%s:%s:",
			       host, port);
	for (ai = res; ai && pin->naddr < HTTP_PIN_MAX; ai = ai->ai_next) {
		char a[INET6_ADDRSTRLEN];
		size_t k;
		int dup = 0;

		if (ai->ai_family != AF_INET && ai->ai_family != AF_INET6)
			continue;
		for (k = 0; k < pin->naddr; k++)
			dup |= same_addr((const struct sockaddr *)&pin->addr[k],
					 ai->ai_addr);
		if (dup)
			continue;
		memcpy(&pin->addr[pin->naddr], ai->ai_addr, ai->ai_addrlen);
		addr_text(ai->ai_addr, a, sizeof(a));
		off += (size_t)snprintf(pin->resolve + off, off < sizeof(pin->resolve) ?
					sizeof(pin->resolve) - off : 0,
					ai->ai_family == AF_INET6 ? "%s[%s]" : "%s%s",
					pin->naddr ? "," : "", a);
		pin->naddr++;
	}
	freeaddrinfo(res);
	if (!pin->naddr || off >= sizeof(pin->resolve))
		pin->resolve[0] = '\0'; /* nothing usable: no pin */
}

int32_t http_guard_check(struct http_client *hc, const char *method,
			 const char *url, const char *shown_url,
			 struct http_pin *pin)
{
	char scheme[16], host[256], port[8], a[INET6_ADDRSTRLEN], origin[300];
	const char *range;
	int64_t now = rl_local_ms();
	size_t i;

	memset(pin, 0, sizeof(*pin));
	if (split_url(url, scheme, sizeof(scheme), host, sizeof(host), port,
		      sizeof(port)) < 0)
		return job_fail(hc->job, PULSE_ERR_PERMANENT, "%s: %s %s: the URL "
				"does not parse; check the integration's base_url",
				hc->label, method, shown_url);
	pin->allowed = allow_listed(hc, host);
	if (strcasecmp(scheme, "https") != 0 && !pin->allowed)
		return job_fail(hc->job, PULSE_ERR_PERMANENT, "%s: %s %s refused: "
				"plain %s to host %s (https is required); use an "
				"https URL in the integration's base_url, or, for "
				"a test server, add \"%s\" to " ALLOW_HINT,
				hc->label, method, shown_url, scheme, host, host);
	snprintf(origin, sizeof(origin), "%s://%s:%s", scheme, host, port);
	if (hc->pin_origin[0] && strcmp(hc->pin_origin, origin) == 0 &&
	    now - hc->pin_ms >= 0 && now - hc->pin_ms < PIN_REUSE_MS) {
		*pin = hc->pin; /* checked a moment ago */
		return PULSE_OK;
	}
	resolve(host, port, pin);
	for (i = 0; i < pin->naddr && !pin->allowed; i++) {
		const struct sockaddr *sa = (const struct sockaddr *)&pin->addr[i];

		if (!(range = http_policy_blocked_range(sa)))
			continue;
		addr_text(sa, a, sizeof(a));
		return job_fail(hc->job, PULSE_ERR_PERMANENT, "%s: %s %s refused: "
				"host %s is at address %s, %s; internal addresses "
				"are not reached unless the operator allows the "
				"host: add \"%s\" to " ALLOW_HINT, hc->label,
				method, shown_url, host, a, range, host);
	}
	if (pin->naddr) { /* a failed lookup is tried again next time */
		snprintf(hc->pin_origin, sizeof(hc->pin_origin), "%s", origin);
		hc->pin_ms = now;
		hc->pin = *pin;
	}
	return PULSE_OK;
}

/* May a socket to sa be opened? Public addresses always; internal ones
 * only when pinned for an allow-listed host, or listed as an IP (an
 * internal proxy, say). */
static const char *socket_refusal(const struct http_guard_ctx *g,
				  const struct sockaddr *sa)
{
	const char *range = http_policy_blocked_range(sa);
	struct sockaddr_storage ss;
	size_t i;

	if (!range)
		return NULL;
	for (i = 0; g->pin->allowed && i < g->pin->naddr; i++)
		if (same_addr((const struct sockaddr *)&g->pin->addr[i], sa))
			return NULL;
	for (i = 0; i < g->hc->nallow; i++)
		if (ip_literal(g->hc->allow_hosts[i], &ss) &&
		    same_addr((const struct sockaddr *)&ss, sa))
			return NULL;
	return range;
}

static curl_socket_t open_socket(void *ud, curlsocktype purpose,
				 struct curl_sockaddr *addr)
{
	struct http_guard_ctx *g = ud;
	const char *range = socket_refusal(g, &addr->addr);
	char a[INET6_ADDRSTRLEN];

	(void)purpose;
	if (range) {
		addr_text(&addr->addr, a, sizeof(a));
		snprintf(g->refused, g->refused_len, "a connection to %s, %s, "
			 "was refused (a redirect or a changed DNS answer); "
			 "internal addresses are reached only for hosts on "
			 ALLOW_HINT, a, range);
		return CURL_SOCKET_BAD;
	}
	return socket(addr->family, addr->socktype, addr->protocol);
}

int http_guard_apply(CURL *c, struct http_guard_ctx *g,
		     struct curl_slist **list)
{
	*list = NULL;
	g->refused[0] = '\0';
	if (g->pin->resolve[0]) {
		if (!(*list = curl_slist_append(NULL, g->pin->resolve)))
			return -1;
		curl_easy_setopt(c, CURLOPT_RESOLVE, *list);
	}
	curl_easy_setopt(c, CURLOPT_OPENSOCKETFUNCTION, open_socket);
	curl_easy_setopt(c, CURLOPT_OPENSOCKETDATA, g);
	/* Plain http is followed only from an allow-listed host; the socket
	 * check still stops a redirect to an internal address. */
	curl_easy_setopt(c, CURLOPT_REDIR_PROTOCOLS_STR,
			 g->pin->allowed ? "http,https" : "https");
	return 0;
}
