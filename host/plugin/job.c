/* job: failures of a job, shared by every service a plugin calls. */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>

#include "base/log.h"
#include "plugin/job.h"
#include "plugin/loaded.h"

int32_t job_fail(struct pulse_job *job, int32_t klass, const char *fmt, ...)
{
	va_list ap;
	char msg[1024];

	/* Jobs know three outcomes; FALLBACK only means more to providers.
	 * Anything else is permanent, so a bogus class never causes endless
	 * retries. */
	if (job && job->mode == JOB_PROVIDER) {
		if (klass != PULSE_ERR_TRANSIENT && klass != PULSE_ERR_CANCELLED &&
		    klass != PULSE_ERR_FALLBACK && klass != PULSE_ERR_INVALID &&
		    klass != PULSE_ERR_UNSUPPORTED)
			klass = PULSE_ERR_PERMANENT;
	} else {
		if (klass == PULSE_ERR_FALLBACK)
			klass = PULSE_ERR_TRANSIENT;
		if (klass != PULSE_ERR_TRANSIENT && klass != PULSE_ERR_CANCELLED)
			klass = PULSE_ERR_PERMANENT;
	}
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (!job)
		return klass;
	if (!job->err_class) {
		job->err_class = klass;
		snprintf(job->err, sizeof(job->err), "%s", msg);
	}
	log_debug(job->plugin ? job->plugin->host.category : "JOB",
		  "job_failure class=%s integration=%lld msg=\"%s\"",
		  klass == PULSE_ERR_TRANSIENT ? "transient" :
		  klass == PULSE_ERR_CANCELLED ? "cancelled" :
		  klass == PULSE_ERR_FALLBACK ? "fallback" :
		  klass == PULSE_ERR_INVALID ? "invalid" :
		  klass == PULSE_ERR_UNSUPPORTED ? "unsupported" : "permanent",
		  (long long)job->integration_id, msg);
	return klass;
}
