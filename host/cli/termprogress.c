/* termprogress: progress lines and bars on a terminal (see termprogress.h). */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include "cli/termprogress.h"

void termprogress_init(struct termprogress *tp, FILE *out, int tty)
{
	memset(tp, 0, sizeof(*tp));
	tp->out = out;
	tp->tty = tty;
}

double termprogress_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void termprogress_eta(long s, char *buf, size_t len)
{
	if (s >= 3600)
		snprintf(buf, len, "%ld:%02ld:%02ld", s / 3600, s / 60 % 60, s % 60);
	else
		snprintf(buf, len, "%ld:%02ld", s / 60, s % 60);
}

/* sep + ETA into buf, or "" when eta < 0. */
static const char *eta_text(long eta, const char *sep, char *buf, size_t len)
{
	size_t n;

	buf[0] = '\0';
	if (eta < 0)
		return buf;
	snprintf(buf, len, "%s", sep);
	n = strlen(buf);
	termprogress_eta(eta, buf + n, len - n);
	return buf;
}

void termprogress_line(char *buf, size_t len, const char *step,
		       uint64_t done, uint64_t total, double percent, long eta)
{
	char e[32];

	eta_text(eta, " ETA ", e, sizeof(e));
	if (total)
		snprintf(buf, len, "%s: %" PRIu64 "/%" PRIu64 " (%d%%)%s", step,
			 done, total, percent >= 0 ? (int)percent :
			 (int)(done * 100 / total), e);
	else if (done)
		snprintf(buf, len, "%s: %" PRIu64 "%s", step, done, e);
	else
		snprintf(buf, len, "%s ...", step);
}

void termprogress_bar(char *buf, size_t len, const char *step,
		      uint64_t done, uint64_t total, double percent, long eta)
{
	char head[TERMPROGRESS_BAR_WIDTH + 8], e[32];
	int i, fill;
	size_t n = 0;

	fill = percent < 0 ? 0 :
	       (int)(percent * TERMPROGRESS_BAR_WIDTH / 100.0);
	if (fill > TERMPROGRESS_BAR_WIDTH)
		fill = TERMPROGRESS_BAR_WIDTH;
	head[n++] = '[';
	for (i = 0; i < TERMPROGRESS_BAR_WIDTH; i++)
		head[n++] = i < fill ? '#' : '.';
	head[n++] = ']';
	if (percent >= 0)
		snprintf(head + n, sizeof(head) - n, " %3d%%", (int)percent);
	else
		snprintf(head + n, sizeof(head) - n, "    ?");
	eta_text(eta, "  ETA ", e, sizeof(e));
	if (total)
		snprintf(buf, len, "%s  %s  %" PRIu64 "/%" PRIu64 "%s", head, step,
			 done, total, e);
	else if (!done)
		snprintf(buf, len, "%s  %s ...", head, step);
	else
		snprintf(buf, len, "%s  %s  %" PRIu64 "%s", head, step, done, e);
}

static int term_cols(FILE *out)
{
	struct winsize ws;

	if (ioctl(fileno(out), TIOCGWINSZ, &ws) == 0 && ws.ws_col >= 20)
		return ws.ws_col;
	return 80;
}

void termprogress_show(struct termprogress *tp, const char *line)
{
	if (!tp->out)
		return;
	if (tp->tty) {
		/* A wrapped line could not be redrawn with \r. */
		int cols = term_cols(tp->out);

		fprintf(tp->out, "\r\033[K%.*s", cols - 1, line);
		tp->line_open = 1;
	} else {
		fprintf(tp->out, "%s\n", line);
	}
	fflush(tp->out);
	tp->last_shown = termprogress_now();
}

void termprogress_end_line(struct termprogress *tp)
{
	if (tp->line_open && tp->out) {
		fputc('\n', tp->out);
		tp->line_open = 0;
	}
}
