#!/bin/bash
# queue.sh: host/queue/queue.c against real brokers (tests/broker/test-queue.c).
# Publishing with confirms, manual acks, dead-lettering, delayed retry and
# unacked redelivery run in a vhost of their own on the suite's broker;
# stopping, restarting and freezing a broker happen on a node of this test
# alone, never on the shared one.
set -euo pipefail
. "$abs_top_srcdir/tests/harness/lib.sh"

dir=$(harness_mktemp)
vhost="queue-test-$$-$(harness_random_hex 6)"
cleanup() {
	rmq_ctl "$PULSE_TEST_RMQ_DIR" delete_vhost "$vhost" >/dev/null 2>&1 || true
	harness_destroy "$dir"
}
trap cleanup EXIT

QUEUE_TEST_URL=$(rmq_add_vhost "$PULSE_TEST_RMQ_DIR" "$vhost")
rmq_start "$dir/rmq"
QUEUE_TEST_PRIVATE_URL=$(rmq_url "$dir/rmq")
QUEUE_TEST_RMQ_DIR="$dir/rmq"
QUEUE_TEST_LIB="$abs_top_srcdir/tests/harness/lib.sh"
export QUEUE_TEST_URL QUEUE_TEST_PRIVATE_URL QUEUE_TEST_RMQ_DIR QUEUE_TEST_LIB

"$abs_top_builddir/tests/broker/test-queue"
