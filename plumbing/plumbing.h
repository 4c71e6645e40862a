/*
 * plumbing.h - what every mutant and every demo stage shares, done right.
 *
 * Each program in tests/mutants/ and demo/ is a correct echo server or
 * client except for one defect.  Everything that is not the defect lives
 * here, so that the defect is the only interesting line in its file, and
 * tests/mutants/plumbing-server.c and plumbing-client.c (this code with no
 * defect at all) prove to `make mutants` that the shared part passes the
 * suite.  The demo's stages repeat one another's accept loops and handlers
 * on purpose: each stage is whole, so that a diff of two neighbours is the
 * one change the classic text makes.
 */
#ifndef PLUMBING_H
#define PLUMBING_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/*
 * port_from_args: for "PROG [PORT]", PORT or "0"; exits 2 on a usage error.
 * Remembers PROG for the messages below.
 */
const char *port_from_args(int argc, char **argv);

/*
 * listen_from_args: for "PROG [PORT]", listen on 127.0.0.1:PORT (port 0,
 * the default, lets the kernel choose) with the reference's tcp_listen(),
 * then say "PROG: listening on 127.0.0.1:N" on stderr as the reference does.
 * and exit_on_sigterm().
 * Exits 2 on a usage error, 1 when the socket cannot be had.
 */
int listen_from_args(int argc, char **argv);

/*
 * exit_on_sigterm: from now on SIGTERM ends the program with status 0, a
 * clean shutdown (S-LIFE-6), as it ends the reference.
 */
void exit_on_sigterm(void);

/*
 * connect_from_args: for "PROG HOST PORT", a connected socket, with SIGPIPE
 * ignored; exits like above.
 */
int connect_from_args(int argc, char **argv);

/* say_listening: the reference's ready line for lfd, on stderr. */
void say_listening(int lfd);

/* die: "PROG: what: strerror(errno)" on stderr, then exit(1). */
void die(const char *what);

/*
 * accept_or_die: accept_retry(); after a resource error (EMFILE, ENOMEM,
 * ...), which passes once other connections end, waits 10 ms and tries
 * again; die() on any other error.
 */
int accept_or_die(int lfd);

/*
 * accept_if_any: accept_or_die() on a non-blocking lfd, but -1 at once
 * when no connection is waiting.
 */
int accept_if_any(int lfd);

/* set_nonblocking: O_NONBLOCK on fd.  Returns 0, or -1 with errno set. */
int set_nonblocking(int fd);

/* sleep_ms: sleep ms milliseconds in all, resuming after a signal. */
void sleep_ms(long ms);

/*
 * say_terminated: "PROG: child PID terminated" on stderr, as the classic
 * text's handler prints it.  Async-signal-safe, unlike printf(): it formats
 * the number by hand into a local buffer and makes one write(2).
 */
void say_terminated(pid_t pid);

/* echo_and_exit: a child's whole life: echo connfd until EOF, then exit. */
void echo_and_exit(int connfd);

/*
 * echo_then_hang: echo connfd until EOF and close it, but never exit: the
 * echo is right, and the process outlives its connection.
 */
void echo_then_hang(int connfd);

/*
 * reap_all: a correct SIGCHLD handler: waitpid(-1, ..., WNOHANG) until no
 * finished child is left.  Kept here rather than the reference's
 * reap_children(), whose book of children the mutants do not keep.
 */
void reap_all(int signo);

/*
 * children_left: reap every finished child, as reap_all() does; then 1
 * when a child is still running, 0 when none is.  Async-signal-safe;
 * leaves errno as it found it.
 */
int children_left(void);

/*
 * spawn: fork a child that closes the listening socket and calls
 * serve(connfd), which must not return.  Returns the child's pid to the
 * parent, or -1 when fork() failed (connfd is then still open).
 */
pid_t spawn(int lfd, int connfd, void (*serve)(int connfd));

/*
 * double_fork: the second half of a double fork, for a serve() given to
 * spawn(): fork a grandchild that calls serve(connfd), and exit at once,
 * so the grandchild is re-parented and the server never waits for it.
 */
void double_fork(int connfd, void (*serve)(int connfd));

/*
 * serve_forever: the correct fork-per-connection loop: reaper as the
 * SIGCHLD handler (installed without SA_RESTART), accept_or_die(),
 * spawn(), and the parent closes its copy of the connection.  Never returns.
 */
void serve_forever(int lfd, void (*reaper)(int signo), void (*serve)(int connfd));

/*
 * serve_nonblocking: serve_forever() with a non-blocking listening socket:
 * whenever no connection is waiting, it calls idle() and tries again.
 */
void serve_nonblocking(int lfd, void (*reaper)(int signo), void (*serve)(int connfd),
    void (*idle)(void));

/*
 * serve_polling: a fork-per-connection loop that poll()s the listening
 * socket and wakefd, which becomes readable when SIGCHLD arrived (a
 * signalfd, or a self-pipe's read end).  Then it calls drain(wakefd) to
 * empty it and reaps every finished child outside any handler.  The
 * children close wakefd along with the listening socket.  Never returns.
 */
