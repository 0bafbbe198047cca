/*
 * wsmsg: the one place a WebSocket client message is parsed and its shape
 * checked, before anything acts on it.
 *
 * A viewer may send exactly one kind of message today:
 *   {"subscribe": ["job:5", "vectorization", "*"]}
 * An object with the single key "subscribe", an array of at most
 * WSMSG_MAX_CHANNELS strings, each a valid channel name ("*",
 * "vectorization" or "job:<positive id>"). Anything else (not JSON,
 * trailing bytes, another type, a null or number element, an unknown key)
 * is refused with a message saying what was wrong; the server sends that
 * back to the viewer as {"event":"error",...} and keeps the connection.
 */
#ifndef PULSE_WSMSG_H
#define PULSE_WSMSG_H

#include <stddef.h>

#define WSMSG_MAX_CHANNELS 64
#define WSMSG_MAX_LEN 4096   /* bytes of one client message */
#define WSMSG_CHANNEL_MAX 32 /* bytes of a channel name, NUL included */

#define WSMSG_SUBSCRIBE 1

struct wsmsg {
	int kind;                                  /* WSMSG_* */
	size_t nchannels;
	char channels[WSMSG_MAX_CHANNELS][WSMSG_CHANNEL_MAX];
};

/* Parse len bytes (not NUL-terminated) into *out. Returns 0, or -1 with
 * err saying what is wrong (never echoing more than a short excerpt). */
int wsmsg_parse(const char *in, size_t len, struct wsmsg *out, char *err,
		size_t errlen);

/* Is name a channel a viewer may subscribe to? 1 or 0. */
int wsmsg_channel_valid(const char *name);

/* The JSON text of an error reply for a refused message (malloc'd; the
 * caller frees). NULL when out of memory. */
char *wsmsg_error_json(const char *message);

#endif
