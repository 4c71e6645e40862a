/*
 * plumbing.c - the correct parts shared by the mutants (tests/mutants) and
 * the demo stages (demo/).
 */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "echo.h"
#include "net.h"
#include "plumbing.h"
#include "reap.h"

static const char *progname = "mutant";

/* serve_polling()'s wake-up descriptor, which spawn()'s children close. */
static int wake_fd = -1;

static void
set_progname(const char *argv0)
{
	const char *slash = strrchr(argv0, '/');

	progname = slash != NULL ? slash + 1 : argv0;
}

static void
usage(const char *args)
{
	fprintf(stderr, "usage: %s %s\n", progname, args);
	exit(2);
}

/* A failed tcp_listen()/tcp_connect(): gaierr says which kind of failure. */
static void
socket_failed(const char *what, int gaierr)
{
	if (gaierr != 0) {
		fprintf(stderr, "%s: %s: %s\n", progname, what, gai_strerror(gaierr));
		exit(1);
	}
	die(what);
}

void
die(const char *what)
{
	fprintf(stderr, "%s: %s: %s\n", progname, what, strerror(errno));
	exit(1);
}

void
say_listening(int lfd)
{
	char name[ADDRSTRLEN];

	(void)local_name(lfd, name, sizeof name);
	fprintf(stderr, "%s: listening on %s\n", progname, name);
}

const char *
port_from_args(int argc, char **argv)
{
	set_progname(argv[0]);
	if (argc > 2)
		usage("[PORT]");
	return argc == 2 ? argv[1] : "0";
}

/* SIGTERM's handler: nothing is left to clean up but the exit status. */
static void
stop(int signo)
{
	(void)signo;
	_exit(0);
}

void
exit_on_sigterm(void)
{
	if (set_handler(SIGTERM, stop) < 0)
		die("sigaction");
}

int
listen_from_args(int argc, char **argv)
{
	int lfd, gaierr;

	lfd = tcp_listen("127.0.0.1", port_from_args(argc, argv), SOMAXCONN, &gaierr);
	if (lfd < 0)
		socket_failed("listen", gaierr);
	exit_on_sigterm();
	say_listening(lfd);
	return lfd;
}

/* connect_with: connect_from_args() in io's ways. */
static int
connect_with(int argc, char **argv, const struct client_io *io)
{
	int sock, gaierr;

	set_progname(argv[0]);
	if (argc != 3)
		usage("HOST PORT");
	sock = io->connect(argv[1], argv[2], &gaierr);
	if (sock < 0)
		socket_failed("connect", gaierr);
	/* A reset server must show up as an error from write(), not kill us. */
	if (io->ignore_sigpipe && signal(SIGPIPE, SIG_IGN) == SIG_ERR)
		die("signal");
	return sock;
}

int
connect_from_args(int argc, char **argv)
{
	return connect_with(argc, argv, &correct_io);
}

int
accept_if_any(int lfd)
{
	int connfd;

	while ((connfd = accept_retry(lfd)) < 0) {
		if (errno == EAGAIN || errno == EWOULDBLOCK)
			return -1;
		if (!accept_resource_error(errno))
			die("accept");
		sleep_ms(10);
	}
	return connfd;
}

int
accept_or_die(int lfd)
{
	int connfd = accept_if_any(lfd);

	/* Only a non-blocking lfd, which no caller of this one has, gets here. */
	if (connfd < 0)
		die("accept");
	return connfd;
}

int
set_nonblocking(int fd)
{
	int flags = fcntl(fd, F_GETFL);

	return flags < 0 ? -1 : fcntl(fd, F_SETFL, flags | O_NONBLOCK);
}

void
sleep_ms(long ms)
{
	struct timespec left = { ms / 1000, ms % 1000 * 1000000L };

	while (nanosleep(&left, &left) < 0)
		if (errno != EINTR)
			die("nanosleep");
}

void
say_terminated(pid_t pid)
{
	char line[80], digits[24];
	size_t len = 0, n = 0;
	const char *p;
	unsigned long v = (unsigned long)pid;

	do
		digits[n++] = (char)('0' + v % 10);
	while ((v /= 10) != 0 && n < sizeof digits);
	for (p = progname; *p != '\0' && len < sizeof line - 40; p++)
		line[len++] = *p;
	for (p = ": child "; *p != '\0'; p++)
		line[len++] = *p;
	while (n > 0)
		line[len++] = digits[--n];
	for (p = " terminated\n"; *p != '\0'; p++)
		line[len++] = *p;
	(void)write(STDERR_FILENO, line, len);
}

