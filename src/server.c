/*
 * server.c - echo-server: the classic concurrent server, one child process
 * per connection, each echoing until its peer's EOF.
 *
 * The parent only accepts and forks.  SIGCHLD, SIGTERM and SIGINT stay
 * blocked except while the parent waits: in pselect() for a connection on
 * its non-blocking listener, in sigsuspend() at the child cap, in pselect()
 * when backing off or ending the children.  Each of those unblocks them
 * and waits in one atomic step, so a signal that comes after the loop
 * looked at `stops` is delivered in the wait and ends it: on any POSIX
 * system, never lost until the next client.  The bookkeeping around fork()
 * never races a handler, and accept() never blocks.  sigsuspend() always
 * returns after a handler; POSIX lets a system restart a pselect() whose
 * handler has SA_RESTART, which would sleep on past a stop, so the
 * handlers are installed without it (set_handler() in reap.c; Linux never
 * restarts pselect(), and make sa-restart-test shows the flag changes
 * nothing there).  An idle parent still reaps every child the moment it
 * exits.
 */
/* _Fork(): glibc 2.34 and POSIX.1-2024; see fork_child(). */
#define _GNU_SOURCE
#include <err.h>
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <netdb.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "echo.h"
#include "net.h"
#include "opt.h"
#include "reap.h"

/*
 * Connections wait here while the parent is at its child cap; the kernel
 * clamps it to net.core.somaxconn.
 */
#define BACKLOG 4096

/* How long the parent sleeps when it cannot accept or fork for now. */
#define BACKOFF_MS 100

struct config {
	const char *host;
	const char *port;
	long max_children;	/* -c */
	int max_asked;		/* -c given: the machine must allow it */
	long idle_secs;		/* -t, 0 for none */
	long grace_secs;	/* -g */
	int drain;		/* --drain */
	int verbose;		/* -v */
};

static volatile sig_atomic_t stops;	/* SIGTERMs and SIGINTs so far */
static int listen_fd = -1;

/* Runs only inside the parent's waits, which then return EINTR. */
static void
on_stop(int signo)
{
	(void)signo;
	stops++;
}

/*
 * say: "echo-server: message[: strerror(errnum)]" on stderr in a single
 * write(), so lines from concurrent children never interleave (err(3)
 * writes a line in pieces).  errnum 0 adds no reason.
 */
static void
say(int errnum, const char *fmt, ...)
{
	char msg[256], line[512];
	va_list ap;
	int n;

	va_start(ap, fmt);
	(void)vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	if (errnum != 0)
		n = snprintf(line, sizeof line, "echo-server: %s: %s\n", msg, strerror(errnum));
	else
		n = snprintf(line, sizeof line, "echo-server: %s\n", msg);
	if (n < 0)
		return;
	if ((size_t)n >= sizeof line) {
		n = sizeof line - 1;
		line[n - 1] = '\n';
	}
	(void)writen(STDERR_FILENO, line, (size_t)n);
}

static void
usage(FILE *to)
{
	(void)fprintf(to,
	    "usage: echo-server [-dv] [-b address] [-c max] [-g seconds] "
	    "[-p port] [-t seconds] [port]\n"
	    "  -b address   listen on address (default 127.0.0.1; :: for all)\n"
	    "  -c max       at most max children at once (default 512)\n"
	    "  -d, --drain  on SIGTERM, wait for children instead of ending them\n"
	    "  -g seconds   grace before SIGKILL when ending children (default 5)\n"
	    "  -p port      listen on port (default " DEFAULT_PORT "; 0: any)\n"
	    "  -t seconds   close connections idle this long (default 0: never)\n"
	    "  -v           one line per connection on stderr\n"
	    "  -h, --help   this text;  -V, --version  the version\n");
}

static long
number_arg(int opt, const char *arg, long min, long max)
{
	long v;

	if (parse_number(arg, min, max, &v) < 0) {
		warnx("-%c wants a number from %ld to %ld, not \"%s\"", opt, min, max, arg);
		usage(stderr);
		exit(2);
	}
	return v;
}

