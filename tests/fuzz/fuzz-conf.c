/* Fuzz target: the configuration file (libconfig, then our key, type
 * and range checks in conf_load_ex, and the listen address). The oracle:
 * a file that loads holds values within the documented ranges. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include "base/conf.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct conf c;
	char path[64], err[1024], host[128];
	int fd = memfd_create("fuzz-conf", MFD_CLOEXEC), port;

	if (fd < 0)
		return 0;
	if (write(fd, data, size) != (ssize_t)size) {
		close(fd);
		return 0;
	}
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	if (conf_load_ex(path, 0, &c, err, sizeof(err)) == 0) {
		if (c.jobs_max_running < 1 || c.jobs_max_running > 4096 ||
		    c.http_timeout_s < 1 || c.http_timeout_s > 3600 ||
		    c.http_max_retries < 0 || c.http_max_retries > 100 ||
		    c.jobs_max_attempts < 1 || c.jobs_max_attempts > 1000 ||
		    !c.database_url || !c.listen || !c.plugin_dirs ||
		    !c.worker_roles)
			abort();
		(void)conf_parse_listen(c.listen, host, sizeof(host), &port,
					err, sizeof(err));
	} else if (!err[0]) {
		abort(); /* a refusal always says why */
	}
	conf_free(&c);
	close(fd);
	return 0;
}
