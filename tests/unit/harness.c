/*
 * harness.c - the plumbing every unit test binary shares (see harness.h).
 *
 * Fault injection goes through the linker: the tests link with
 * -Wl,--wrap=read,--wrap=write,--wrap=poll,--wrap=accept4,--wrap=splice,
 * --wrap=malloc (mk/unit.mk), so every call
 * of read() in the test binary - the library archive's included - lands in
 * __wrap_read() below, and __real_read() is libc's read().  The library is
 * thus tested exactly as shipped: no function pointers, no #ifdef TESTING,
 * nothing in src/ that exists for the tests.  The price is that only calls
 * made from the objects we link are seen (not libc's own), and that a
 * fortified build calls __read_chk() instead of read() wherever it cannot
 * prove the buffer big enough (today the library's reads pass that test,
 * with -D_FORTIFY_SOURCE=2 and 3 alike).  So every test that arms a fault
 * asserts at its end that the fault was met: a bypassed wrap fails loudly
 * instead of passing for nothing.
 *
 * The faults live in a small queue here rather than in cmocka's
 * will_return()/mock(): every read and write of the binary goes through
 * the wraps and almost all must pass straight through, but cmocka 1.1's
 * mock() fails the test when nothing is queued and cannot be asked whether
 * something is.  Each fault belongs to the thread that armed it, so a peer
 * thread working the other end of the same socketpair is never hit.
 */
#ifdef __linux__
#define _GNU_SOURCE	/* splice(2) and its loff_t, for the wrap */
#endif
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "echo.h"
#include "harness.h"

ssize_t __real_read(int fd, void *buf, size_t n);
ssize_t __real_write(int fd, const void *buf, size_t n);
int __real_poll(struct pollfd *fds, nfds_t nfds, int timeout);
int __real_accept4(int fd, struct sockaddr *sa, socklen_t *salen, int flags);
void *__real_malloc(size_t n);
#ifdef __linux__
ssize_t __real_splice(int fd_in, loff_t *off_in, int fd_out, loff_t *off_out,
    size_t n, unsigned flags);
ssize_t __wrap_splice(int fd_in, loff_t *off_in, int fd_out, loff_t *off_out,
    size_t n, unsigned flags);
#endif

/* Seconds, before the timeout scale: a whole test, and one wait of a peer. */
#define UNIT_TIMEOUT 60
#define PEER_TIMEOUT 10

/* ---- Fault injection ---------------------------------------------- */

struct fault {
	pthread_t owner;
	enum fault_op op;
	int fd;
	int times;		/* calls left */
	int err;		/* nonzero: fail with this errno */
	size_t max;		/* otherwise: move at most max bytes */
};

/* In the order they were armed; the first that matches a call is used. */
#define MAX_FAULTS 8
static struct fault faults[MAX_FAULTS];
static size_t nfaults;
static pthread_mutex_t faults_lock = PTHREAD_MUTEX_INITIALIZER;

static void
arm(enum fault_op op, int fd, int times, int err, size_t max)
{
	int room;

	assert_true(times > 0);
	(void)pthread_mutex_lock(&faults_lock);
	room = nfaults < MAX_FAULTS;
	if (room) {
		faults[nfaults].owner = pthread_self();
		faults[nfaults].op = op;
		faults[nfaults].fd = fd;
		faults[nfaults].times = times;
		faults[nfaults].err = err;
		faults[nfaults].max = max;
		nfaults++;
	}
	(void)pthread_mutex_unlock(&faults_lock);
	assert_true(room);
}

void
fault_fail(enum fault_op op, int fd, int times, int err)
{
	/* poll() takes many descriptors, malloc() none: their faults match any. */
	assert_true((op != FAULT_POLL && op != FAULT_MALLOC) || fd == FAULT_ANY_FD);
	assert_true(err != 0);
	arm(op, fd, times, err, 0);
}

void
fault_short(enum fault_op op, int fd, int times, size_t max)
{
	assert_true(op != FAULT_POLL && op != FAULT_ACCEPT4 && op != FAULT_MALLOC);
	/* A read of 0 bytes would look like EOF, a write of 0 like a hang. */
	assert_true(max > 0);
	arm(op, fd, times, 0, max);
}

int
fault_armed(void)
{
	pthread_t self = pthread_self();
	int left = 0;
	size_t i;

	(void)pthread_mutex_lock(&faults_lock);
	for (i = 0; i < nfaults; i++)
		if (pthread_equal(faults[i].owner, self))
			left += faults[i].times;
	(void)pthread_mutex_unlock(&faults_lock);
	return left;
}

static void
fault_clear(void)
{
	(void)pthread_mutex_lock(&faults_lock);
	nfaults = 0;
	(void)pthread_mutex_unlock(&faults_lock);
}

