/*
 * harness.h - what every unit test binary shares: connected descriptor
 * pairs, peer threads, a per-test watchdog, and fault injection into the
 * system calls the library makes.
 *
 * Threads here never call cmocka: its failure jump belongs to the main
 * thread.  A peer records what it saw; the test joins it, then asserts.
 */
#ifndef HARNESS_H
#define HARNESS_H

#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <sys/socket.h>
#include <sys/types.h>

#include <cmocka.h>

/* ---- Fault injection ---------------------------------------------- */

/*
 * The calls the library makes that a test can make fail or fall short.
 * splice(2) has two descriptors: FAULT_SPLICE_IN matches a splice out of
 * fd (fd_in), FAULT_SPLICE_OUT one into fd (fd_out).
 */
enum fault_op {
	FAULT_READ, FAULT_WRITE, FAULT_POLL, FAULT_ACCEPT4,
	FAULT_SPLICE_IN, FAULT_SPLICE_OUT, FAULT_MALLOC
};

/* fd for a fault that matches any descriptor (the only choice for poll and malloc). */
#define FAULT_ANY_FD (-1)

/*
 * fault_fail: the next `times` calls of op on fd, made by this thread,
 * fail with errno err (malloc: return NULL) without reaching libc.
 */
void fault_fail(enum fault_op op, int fd, int times, int err);

/*
 * fault_short: the next `times` reads, writes or splices on fd, made by
 * this thread, move at most max bytes (a short count, as a signal or a
 * full socket buffer gives).
 */
void fault_short(enum fault_op op, int fd, int times, size_t max);

/*
 * fault_armed: calls this thread has armed that have not happened yet.
 * A test asserts 0 at its end: a fault the code under test never met
 * proves nothing.
 */
int fault_armed(void);

/*
 * The wraps (see harness.c); -Wl,--wrap=X sends every call of X here.
 * __wrap_splice is declared in harness.c: its loff_t needs _GNU_SOURCE.
 */
ssize_t __wrap_read(int fd, void *buf, size_t n);
ssize_t __wrap_write(int fd, const void *buf, size_t n);
int __wrap_poll(struct pollfd *fds, nfds_t nfds, int timeout);
int __wrap_accept4(int fd, struct sockaddr *sa, socklen_t *salen, int flags);
void *__wrap_malloc(size_t n);

/* ---- Per-test set-up ---------------------------------------------- */

/*
 * harness_filter: runs only the tests whose names match the UNIT_TEST
 * environment variable (cmocka's patterns: * and ?), when it is set.
 * Call in main() before cmocka_run_group_tests().
 */
void harness_filter(void);

/* Group set-up for every binary: ignores SIGPIPE, as echo-server does. */
int harness_group_setup(void **state);

/*
 * Every test runs under a watchdog: a test that hangs (a deadlock is how
 * most echo bugs show) is killed by SIGALRM after UNIT_TIMEOUT seconds
 * times the ECHO_CONFORMANCE_TIMEOUT_SCALE environment variable (default 1,
 * rounded up), the one scale of every test's time bounds.
 */
int harness_setup(void **state);
int harness_teardown(void **state);
#define harness_test(f) cmocka_unit_test_setup_teardown(f, harness_setup, harness_teardown)

/* ---- Descriptors -------------------------------------------------- */

/* A connected AF_UNIX stream socketpair. */
void unix_pair(int sv[2]);

/* A connected TCP pair over 127.0.0.1: sv[0] the accepted end, sv[1] the client. */
void tcp_pair(int sv[2]);

/* A TCP socket listening on 127.0.0.1 at a kernel-chosen port, and a client connected to it. */
void tcp_listener_with_client(int *lfd, int *client);

/*
 * shrink_buffers: the smallest socket buffers the kernel allows, so a
 * transfer of a few hundred KiB already fills them and any code that
 * blocks writing while it should be reading deadlocks in a test.
 */
void shrink_buffers(int fd);

/* A pipe: p[0] the read end. */
void make_pipe(int p[2]);

/* Closes fd with SO_LINGER 0: the peer gets a TCP RST, not a FIN. */
void abortive_close(int fd);

