/*
 * loadgen - the load generator and floor meter behind `make bench`.
 *
 *   loadgen rate  -p PORT [-c WORKERS] [-t SECS]   connect, echo 64 bytes, close
 *   loadgen bulk  -p PORT [-n BYTES]                one connection, verified echo
 *   loadgen ping  -p PORT [-n ROUNDS]               1-byte round trips, TCP_NODELAY
 *   loadgen hold  -p PORT -s SERVERPID [-k K]       K held connections: PSS, reap
 *                                                   ("unreaped": children left at 2*WAITSECS)
 *   loadgen scale -p PORT -s SERVERPID [-k K] [-a N] K connections held by several processes
 *                                                   (epoll): PSS, kernel memory, a new client's
 *                                                   latency while held, reap after the last close
 *   loadgen fork  [-t SECS]                         floor: fork+_exit+waitpid
 *   loadgen exit-floor [-k K]                       floor: K idle children told to end at
 *                                                   once, until the last is reaped
 *   loadgen floor-bw  [-n BYTES]                    floor: one-way loopback sender+sink
 *   loadgen floor-rtt [-n ROUNDS]                   floor: 1-byte RTT between two threads
 *   loadgen gen   -n BYTES                          the test pattern on stdout
 *   loadgen check -n BYTES                          verify the pattern on stdin
 *
 * Common options: -H HOST (default 127.0.0.1), -T SECS bounds every single
 * wait (default 5).  Each mode prints one JSON object on stdout and exits 0,
 * or prints {"mode":...,"error":...} and exits 1, so that a peer that fails
 * or hangs becomes a line in the report instead of a stalled run.
 */
#define _GNU_SOURCE	/* sched_setaffinity(): where the two ends of a round trip run */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* Bulk data is a fixed pseudo-random sequence repeating every PATLEN bytes.
 * PATLEN is prime so that a lost or repeated chunk of any usual size shifts
 * the sequence and fails the comparison. */
#define PATLEN 65521
#define CHUNK (1024 * 1024)
#define MSG 64

static char pat[PATLEN + CHUNK];

static const char *mode = "?";
static struct sockaddr_storage target;
static socklen_t targetlen;
static double wait_bound = 5.0;

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void fail(const char *fmt, ...)
{
	va_list ap;

	printf("{\"mode\":\"%s\",\"error\":\"", mode);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\"}\n");
	exit(1);
}

static void pattern_init(void)
{
	unsigned long x = 12345;
	size_t i;

	for (i = 0; i < sizeof pat; i++) {
		x = (x * 1103515245UL + 12345UL) & 0x7fffffffUL;
		pat[i] = (char)(i < PATLEN ? x >> 16 : (unsigned char)pat[i - PATLEN]);
	}
}

static void set_target(const char *host, const char *port)
{
	struct addrinfo hints, *res;
	int err;

	memset(&hints, 0, sizeof hints);
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV;
	err = getaddrinfo(host, port, &hints, &res);
	if (err != 0)
		fail("%s:%s: %s", host, port, gai_strerror(err));
	memcpy(&target, res->ai_addr, res->ai_addrlen);
	targetlen = res->ai_addrlen;
	freeaddrinfo(res);
}

/* Linux bounds connect() by SO_SNDTIMEO too, so no wait below is unbounded. */
static void bound_waits(int fd)
{
	struct timeval tv;

	tv.tv_sec = (time_t)wait_bound;
	tv.tv_usec = (suseconds_t)((wait_bound - (double)tv.tv_sec) * 1e6);
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
}

static int dial(void)
{
	int fd = socket(target.ss_family, SOCK_STREAM, 0);

	if (fd < 0)
		return -1;
	bound_waits(fd);
	if (connect(fd, (struct sockaddr *)&target, targetlen) < 0) {
		int e = errno;

		close(fd);
		errno = e;
		return -1;
	}
	return fd;
}

static void nodelay(int fd)
{
	int on = 1;

	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on);
}