int
children_left(void)
{
	int saved_errno = errno;
	pid_t pid;

	while ((pid = waitpid(-1, NULL, WNOHANG)) > 0)
		continue;
	errno = saved_errno;
	/* 0: children remain, none finished; -1 (ECHILD): no child at all. */
	return pid == 0;
}

void
reap_all(int signo)
{
	(void)signo;
	(void)children_left();
}

void
echo_and_exit(int connfd)
{
	_exit(str_echo(connfd, NULL) == 0 ? 0 : 1);
}

void
echo_then_hang(int connfd)
{
	(void)str_echo(connfd, NULL);
	(void)close(connfd);
	for (;;)
		(void)pause();
}

pid_t
spawn(int lfd, int connfd, void (*serve)(int connfd))
{
	pid_t pid = fork();

	if (pid == 0) {
		(void)close(lfd);
		if (wake_fd >= 0)
			(void)close(wake_fd);
		serve(connfd);
	}
	return pid;
}

void
double_fork(int connfd, void (*serve)(int connfd))
{
	pid_t pid = fork();

	if (pid == 0)
		serve(connfd);
	if (pid < 0)
		perror("fork");
	_exit(pid < 0);
}

/* serve_one: the parent's part of serving connfd: fork, then let go of it. */
static void
serve_one(int lfd, int connfd, void (*serve)(int connfd))
{
	if (spawn(lfd, connfd, serve) < 0)
		perror("fork");
	(void)close(connfd);
}

void
serve_forever(int lfd, void (*reaper)(int signo), void (*serve)(int connfd))
{
	int connfd;

	if (set_handler(SIGCHLD, reaper) < 0)
		die("sigaction");
	for (;;) {
		connfd = accept_or_die(lfd);
		serve_one(lfd, connfd, serve);
	}
}

void
serve_nonblocking(int lfd, void (*reaper)(int signo), void (*serve)(int connfd),
    void (*idle)(void))
{
	int connfd;

	if (set_nonblocking(lfd) < 0)
		die("fcntl");
	if (set_handler(SIGCHLD, reaper) < 0)
		die("sigaction");
	for (;;) {
		connfd = accept_if_any(lfd);
		if (connfd < 0)
			idle();
		else
			serve_one(lfd, connfd, serve);
	}
}

/* supervise()'s workers, for its SIGTERM handler. */
static pid_t workers[8];
static int nworkers_started;

static void
forward_to_workers(int signo)
{
	int saved_errno = errno, i;

	for (i = 0; i < nworkers_started; i++)
		(void)kill(workers[i], signo);
	errno = saved_errno;
}

void
supervise(int lfd, int nworkers, void (*work)(int lfd))
{
	sigset_t term, old;
	int status, failed = 0, left;
	pid_t pid;

	if (nworkers < 1 || nworkers > (int)(sizeof workers / sizeof workers[0])) {
		errno = EINVAL;
		die("supervise");
	}
	/* A SIGTERM that comes while workers start is forwarded to all of them. */
	if (sigemptyset(&term) < 0 || sigaddset(&term, SIGTERM) < 0 ||
	    sigprocmask(SIG_BLOCK, &term, &old) < 0)
		die("sigprocmask");
	if (set_handler(SIGTERM, forward_to_workers) < 0)
		die("sigaction");
	for (left = 0; left < nworkers; left++) {
		if ((pid = fork()) < 0)
			die("fork");
		if (pid == 0) {
			exit_on_sigterm();
			if (sigprocmask(SIG_SETMASK, &old, NULL) < 0)
				die("sigprocmask");
			work(lfd);
			_exit(1);
		}
		workers[nworkers_started++] = pid;
	}
	(void)close(lfd);
	if (sigprocmask(SIG_SETMASK, &old, NULL) < 0)
		die("sigprocmask");
	while (left > 0) {
		if ((pid = waitpid(-1, &status, 0)) < 0) {
			if (errno == EINTR)
				continue;
			die("waitpid");
		}
		left--;
		failed |= !WIFEXITED(status) || WEXITSTATUS(status) != 0;
	}
	exit(failed);
}

