/*
 * test_reap.c - the SIGCHLD handler reap_children() and set_handler()
 * (src/reap.h).  Children are real forked processes; what is left of them
 * is read from /proc.  A child only ever calls _exit(): cmocka's state
 * belongs to the parent, which does all the asserting.
 * Each test names the promise of reap.h it holds the code to.
 */
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/types.h>
#include <sys/wait.h>
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
 * reap.h: the handler calls waitpid(-1, &status, WNOHANG) until it returns
 * 0 or -1, because signals do not queue: one call must collect every
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
 * reap.h: the handler leaves errno as it found it: the interrupted code may
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

/* The flags set_handler() installs a handler with. */
static int
installed_flags(void)
{
	struct sigaction now, dfl;

	assert_int_equal(set_handler(SIGCHLD, reap_children), 0);
	assert_int_equal(sigaction(SIGCHLD, NULL, &now), 0);
	memset(&dfl, 0, sizeof dfl);
	dfl.sa_handler = SIG_DFL;
	assert_int_equal(sigaction(SIGCHLD, &dfl, NULL), 0);
	assert_true(now.sa_handler == reap_children);
	return now.sa_flags;
}

#ifndef ECHO_SA_RESTART
/*
 * reap.h: set_handler() installs without SA_RESTART, so that a wait the
 * handler interrupts returns EINTR on every system.
 */
static void
set_handler_installs_without_sa_restart(void **state)
{
	(void)state;
	assert_int_equal(installed_flags() & SA_RESTART, 0);
}
#else
/*
 * reap.c: make sa-restart-test proves that nothing depends on the missing
 * SA_RESTART by running the suites against a build with it set, which
 * proves nothing unless that build does set it.
 */
static void
set_handler_installs_with_sa_restart_in_that_build(void **state)
{
	(void)state;
	assert_int_not_equal(installed_flags() & SA_RESTART, 0);
}
#endif

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

/* The book's room for the whole binary (children_init() is called once). */
#define BOOK_MAX 16

/*
 * A child that waits to be killed, recorded in the book (or not, when
 * record is 0).  The alarm bounds its life should the test fail first.
 */
static pid_t
fork_sleeper(int record)
{
	pid_t pid = fork();

	assert_true(pid >= 0);
	if (pid == 0) {
		(void)alarm(peer_timeout());
		for (;;)
			(void)pause();
	}
	if (record)
		assert_int_equal(children_add(pid), 0);
	return pid;
}

/* Kills pid and waits until it is a zombie, leaving it to be reaped (WNOWAIT). */
static void
end_child(pid_t pid)
{
	siginfo_t info;

	assert_int_equal(kill(pid, SIGKILL), 0);
	assert_int_equal(waitid(P_PID, (id_t)pid, &info, WEXITED | WNOWAIT), 0);
}

/*
 * reap.h: children_add "returns -1 with errno set to EAGAIN when the book
 * is full".  A child beyond the book's room is not recorded, and the
 * handler still reaps it with the others.
 */
static void
children_add_refuses_a_child_beyond_the_book_s_room(void **state)
{
	pid_t pids[BOOK_MAX], extra;
	int i, err;

	(void)state;
	for (i = 0; i < BOOK_MAX; i++)
		pids[i] = fork_sleeper(1);
	extra = fork_sleeper(0);
	assert_int_equal(children_add(extra), -1);
	err = errno;
	assert_int_equal(err, EAGAIN);
	assert_int_equal(children_live(), BOOK_MAX);
	for (i = 0; i < BOOK_MAX; i++)
		assert_int_equal(kill(pids[i], SIGKILL), 0);
	assert_int_equal(kill(extra, SIGKILL), 0);
	assert_int_equal(wait_for_children('Z', BOOK_MAX + 1), BOOK_MAX + 1);
	reap_children(SIGCHLD);
	assert_int_equal(count_children(0), 0);
	assert_int_equal(children_live(), 0);
}

/*
 * The book's slots, as reap.c sizes them: a power of two, at least twice
 * its room.  A pid's home slot is its low bits.
 */
static int
same_home(pid_t a, pid_t b)
{
	pid_t slots = 2;

	while (slots < 2 * BOOK_MAX)
		slots *= 2;
	return ((a ^ b) & (slots - 1)) == 0;
}

/*
 * Of pids (in the order of their forks), the index of one forked before
 * another with the same home slot, or -1.  The later one went into a slot
 * past the earlier one's, so reaping the earlier one must move a pid back.
 */
static int
elder_of_a_pair(const pid_t *pids, int n)
{
	int a, b;

	for (a = 0; a < n; a++)
		for (b = a + 1; b < n; b++)
			if (same_home(pids[a], pids[b]))
				return a;
	return -1;
}