static int send_all(int fd, const char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, p, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* Returns the bytes read, fewer than n only at EOF; -1 with errno on error
 * (EAGAIN when the SO_RCVTIMEO bound expired). */
static ssize_t recv_all(int fd, char *p, size_t n)
{
	size_t got = 0;

	while (got < n) {
		ssize_t r = read(fd, p + got, n - got);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -1;
		if (r == 0)
			break;
		got += (size_t)r;
	}
	return (ssize_t)got;
}

static const char *why(int err)
{
	return err == EAGAIN || err == EWOULDBLOCK ? "timed out" : strerror(err);
}

/* One exchange as a client does it: MSG bytes out, the same MSG bytes back. */
static int echo_once(int fd)
{
	char buf[MSG];
	ssize_t r;

	if (send_all(fd, pat, MSG) < 0)
		return -1;
	r = recv_all(fd, buf, MSG);
	if (r < 0)
		return -1;
	if (r < MSG || memcmp(buf, pat, MSG) != 0) {
		errno = EPROTO;
		return -1;
	}
	return 0;
}

static int send_pattern(int fd, long long n)
{
	long long off;

	for (off = 0; off < n; off += CHUNK) {
		size_t len = n - off < CHUNK ? (size_t)(n - off) : CHUNK;

		if (send_all(fd, pat + off % PATLEN, len) < 0)
			return -1;
	}
	return 0;
}

/* Reads exactly n bytes of the pattern, then EOF.  Returns NULL when all
 * is well, else what went wrong; *got says how far it came. */
static const char *recv_pattern(int fd, long long n, long long *got)
{
	static char buf[CHUNK];
	char extra;
	ssize_t r;

	for (*got = 0; *got < n; *got += r) {
		size_t want = n - *got < CHUNK ? (size_t)(n - *got) : CHUNK;

		r = read(fd, buf, want);
		if (r < 0 && errno == EINTR) {
			r = 0;
			continue;
		}
		if (r < 0)
			return why(errno);
		if (r == 0)
			return "EOF before all bytes came back";
		if (memcmp(buf, pat + *got % PATLEN, (size_t)r) != 0)
			return "echoed bytes differ from those sent";
	}
	do
		r = read(fd, &extra, 1);
	while (r < 0 && errno == EINTR);
	if (r < 0)
		return "no EOF after the last byte";
	return r > 0 ? "more bytes came back than were sent" : NULL;
}

static int listen_loopback(void)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in *sin = (struct sockaddr_in *)&target;

	memset(&target, 0, sizeof target);
	sin->sin_family = AF_INET;
	sin->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	targetlen = sizeof *sin;
	if (fd < 0 || bind(fd, (struct sockaddr *)&target, targetlen) < 0
	    || listen(fd, 16) < 0
	    || getsockname(fd, (struct sockaddr *)&target, &targetlen) < 0)
		fail("loopback listener: %s", strerror(errno));
	return fd;
}

static int accept_bounded(int lfd)
{
	int fd;

	bound_waits(lfd);
	fd = accept(lfd, NULL, NULL);
	if (fd < 0)
		fail("accept: %s", why(errno));
	bound_waits(fd);
	return fd;
}

/* ---- rate ---- */

struct worker {
	pthread_t tid;
	long ok, errors;
	int last_errno;
};

static double deadline;

static void *rate_worker(void *arg)
{
	struct worker *w = arg;
	int streak = 0;

	/* Stop on the clock, or after a run of failures: a dead peer must not
	 * be hammered for the whole interval. */
	while (now() < deadline && streak < 50) {
		int fd = dial();
		int ok = fd >= 0 && echo_once(fd) == 0;

		if (!ok)
			w->last_errno = errno;
		if (fd >= 0)
			close(fd);
		if (ok) {
			w->ok++;
			streak = 0;
		} else {
			w->errors++;
			streak++;
		}
	}
	return NULL;
}

static void run_rate(int nworkers, double secs)
{
	struct worker *w = calloc((size_t)nworkers, sizeof *w);
	long ok = 0, errors = 0;
	int last_errno = 0, i;
	double t0;

	if (w == NULL)
		fail("out of memory");
	t0 = now();
	deadline = t0 + secs;
	for (i = 0; i < nworkers; i++)
		if (pthread_create(&w[i].tid, NULL, rate_worker, &w[i]) != 0)
			fail("pthread_create failed");
	for (i = 0; i < nworkers; i++) {
		pthread_join(w[i].tid, NULL);
		ok += w[i].ok;
		errors += w[i].errors;
		if (w[i].last_errno != 0)
			last_errno = w[i].last_errno;
	}
	t0 = now() - t0;
	if (ok == 0)
		fail("no connection completed (%ld failed: %s)", errors, why(last_errno));
	printf("{\"mode\":\"rate\",\"workers\":%d,\"conns\":%ld,\"errors\":%ld,"
	       "\"secs\":%.3f,\"conns_per_s\":%.1f%s%s%s}\n",
	       nworkers, ok, errors, t0, ok / t0,
	       errors ? ",\"last_error\":\"" : "", errors ? why(last_errno) : "",
	       errors ? "\"" : "");
	free(w);
}

/* ---- bulk, and the one-way floor ---- */

struct sender {
	int fd;
	long long n;
	int err;
};

static void *sender(void *arg)
{
	struct sender *s = arg;

	if (send_pattern(s->fd, s->n) < 0)
		s->err = errno;
	else
		shutdown(s->fd, SHUT_WR);
	return NULL;
}

static void dial_sender(struct sender *s, long long n)
{
	s->fd = dial();
	s->n = n;
	s->err = 0;
	if (s->fd < 0)
		fail("connect: %s", why(errno));
}