static void
parse_args(int argc, char *argv[], struct config *cfg)
{
	static const struct option longopts[] = {
		{ "drain", no_argument, NULL, 'd' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 }
	};
	int c;

	cfg->host = "127.0.0.1";
	cfg->port = DEFAULT_PORT;
	cfg->max_children = 512;
	cfg->max_asked = 0;
	cfg->idle_secs = 0;
	cfg->grace_secs = 5;
	cfg->drain = 0;
	cfg->verbose = 0;
	while ((c = getopt_long(argc, argv, "b:c:dg:hp:t:vV", longopts, NULL)) != -1) {
		switch (c) {
		case 'b': cfg->host = optarg; break;
		case 'c':
			cfg->max_children = number_arg(c, optarg, 1, 1000000);
			cfg->max_asked = 1;
			break;
		case 'd': cfg->drain = 1; break;
		case 'g': cfg->grace_secs = number_arg(c, optarg, 0, 3600); break;
		case 'p': cfg->port = optarg; break;
		case 't': cfg->idle_secs = number_arg(c, optarg, 0, 86400); break;
		case 'v': cfg->verbose = 1; break;
		case 'h': usage(stdout); exit(0);
		case 'V': (void)printf("echo-server %s\n", ECHO_KIT_VERSION); exit(0);
		default: usage(stderr); exit(2);
		}
	}
	if (argc - optind == 1)
		cfg->port = argv[optind];
	else if (argc - optind > 1) {
		warnx("too many arguments");
		usage(stderr);
		exit(2);
	}
	/* getaddrinfo() would take 99999 and quietly wrap it to 34463. */
	(void)number_arg('p', cfg->port, 0, 65535);
}

/*
 * Linux never hands out pids below this again once they are used, so
 * kernel.pid_max leaves this many fewer for new processes.
 */
#define RESERVED_PIDS 300

/*
 * sysctl_below: 1, after saying so, when the number in /proc/sys/FILE
 * is below need; 0 when it is not, or when there is no such file (not
 * Linux: nothing to check).
 */
static int
sysctl_below(const char *file, long need, const char *what)
{
	char path[96], name[96], line[32], *p;
	long have;
	FILE *f;

	(void)snprintf(path, sizeof path, "/proc/sys/%s", file);
	f = fopen(path, "r");
	if (f == NULL)
		return 0;
	p = fgets(line, sizeof line, f);
	(void)fclose(f);
	if (p == NULL)
		return 0;
	line[strcspn(line, "\n")] = '\0';
	if (parse_number(line, 0, LONG_MAX, &have) < 0 || have >= need)
		return 0;
	(void)snprintf(name, sizeof name, "%s", file);
	for (p = name; *p != '\0'; p++)
		if (*p == '/')
			*p = '.';
	say(0, "%s needs %s of at least %ld, but it is %ld; raise it with: sysctl -w %s=%ld",
	    what, name, need, have, name, need);
	return 1;
}

/*
 * A -c the machine cannot honour would show only later, as forks failing
 * under load; say so at start, once per limit, with the command that
 * raises it.  Returns how many limits fall short.  The descriptor limit is
 * not among them: each child holds one connection in a table of its own,
 * and the parent only the listener.
 */
static int
limits_short(long max_children)
{
	long need = max_children + 1;	/* the children and the parent */
	char what[48];
	struct rlimit rl;
	int n = 0;

	(void)snprintf(what, sizeof what, "-c %ld", max_children);
	/* Root's own processes are exempt from RLIMIT_NPROC. */
	if (getuid() != 0 && getrlimit(RLIMIT_NPROC, &rl) == 0 &&
	    rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < (rlim_t)need) {
		say(0, "%s needs %ld processes, but RLIMIT_NPROC allows %llu; "
		    "raise it with: ulimit -u %ld", what, need,
		    (unsigned long long)rl.rlim_cur, need);
		n++;
	}
	n += sysctl_below("kernel/pid_max", need + RESERVED_PIDS, what);
	n += sysctl_below("kernel/threads-max", need, what);
	return n;
}

/* Sleeps for BACKOFF_MS, or less if a signal comes; signals run meanwhile. */
static void
back_off(const sigset_t *open_mask)
{
	struct timespec ts = { 0, BACKOFF_MS * 1000000L };

	(void)pselect(0, NULL, NULL, NULL, &ts, open_mask);
}

static double
seconds_since(const struct timespec *t0)
{
	struct timespec t1;

	(void)clock_gettime(CLOCK_MONOTONIC, &t1);
	return (double)(t1.tv_sec - t0->tv_sec) + (double)(t1.tv_nsec - t0->tv_nsec) / 1e9;
}

/*
 * The child's whole life.  Never returns.  _exit(), not exit(): stdio
 * buffers copied from the parent must not be flushed twice.
 */
