/* test-failpoint: parsing PULSE_HOST_FAILPOINTS and what each action does
 * to the process at the Nth hit (each action runs in a forked child). */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "base/failpoint.h"

static void bad_spec(const char *spec, const char *part)
{
	char why[256] = "";

	assert_int_equal(failpoint_arm(spec, why, sizeof(why)), -1);
	if (!strstr(why, part))
		fail_msg("spec '%s': error '%s' does not mention '%s'", spec, why, part);
	assert_int_equal(failpoint_armed, 0);
}

static void test_parse(void **state)
{
	char why[256];

	(void)state;
	bad_spec("load.before_commit", "NAME=N:ACTION");
	bad_spec("load.before_commit=3", "NAME=N:ACTION");
	bad_spec("=3:kill", "NAME=N:ACTION");
	bad_spec("a=0:kill", "1 or more");
	bad_spec("a=-2:kill", "1 or more");
	bad_spec("a=x:kill", "1 or more");
	bad_spec("a=2:explode", "kill, abort, exit or stop");
	bad_spec("a=1:kill,b=2", "'b=2'");
	assert_int_equal(failpoint_arm("a=1:kill,,b=2:stop,", why, sizeof(why)), 0);
	assert_int_equal(failpoint_armed, 1);
	assert_int_equal(failpoint_arm("", why, sizeof(why)), 0);
	assert_int_equal(failpoint_armed, 0);
	assert_int_equal(failpoint_arm(NULL, why, sizeof(why)), 0);
	assert_int_equal(failpoint_armed, 0);
}

/* Unarmed, a point does nothing and counts nothing. */
static void test_unarmed(void **state)
{
	char why[256];

	(void)state;
	assert_int_equal(failpoint_arm(NULL, why, sizeof(why)), 0);
	FAILPOINT("a");
	FAILPOINT("a");
	assert_int_equal(failpoint_hits("a"), 0);
}

/* Run spec in a child: hit "p" (and "other") hits times, then exit 0.
 * Returns the wait status; *before gets how many hits passed first. */
static int child_run(const char *spec, int hits, int *passed, int stop_check)
{
	int fds[2], st = 0, i;
	char c;
	pid_t pid;

	assert_int_equal(pipe(fds), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		char why[256];

		close(fds[0]);
		if (failpoint_arm(spec, why, sizeof(why)) < 0)
			_exit(3);
		for (i = 0; i < hits; i++) {
			FAILPOINT("other");
			FAILPOINT("p");
			if (write(fds[1], "x", 1) != 1)
				_exit(4);
		}
		_exit(0);
	}
	close(fds[1]);
	*passed = 0;
	if (stop_check) {
		/* frozen at the point: stopped, not dead; SIGCONT goes on */
		assert_int_equal(waitpid(pid, &st, WUNTRACED), pid);
		assert_true(WIFSTOPPED(st));
		assert_int_equal(WSTOPSIG(st), SIGSTOP);
		assert_int_equal(kill(pid, SIGCONT), 0);
	}
	while (read(fds[0], &c, 1) == 1)
		(*passed)++;
	close(fds[0]);
	assert_int_equal(waitpid(pid, &st, 0), pid);
	return st;
}

static void test_kill_at_nth(void **state)
{
	int passed, st;

	(void)state;
	st = child_run("p=3:kill", 5, &passed, 0);
	assert_true(WIFSIGNALED(st));
	assert_int_equal(WTERMSIG(st), SIGKILL);
	assert_int_equal(passed, 2);
}

static void test_exit_and_abort(void **state)
{
	int passed, st;

	(void)state;
	st = child_run("p=1:exit", 5, &passed, 0);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), FAILPOINT_EXIT_CODE);
	assert_int_equal(passed, 0);
	st = child_run("p=2:abort", 5, &passed, 0);
	assert_true(WIFSIGNALED(st));
	assert_int_equal(WTERMSIG(st), SIGABRT);
	assert_int_equal(passed, 1);
}

/* stop freezes at the hit, then the process goes on; a point armed
 * beyond the hits never fires. */
static void test_stop_and_unreached(void **state)
{
	int passed, st;

	(void)state;
	st = child_run("p=2:stop", 4, &passed, 1);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
	assert_int_equal(passed, 4);
	st = child_run("p=9:kill,q=1:kill", 4, &passed, 0);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
	assert_int_equal(passed, 4);
}

static void test_hits_counted(void **state)
{
	char why[256];

	(void)state;
	assert_int_equal(failpoint_arm("p=100:kill", why, sizeof(why)), 0);
	FAILPOINT("p");
	FAILPOINT("p");
	FAILPOINT("q");
	assert_int_equal(failpoint_hits("p"), 2);
	assert_int_equal(failpoint_hits("q"), 0);
	assert_int_equal(failpoint_arm(NULL, why, sizeof(why)), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse),
		cmocka_unit_test(test_unarmed),
		cmocka_unit_test(test_kill_at_nth),
		cmocka_unit_test(test_exit_and_abort),
		cmocka_unit_test(test_stop_and_unreached),
		cmocka_unit_test(test_hits_counted),
	};

	/* the environment must not arm anything here */
	unsetenv(FAILPOINT_ENV);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