static void start_sender(struct sender *s, pthread_t *tid)
{
	if (pthread_create(tid, NULL, sender, s) != 0)
		fail("pthread_create failed");
}

static void report_mibs(long long n, double secs)
{
	printf("{\"mode\":\"%s\",\"bytes\":%lld,\"secs\":%.3f,\"mib_per_s\":%.1f}\n",
	       mode, n, secs, n / secs / (1024.0 * 1024.0));
}

static void run_bulk(long long n)
{
	struct sender s;
	pthread_t tid;
	long long got;
	const char *err;
	double t0;

	dial_sender(&s, n);
	t0 = now();
	start_sender(&s, &tid);
	err = recv_pattern(s.fd, n, &got);
	if (err != NULL)
		fail("%s after %lld of %lld bytes in %.1f s", err, got, n, now() - t0);
	t0 = now() - t0;
	pthread_join(tid, NULL);
	if (s.err != 0)
		fail("send: %s", why(s.err));
	report_mibs(n, t0);
}

static void *sink(void *arg)
{
	int fd = *(int *)arg;
	static char buf[CHUNK];
	ssize_t r;

	while ((r = read(fd, buf, sizeof buf)) > 0 || (r < 0 && errno == EINTR))
		;
	return NULL;
}

static void run_floor_bw(long long n)
{
	int lfd = listen_loopback();
	struct sender s;
	pthread_t stid, ktid;
	int sfd;
	double t0;

	dial_sender(&s, n);
	sfd = accept_bounded(lfd);
	t0 = now();
	if (pthread_create(&ktid, NULL, sink, &sfd) != 0)
		fail("pthread_create failed");
	start_sender(&s, &stid);
	pthread_join(stid, NULL);
	pthread_join(ktid, NULL);
	t0 = now() - t0;
	if (s.err != 0)
		fail("send: %s", why(s.err));
	report_mibs(n, t0);
}

/* ---- hold: the server tree in /proc ---- */

struct proc {
	pid_t pid, ppid;
};

/* Every process's parent, from /proc/PID/stat (the field after the
 * parenthesised command name, which may itself hold spaces). */
static size_t scan_procs(struct proc **out)
{
	static struct proc *v;
	static size_t cap;
	size_t n = 0;
	DIR *d = opendir("/proc");
	struct dirent *e;

	if (d == NULL)
		fail("/proc: %s", strerror(errno));
	while ((e = readdir(d)) != NULL) {
		char path[64], buf[512], *p;
		long pid = atol(e->d_name);
		FILE *f;
		int ppid;

		if (pid <= 0)
			continue;
		snprintf(path, sizeof path, "/proc/%ld/stat", pid);
		f = fopen(path, "r");
		if (f == NULL)
			continue;
		p = fgets(buf, sizeof buf, f);
		fclose(f);
		if (p == NULL || (p = strrchr(buf, ')')) == NULL
		    || sscanf(p, ") %*c %d", &ppid) != 1)
			continue;
		if (n == cap) {
			cap = cap ? 2 * cap : 1024;
			v = realloc(v, cap * sizeof *v);
			if (v == NULL)
				fail("out of memory");
		}
		v[n].pid = (pid_t)pid;
		v[n].ppid = (pid_t)ppid;
		n++;
	}
	closedir(d);
	*out = v;
	return n;
}

/* root's descendants (root itself first) into *tree; returns how many.
 * With direct_only, just root's children (root not included). */
static size_t tree_of(pid_t root, int direct_only, pid_t **tree)
{
	struct proc *v;
	size_t n = scan_procs(&v), len = 0, i, j;
	pid_t *t = malloc((n + 1) * sizeof *t);

	if (t == NULL)
		fail("out of memory");
	t[len++] = root;
	for (i = 0; i < len && (!direct_only || i == 0); i++)
		for (j = 0; j < n; j++)
			if (v[j].ppid == t[i])
				t[len++] = v[j].pid;
	if (direct_only)
		memmove(t, t + 1, --len * sizeof *t);
	*tree = t;
	return len;
}

static long pss_kib(pid_t pid)
{
	char path[64], line[256];
	long kib = 0;
	FILE *f;

	snprintf(path, sizeof path, "/proc/%ld/smaps_rollup", (long)pid);
	f = fopen(path, "r");
	if (f == NULL)
		return 0;	/* gone meanwhile: it holds no memory */
	while (fgets(line, sizeof line, f) != NULL)
		if (sscanf(line, "Pss: %ld", &kib) == 1)
			break;
	fclose(f);
	return kib;
}

static long tree_pss(pid_t root, size_t *nprocs)
{
	pid_t *t;
	size_t i;
	long sum = 0;

	*nprocs = tree_of(root, 0, &t);
	for (i = 0; i < *nprocs; i++)
		sum += pss_kib(t[i]);
	free(t);
	return sum;
}

