/* dbread: prefer the read replica, fall back to the primary with a WARN.
 * Either connection serves tenants, so its role must be one RLS binds. */
#include "config.h"

#include <stdio.h>

#include "base/log.h"
#include "db/db.h"
#include "db/dbread.h"

PGconn *db_connect_read(const char *analytics_url, const char *primary_url,
			int *on_replica, char *err, size_t errlen)
{
	PGconn *c;

	if (on_replica)
		*on_replica = 0;
	if (analytics_url && *analytics_url) {
		char e2[1024];

		if ((c = db_connect(analytics_url, e2, sizeof(e2)))) {
			/* a superuser replica URL is a setup error, not an
			 * outage: refuse rather than fall back */
			if (db_check_rls_role(c, "analytics_database_url", err,
					      errlen) < 0) {
				PQfinish(c);
				return NULL;
			}
			if (on_replica)
				*on_replica = 1;
			return c;
		}
		/* db_connect masks the password in its message */
		log_warn("db", "the analytics replica is unavailable (%s); "
			 "reading from the primary", e2);
	}
	return db_connect_tenant(primary_url, err, errlen);
}