static void
child(int connfd, const struct config *cfg, const sigset_t *open_mask)
{
	struct timeval idle = { 0, 0 };
	struct timespec start;
	char peer[ADDRSTRLEN];
	uint64_t echoed;
	int rc, saved_errno, timed_out;

	/* The parent's handlers are no use here; the default ends the child. */
	if (close(listen_fd) < 0 ||
	    signal(SIGTERM, SIG_DFL) == SIG_ERR || signal(SIGINT, SIG_DFL) == SIG_ERR ||
	    signal(SIGCHLD, SIG_DFL) == SIG_ERR ||
	    sigprocmask(SIG_SETMASK, open_mask, NULL) < 0) {
		say(errno, "child setup");
		_exit(1);
	}
	if (cfg->idle_secs > 0) {
		/* A read or write that waits this long fails with EAGAIN. */
		idle.tv_sec = cfg->idle_secs;
		if (setsockopt(connfd, SOL_SOCKET, SO_RCVTIMEO, &idle, sizeof idle) < 0 ||
		    setsockopt(connfd, SOL_SOCKET, SO_SNDTIMEO, &idle, sizeof idle) < 0) {
			say(errno, "setsockopt");
			_exit(1);
		}
	}
	if (cfg->verbose) {
		(void)peer_name(connfd, peer, sizeof peer);
		(void)clock_gettime(CLOCK_MONOTONIC, &start);
	}

	rc = str_echo(connfd, &echoed) == 0 ? 0 : 1;
	saved_errno = errno;
	timed_out = rc != 0 && cfg->idle_secs > 0 &&
	    (saved_errno == EAGAIN || saved_errno == EWOULDBLOCK);
	if (close(connfd) < 0)
		rc = 1;

	if (cfg->verbose)
		say(rc == 0 || timed_out ? 0 : saved_errno,
		    "%s: %llu bytes in %.3f s%s, exit %d", peer,
		    (unsigned long long)echoed, seconds_since(&start),
		    timed_out ? ", idle timeout" : "", rc);
	_exit(rc);
}

/*
 * fork() for this parent, which holds no lock when it forks: it has one
 * thread, and forks only outside its handlers.  glibc's fork() takes and
 * releases the malloc, stdio and dynamic loader locks around the fork, in
 * parent and child, and so writes a page of libc's data and one of the
 * loader's, which every child then keeps a private copy of; _Fork() skips
 * that work, which only matters when another thread may hold those locks
 * (it halves the memory per held connection: bench/README.md, "At scale").
 */
static pid_t
fork_child(void)
{
#if defined(__GLIBC__) && (__GLIBC__ > 2 || __GLIBC_MINOR__ >= 34) && !defined(ECHO_PORTABLE)
	return _Fork();
#else
	return fork();
#endif
}

/*
 * Hands connfd to a new child.  Returns 0, or -1 with errno when fork
 * failed.  errno is left alone on success: it lives in a page of the
 * parent's thread block, and a page the parent writes between two forks is
 * copied for every child (see main()).
 */
static int
spawn(int connfd, const struct config *cfg, const sigset_t *open_mask)
{
	pid_t pid = fork_child();
	int fork_errno = pid < 0 ? errno : 0;

	if (pid == 0)
		child(connfd, cfg, open_mask);
	if (pid > 0 && children_add(pid) < 0)
		say(errno, "children_add");	/* cannot happen below the cap */
	if (close(connfd) < 0)
		say(errno, "close");
	if (pid < 0) {
		errno = fork_errno;
		return -1;
	}
	return 0;
}

/*
 * Waits until fd is readable or a guarded signal has run.  Returns 1 when
 * readable, 0 after a signal, -1 with errno on an error.  The listener is
 * opened first, so its number is far below FD_SETSIZE.
 */
static int
await_readable(int fd, const sigset_t *open_mask)
{
	fd_set rset;
	int n;

	FD_ZERO(&rset);
	FD_SET(fd, &rset);
	n = pselect(fd + 1, &rset, NULL, NULL, NULL, open_mask);
	if (n < 0 && errno == EINTR)
		return 0;
	return n < 0 ? -1 : 1;
}

/*
 * Accepts and forks until a stop signal.  Called, and returns, with the
 * guarded signals blocked.  Returns 0 then, or 1 when the listening socket
 * itself failed.
 */