void
serve_polling(int lfd, int wakefd, void (*drain)(int wakefd), void (*serve)(int connfd))
{
	struct pollfd fds[2];
	int connfd;

	/* poll() may report a connection that is reset before accept() takes it. */
	if (set_nonblocking(lfd) < 0)
		die("fcntl");
	wake_fd = wakefd;
	fds[0].fd = lfd;
	fds[1].fd = wakefd;
	fds[0].events = fds[1].events = POLLIN;
	for (;;) {
		if (poll(fds, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			die("poll");
		}
		if (fds[1].revents != 0) {
			drain(wakefd);
			(void)children_left();
		}
		if (fds[0].revents != 0 && (connfd = accept_if_any(lfd)) >= 0)
			serve_one(lfd, connfd, serve);
	}
}

/* serve_poll()'s state.  Slot 0 is the listening socket; 1..nfds-1 connections. */
#define POLL_MAXCONN 1024

struct poll_conn {
	size_t off, len;	/* buf[off, len) is read but not yet echoed */
	char buf[16384];
};

static struct pollfd poll_fds[POLL_MAXCONN + 1];
static struct poll_conn poll_conns[POLL_MAXCONN + 1];
static nfds_t poll_nfds = 1;

/* poll_drop: close slot i and move the last slot into it. */
static void
poll_drop(nfds_t i)
{
	(void)close(poll_fds[i].fd);
	poll_nfds--;
	poll_fds[i] = poll_fds[poll_nfds];
	poll_conns[i] = poll_conns[poll_nfds];
}

static void
poll_add(int fd)
{
	if (set_nonblocking(fd) < 0) {
		(void)close(fd);
		return;
	}
	poll_fds[poll_nfds].fd = fd;
	poll_fds[poll_nfds].revents = 0;
	poll_conns[poll_nfds].off = poll_conns[poll_nfds].len = 0;
	poll_nfds++;
}

/* poll_step: move what can move on connection i now; 0, or -1 when it is done. */
static int
poll_step(nfds_t i)
{
	struct poll_conn *c = &poll_conns[i];
	ssize_t n;

	if (c->off == c->len) {
		n = read(poll_fds[i].fd, c->buf, sizeof c->buf);
		if (n == 0)
			return -1;
		if (n < 0)
			return errno == EAGAIN || errno == EINTR ? 0 : -1;
		c->off = 0;
		c->len = (size_t)n;
	}
	n = write(poll_fds[i].fd, c->buf + c->off, c->len - c->off);
	if (n < 0)
		return errno == EAGAIN || errno == EINTR ? 0 : -1;
	c->off += (size_t)n;
	return 0;
}

short
one_way_at_a_time(int pending)
{
	return pending ? POLLOUT : POLLIN;
}

int
pause_until_one_leaves(int err)
{
	(void)err;
	return 1;
}

void
serve_poll(int lfd, const struct poll_plan *plan)
{
	int connfd, paused = 0;
	nfds_t i;

	/* A write to a reset connection must fail with EPIPE, not end the server. */
	if (signal(SIGPIPE, SIG_IGN) == SIG_ERR || set_nonblocking(lfd) < 0)
		die("setup");
	poll_fds[0].fd = lfd;
	for (;;) {
		poll_fds[0].events = poll_nfds <= POLL_MAXCONN && !paused ? POLLIN : 0;
		for (i = 1; i < poll_nfds; i++)
			poll_fds[i].events = plan->wants(poll_conns[i].off < poll_conns[i].len);
		if (poll(poll_fds, poll_nfds, -1) < 0) {
			if (errno == EINTR)
				continue;
			die("poll");
		}
		/* Downwards, so that poll_drop() moves in a slot already seen. */
		for (i = poll_nfds - 1; i > 0; i--)
			if (poll_fds[i].revents != 0 && poll_step(i) < 0) {
				poll_drop(i);
				paused = 0;
			}
		connfd = 0;
		while ((poll_fds[0].revents & POLLIN) && poll_nfds <= POLL_MAXCONN &&
		    (connfd = accept_retry(lfd)) >= 0)
			poll_add(connfd);
		if (connfd < 0 && errno != EAGAIN && errno != EWOULDBLOCK) {
			if (!accept_resource_error(errno))
				die("accept");
			paused = plan->pause_listening(errno);
		}
	}
}

ssize_t
send_some(int sock, const char *buf, size_t n)
{
	return send(sock, buf, n, MSG_DONTWAIT);
}

ssize_t
send_all(int sock, const char *buf, size_t n)
{
	return writen(sock, buf, n) < 0 ? -1 : (ssize_t)n;
}

int
half_close(int sock)
{
	if (shutdown(sock, SHUT_WR) < 0)
		die("shutdown");
	return 0;
}

int
report_error(const char *what)
{
	fprintf(stderr, "%s: %s: %s\n", progname, what, strerror(errno));
	return 1;
}

int
check_complete(int stdin_open, uint64_t sent, uint64_t echoed)
{
	if (stdin_open || echoed < sent) {
		fprintf(stderr, "%s: server terminated prematurely\n", progname);
		return 1;
	}
	return 0;
}

ssize_t
read_stdin(char *buf, size_t n)
{
	return read(STDIN_FILENO, buf, n);
}

int
write_stdout(const char *buf, size_t n)
{
	return writen(STDOUT_FILENO, buf, n);
}

const struct client_io correct_io = { tcp_connect, 1, read_stdin, write_stdout };

/* echo_to_stdout: copy the echo to stdout until EOF; the exit status. */
static int
echo_to_stdout(int sock, uint64_t sent)
{
	uint64_t echoed = 0;
	char buf[16384];
	ssize_t n;

	while ((n = read(sock, buf, sizeof buf)) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return report_error("read from server");
		if (writen(STDOUT_FILENO, buf, (size_t)n) < 0)
			die("write to stdout");
		echoed += (uint64_t)n;
	}
	return check_complete(0, sent, echoed);
}

int
run_file_client(int argc, char **argv, int64_t (*send_file)(int sock, int64_t size))
{
	static const struct client_plan plan = {
		send_some, half_close, check_complete, report_error
	};
	struct stat st;
	int64_t sent;
	int sock;

	if (fstat(STDIN_FILENO, &st) < 0 || !S_ISREG(st.st_mode))
		return run_client(argc, argv, &plan);
	sock = connect_from_args(argc, argv);
	sent = send_file(sock, (int64_t)st.st_size);
	if (sent < 0)
		return report_error("write to server");
	(void)half_close(sock);
	return echo_to_stdout(sock, (uint64_t)sent);
}

int
run_client(int argc, char **argv, const struct client_plan *plan)
{
	return run_client_io(argc, argv, plan, &correct_io);
}

int
run_client_io(int argc, char **argv, const struct client_plan *plan,
    const struct client_io *io)
{
	int sock = connect_with(argc, argv, io), stdin_open = 1;
	struct pollfd fds[2];
	uint64_t sent = 0, echoed = 0;
	char in[16384], out[16384];
	size_t off = 0, len = 0;	/* in[off..len): read from stdin, not sent yet */
	ssize_t n;

	fds[0].events = POLLIN;
	fds[1].fd = sock;
	for (;;) {
		/*
		 * poll() skips a negative descriptor: stdin, once it is done or
		 * while what it gave is not sent yet.
		 */
		fds[0].fd = stdin_open && off == len ? STDIN_FILENO : -1;
		fds[1].events = off < len ? POLLIN | POLLOUT : POLLIN;
		if (poll(fds, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			die("poll");
		}
		if (fds[1].revents & (POLLIN | POLLHUP | POLLERR)) {
			n = read(sock, out, sizeof out);
			if (n == 0)
				return plan->at_server_eof(stdin_open, sent, echoed);
			if (n < 0 && errno != EINTR)
				return plan->at_server_error("read from server");
			if (n > 0 && io->write_out(out, (size_t)n) < 0)
				die("write to stdout");
			echoed += (uint64_t)(n > 0 ? n : 0);
		}
		if (fds[0].revents != 0) {
			n = io->read_in(in, sizeof in);
			if (n < 0 && errno != EINTR)
				die("read from stdin");
			if (n == 0) {
				stdin_open = 0;
				if (plan->at_stdin_eof(sock))
					return 0;
			}
			off = 0;
			len = (size_t)(n > 0 ? n : 0);
		}
		/*
		 * Offered at once, so that a send hook that blocks (send_all)
		 * makes this the classic select() client, blocked in write()
		 * as soon as its input is readable and the connection is full.
		 */
		if (off < len) {
			n = plan->send(sock, in + off, len - off);
			if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
				return plan->at_server_error("write to server");
			off += (size_t)(n > 0 ? n : 0);
			sent += (uint64_t)(n > 0 ? n : 0);
		}
	}
}