/* ---- Data ---------------------------------------------------------- */

/* n bytes of repeatable pseudo-random data (all byte values occur) from seed. */
void fill_random(unsigned char *buf, size_t n, unsigned seed);

/* malloc that fails the test instead of returning NULL (main thread only). */
void *xmalloc(size_t n);

/*
 * read_upto: reads fd until EOF or until cap bytes are in buf.
 * Returns an errno value, or 0 with *got set.
 */
int read_upto(int fd, void *buf, size_t cap, size_t *got);

/* ---- Peer threads -------------------------------------------------- */

/* What every peer thread below has: its id, and 0 or the errno that stopped it. */
struct peer {
	pthread_t tid;
	int err;
};

/* peer_start: runs fn(arg) in a new thread, err 0 (main thread only). */
void peer_start(struct peer *p, void *(*fn)(void *), void *arg);

/* peer_join: waits for the thread to end; returns its err. */
int peer_join(struct peer *p);

/*
 * feeder: a thread that writes len bytes of buf to fd, then ends its side:
 * shutdown(SHUT_WR) when fd is a socket still read by someone, or close
 * when fd is the write end of a pipe.
 */
enum feed_end { FEED_SHUTDOWN, FEED_CLOSE };
struct feeder {
	struct peer peer;
	int fd;
	const unsigned char *buf;
	size_t len;
	enum feed_end end;
};
void feeder_start(struct feeder *f, int fd, const void *buf, size_t len, enum feed_end end);

/*
 * collector: a thread that reads fd until EOF into buf (malloc'd, the
 * caller frees it).  More than cap bytes is an error (EFBIG), so a test
 * sees a surplus as clearly as a loss.
 */
struct collector {
	struct peer peer;
	int fd;
	unsigned char *buf;
	size_t cap, len;
};
void collector_start(struct collector *c, int fd, size_t cap);

/*
 * asker: a thread that sends len bytes of msg on fd (few enough for the
 * socket buffers), then waits for as many bytes to come back *before* it
 * ends its side.  An echo that waits for more data first (a newline, a
 * full buffer) times out instead (err EAGAIN).
 *  ASK_HALF_CLOSE: then half-closes and expects EOF, counting any bytes
 *                  that still come as surplus;
 *  ASK_RESET:      then closes fd with a reset (TCP only).
 */
enum ask_end { ASK_HALF_CLOSE, ASK_RESET };
struct asker {
	struct peer peer;
	int fd;
	const unsigned char *msg;
	size_t len;
	enum ask_end end;
	unsigned char *reply;	/* len bytes, malloc'd, the caller frees it */
	size_t got;		/* bytes of reply that came back */
	size_t surplus;		/* bytes that came after them (0 or 1) */
};
void asker_start(struct asker *a, int fd, const void *msg, size_t len, enum ask_end end);

/*
 * server: a thread playing an echo server on fd, written plainly and
 * independently of the library, that closes fd when done.
 *  SERVER_ECHO:           echoes the first `limit` bytes as they arrive,
 *                         reads and drops the rest, until EOF.
 *  SERVER_ECHO_AFTER_EOF: reads everything until EOF first, then sends
 *                         back the first `limit` bytes.
 * A read that waits longer than the peer timeout stops it (err EAGAIN).
 */
enum server_mode { SERVER_ECHO, SERVER_ECHO_AFTER_EOF };
struct server {
	struct peer peer;
	int fd;
	enum server_mode mode;
	size_t limit;
	size_t received;	/* bytes read before EOF */
	int saw_eof;
};
void server_start(struct server *s, int fd, enum server_mode mode, size_t limit);

/* ---- Processes ----------------------------------------------------- */

/*
 * count_children: children of this process in /proc whose state is
 * `state` ('Z' for zombies), or all of them when state is 0.
 */
int count_children(char state);

/*
 * wait_for_children: waits (bounded in time) until count_children(state)
 * is n.  Returns the last count seen.
 */
int wait_for_children(char state, int n);

/* peer_timeout: seconds a peer waits for one read or write, scale included. */
unsigned peer_timeout(void);

#endif