static void pause_ms(double ms)
{
	struct timespec ts;

	ts.tv_sec = (time_t)(ms / 1000);
	ts.tv_nsec = (long)((ms - ts.tv_sec * 1000.0) * 1e6);
	nanosleep(&ts, NULL);
}

/* Waits, bounded, until pids holds no process (a zombie still counts: it
 * is not reaped).  Returns how many are left. */
static size_t wait_gone(pid_t *pids, size_t n, double bound)
{
	double end = now() + bound;

	for (;;) {
		size_t i = 0;

		while (i < n)
			if (kill(pids[i], 0) < 0 && errno == ESRCH)
				pids[i] = pids[--n];
			else
				i++;
		if (n == 0 || now() > end)
			return n;
		pause_ms(0.2);
	}
}

static void run_hold(pid_t server, int k)
{
	struct rlimit rl;
	int *fds = malloc((size_t)k * sizeof *fds);
	pid_t *kids;
	size_t nkids, nprocs0, nprocs, left;
	long pss0, pss;
	int i;
	double t0, tclose;

	if (fds == NULL)
		fail("out of memory");
	if (kill(server, 0) < 0)
		fail("server pid %ld: %s", (long)server, strerror(errno));
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < (rlim_t)k + 16) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	/* The idle tree first: earlier runs' children must be gone. */
	nkids = tree_of(server, 1, &kids);
	wait_gone(kids, nkids, wait_bound);
	free(kids);
	pss0 = tree_pss(server, &nprocs0);
	for (i = 0; i < k; i++) {
		fds[i] = dial();
		if (fds[i] < 0 || echo_once(fds[i]) < 0)
			fail("connection %d of %d: %s", i + 1, k, why(errno));
	}
	pss = tree_pss(server, &nprocs);
	nkids = tree_of(server, 1, &kids);
	/* Closing takes a while itself, and children exit meanwhile: the time
	 * the closing took is reported beside the reap time. */
	tclose = now();
	for (i = 0; i < k; i++)
		close(fds[i]);
	t0 = now();
	tclose = t0 - tclose;
	left = wait_gone(kids, nkids, 2 * wait_bound);
	t0 = now() - t0;
	printf("{\"mode\":\"hold\",\"k\":%d,\"procs_idle\":%zu,\"procs\":%zu,"
	       "\"children\":%zu,\"pss_idle_kib\":%ld,\"pss_kib\":%ld,"
	       "\"kib_per_conn\":%.1f,\"close_ms\":%.2f,\"reap_ms\":%.2f,\"unreaped\":%zu}\n",
	       k, nprocs0, nprocs, nkids, pss0, pss, (double)(pss - pss0) / k,
	       tclose * 1e3, t0 * 1e3, left);
	free(kids);
	free(fds);
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* ---- scale: K connections held by several processes ---- */

/* The hard RLIMIT_NOFILE here is 20,000: each worker holds at most this. */
#define SCALE_PER_WORKER 10000
/* New clients timed, one after another, while the K are held. */
#define SCALE_PROBES 200
/* linux/in.h: choose the port at connect(), not at bind(). */
#ifndef IP_BIND_ADDRESS_NO_PORT
#define IP_BIND_ADDRESS_NO_PORT 24
#endif

/* KiB in /proc/meminfo: the kernel's own memory that grows per connection. */
struct kmem {
	long kstack, ptables, slab;
};

static void read_kmem(struct kmem *m)
{
	char line[128];
	FILE *f = fopen("/proc/meminfo", "r");

	memset(m, 0, sizeof *m);
	if (f == NULL)
		fail("/proc/meminfo: %s", strerror(errno));
	while (fgets(line, sizeof line, f) != NULL)
		if (sscanf(line, "KernelStack: %ld", &m->kstack) != 1
		    && sscanf(line, "PageTables: %ld", &m->ptables) != 1)
			(void)sscanf(line, "Slab: %ld", &m->slab);
	fclose(f);
}

/* A socket connected to the target from 127.0.0.(2 + w) when the target is
 * 127.0.0.1: each worker has a source address, so a range of ephemeral ports,
 * of its own, and 25,000 connections do not exhaust one range. */
static int dial_from(int w)
{
	struct sockaddr_in *t = (struct sockaddr_in *)&target, src;
	int fd, on = 1;

	if (target.ss_family != AF_INET || t->sin_addr.s_addr != htonl(INADDR_LOOPBACK))
		return dial();
	fd = socket(AF_INET, SOCK_STREAM, 0);
	if (fd < 0)
		return -1;
	bound_waits(fd);
	memset(&src, 0, sizeof src);
	src.sin_family = AF_INET;
	src.sin_addr.s_addr = htonl(INADDR_LOOPBACK + 1 + (unsigned)w % 250);
	if (setsockopt(fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &on, sizeof on) < 0
	    || bind(fd, (struct sockaddr *)&src, sizeof src) < 0
	    || connect(fd, (struct sockaddr *)&target, targetlen) < 0) {
		int e = errno;

		close(fd);
		errno = e;
		return -1;
	}
	return fd;
}