/* take: uses up one call of the first fault this thread armed for op on fd. */
static int
take(enum fault_op op, int fd, struct fault *out)
{
	pthread_t self = pthread_self();
	size_t i;
	int found = 0;

	(void)pthread_mutex_lock(&faults_lock);
	for (i = 0; i < nfaults; i++) {
		struct fault *f = &faults[i];

		if (f->op != op || !pthread_equal(f->owner, self) ||
		    (f->fd != FAULT_ANY_FD && f->fd != fd))
			continue;
		*out = *f;
		found = 1;
		if (--f->times == 0) {
			memmove(f, f + 1, (nfaults - i - 1) * sizeof *f);
			nfaults--;
		}
		break;
	}
	(void)pthread_mutex_unlock(&faults_lock);
	return found;
}

/*
 * The fault armed for op on fd, if any: -1 with errno set for an injected
 * error, else 0 with *n cut down to the fault's limit.
 */
static int
inject(enum fault_op op, int fd, size_t *n)
{
	struct fault f;

	if (!take(op, fd, &f))
		return 0;
	if (f.err != 0) {
		errno = f.err;
		return -1;
	}
	if (*n > f.max)
		*n = f.max;
	return 0;
}

ssize_t
__wrap_read(int fd, void *buf, size_t n)
{
	if (inject(FAULT_READ, fd, &n) < 0)
		return -1;
	return __real_read(fd, buf, n);
}

ssize_t
__wrap_write(int fd, const void *buf, size_t n)
{
	if (inject(FAULT_WRITE, fd, &n) < 0)
		return -1;
	return __real_write(fd, buf, n);
}

int
__wrap_poll(struct pollfd *fds, nfds_t nfds, int timeout)
{
	struct fault f;

	if (take(FAULT_POLL, FAULT_ANY_FD, &f)) {
		errno = f.err;
		return -1;
	}
	return __real_poll(fds, nfds, timeout);
}

int
__wrap_accept4(int fd, struct sockaddr *sa, socklen_t *salen, int flags)
{
	struct fault f;

	if (take(FAULT_ACCEPT4, fd, &f)) {
		errno = f.err;
		return -1;
	}
	return __real_accept4(fd, sa, salen, flags);
}

void *
__wrap_malloc(size_t n)
{
	struct fault f;

	if (take(FAULT_MALLOC, FAULT_ANY_FD, &f)) {
		errno = f.err;
		return NULL;
	}
	return __real_malloc(n);
}

#ifdef __linux__
/* str_echo's fast path splices out of the socket and back into it. */
ssize_t
__wrap_splice(int fd_in, loff_t *off_in, int fd_out, loff_t *off_out,
    size_t n, unsigned flags)
{
	if (inject(FAULT_SPLICE_IN, fd_in, &n) < 0 ||
	    inject(FAULT_SPLICE_OUT, fd_out, &n) < 0)
		return -1;
	return __real_splice(fd_in, off_in, fd_out, off_out, n, flags);
}
#endif

/* ---- Per-test set-up ---------------------------------------------- */

static unsigned
timeout_scale(void)
{
	const char *s = getenv("ECHO_CONFORMANCE_TIMEOUT_SCALE");
	double v = s != NULL ? strtod(s, NULL) : 1;

	/* The suite's scale may be fractional; a watchdog's is whole seconds. */
	return v >= 1 && v <= 100 ? (unsigned)v + (v > (unsigned)v) : 1;
}

void
harness_filter(void)
{
	const char *pattern = getenv("UNIT_TEST");

	if (pattern != NULL && *pattern != '\0')
		cmocka_set_test_filter(pattern);
}

int
harness_group_setup(void **state)
{
	struct sigaction sa;

	(void)state;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = SIG_IGN;
	return sigaction(SIGPIPE, &sa, NULL);
}

int
harness_setup(void **state)
{
	(void)state;
	fault_clear();
	/* SIGALRM's default action ends the process: the run fails, visibly. */
	(void)alarm(UNIT_TIMEOUT * timeout_scale());
	return 0;
}

int
harness_teardown(void **state)
{
	(void)state;
	(void)alarm(0);
	fault_clear();
	return 0;
}

/* ---- Descriptors -------------------------------------------------- */

void
unix_pair(int sv[2])
{
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
}

void
shrink_buffers(int fd)
{
	int size = 1;	/* the kernel rounds it up to its minimum */

	assert_int_equal(setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &size, sizeof size), 0);
	assert_int_equal(setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof size), 0);
}

void
make_pipe(int p[2])
{
	assert_int_equal(pipe(p), 0);
}