static int
serve(const struct config *cfg, const sigset_t *open_mask)
{
	int connfd, saved_errno, out_of_descriptors = 0, out_of_processes = 0;

	while (stops == 0) {
		/* At the cap: wait for a child to end, with signals let in. */
		if (children_live() >= (size_t)cfg->max_children) {
			(void)sigsuspend(open_mask);
			continue;
		}

		switch (await_readable(listen_fd, open_mask)) {
		case 0:
			continue;
		case -1:
			say(errno, "pselect");
			return 1;
		}
		connfd = accept_retry(listen_fd);
		saved_errno = errno;

		if (connfd < 0) {
			/* The client reset before we took it: nothing is queued. */
			if (saved_errno == EAGAIN || saved_errno == EWOULDBLOCK)
				continue;
			if (!accept_resource_error(saved_errno)) {
				say(saved_errno, "accept");
				return 1;
			}
			/* The connection stays queued; retrying at once would spin. */
			if (!out_of_descriptors) {
				say(saved_errno, "accept (backing off until resources free up)");
				out_of_descriptors = 1;
			}
			back_off(open_mask);
			continue;
		}
		if (out_of_descriptors) {
			say(0, "accepting again");
			out_of_descriptors = 0;
		}

		if (spawn(connfd, cfg, open_mask) < 0) {
			if (!out_of_processes) {
				say(errno, "fork (dropping connections until it works again)");
				out_of_processes = 1;
			}
			back_off(open_mask);
		} else if (out_of_processes) {
			say(0, "forking again");
			out_of_processes = 0;
		}
	}
	return 0;
}

static void
close_listener(void)
{
	int fd = listen_fd;

	listen_fd = -1;
	if (close(fd) < 0)
		say(errno, "close");
}

/*
 * Waits, with signals let in, until no child is left, a new stop signal
 * comes (when until_stop), or the timeout passes (when timeout_secs >= 0).
 */
static void
await_children(const sigset_t *open_mask, long timeout_secs, int until_stop)
{
	sig_atomic_t stops_before = stops;
	struct timespec start, left;
	double remaining;

	(void)clock_gettime(CLOCK_MONOTONIC, &start);
	while (children_live() > 0 && !(until_stop && stops != stops_before)) {
		if (timeout_secs < 0) {
			(void)pselect(0, NULL, NULL, NULL, NULL, open_mask);
			continue;
		}
		remaining = (double)timeout_secs - seconds_since(&start);
		if (remaining <= 0)
			break;
		left.tv_sec = (time_t)remaining;
		left.tv_nsec = (long)((remaining - (double)left.tv_sec) * 1e9);
		(void)pselect(0, NULL, NULL, NULL, &left, open_mask);
	}
}

/*
 * Ends the children: politely, then for certain, and reaps every one, so
 * the server leaves neither orphans nor zombies behind.
 */
static void
end_children(const struct config *cfg, const sigset_t *open_mask)
{
	if (cfg->drain)
		await_children(open_mask, -1, 1);
	children_signal(SIGTERM);
	await_children(open_mask, cfg->grace_secs, 0);
	children_signal(SIGKILL);
	await_children(open_mask, -1, 0);
}

int
main(int argc, char *argv[])
{
	struct config cfg;
	sigset_t guarded, open_mask;
	char addr[ADDRSTRLEN];
	int gaierr, rc;

	parse_args(argc, argv, &cfg);

	if (cfg.max_asked && limits_short(cfg.max_children) > 0)
		exit(1);
	if (children_init((size_t)cfg.max_children) < 0)
		err(1, "children_init");

	listen_fd = tcp_listen(cfg.host, cfg.port, BACKLOG, &gaierr);
	if (listen_fd < 0) {
		if (gaierr != 0)
			errx(1, "%s port %s: %s", cfg.host, cfg.port, gai_strerror(gaierr));
		err(1, "listen on %s port %s", cfg.host, cfg.port);
	}

	/* accept() must never block: the parent waits only in pselect(). */
	if (nonblocking_mode(listen_fd, 1) < 0)
		err(1, "listening socket");

	if (sigemptyset(&guarded) < 0 || sigaddset(&guarded, SIGCHLD) < 0 ||
	    sigaddset(&guarded, SIGTERM) < 0 || sigaddset(&guarded, SIGINT) < 0 ||
	    sigprocmask(SIG_BLOCK, &guarded, &open_mask) < 0)
		err(1, "sigprocmask");
	/* A child writing to a vanished peer gets EPIPE and ends normally. */
	if (signal(SIGPIPE, SIG_IGN) == SIG_ERR || signal(SIGHUP, SIG_IGN) == SIG_ERR ||
	    set_handler(SIGCHLD, reap_children) < 0 ||
	    set_handler(SIGTERM, on_stop) < 0 || set_handler(SIGINT, on_stop) < 0)
		err(1, "sigaction");

	(void)local_name(listen_fd, addr, sizeof addr);
	say(0, "listening on %s", addr);

	rc = serve(&cfg, &open_mask);
	close_listener();
	end_children(&cfg, &open_mask);
	return rc;
}