/* Reads the echoes that have come back within ms milliseconds, adding them
 * to *echoed.  Returns 0, or -1 with errno on a wrong or failed echo. */
static int collect_echoes(int ep, int *echoed, int ms)
{
	struct epoll_event evs[256];
	int m = epoll_wait(ep, evs, 256, ms), i;
	char c;

	for (i = 0; i < m; i++) {
		ssize_t r = read(evs[i].data.fd, &c, 1);

		if (r != 1 || c != 'x') {
			if (r >= 0)
				errno = EPROTO;	/* EOF or a wrong byte */
			return -1;
		}
		(void)epoll_ctl(ep, EPOLL_CTL_DEL, evs[i].data.fd, NULL);
		(*echoed)++;
	}
	return 0;
}

/* Connections a worker may have opened beyond those echoed (-a): the rest
 * wait in connect().  Running ahead of the server's forks would overflow its
 * listen queue, and every dropped SYN costs its client a second or more.
 * 512 suits a server that listens with a long queue, as the reference does;
 * socat and Python's socketserver listen with a queue of 5. */
static int scale_ahead = 512;

/* A worker: opens n connections, sends a byte on each and waits with epoll
 * until every one has come back; says 'r' on up (or 'e' and why on stderr),
 * holds them until a byte comes on down, closes them all and sends the time
 * of its last close on up. */
static void scale_worker(int w, int n, int up, int down)
{
	struct epoll_event ev;
	int *fds = malloc((size_t)n * sizeof *fds), ep, i = 0, echoed = 0;
	double end = now() + wait_bound * 4 + n / 100.0, t;
	char c;

	ep = epoll_create1(0);
	if (fds == NULL || ep < 0)
		goto fail;
	for (i = 0; i < n; i++) {
		while (i - echoed > scale_ahead && now() < end)
			if (collect_echoes(ep, &echoed, 100) < 0)
				goto fail;
		fds[i] = dial_from(w);
		if (fds[i] < 0 || write(fds[i], "x", 1) != 1)
			goto fail;
		ev.events = EPOLLIN;
		ev.data.fd = fds[i];
		if (epoll_ctl(ep, EPOLL_CTL_ADD, fds[i], &ev) < 0)
			goto fail;
	}
	while (echoed < n && now() < end)
		if (collect_echoes(ep, &echoed, 100) < 0)
			goto fail;
	if (echoed < n) {
		fprintf(stderr, "loadgen scale: worker %d: %d of %d echoed in time\n", w, echoed, n);
		(void)write(up, "e", 1);
		_exit(1);
	}
	if (write(up, "r", 1) != 1 || read(down, &c, 1) != 1)
		_exit(1);
	for (i = 0; i < n; i++)
		close(fds[i]);
	t = now();
	_exit(write(up, &t, sizeof t) == (ssize_t)sizeof t ? 0 : 1);
fail:
	fprintf(stderr, "loadgen scale: worker %d: connection %d of %d: %s\n",
		w, i + 1, n, why(errno));
	(void)write(up, "e", 1);
	_exit(1);
}

/* Children still listed by the kernel (zombies included) under server. */
static size_t children_left(pid_t server)
{
	char path[64], buf[4096];
	size_t n = 0, i;
	ssize_t r;
	int fd, in_word = 0;

	snprintf(path, sizeof path, "/proc/%ld/task/%ld/children", (long)server, (long)server);
	fd = open(path, O_RDONLY);
	if (fd < 0)
		fail("%s: %s", path, strerror(errno));
	while ((r = read(fd, buf, sizeof buf)) > 0)
		for (i = 0; i < (size_t)r; i++) {
			n += !in_word && buf[i] != ' ';
			in_word = buf[i] != ' ';
		}
	close(fd);
	return n;
}

/* Tasks on the whole machine, zombies included: the total of
 * /proc/loadavg's "running/total".  One counter, read without walking any
 * list, where every read of a children file walks the server's children
 * under the kernel's task list lock, which each exiting child must take to
 * exit: polled in a loop while thousands exit, that read itself slowed
 * the exits it was timing (10,000 children: 7.4-8.8 s, 6.1 s without). */
static long tasks_now(void)
{
	FILE *f = fopen("/proc/loadavg", "r");
	long running, total = -1;

	if (f == NULL)
		fail("/proc/loadavg: %s", strerror(errno));
	if (fscanf(f, "%*s %*s %*s %ld/%ld", &running, &total) != 2)
		fail("/proc/loadavg: unexpected format");
	fclose(f);
	return total;
}

