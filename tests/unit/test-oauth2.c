/*
 * test-oauth2: the host's client-credentials token service
 * (host/auth/oauth2_cc.c, oauth2_errors.c) with a fake token endpoint,
 * a fake resource and a fake clock: caching per key, renewal before
 * expiry, one renewal and one retry on a 401, each AADSTS refusal's
 * remedy, and a secret with + / = sent URL-encoded.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "auth/oauth2_cc.h"

static int64_t fake_now = 1000000;
static int64_t clock_now(void)
{
	return fake_now;
}

/* The fake world: the token endpoint and the resource. */
struct world {
	int posts, sends, drops, secrets;
	char last_url[256], last_form[512], last_token[64];
	long token_status;          /* what the endpoint answers */
	const char *token_body;     /* NULL: a new token "tok-N" */
	int expires_in;
	int rejects;                /* the resource answers 401 this many times */
	char secret[64];
};

static int32_t w_post(void *v, const char *url, const char *form,
		      long *status, char **body)
{
	struct world *w = v;
	char b[256];

	w->posts++;
	snprintf(w->last_url, sizeof(w->last_url), "%s", url);
	snprintf(w->last_form, sizeof(w->last_form), "%s", form);
	*status = w->token_status;
	if (w->token_body) {
		*body = strdup(w->token_body);
	} else {
		snprintf(b, sizeof(b), "{\"token_type\":\"Bearer\",\"expires_in\":%d,"
			 "\"access_token\":\"tok-%d\"}", w->expires_in, w->posts);
		*body = strdup(b);
	}
	return 0;
}

static char *w_secret(void *v)
{
	struct world *w = v;

	w->secrets++;
	return strdup(w->secret);
}

static int32_t w_send(void *v, const char *token, long *status)
{
	struct world *w = v;

	w->sends++;
	snprintf(w->last_token, sizeof(w->last_token), "%s", token);
	if (w->rejects > 0) {
		w->rejects--;
		*status = 401;
	} else {
		*status = 200;
	}
	return 0;
}

static void w_drop(void *v)
{
	((struct world *)v)->drops++;
}

static struct world W;
static struct oauth2_io IO = {&W, w_post, w_secret, w_send, w_drop};
static const struct oauth2_key K = {
	7, "https://login.example.test", "contoso.onmicrosoft.com",
	"11111111-2222-3333-4444-555555555555",
	"https://graph.microsoft.com/.default",
};

static int setup(void **state)
{
	(void)state;
	oauth2_cache_clear();
	oauth2_set_clock(clock_now);
	memset(&W, 0, sizeof(W));
	W.token_status = 200;
	W.expires_in = 3599;
	snprintf(W.secret, sizeof(W.secret), "s3cr+et/with=");
	return 0;
}

static void test_cached_per_key(void **state)
{
	char err[512];
	struct oauth2_key other = K;

	(void)state;
	assert_int_equal(oauth2_call(&K, &IO, err, sizeof(err)), 0);
	assert_int_equal(oauth2_call(&K, &IO, err, sizeof(err)), 0);
	assert_int_equal(W.posts, 1);
	assert_int_equal(W.sends, 2);
	assert_string_equal(W.last_token, "tok-1");
	assert_string_equal(W.last_url, "https://login.example.test/"
			    "contoso.onmicrosoft.com/oauth2/v2.0/token");
	/* Another scope (Fabric's) is another token. */
	other.scope = "https://api.fabric.microsoft.com/.default";
	assert_int_equal(oauth2_call(&other, &IO, err, sizeof(err)), 0);
	assert_int_equal(W.posts, 2);
	assert_string_equal(W.last_token, "tok-2");
	/* Another integration (another tenant of ours) never shares it. */
	other = K;
	other.integration_id = 8;
	assert_int_equal(oauth2_call(&other, &IO, err, sizeof(err)), 0);
	assert_int_equal(W.posts, 3);
	assert_string_equal(W.last_token, "tok-3");
	assert_int_equal(oauth2_cache_size(), 3);
	/* The secret is read only to fetch a token. */
	assert_int_equal(W.secrets, 3);
}

static void test_renewed_before_expiry(void **state)
{
	char err[512];

	(void)state;
	assert_int_equal(oauth2_call(&K, &IO, err, sizeof(err)), 0);
	fake_now += 3599 - 301; /* still more than 5 min left */
	assert_int_equal(oauth2_call(&K, &IO, err, sizeof(err)), 0);
	assert_int_equal(W.posts, 1);
	fake_now += 2; /* less than 5 min left: renew */
	assert_int_equal(oauth2_call(&K, &IO, err, sizeof(err)), 0);
	assert_int_equal(W.posts, 2);
	assert_string_equal(W.last_token, "tok-2");
	/* A short lifetime renews a fifth early. */
	oauth2_cache_clear();
	W.expires_in = 10;
	assert_int_equal(oauth2_call(&K, &IO, err, sizeof(err)), 0);
	fake_now += 7;
	assert_int_equal(oauth2_call(&K, &IO, err, sizeof(err)), 0);
	assert_int_equal(W.posts, 3);
	fake_now += 2;
	assert_int_equal(oauth2_call(&K, &IO, err, sizeof(err)), 0);
	assert_int_equal(W.posts, 4);
}