/*
 * reap.c: the book is a hash table whose slots a reaped pid leaves by
 * moving later pids back.  Hundreds of children, each reaped alone, half
 * of them in an order unlike their forks, the other half chosen to make
 * those moves: the elder of two children with one home slot, or else the
 * newest, so that the elders stay for the pairs to come (the kernel may
 * hand pids out in sequence, and in the first order alone no two
 * children live long enough to share a home).  After every reap the count
 * is right, and at the end children_signal() still reaches every child
 * left, so no pid was lost from its run.
 */
static void
book_keeps_every_child_through_forks_and_reaps_in_any_order(void **state)
{
	pid_t pids[BOOK_MAX];	/* in the order of their forks */
	int i, live = 0, step, moves = 0;

	(void)state;
	for (step = 0; step < 300; step++) {
		while (live < BOOK_MAX)
			pids[live++] = fork_sleeper(1);
		if (step % 2 == 0) {
			i = (step * 7) % live;
		} else {
			i = elder_of_a_pair(pids, live);
			moves += i >= 0;
			if (i < 0)
				i = live - 1;
		}
		end_child(pids[i]);
		reap_children(SIGCHLD);
		live--;
		memmove(&pids[i], &pids[i + 1], (size_t)(live - i) * sizeof pids[0]);
		assert_int_equal(children_live(), live);
	}
	/* Else the test never met what it is about. */
	assert_int_not_equal(moves, 0);
	children_signal(SIGKILL);
	assert_int_equal(wait_for_children('Z', live), live);
	reap_children(SIGCHLD);
	assert_int_equal(count_children(0), 0);
	assert_int_equal(children_live(), 0);
}

/*
 * The book's mapping.  reap.c keeps its address to itself, so this binary's
 * calls of mmap() go through here (mk/unit.mk links test_reap with
 * --wrap=mmap), and group_setup() has the mappings children_init() makes
 * noted.
 */
static uintptr_t book_start, book_end;
static int noting, mappings_made;

void *__real_mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off);
void *__wrap_mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off);

void *
__wrap_mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off)
{
	void *p = __real_mmap(addr, len, prot, flags, fd, off);

	if (noting && p != MAP_FAILED) {
		book_start = (uintptr_t)p;
		book_end = book_start + len;
		mappings_made++;
	}
	return p;
}

/* Whether any mapping of pid (from /proc/PID/maps) holds a byte of the book. */
static int
book_mapped_in(pid_t pid)
{
	char path[64], line[512];
	int found = 0;
	FILE *f;

	(void)snprintf(path, sizeof path, "/proc/%ld/maps", (long)pid);
	f = fopen(path, "r");
	assert_non_null(f);
	while (fgets(line, sizeof line, f) != NULL) {
		char *dash;
		uintptr_t lo = (uintptr_t)strtoull(line, &dash, 16);
		uintptr_t hi = (uintptr_t)strtoull(dash + 1, NULL, 16);

		assert_int_equal(*dash, '-');
		if (lo < book_end && book_start < hi)
			found = 1;
	}
	assert_int_equal(fclose(f), 0);
	return found;
}

/*
 * reap.c: the book "lives in a mapping of its own that fork() leaves out
 * of the children".  Judged on the book's own addresses, which a child
 * must not have mapped at all, while the parent still has them; the rest
 * of either address space (the loader's, or valgrind's when it runs the
 * test) is not looked at.
 */
static void
book_is_not_in_the_children(void **state)
{
	int in_parent, in_child;
	pid_t pid;

	(void)state;
#ifdef ECHO_PORTABLE
	skip();		/* POSIX has no way to keep a mapping from a child */
#endif
	assert_int_equal(mappings_made, 1);
	pid = fork_sleeper(1);
	in_parent = book_mapped_in(getpid());
	in_child = book_mapped_in(pid);
	end_child(pid);
	reap_children(SIGCHLD);
	assert_int_equal(children_live(), 0);
	assert_true(in_parent);
	assert_false(in_child);
}

static int
group_setup(void **state)
{
	int rc;

	noting = 1;
	rc = children_init(BOOK_MAX);
	noting = 0;
	if (rc < 0)
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
#ifndef ECHO_SA_RESTART
		harness_test(set_handler_installs_without_sa_restart),
#else
		harness_test(set_handler_installs_with_sa_restart_in_that_build),
#endif
		harness_test(set_handler_lets_a_blocked_read_fail_with_eintr),
		harness_test(children_add_refuses_a_child_beyond_the_book_s_room),
		harness_test(book_keeps_every_child_through_forks_and_reaps_in_any_order),
		harness_test(book_is_not_in_the_children),
	};

	harness_filter();
	return cmocka_run_group_tests(tests, group_setup, NULL);
}