/* Waits until the server has no child left, zombie or not, and returns how
 * many are left at end.  kids children are gone once the machine's task
 * count is down by kids from held (less a margin for what else starts);
 * only then is the server's own list read in a loop, short by then.  It is
 * still read every 50 ms meanwhile, so that other processes starting on
 * the machine cannot hold the wait up. */
#define REAP_MARGIN 256

static size_t wait_reaped(pid_t server, size_t kids, long held, double end)
{
	double exact = now();
	size_t left;

	while (tasks_now() > held - (long)kids + REAP_MARGIN && now() < end) {
		if (now() - exact > 0.05) {
			if (children_left(server) == 0)
				return 0;
			exact = now();
		}
		pause_ms(0.2);
	}
	while ((left = children_left(server)) > 0 && now() < end)
		pause_ms(0.2);
	return left;
}

static void run_scale(pid_t server, int k)
{
	int workers = (k + SCALE_PER_WORKER - 1) / SCALE_PER_WORKER, w, i;
	int (*up)[2] = calloc((size_t)workers, sizeof *up), (*down)[2] = calloc((size_t)workers, sizeof *down);
	pid_t *pids = calloc((size_t)workers, sizeof *pids);
	double lat[SCALE_PROBES], t0, t_up, t_down, t_last = 0, t_gone, end;
	struct kmem m0, m1;
	size_t nprocs0, nprocs, kids, left;
	long pss0, pss, held;
	char c;

	if (up == NULL || down == NULL || pids == NULL)
		fail("out of memory");
	if (kill(server, 0) < 0)
		fail("server pid %ld: %s", (long)server, strerror(errno));
	end = now() + wait_bound;
	while (children_left(server) > 0 && now() < end)
		pause_ms(10);
	read_kmem(&m0);
	pss0 = tree_pss(server, &nprocs0);
	t0 = now();
	for (w = 0; w < workers; w++) {
		int n = k / workers + (w < k % workers);

		if (pipe(up[w]) < 0 || pipe(down[w]) < 0)
			fail("pipe: %s", strerror(errno));
		pids[w] = fork();
		if (pids[w] < 0)
			fail("fork: %s", strerror(errno));
		if (pids[w] == 0)
			scale_worker(w, n, up[w][1], down[w][0]);
	}
	for (w = 0; w < workers; w++)
		if (read(up[w][0], &c, 1) != 1 || c != 'r') {
			for (i = 0; i < workers; i++)
				kill(pids[i], SIGKILL);
			fail("worker %d of %d could not open or echo its connections", w + 1, workers);
		}
	t_up = now() - t0;
	kids = children_left(server);
	read_kmem(&m1);
	pss = tree_pss(server, &nprocs);
	for (i = 0; i < SCALE_PROBES; i++) {
		double t = now();
		int fd = dial();

		if (fd < 0 || echo_once(fd) < 0)
			fail("new client %d while %d held: %s", i + 1, k, why(errno));
		close(fd);
		lat[i] = (now() - t) * 1e3;
	}
	qsort(lat, SCALE_PROBES, sizeof lat[0], cmp_double);
	/* The probes' children must not count as held ones still to reap. */
	end = now() + wait_bound;
	while (children_left(server) > kids && now() < end)
		pause_ms(1);
	held = tasks_now();
	t_down = now();
	for (w = 0; w < workers; w++)
		if (write(down[w][1], "c", 1) != 1)
			fail("worker %d: %s", w + 1, strerror(errno));
	for (w = 0; w < workers; w++) {
		double t;

		if (read(up[w][0], &t, sizeof t) != (ssize_t)sizeof t)
			fail("worker %d did not close", w + 1);
		if (t > t_last)
			t_last = t;
	}
	left = wait_reaped(server, kids, held, t_last + 4 * wait_bound);
	t_gone = now();
	for (w = 0; w < workers; w++)
		waitpid(pids[w], NULL, 0);
	printf("{\"mode\":\"scale\",\"k\":%d,\"workers\":%d,\"open_s\":%.2f,"
	       "\"children\":%zu,\"procs\":%zu,\"pss_idle_kib\":%ld,\"pss_kib\":%ld,"
	       "\"kib_per_conn\":%.1f,\"kernel_kib_per_conn\":%.1f,"
	       "\"kstack_kib_per_conn\":%.1f,\"ptables_kib_per_conn\":%.1f,"
	       "\"slab_kib_per_conn\":%.1f,\"new_p50_ms\":%.2f,\"new_p99_ms\":%.2f,"
	       "\"new_max_ms\":%.2f,\"close_ms\":%.1f,\"reap_ms\":%.1f,\"unreaped\":%zu}\n",
	       k, workers, t_up, kids, nprocs, pss0, pss, (double)(pss - pss0) / k,
	       (double)((m1.kstack + m1.ptables + m1.slab) - (m0.kstack + m0.ptables + m0.slab)) / k,
	       (double)(m1.kstack - m0.kstack) / k, (double)(m1.ptables - m0.ptables) / k,
	       (double)(m1.slab - m0.slab) / k, lat[SCALE_PROBES / 2],
	       lat[SCALE_PROBES * 99 / 100], lat[SCALE_PROBES - 1],
	       (t_last - t_down) * 1e3, (t_gone - t_last) * 1e3, left);
	free(up);
	free(down);
	free(pids);
}

