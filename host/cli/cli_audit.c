/* cli_audit: the CLI's side of the audit log (cli_audit.h). */
#include "config.h"

#include <inttypes.h>
#include <pwd.h>
#include <stdio.h>
#include <unistd.h>

#include "cli/cli_audit.h"
#include "model/audit.h"

const char *cli_actor(char *buf, size_t len)
{
	struct passwd *pw = getpwuid(geteuid());

	snprintf(buf, len, "cli:%s", pw && pw->pw_name ? pw->pw_name : "?");
	return buf;
}

int cli_audit(PGconn *db, int64_t tenant, const char *cmd, const char *action,
	      const char *kind, int64_t id, json_object *detail)
{
	char who[128], err[512], target[96];

	cli_actor(who, sizeof(who));
	snprintf(target, sizeof(target), "%s:%" PRId64, kind, id);
	if (audit_record_tx(db, tenant, who, action, target, NULL, NULL, detail,
			    err, sizeof(err)) < 0) {
		fprintf(stderr, "%s: the change was made, but recording it in the "
			"audit log failed: %s\n", cmd, err);
		return -1;
	}
	return 0;
}
