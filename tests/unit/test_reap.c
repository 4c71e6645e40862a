/*
 * test_reap.c - the SIGCHLD handler reap_children() and set_handler()
 * (src/reap.h).  Children are real forked processes; what is left of them
 * is read from /proc.  A child only ever calls _exit(): cmocka's state
 * belongs to the parent, which does all the asserting.
 * Clauses quoted are from issue 2, "The reaper", and reap.h.
 */
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"
#include "reap.h"

/*
 * fork_gated_child: a child that sits in read() on gate[0] and exits 0 at
 * the gate's EOF, i.e. once every copy of gate[1] is closed.  Recorded in
 * the book as the server records its children.
 */
static void
fork_gated_child(int gate[2])
{
	pid_t pid = fork();

	assert_true(pid >= 0);
	if (pid == 0) {
		char c;

		(void)close(gate[1]);
		_exit(read(gate[0], &c, 1) == 0 ? 0 : 1);
	}
	assert_int_equal(children_add(pid), 0);
}

static void
fork_gated_children(int gate[2], int n)
{
	int i;

	make_pipe(gate);
	for (i = 0; i < n; i++)
		fork_gated_child(gate);
	assert_int_equal(close(gate[0]), 0);
}

/* Opens the gate: every child exits at the same moment; waits until all are zombies. */
static void
release_children(int gate[2], int n)
{
	assert_int_equal(close(gate[1]), 0);
	assert_int_equal(wait_for_children('Z', n), n);
}

/*
 * Issue 2: the handler "loops waitpid(-1, &status, WNOHANG) until it
 * returns 0 or -1": signals do not queue, so one call must collect every
 * child that exited.  Five are zombies at once before the single call.
 */
static void
reap_children_reaps_every_child_that_exited_at_once(void **state)
{
	int gate[2];

	(void)state;
	fork_gated_children(gate, 5);
	release_children(gate, 5);
	reap_children(SIGCHLD);
	assert_int_equal(count_children(0), 0);
	assert_int_equal(children_live(), 0);
}

static volatile sig_atomic_t rescued;
static int rescue_gate = -1;

/* Lets the children go, which ends any wait for them, restarted or not. */
static void
rescue(int signo)
{
	(void)signo;
	rescued = 1;
	(void)close(rescue_gate);
}

/*
 * reap.h: the handler "never blocks".  With two children running, a
 * handler that waited for them would sit in waitpid() for good; after the
 * peer timeout a SIGALRM releases the children, and the test fails on
 * `rescued` instead of hanging.
 */
static void
reap_children_returns_at_once_with_running_children(void **state)
{
	struct sigaction sa, old;
	int gate[2];

	(void)state;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = rescue;
	assert_int_equal(sigaction(SIGALRM, &sa, &old), 0);
	fork_gated_children(gate, 2);
	rescued = 0;
	rescue_gate = gate[1];
	(void)alarm(peer_timeout());
	reap_children(SIGCHLD);
	(void)alarm(0);
	assert_int_equal(sigaction(SIGALRM, &old, NULL), 0);
	assert_false(rescued);
	/* Nothing was reaped: both still run, both still in the book. */
	assert_int_equal(count_children(0), 2);
	assert_int_equal(count_children('Z'), 0);
	assert_int_equal(children_live(), 2);
	release_children(gate, 2);
	reap_children(SIGCHLD);
	assert_int_equal(count_children(0), 0);
}

/*
 * Issue 2: the handler "saves and restores errno": the interrupted code may
 * be between a failed call and its look at errno.  The handler's last
 * waitpid() fails with ECHILD; errno must still hold what it held before.
 */
static void
reap_children_leaves_errno_unchanged(void **state)
{
	int gate[2], err;

	(void)state;
	fork_gated_children(gate, 1);
	release_children(gate, 1);
	errno = EDOM;
	reap_children(SIGCHLD);
	err = errno;
	assert_int_equal(err, EDOM);
	assert_int_equal(count_children(0), 0);
}

/*
 * Issue 2: "Install it with sigaction without SA_RESTART, on purpose, so
 * the accept loop's EINTR path is real".
 */
static void
set_handler_installs_without_sa_restart(void **state)
{
	struct sigaction now, dfl;

	(void)state;
	assert_int_equal(set_handler(SIGCHLD, reap_children), 0);
	assert_int_equal(sigaction(SIGCHLD, NULL, &now), 0);
	memset(&dfl, 0, sizeof dfl);
	dfl.sa_handler = SIG_DFL;
	assert_int_equal(sigaction(SIGCHLD, &dfl, NULL), 0);
	assert_true(now.sa_handler == reap_children);
	assert_int_equal(now.sa_flags & SA_RESTART, 0);
}

static void
on_usr1(int signo)
{
	(void)signo;
}

/*
 * What the missing SA_RESTART is for: a blocking call the handler
 * interrupts returns EINTR.  A helper thread signals the blocked main
 * thread until its read() returns; if the read was restarted each time,
 * the helper gives up after a bounded time and sends a byte, and the read
 * returns 1 instead of -1/EINTR.
 */
struct interrupter {
	struct peer peer;
	pthread_t target;
	int fd;			/* write here to end the read for good */
	int stop;		/* readable once the read has returned */
};

static void *
interrupter_main(void *arg)
{
	struct interrupter *t = arg;
	struct pollfd stop = { t->stop, POLLIN, 0 };
	unsigned i, ticks = 100u * peer_timeout();

	for (i = 0; i < ticks; i++) {
		t->peer.err = pthread_kill(t->target, SIGUSR1);
		if (t->peer.err != 0 || poll(&stop, 1, 10) != 0)
			return NULL;
	}
	if (write(t->fd, "x", 1) != 1)
		t->peer.err = errno;
	return NULL;
}

static void
set_handler_lets_a_blocked_read_fail_with_eintr(void **state)
{
	struct interrupter t;
	struct sigaction dfl;
	ssize_t n;
	char c;
	int sv[2], stop[2], err;

	(void)state;
	unix_pair(sv);
	make_pipe(stop);
	assert_int_equal(set_handler(SIGUSR1, on_usr1), 0);
	t.target = pthread_self();
	t.fd = sv[1];
	t.stop = stop[0];
	peer_start(&t.peer, interrupter_main, &t);
	n = read(sv[0], &c, 1);
	err = errno;
	assert_int_equal(write(stop[1], "s", 1), 1);
	assert_int_equal(peer_join(&t.peer), 0);
	/* Every SIGUSR1 sent has been handled by now: back to the default. */
	memset(&dfl, 0, sizeof dfl);
	dfl.sa_handler = SIG_DFL;
	assert_int_equal(sigaction(SIGUSR1, &dfl, NULL), 0);
	assert_int_equal(close(sv[0]), 0);
	assert_int_equal(close(sv[1]), 0);
	assert_int_equal(close(stop[0]), 0);
	assert_int_equal(close(stop[1]), 0);
	assert_int_equal(n, -1);
	assert_int_equal(err, EINTR);
}

static int
group_setup(void **state)
{
	if (children_init(16) < 0)
		return -1;
	return harness_group_setup(state);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		harness_test(reap_children_reaps_every_child_that_exited_at_once),
		harness_test(reap_children_returns_at_once_with_running_children),
		harness_test(reap_children_leaves_errno_unchanged),
		harness_test(set_handler_installs_without_sa_restart),
		harness_test(set_handler_lets_a_blocked_read_fail_with_eintr),
	};

	harness_filter();
	return cmocka_run_group_tests(tests, group_setup, NULL);
}
