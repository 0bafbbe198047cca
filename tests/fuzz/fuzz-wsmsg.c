/* Fuzz target: a WebSocket client message on /ws/progress, through the
 * same path the server takes (wsmsg_parse, then progress_sub_only on a
 * live subscriber that also receives events). */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "server/progress.h"
#include "server/wsmsg.h"

static void wake(void *ctx)
{
	(void)ctx;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct progress_bus *b = progress_bus_new(16);
	struct progress_sub *s = b ? progress_subscribe(b, 1, wake, NULL) : NULL;
	const char *v[WSMSG_MAX_CHANNELS];
	struct progress_event ev;
	struct wsmsg m;
	char err[256];
	unsigned char *out;
	size_t i, len;

	if (!s)
		goto out;
	if (wsmsg_parse((const char *)data, size, &m, err, sizeof(err)) == 0) {
		for (i = 0; i < m.nchannels; i++)
			v[i] = m.channels[i];
		/* Everything the parser accepts, the bus must accept too. */
		if (progress_sub_only(s, v, m.nchannels) < 0)
			abort();
	} else if (!err[0] || memchr(err, '\0', sizeof(err)) == NULL) {
		abort(); /* a refusal always says why */
	}
	memset(&ev, 0, sizeof(ev));
	ev.kind = PROG_PROGRESS;
	ev.tenant_id = 1;
	ev.job_id = 5;
	ev.done = 1;
	ev.total = 2;
	progress_publish(b, &ev);
	while (progress_sub_peek(s, &out, &len))
		progress_sub_pop(s);
out:
	progress_bus_free(b);
	return 0;
}