void
tcp_listener_with_client(int *lfd, int *client)
{
	struct sockaddr_in sin;
	socklen_t len = sizeof sin;

	memset(&sin, 0, sizeof sin);
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	*lfd = socket(AF_INET, SOCK_STREAM, 0);
	assert_true(*lfd >= 0);
	assert_int_equal(bind(*lfd, (struct sockaddr *)&sin, sizeof sin), 0);
	assert_int_equal(listen(*lfd, 8), 0);
	assert_int_equal(getsockname(*lfd, (struct sockaddr *)&sin, &len), 0);
	*client = socket(AF_INET, SOCK_STREAM, 0);
	assert_true(*client >= 0);
	/* The handshake completes in the kernel: nobody needs to accept first. */
	assert_int_equal(connect(*client, (struct sockaddr *)&sin, sizeof sin), 0);
}

void
tcp_pair(int sv[2])
{
	int lfd;

	tcp_listener_with_client(&lfd, &sv[1]);
	sv[0] = accept(lfd, NULL, NULL);
	assert_true(sv[0] >= 0);
	assert_int_equal(close(lfd), 0);
}

/* Returns 0 or an errno value, so a peer thread can use it too. */
static int
close_with_reset(int fd)
{
	struct linger lg;
	int err = 0;

	lg.l_onoff = 1;
	lg.l_linger = 0;
	if (setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg) < 0)
		err = errno;
	if (close(fd) < 0 && err == 0)
		err = errno;
	return err;
}

void
abortive_close(int fd)
{
	assert_int_equal(close_with_reset(fd), 0);
}

/* So a peer reports an echo that never comes instead of waiting forever. */
static int
set_peer_timeout(int fd)
{
	struct timeval tv;

	tv.tv_sec = (time_t)PEER_TIMEOUT * timeout_scale();
	tv.tv_usec = 0;
	if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv) < 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv) < 0)
		return errno;
	return 0;
}

/* ---- Data ---------------------------------------------------------- */

void
fill_random(unsigned char *buf, size_t n, unsigned seed)
{
	/* xorshift32: any nonzero state cycles through every 32-bit value. */
	uint32_t x = (uint32_t)seed | 1u;
	size_t i;

	for (i = 0; i < n; i++) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		buf[i] = (unsigned char)(x >> 24);
	}
}

void *
xmalloc(size_t n)
{
	void *p = malloc(n);

	assert_non_null(p);
	return p;
}

/* Peers write with the library's writen(), which test_echo tests on its own. */
static int
write_all(int fd, const void *buf, size_t n)
{
	return writen(fd, buf, n) < 0 ? errno : 0;
}

int
read_upto(int fd, void *buf, size_t cap, size_t *got)
{
	unsigned char *p = buf;
	size_t len = 0;
	ssize_t r;
	int err = 0;

	while (len < cap && (r = read(fd, p + len, cap - len)) != 0) {
		if (r > 0)
			len += (size_t)r;
		else if (errno != EINTR) {
			err = errno;
			break;
		}
	}
	*got = len;
	return err;
}

/* ---- Peer threads -------------------------------------------------- */

void
peer_start(struct peer *p, void *(*fn)(void *), void *arg)
{
	p->err = 0;
	assert_int_equal(pthread_create(&p->tid, NULL, fn, arg), 0);
}

int
peer_join(struct peer *p)
{
	assert_int_equal(pthread_join(p->tid, NULL), 0);
	return p->err;
}

static void *
feeder_main(void *arg)
{
	struct feeder *f = arg;

	f->peer.err = write_all(f->fd, f->buf, f->len);
	if (f->end == FEED_SHUTDOWN) {
		if (shutdown(f->fd, SHUT_WR) < 0 && f->peer.err == 0)
			f->peer.err = errno;
	} else if (close(f->fd) < 0 && f->peer.err == 0) {
		f->peer.err = errno;
	}
	return NULL;
}

void
feeder_start(struct feeder *f, int fd, const void *buf, size_t len, enum feed_end end)
{
	f->fd = fd;
	f->buf = buf;
	f->len = len;
	f->end = end;
	peer_start(&f->peer, feeder_main, f);
}

static void *
collector_main(void *arg)
{
	struct collector *c = arg;

	/* One byte of room past cap, to tell "exactly cap" from "more". */
	c->peer.err = read_upto(c->fd, c->buf, c->cap + 1, &c->len);
	if (c->peer.err == 0 && c->len > c->cap)
		c->peer.err = EFBIG;
	return NULL;
}

void
collector_start(struct collector *c, int fd, size_t cap)
{
	c->fd = fd;
	c->buf = xmalloc(cap + 1);
	c->cap = cap;
	c->len = 0;
	peer_start(&c->peer, collector_main, c);
}

