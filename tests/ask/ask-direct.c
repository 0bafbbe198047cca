/*
 * ask-direct URL TENANT FILE: defence in depth. Runs every SQL of the
 * hostile corpus FILE (lines "RULE<TAB>SQL") straight at the database,
 * WITHOUT the guard, exactly as askexec runs a query (read-only
 * transaction, statement_timeout, SET LOCAL ROLE pulse_query, the tenant,
 * search_path ask, the extended protocol, ROLLBACK), and prints one line
 * per entry:
 *   N<TAB>refused<TAB>SQLSTATE message       the database refused it
 *   N<TAB>ran<TAB>ROWS<TAB>LEAK              it ran; LEAK 1 if any value
 *                                            holds the marker SECRET-B
 * The shell test then checks nothing leaked and nothing changed.
 */
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int exec_ok(PGconn *c, const char *sql)
{
	PGresult *r = PQexec(c, sql);
	int ok = PQresultStatus(r) == PGRES_COMMAND_OK;

	if (!ok)
		fprintf(stderr, "ask-direct: %s: %s", sql, PQerrorMessage(c));
	PQclear(r);
	return ok;
}

int main(int argc, char **argv)
{
	char line[65536], scope[512];
	PGconn *c;
	FILE *f;
	int n = 0;

	if (argc != 4) {
		fprintf(stderr, "usage: ask-direct URL TENANT CORPUS\n");
		return 2;
	}
	c = PQconnectdb(argv[1]);
	if (PQstatus(c) != CONNECTION_OK) {
		fprintf(stderr, "ask-direct: %s", PQerrorMessage(c));
		return 1;
	}
	if (!(f = fopen(argv[3], "r"))) {
		perror(argv[3]);
		return 1;
	}
	snprintf(scope, sizeof(scope),
		 "BEGIN READ ONLY; SET LOCAL statement_timeout = 2000;"
		 " SET LOCAL ROLE pulse_query; SET LOCAL app.tenant_id = '%s';"
		 " SET LOCAL search_path = ask", argv[2]);
	while (fgets(line, sizeof(line), f)) {
		char *tab = strchr(line, '\t'), *sql;
		size_t len = strlen(line);
		PGresult *r;
		int i, j, leak = 0;

		if (line[0] == '#' || !tab)
			continue;
		while (len && (line[len - 1] == '\n' || line[len - 1] == '\r'))
			line[--len] = '\0';
		sql = tab + 1;
		n++;
		if (!exec_ok(c, scope))
			return 1;
		r = PQexecParams(c, sql, 0, NULL, NULL, NULL, NULL, 0);
		if (PQresultStatus(r) == PGRES_COPY_OUT) {
			char *buf;
			int rows = 0, k;

			while ((k = PQgetCopyData(c, &buf, 0)) > 0) {
				if (strstr(buf, "SECRET-B"))
					leak = 1;
				rows++;
				PQfreemem(buf);
			}
			PQclear(r);
			while ((r = PQgetResult(c)))
				PQclear(r);
			printf("%d\tran\t%d\t%d\n", n, rows, leak);
		} else if (PQresultStatus(r) == PGRES_TUPLES_OK ||
		    PQresultStatus(r) == PGRES_COMMAND_OK) {
			for (i = 0; i < PQntuples(r); i++)
				for (j = 0; j < PQnfields(r); j++)
					if (strstr(PQgetvalue(r, i, j), "SECRET-B"))
						leak = 1;
			printf("%d\tran\t%d\t%d\n", n, PQntuples(r), leak);
		} else {
			const char *st = PQresultErrorField(r, PG_DIAG_SQLSTATE);
			const char *m = PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY);

			printf("%d\trefused\t%s %s\n", n, st ? st : "-",
			       m ? m : PQerrorMessage(c));
		}
		PQclear(r);
		if (PQstatus(c) != CONNECTION_OK) {
			PQreset(c);
			continue;
		}
		if (!exec_ok(c, "ROLLBACK"))
			return 1;
	}
	fclose(f);
	PQfinish(c);
	return 0;
}
