/* integration: rows of the integrations table and their credentials. */
#ifndef PULSE_INTEGRATION_H
#define PULSE_INTEGRATION_H

#include <stddef.h>
#include <stdint.h>

#include <libpq-fe.h>

struct json_object;
struct crypto_key;

struct integration {
	int64_t id;
	int64_t tenant_id;
	char *name;
	char *type;                   /* Data | AI | Embedding */
	char *plugin;
	struct json_object *settings; /* as the admin gave them (no defaults) */
	unsigned char *credentials;   /* encrypted blob, or NULL */
	size_t credlen;
	int enabled;
};

/*
 * Find integration id (any tenant: the tenant is looked up through the
 * host_integration_tenant() SECURITY DEFINER function, then the row is
 * read inside that tenant's transaction). Fills *out (caller calls
 * integration_free). Returns 0, -1 with err, or 1 if there is no such
 * integration (err says so).
 */
int integration_get(PGconn *c, int64_t id, struct integration *out,
		    char *err, size_t errlen);
void integration_free(struct integration *in);

/*
 * Decrypt in's credentials into a JSON object of secrets (an empty object
 * when there are none). *out is a new reference; put it with
 * integration_secrets_free, which wipes the strings. 0 or -1.
 */
int integration_secrets(const struct integration *in,
			const struct crypto_key *key,
			struct json_object **out, char *err, size_t errlen);
void integration_secrets_free(struct json_object *secrets);

/*
 * Insert an integration in one tenant transaction, with its job when type
 * is Data (jobstate_create), encrypting secrets (may be NULL or empty)
 * bound to the new id. *id receives it. 0 or -1.
 */
int integration_add(PGconn *c, const struct crypto_key *key,
		    int64_t tenant_id, const char *name, const char *type,
		    const char *plugin, struct json_object *settings,
		    struct json_object *secrets, int64_t *id, char *err,
		    size_t errlen);

/* Replace the credentials blob with secrets, sealed again. 0 or -1. */
int integration_set_credentials(PGconn *c, const struct crypto_key *key,
				const struct integration *in,
				struct json_object *secrets, char *err,
				size_t errlen);

/*
 * The integrations of tenant as the API shows them (no credentials: only
 * has_credentials), with their job's id and state, ordered by id; id > 0:
 * only that one. In a transaction of its own; the caller PQclear()s.
 * NULL with err.
 */
PGresult *integration_rows(PGconn *c, int64_t tenant, int64_t id,
			   char *err, size_t errlen);

/*
 * Change integration id of tenant in one transaction: settings (JSON
 * text, replacing them whole) unless NULL, enabled unless < 0, name
 * unless NULL. 0, or -1 with err (rolled back).
 */
int integration_update(PGconn *c, int64_t tenant, int64_t id,
		       const char *settings_json, int enabled, const char *name,
		       char *err, size_t errlen);

/* Results of integration_delete besides 0 (deleted) and -1 (err). */
#define INTEGRATION_RUNNING 1   /* its job is RUNNING: stop it first */
#define INTEGRATION_NOTFOUND 2  /* no such integration in the tenant */

/* Delete integration id of tenant (its job and history go with it),
 * unless its job is RUNNING. */
int integration_delete(PGconn *c, int64_t tenant, int64_t id, char *err,
		       size_t errlen);

#endif