static void *
asker_main(void *arg)
{
	struct asker *a = arg;
	unsigned char more;

	a->peer.err = set_peer_timeout(a->fd);
	if (a->peer.err == 0)
		a->peer.err = write_all(a->fd, a->msg, a->len);
	if (a->peer.err == 0)
		a->peer.err = read_upto(a->fd, a->reply, a->len, &a->got);
	if (a->peer.err != 0 || a->end == ASK_RESET) {
		int err = close_with_reset(a->fd);

		if (a->peer.err == 0)
			a->peer.err = err;
		return NULL;
	}
	if (shutdown(a->fd, SHUT_WR) < 0)
		a->peer.err = errno;
	else
		a->peer.err = read_upto(a->fd, &more, 1, &a->surplus);
	return NULL;
}

void
asker_start(struct asker *a, int fd, const void *msg, size_t len, enum ask_end end)
{
	a->fd = fd;
	a->msg = msg;
	a->len = len;
	a->end = end;
	a->reply = xmalloc(len);
	a->got = a->surplus = 0;
	peer_start(&a->peer, asker_main, a);
}

/* keep: appends n bytes to a growing buffer.  0 or ENOMEM. */
static int
keep(unsigned char **buf, size_t *len, size_t *cap, const unsigned char *p, size_t n)
{
	if (*len + n > *cap) {
		size_t ncap = *cap > 0 ? *cap : 65536;
		unsigned char *nbuf;

		while (ncap < *len + n)
			ncap *= 2;
		nbuf = realloc(*buf, ncap);
		if (nbuf == NULL)
			return ENOMEM;
		*buf = nbuf;
		*cap = ncap;
	}
	memcpy(*buf + *len, p, n);
	*len += n;
	return 0;
}

static void *
server_main(void *arg)
{
	struct server *s = arg;
	unsigned char chunk[16384], *kept = NULL;
	size_t nkept = 0, cap = 0, echo;
	ssize_t r = -1;

	s->peer.err = set_peer_timeout(s->fd);
	while (s->peer.err == 0 && (r = read(s->fd, chunk, sizeof chunk)) != 0) {
		if (r < 0) {
			if (errno != EINTR)
				s->peer.err = errno;
			continue;
		}
		echo = s->received >= s->limit ? 0 :
		    s->limit - s->received < (size_t)r ? s->limit - s->received : (size_t)r;
		s->received += (size_t)r;
		if (s->mode == SERVER_ECHO)
			s->peer.err = write_all(s->fd, chunk, echo);
		else
			s->peer.err = keep(&kept, &nkept, &cap, chunk, echo);
	}
	if (s->peer.err == 0) {
		s->saw_eof = 1;
		if (s->mode == SERVER_ECHO_AFTER_EOF)
			s->peer.err = write_all(s->fd, kept, nkept);
	}
	free(kept);
	if (close(s->fd) < 0 && s->peer.err == 0)
		s->peer.err = errno;
	return NULL;
}

void
server_start(struct server *s, int fd, enum server_mode mode, size_t limit)
{
	s->fd = fd;
	s->mode = mode;
	s->limit = limit;
	s->received = 0;
	s->saw_eof = 0;
	peer_start(&s->peer, server_main, s);
}

/* ---- Processes ----------------------------------------------------- */

int
count_children(char state)
{
	pid_t me = getpid();
	struct dirent *e;
	DIR *d = opendir("/proc");
	int n = 0;

	assert_non_null(d);
	while ((e = readdir(d)) != NULL) {
		char path[300], line[512], *rparen, st;
		int ppid;
		FILE *f;

		if (e->d_name[0] < '0' || e->d_name[0] > '9')
			continue;
		(void)snprintf(path, sizeof path, "/proc/%s/stat", e->d_name);
		f = fopen(path, "r");
		if (f == NULL)
			continue;	/* gone since readdir() */
		/* "pid (comm) state ppid ...": comm may hold spaces and parens. */
		if (fgets(line, sizeof line, f) != NULL &&
		    (rparen = strrchr(line, ')')) != NULL &&
		    sscanf(rparen + 1, " %c %d", &st, &ppid) == 2 &&
		    ppid == (int)me && (state == 0 || st == state))
			n++;
		(void)fclose(f);
	}
	(void)closedir(d);
	return n;
}

int
wait_for_children(char state, int n)
{
	struct timespec tick = { 0, 10 * 1000 * 1000 };
	unsigned i, ticks = 100u * PEER_TIMEOUT * timeout_scale();
	int seen = count_children(state);

	for (i = 0; i < ticks && seen != n; i++) {
		(void)nanosleep(&tick, NULL);
		seen = count_children(state);
	}
	return seen;
}

unsigned
peer_timeout(void)
{
	return PEER_TIMEOUT * timeout_scale();
}