/* ---- ping, and the two-thread floor ---- */

/*
 * Round trips are pinned, the client to CPU 0 and the echoing side to CPU 1:
 * left to the scheduler, a pair lands on one CPU (about 4 us here) or on
 * two (about 50 us here, a cross-CPU wakeup in a VM) by chance, and the
 * chance, not the server, would decide the figure.
 */
static int pin(pid_t pid, int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	return sched_setaffinity(pid, sizeof set, &set);
}

static int can_pin(void)
{
	return sysconf(_SC_NPROCESSORS_ONLN) >= 2;
}

/* Pins root's whole tree to cpu, or, with cpu < 0, gives it all of *all. */
static void pin_tree(pid_t root, int cpu, cpu_set_t *all)
{
	pid_t *t;
	size_t n = tree_of(root, 0, &t), i;

	for (i = 0; i < n; i++)
		if (cpu >= 0)
			pin(t[i], cpu);
		else
			sched_setaffinity(t[i], sizeof *all, all);
	free(t);
}

static int round_trip(int fd)
{
	char c = 'x';

	return send_all(fd, &c, 1) == 0 && recv_all(fd, &c, 1) == 1 ? 0 : -1;
}

/* server: the tree to pin once its child for fd exists, 0 for none. */
static void ping(int fd, long rounds, pid_t server)
{
	double *us = malloc((size_t)rounds * sizeof *us);
	long i, warm = rounds / 10 + 10;
	int pinned = can_pin();
	cpu_set_t all;

	if (us == NULL)
		fail("out of memory");
	nodelay(fd);
	if (round_trip(fd) < 0)
		fail("first round trip: %s", errno ? why(errno) : "EOF");
	if (pinned)
		pinned = sched_getaffinity(0, sizeof all, &all) == 0 && pin(0, 0) == 0;
	if (pinned && server > 0)
		pin_tree(server, 1, NULL);
	for (i = -warm; i < rounds; i++) {
		double t0 = now();

		if (round_trip(fd) < 0)
			fail("round trip %ld: %s", i + warm, errno ? why(errno) : "EOF");
		if (i >= 0)
			us[i] = (now() - t0) * 1e6;
	}
	if (pinned && server > 0)
		pin_tree(server, -1, &all);
	qsort(us, (size_t)rounds, sizeof *us, cmp_double);
	printf("{\"mode\":\"%s\",\"rounds\":%ld,\"p50_us\":%.2f,\"p99_us\":%.2f,"
	       "\"min_us\":%.2f,\"pinned\":%s}\n", mode, rounds, us[rounds / 2],
	       us[rounds * 99 / 100], us[0], pinned ? "true" : "false");
	free(us);
}

static void *byte_echo(void *arg)
{
	int fd = *(int *)arg;
	char c;

	if (can_pin())
		pin(0, 1);
	nodelay(fd);
	while (recv_all(fd, &c, 1) == 1 && send_all(fd, &c, 1) == 0)
		;
	return NULL;
}

static void run_floor_rtt(long rounds)
{
	int lfd = listen_loopback();
	int fd = dial(), sfd;
	pthread_t tid;

	if (fd < 0)
		fail("connect: %s", why(errno));
	sfd = accept_bounded(lfd);
	if (pthread_create(&tid, NULL, byte_echo, &sfd) != 0)
		fail("pthread_create failed");
	ping(fd, rounds, 0);
	close(fd);
	pthread_join(tid, NULL);
}

/* ---- the fork floor ---- */

static void run_fork(double secs)
{
	long n = 0;
	double t0 = now(), end = t0 + secs;

	while (now() < end) {
		pid_t pid = fork();

		if (pid < 0)
			fail("fork: %s", strerror(errno));
		if (pid == 0)
			_exit(0);
		if (waitpid(pid, NULL, 0) < 0)
			fail("waitpid: %s", strerror(errno));
		n++;
	}
	t0 = now() - t0;
	printf("{\"mode\":\"fork\",\"forks\":%ld,\"secs\":%.3f,\"forks_per_s\":%.1f}\n",
	       n, t0, n / t0);
}

/*
 * The floor under "reap after the last close" at scale: K children of this
 * process, each asleep in read() on one pipe as a server's child sleeps on
 * its connection, all woken at once by the pipe's end of file; the time
 * from that close to the last waitpid().  No server does less to end K
 * children: what it measures is the kernel's cost of K exits here.
 */
