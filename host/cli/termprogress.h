/*
 * termprogress: progress on a terminal, shared by `job run` in the
 * foreground (host/jobs/runner.c) and `job run --follow`
 * (host/cli/follow.c).
 *
 * On a TTY one line is redrawn in place ("\r\033[K", cut to the terminal
 * width so it never wraps); otherwise every update is a line of its own,
 * so logs and pipes stay readable. How often to draw is the caller's
 * choice.
 */
#ifndef PULSE_TERMPROGRESS_H
#define PULSE_TERMPROGRESS_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define TERMPROGRESS_BAR_WIDTH 20

struct termprogress {
	FILE *out;          /* borrowed */
	int tty;            /* redraw one line in place */
	int line_open;      /* TTY: a drawn line is on screen */
	double last_shown;  /* termprogress_now() of the last draw */
};

void termprogress_init(struct termprogress *tp, FILE *out, int tty);

/* Monotonic seconds. */
double termprogress_now(void);

/* "0:42" or "1:02:03". */
void termprogress_eta(long seconds, char *buf, size_t len);

/*
 * The plain line: "step: 40/200 (20%)", "step: 40" (total unknown) or
 * "step ..." (nothing done yet), then " ETA 0:12" when eta >= 0.
 * percent < 0: computed from done/total.
 */
void termprogress_line(char *buf, size_t len, const char *step,
		       uint64_t done, uint64_t total, double percent, long eta);

/*
 * The bar: "[#########...........]  45%  step  40/200  ETA 0:12"
 * (percent < 0: an empty bar and "?"; ETA only when eta >= 0).
 */
void termprogress_bar(char *buf, size_t len, const char *step,
		      uint64_t done, uint64_t total, double percent, long eta);

/* Show line: redrawn in place on a TTY, a line of its own otherwise. */
void termprogress_show(struct termprogress *tp, const char *line);

/* Close an open TTY line before other output. */
void termprogress_end_line(struct termprogress *tp);

#endif