static void test_401_renews_and_retries_once(void **state)
{
	char err[512];

	(void)state;
	assert_int_equal(oauth2_call(&K, &IO, err, sizeof(err)), 0);
	W.rejects = 1; /* the token was revoked mid-run */
	assert_int_equal(oauth2_call(&K, &IO, err, sizeof(err)), 0);
	assert_int_equal(W.posts, 2);
	assert_int_equal(W.sends, 3);
	assert_int_equal(W.drops, 1);
	assert_string_equal(W.last_token, "tok-2");
	/* The new token is cached. */
	assert_int_equal(oauth2_call(&K, &IO, err, sizeof(err)), 0);
	assert_int_equal(W.posts, 2);
	/* Refused twice: permanent, with what to do; no third send. */
	W.rejects = 5;
	W.sends = 0;
	assert_int_equal(oauth2_call(&K, &IO, err, sizeof(err)), -3);
	assert_int_equal(W.sends, 2);
	assert_non_null(strstr(err, "401 twice"));
	assert_non_null(strstr(err, "admin consent"));
	assert_null(strstr(err, "tok-"));
}

static void test_secret_url_encoded(void **state)
{
	char err[512];
	char *form;

	(void)state;
	assert_int_equal(oauth2_call(&K, &IO, err, sizeof(err)), 0);
	assert_non_null(strstr(W.last_form, "client_secret=s3cr%2Bet%2Fwith%3D&"));
	assert_non_null(strstr(W.last_form, "grant_type=client_credentials"));
	assert_non_null(strstr(W.last_form,
		"scope=https%3A%2F%2Fgraph.microsoft.com%2F.default"));
	assert_non_null(strstr(W.last_form,
		"client_id=11111111-2222-3333-4444-555555555555"));
	form = oauth2_form("a b", "x&y=z", "s");
	assert_string_equal(form, "grant_type=client_credentials&client_id=a%20b"
			    "&client_secret=x%26y%3Dz&scope=s");
	free(form);
}

/* Each permanent AADSTS code: refused, remedy named, nothing cached,
 * the secret never in the message. */
static void test_aadsts_remedies(void **state)
{
	static const struct {
		long status;
		const char *body;
		int32_t klass;
		const char *remedy;
	} c[] = {
		{401, "{\"error\":\"invalid_client\",\"error_description\":"
		 "\"AADSTS7000215: x\",\"error_codes\":[7000215]}", -3,
		 "Value (not its Secret ID)"},
		{401, "{\"error\":\"invalid_client\",\"error_description\":"
		 "\"AADSTS7000222: x\",\"error_codes\":[7000222]}", -3,
		 "has expired"},
		{400, "{\"error\":\"unauthorized_client\",\"error_description\":"
		 "\"AADSTS700016: x\",\"error_codes\":[700016]}", -3,
		 "not the Object ID"},
		{400, "{\"error\":\"invalid_request\",\"error_description\":"
		 "\"AADSTS90002: x\",\"error_codes\":[90002]}", -3,
		 "Directory (tenant) ID"},
		{400, "{\"error\":\"invalid_scope\",\"error_description\":"
		 "\"AADSTS70011: x\",\"error_codes\":[70011]}", -3,
		 "/.default"},
		{400, "{\"error\":\"temporarily_unavailable\",\"error_codes\":"
		 "[90033]}", -2, "retried later"},
		{503, "<html>busy</html>", -2, "will be retried"},
		{400, "{\"error\":\"invalid_grant\"}", -3, "check `tenant`"},
	};
	char err[512];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		oauth2_cache_clear();
		W.token_status = c[i].status;
		W.token_body = c[i].body;
		W.sends = 0;
		assert_int_equal(oauth2_call(&K, &IO, err, sizeof(err)), c[i].klass);
		if (!strstr(err, c[i].remedy))
			fail_msg("case %zu: no remedy '%s' in '%s'", i,
				 c[i].remedy, err);
		assert_null(strstr(err, "s3cr"));
		assert_int_equal(W.sends, 0);
		assert_int_equal(oauth2_cache_size(), 0);
	}
	/* A known code prints its number. */
	W.token_status = 401;
	W.token_body = c[0].body;
	oauth2_call(&K, &IO, err, sizeof(err));
	assert_non_null(strstr(err, "AADSTS7000215"));
}

static void test_200_without_token(void **state)
{
	char err[512];

	(void)state;
	W.token_body = "{\"hello\":1}";
	assert_int_equal(oauth2_call(&K, &IO, err, sizeof(err)), -3);
	assert_non_null(strstr(err, "without an access_token"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_cached_per_key, setup),
		cmocka_unit_test_setup(test_renewed_before_expiry, setup),
		cmocka_unit_test_setup(test_401_renews_and_retries_once, setup),
		cmocka_unit_test_setup(test_secret_url_encoded, setup),
		cmocka_unit_test_setup(test_aadsts_remedies, setup),
		cmocka_unit_test_setup(test_200_without_token, setup),
	};
	int rc = cmocka_run_group_tests(tests, NULL, NULL);

	oauth2_cache_clear();
	return rc;
}