static void run_exit_floor(int k)
{
	int fds[2], i;
	double t0;
	char c;

	if (pipe(fds) < 0)
		fail("pipe: %s", strerror(errno));
	for (i = 0; i < k; i++) {
		pid_t pid = fork();

		if (pid < 0) {
			int err = errno, n;

			close(fds[1]);
			for (n = 0; n < i; n++)
				wait(NULL);
			fail("fork %d of %d: %s", i + 1, k, strerror(err));
		}
		if (pid == 0) {
			close(fds[1]);
			while (read(fds[0], &c, 1) < 0 && errno == EINTR)
				;
			_exit(0);
		}
	}
	close(fds[0]);
	t0 = now();
	close(fds[1]);
	for (i = 0; i < k; i++)
		if (wait(NULL) < 0)
			fail("wait: %s", strerror(errno));
	t0 = now() - t0;
	printf("{\"mode\":\"exit-floor\",\"k\":%d,\"reap_ms\":%.1f,\"us_per_child\":%.1f}\n",
	       k, t0 * 1e3, t0 * 1e6 / k);
}

static void usage(void)
{
	fprintf(stderr, "usage: loadgen rate|bulk|ping|hold|scale|fork|exit-floor|floor-bw|floor-rtt|gen|check\n"
		"  [-H HOST] [-p PORT] [-c WORKERS] [-t SECS] [-n BYTES|ROUNDS]\n"
		"  [-k CONNS] [-s SERVERPID] [-T WAITSECS] [-a AHEAD]\n");
	exit(2);
}

int main(int argc, char **argv)
{
	const char *host = "127.0.0.1", *port = NULL;
	int workers = 1, k = 1000, c;
	double secs = 2.0;
	long long n = -1;
	pid_t server = 0;
	long long got;
	const char *err;

	if (argc < 2)
		usage();
	mode = argv[1];
	optind = 2;
	while ((c = getopt(argc, argv, "H:p:c:t:n:k:s:T:a:")) != -1)
		switch (c) {
		case 'H': host = optarg; break;
		case 'p': port = optarg; break;
		case 'c': workers = atoi(optarg); break;
		case 't': secs = atof(optarg); break;
		case 'n': n = atoll(optarg); break;
		case 'k': k = atoi(optarg); break;
		case 's': server = (pid_t)atol(optarg); break;
		case 'T': wait_bound = atof(optarg); break;
		case 'a': scale_ahead = atoi(optarg); break;
		default: usage();
		}
	if (optind != argc || workers < 1 || k < 1 || secs <= 0 || wait_bound <= 0 || scale_ahead < 1)
		usage();
	signal(SIGPIPE, SIG_IGN);
	/* The fork floors want a small parent: leave the pattern pages unmapped. */
	if (strcmp(mode, "fork") != 0 && strcmp(mode, "exit-floor") != 0)
		pattern_init();
	if (strcmp(mode, "rate") == 0 || strcmp(mode, "bulk") == 0
	    || strcmp(mode, "ping") == 0 || strcmp(mode, "hold") == 0
	    || strcmp(mode, "scale") == 0) {
		if (port == NULL)
			usage();
		set_target(host, port);
	}
	if (strcmp(mode, "rate") == 0)
		run_rate(workers, secs);
	else if (strcmp(mode, "bulk") == 0 || strcmp(mode, "floor-bw") == 0) {
		if (n < 0)
			n = 256LL << 20;
		if (mode[0] == 'b')
			run_bulk(n);
		else
			run_floor_bw(n);
	} else if (strcmp(mode, "ping") == 0 || strcmp(mode, "floor-rtt") == 0) {
		int fd;

		if (n <= 0)
			n = 5000;
		if (mode[0] == 'f') {
			run_floor_rtt((long)n);
			return 0;
		}
		fd = dial();
		if (fd < 0)
			fail("connect: %s", why(errno));
		ping(fd, (long)n, server);
		close(fd);
	} else if (strcmp(mode, "hold") == 0) {
		if (server <= 0)
			usage();
		run_hold(server, k);
	} else if (strcmp(mode, "scale") == 0) {
		if (server <= 0)
			usage();
		run_scale(server, k);
	} else if (strcmp(mode, "fork") == 0)
		run_fork(secs);
	else if (strcmp(mode, "exit-floor") == 0)
		run_exit_floor(k);
	else if (strcmp(mode, "gen") == 0) {
		if (n < 0 || send_pattern(1, n) < 0)
			fail("write: %s", n < 0 ? "-n missing" : strerror(errno));
	} else if (strcmp(mode, "check") == 0) {
		if (n < 0)
			usage();
		err = recv_pattern(0, n, &got);
		if (err != NULL)
			fail("%s after %lld of %lld bytes", err, got, n);
		printf("{\"mode\":\"check\",\"bytes\":%lld}\n", n);
	} else
		usage();
	return 0;
}