void serve_polling(int lfd, int wakefd, void (*drain)(int wakefd), void (*serve)(int connfd));

/*
 * supervise: the part of a supervisor or prefork server that is not
 * serving: fork nworkers workers (at most 8), each running work(lfd),
 * which must not return, with SIGTERM ending it as exit_on_sigterm()
 * does; close lfd, so that only the workers accept; forward SIGTERM to
 * every worker; exit once all have ended, with status 0 when each did.
 */
void supervise(int lfd, int nworkers, void (*work)(int lfd));

/*
 * serve_poll: a single-process server: non-blocking sockets, one poll()
 * for the listening socket and every connection, each connection holding
 * at most one chunk read but not yet echoed.  Its two decisions where poll
 * servers go wrong are hooks, so a mutant replaces exactly one of them.
 * Never returns.
 */
struct poll_plan {
	/* The events to wait for on a connection; pending: it holds a chunk
	 * not yet echoed (which it must write before reading more). */
	short (*wants)(int pending);
	/* accept() failed with a resource error (EMFILE, ENFILE, ...), the
	 * connection still queued.  Returns 1 to stop watching the listening
	 * socket until a connection ends, 0 to go on watching it. */
	int (*pause_listening)(int err);
};
void serve_poll(int lfd, const struct poll_plan *plan);

/* The correct hooks: POLLOUT while a chunk is pending, else POLLIN; pause. */
short one_way_at_a_time(int pending);
int pause_until_one_leaves(int err);

/*
 * A client copies stdin to the server and the echo to stdout, watching both
 * with poll().  The moments where clients go wrong are hooks, so a
 * client mutant replaces exactly one of them.
 */
struct client_plan {
	/*
	 * Send what the connection takes now of the n bytes read from stdin,
	 * without waiting: a client blocked in a send while the echo fills
	 * its receive buffer never reads again, and neither does the server.
	 * Returns the count taken (the rest comes again once poll() says
	 * the socket is writable), or -1 with errno set (EAGAIN: none yet).
	 */
	ssize_t (*send)(int sock, const char *buf, size_t n);
	/* stdin reached EOF.  Returns 1 to stop right here, 0 to go on reading. */
	int (*at_stdin_eof)(int sock);
	/* The server closed.  Returns the exit status of the client. */
	int (*at_server_eof)(int stdin_open, uint64_t sent, uint64_t echoed);
	/*
	 * what ("read from server", "write to server") failed, errno says
	 * why: ECONNRESET or EPIPE when the server reset the connection.
	 * Returns the exit status of the client.
	 */
	int (*at_server_error)(const char *what);
};

/* The correct hooks. */
ssize_t send_some(int sock, const char *buf, size_t n);
int half_close(int sock);
int check_complete(int stdin_open, uint64_t sent, uint64_t echoed);
int report_error(const char *what);

/*
 * send_all: a send hook that waits until all n bytes are taken (writen()),
 * as the classic select() client does: the defect of
 * client-select-blocking-write, and what lets a reset reach
 * client-sigpipe-default while it is inside a write.
 */
ssize_t send_all(int sock, const char *buf, size_t n);

/*
 * How a client reaches the server and uses its standard streams, for the
 * clients that go wrong there; correct_io holds the right ways.
 */
struct client_io {
	/* Connect to host and port as tcp_connect() (src/net.h) does. */
	int (*connect)(const char *host, const char *port, int *gaierr);
	/* 1: SIGPIPE is ignored, so that a write to a closed connection fails. */
	int ignore_sigpipe;
	/*
	 * Read what stdin has, up to n bytes, once poll() says it is readable:
	 * a count, 0 at EOF, or -1 with errno set.
	 */
	ssize_t (*read_in)(char *buf, size_t n);
	/* Write all n bytes to stdout.  Returns 0, or -1 with errno set. */
	int (*write_out)(const char *buf, size_t n);
};

/* The correct ways: read(2) from stdin, writen() to stdout. */
ssize_t read_stdin(char *buf, size_t n);
int write_stdout(const char *buf, size_t n);

extern const struct client_io correct_io;

/* run_client: "PROG HOST PORT" following plan.  Returns the exit status. */
int run_client(int argc, char **argv, const struct client_plan *plan);

/* run_client_io: run_client() with io's ways instead of correct_io's. */
int run_client_io(int argc, char **argv, const struct client_plan *plan,
    const struct client_io *io);

/*
 * run_file_client: a client that, when stdin is a regular file, sends it
 * all before it reads any echo, which is a defect once the file is larger
 * than the socket buffers between client and server.  send_file(sock,
 * size) sends the file on stdin; it returns the bytes sent, or -1 with
 * errno set.  Then the client half-closes and copies the echo to stdout
 * until the server's EOF.  Any other stdin takes run_client() with the
 * correct hooks.  Returns the exit status.
 */
int run_file_client(int argc, char **argv, int64_t (*send_file)(int sock, int64_t size));

#endif
