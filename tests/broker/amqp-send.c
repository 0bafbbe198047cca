/*
 * amqp-send: publish one message with an arbitrary body to exchange
 * "pulse" (test tool; host/queue/queue.c only ever sends well-formed ids).
 *
 *   amqp-send URL ROUTING_KEY BODY
 *
 * Waits for the broker's confirm; exit 0 when acked, 1 otherwise.
 */
#include "config.h"

#include <sys/time.h>

#include <amqp.h>
#include <amqp_framing.h>
#include <amqp_tcp_socket.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv)
{
	struct amqp_connection_info ci;
	amqp_connection_state_t c = NULL;
	amqp_socket_t *s;
	amqp_basic_properties_t p;
	amqp_frame_t f;
	struct timeval tv = {10, 0};
	char *url;
	int rc = 1;

	if (argc != 4) {
		fprintf(stderr, "usage: amqp-send URL ROUTING_KEY BODY\n");
		return 2;
	}
	url = strdup(argv[1]);
	if (!url || amqp_parse_url(url, &ci) != AMQP_STATUS_OK) {
		fprintf(stderr, "amqp-send: bad URL\n");
		goto out;
	}
	c = amqp_new_connection();
	s = amqp_tcp_socket_new(c);
	if (!s || amqp_socket_open_noblock(s, ci.host, ci.port, &tv) != AMQP_STATUS_OK ||
	    amqp_login(c, ci.vhost, 0, 131072, 0, AMQP_SASL_METHOD_PLAIN, ci.user,
		       ci.password).reply_type != AMQP_RESPONSE_NORMAL) {
		fprintf(stderr, "amqp-send: cannot connect\n");
		goto out;
	}
	amqp_channel_open(c, 1);
	amqp_confirm_select(c, 1);
	if (amqp_get_rpc_reply(c).reply_type != AMQP_RESPONSE_NORMAL) {
		fprintf(stderr, "amqp-send: channel setup failed\n");
		goto out;
	}
	memset(&p, 0, sizeof(p));
	p._flags = AMQP_BASIC_DELIVERY_MODE_FLAG;
	p.delivery_mode = AMQP_DELIVERY_PERSISTENT;
	if (amqp_basic_publish(c, 1, amqp_cstring_bytes("pulse"),
			       amqp_cstring_bytes(argv[2]), 1, 0, &p,
			       amqp_cstring_bytes(argv[3])) != AMQP_STATUS_OK)
		goto out;
	while (amqp_simple_wait_frame_noblock(c, &f, &tv) == AMQP_STATUS_OK) {
		if (f.frame_type != AMQP_FRAME_METHOD)
			continue;
		if (f.payload.method.id == AMQP_BASIC_RETURN_METHOD) {
			fprintf(stderr, "amqp-send: unroutable\n");
			goto out;
		}
		if (f.payload.method.id == AMQP_BASIC_ACK_METHOD) {
			rc = 0;
			break;
		}
		if (f.payload.method.id == AMQP_BASIC_NACK_METHOD)
			break;
	}
	if (rc)
		fprintf(stderr, "amqp-send: not confirmed\n");
out:
	if (c) {
		amqp_connection_close(c, AMQP_REPLY_SUCCESS);
		amqp_destroy_connection(c);
	}
	free(url);
	return rc;
}
