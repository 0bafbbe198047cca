/* dora_band: the DORA 2023 performance bands, durations in words, and
 * the accepted date syntax. */
#include "config.h"

#include <regex.h>
#include <stdio.h>

#include "analytics/dora.h"

#define HOUR 3600.0
#define DAY 86400.0

/* ------------------------------------------------------------ bands */

const char *dora_band_frequency(double days_per_week, double days_per_month)
{
	/* 2023: on demand (>= 5 days a week), weekly, monthly, less. Periods
	 * without a deployment count as zero, so "monthly" has to be read
	 * from the monthly median, not from the weekly one. */
	if (days_per_week >= 5)
		return "elite";
	if (days_per_week >= 1)
		return "high";
	if (days_per_month >= 1)
		return "medium";
	return "low";
}

const char *dora_band_lead_time(double seconds)
{
	if (seconds < DAY)
		return "elite";
	if (seconds < 7 * DAY)
		return "high";
	if (seconds < 30 * DAY)
		return "medium";
	return "low";
}

const char *dora_band_failure_rate(double percent)
{
	if (percent <= 5)
		return "elite";
	if (percent <= 10)
		return "high";
	if (percent <= 15)
		return "medium";
	return "low";
}

const char *dora_band_recovery(double seconds)
{
	if (seconds < HOUR)
		return "elite";
	if (seconds < DAY)
		return "high";
	if (seconds < 7 * DAY)
		return "medium";
	return "low";
}

void dora_format_duration(double seconds, char *buf, size_t len)
{
	if (seconds < HOUR)
		snprintf(buf, len, "%.0f min", seconds / 60);
	else if (seconds < 48 * HOUR)
		snprintf(buf, len, "%.1f h", seconds / HOUR);
	else
		snprintf(buf, len, "%.1f days", seconds / DAY);
}

int dora_date_valid(const char *s)
{
	static const char *re =
		"^[0-9]{4}-[0-9]{2}-[0-9]{2}"
		"([T ][0-9]{2}:[0-9]{2}(:[0-9]{2}(\\.[0-9]{1,6})?)?"
		"(Z|[+-][0-9]{2}(:?[0-9]{2})?)?)?$";
	regex_t rx;
	int ok;

	if (!s || regcomp(&rx, re, REG_EXTENDED | REG_NOSUB) != 0)
		return 0;
	ok = regexec(&rx, s, 0, NULL, 0) == 0;
	regfree(&rx);
	return ok;
}
