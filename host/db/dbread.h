/* dbread: the connection analytics reads use (DORA, search, ask). */
#ifndef PULSE_DB_DBREAD_H
#define PULSE_DB_DBREAD_H

#include <stddef.h>

#include <libpq-fe.h>

/*
 * Connect to analytics_url (a read replica) when it is set and reachable,
 * else to primary_url, logging a WARN when a configured replica is down.
 * *on_replica (may be NULL) says which. The caller owns the connection.
 * NULL with err when neither answers.
 */
PGconn *db_connect_read(const char *analytics_url, const char *primary_url,
			int *on_replica, char *err, size_t errlen);

#endif
