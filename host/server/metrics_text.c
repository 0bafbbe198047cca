/* metrics_text: the Prometheus text exposition format, version 0.0.4
 * (see metrics.h): family headers, samples, label escaping. */
#include "config.h"

#include <math.h>
#include <stdio.h>

#include "server/metrics.h"

void metrics_family(struct strbuf *b, const char *name, const char *type,
		    const char *help)
{
	/* help is ours (no backslash or newline to escape). */
	sb_addf(b, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* A label value: backslash, double quote and newline escaped. */
static void add_label_value(struct strbuf *b, const char *v)
{
	for (; *v; v++) {
		if (*v == '\\')
			sb_adds(b, "\\\\");
		else if (*v == '"')
			sb_adds(b, "\\\"");
		else if (*v == '\n')
			sb_adds(b, "\\n");
		else
			sb_add(b, v, 1);
	}
}

static void add_value(struct strbuf *b, double v)
{
	if (isnan(v))
		sb_adds(b, "NaN");
	else if (isinf(v))
		sb_adds(b, v > 0 ? "+Inf" : "-Inf");
	else if (v == floor(v) && fabs(v) < 9007199254740992.0)
		sb_addf(b, "%.0f", v);
	else
		sb_addf(b, "%.17g", v);
}

void metrics_sample(struct strbuf *b, const char *name,
		    const char *const *labels, double value)
{
	int n = 0;

	sb_adds(b, name);
	for (; labels && labels[0]; labels += 2) {
		if (!labels[0][0])
			continue;
		sb_adds(b, n++ ? "," : "{");
		sb_addf(b, "%s=\"", labels[0]);
		add_label_value(b, labels[1] ? labels[1] : "");
		sb_adds(b, "\"");
	}
	if (n)
		sb_adds(b, "}");
	sb_adds(b, " ");
	add_value(b, value);
	sb_adds(b, "\n");
}
