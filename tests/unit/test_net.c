/*
 * test_net.c - the accept loop's accept_retry() and accept_resource_error()
 * (src/net.h), on a real loopback listener with a real client queued.
 * accept_retry() calls accept4() (for SOCK_CLOEXEC), so the faults go there.
 * Each test names the promise of net.h it checks, or the reason it exists.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness.h"
#include "net.h"

/* fd is the server's end of client's connection: a byte crosses from one to the other. */
static void
assert_connected(int fd, int client)
{
	char c = 0;

	assert_true(fd >= 0);
	assert_int_equal(write(client, "k", 1), 1);
	assert_int_equal(read(fd, &c, 1), 1);
	assert_int_equal(c, 'k');
}

/*
 * With a client queued and accept4() armed to fail `times` times with
 * err, accept_retry() must retry and return the client's connection.
 */
static void
assert_retried(int err, int times)
{
	int lfd, client, fd;

	tcp_listener_with_client(&lfd, &client);
	fault_fail(FAULT_ACCEPT4, lfd, times, err);
	fd = accept_retry(lfd);
	assert_int_equal(fault_armed(), 0);
	assert_connected(fd, client);
	assert_int_equal(close(fd), 0);
	assert_int_equal(close(client), 0);
	assert_int_equal(close(lfd), 0);
}

/* net.h: accept_retry "Retries by itself after EINTR" (a SIGCHLD without SA_RESTART). */
static void
accept_retry_retries_after_eintr(void **state)
{
	(void)state;
	assert_retried(EINTR, 1);
}

/* net.h: "and after the errors accept(2) returns for a connection that failed" (ECONNABORTED). */
static void
accept_retry_retries_after_econnaborted(void **state)
{
	(void)state;
	assert_retried(ECONNABORTED, 1);
}

/* net.h: "(ECONNABORTED, EPROTO, ENETDOWN, ...)": EPROTO too. */
static void
accept_retry_retries_after_eproto(void **state)
{
	(void)state;
	assert_retried(EPROTO, 1);
}

/* net.h: "none of those says anything about lfd": not one, nor a run of them. */
static void
accept_retry_retries_a_run_of_transient_errors(void **state)
{
	(void)state;
	assert_retried(ECONNABORTED, 5);
}

/*
 * net.h: "Returns -1 with errno set for any other error: the caller
 * decides between backing off (EMFILE, ...)".  EMFILE is handed back at
 * once, and the queued connection is still there for the next call.
 */
static void
accept_retry_returns_emfile_to_the_caller(void **state)
{
	int lfd, client, fd, err;

	(void)state;
	tcp_listener_with_client(&lfd, &client);
	fault_fail(FAULT_ACCEPT4, lfd, 1, EMFILE);
	fd = accept_retry(lfd);
	err = errno;
	assert_int_equal(fd, -1);
	assert_int_equal(err, EMFILE);
	assert_int_equal(fault_armed(), 0);
	assert_true(accept_resource_error(err));
	fd = accept_retry(lfd);
	assert_connected(fd, client);
	assert_int_equal(close(fd), 0);
	assert_int_equal(close(client), 0);
	assert_int_equal(close(lfd), 0);
}

/* net.h: accept_resource_error is nonzero for "out of descriptors or memory for now" only. */
static void
accept_resource_error_names_only_passing_shortages(void **state)
{
	(void)state;
	assert_true(accept_resource_error(EMFILE));
	assert_true(accept_resource_error(ENFILE));
	assert_true(accept_resource_error(ENOBUFS));
	assert_true(accept_resource_error(ENOMEM));
	assert_false(accept_resource_error(ECONNABORTED));
	assert_false(accept_resource_error(EINTR));
	assert_false(accept_resource_error(EBADF));
	assert_false(accept_resource_error(EINVAL));
}

/*
 * net.h: accept_retry retries only errors "for a connection that failed
 * before it was accepted ... none of those says anything about lfd", and
 * "returns -1 with errno set for any other error".  A datagram socket
 * cannot accept at all (EOPNOTSUPP, every time): retrying that would spin
 * for ever.  The call runs in a child with an alarm, so a spin ends as a
 * SIGALRM the parent sees instead of a hung test.
 */
static void
accept_retry_returns_the_error_of_a_socket_that_cannot_accept(void **state)
{
	pid_t pid;
	int status;

	(void)state;
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		int udp = socket(AF_INET, SOCK_DGRAM, 0);

		/* A fifth of the peer timeout: 2 s plain, far more than one call. */
		(void)alarm(peer_timeout() / 5);
		_exit(udp >= 0 && accept_retry(udp) == -1 && errno == EOPNOTSUPP ? 0 : 1);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_false(WIFSIGNALED(status) && WTERMSIG(status) == SIGALRM);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
}

/* net.h: "the next connection ... as a close-on-exec descriptor". */
static void
accept_retry_returns_a_close_on_exec_descriptor(void **state)
{
	int lfd, client, fd, flags;

	(void)state;
	tcp_listener_with_client(&lfd, &client);
	fd = accept_retry(lfd);
	assert_true(fd >= 0);
	flags = fcntl(fd, F_GETFD);
	assert_true(flags >= 0);
	assert_true(flags & FD_CLOEXEC);
	assert_int_equal(close(fd), 0);
	assert_int_equal(close(client), 0);
	assert_int_equal(close(lfd), 0);
}

/*
 * net.h: on a non-blocking lfd, "-1 with EAGAIN or EWOULDBLOCK when no
 * connection is queued": the server's wait is pselect(), never accept().
 */
static void
accept_retry_on_a_non_blocking_listener_returns_eagain_when_none_is_queued(void **state)
{
	int lfd, client, fd, err;

	(void)state;
	tcp_listener_with_client(&lfd, &client);
	assert_int_equal(nonblocking_mode(lfd, 1), 0);
	fd = accept_retry(lfd);
	assert_connected(fd, client);
	assert_int_equal(close(fd), 0);
	fd = accept_retry(lfd);
	err = errno;
	assert_int_equal(fd, -1);
	assert_true(err == EAGAIN || err == EWOULDBLOCK);
	assert_int_equal(close(client), 0);
	assert_int_equal(close(lfd), 0);
}

/*
 * net.h: "a close-on-exec, blocking descriptor", also from a non-blocking
 * listener: the BSDs pass O_NONBLOCK on to accepted sockets, and a child
 * echoing on a non-blocking socket would fail with EAGAIN at once.
 */
static void
accept_retry_returns_a_blocking_descriptor_from_a_non_blocking_listener(void **state)
{
	int lfd, client, fd, flags;

	(void)state;
	tcp_listener_with_client(&lfd, &client);
	assert_int_equal(nonblocking_mode(lfd, 1), 0);
	fd = accept_retry(lfd);
	assert_true(fd >= 0);
	flags = fcntl(fd, F_GETFL);
	assert_true(flags >= 0);
	assert_int_equal(flags & O_NONBLOCK, 0);
	assert_true(fcntl(fd, F_GETFD) & FD_CLOEXEC);
	assert_int_equal(close(fd), 0);
	assert_int_equal(close(client), 0);
	assert_int_equal(close(lfd), 0);
}

/* net.h: nonblocking_mode "sets (on) or clears O_NONBLOCK", and nothing else. */
static void
nonblocking_mode_sets_and_clears_o_nonblock(void **state)
{
	int p[2], before;

	(void)state;
	make_pipe(p);
	before = fcntl(p[0], F_GETFL);
	assert_int_equal(nonblocking_mode(p[0], 1), 0);
	assert_int_equal(fcntl(p[0], F_GETFL), before | O_NONBLOCK);
	assert_int_equal(nonblocking_mode(p[0], 0), 0);
	assert_int_equal(fcntl(p[0], F_GETFL), before & ~O_NONBLOCK);
	assert_int_equal(close(p[0]), 0);
	assert_int_equal(close(p[1]), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		harness_test(accept_retry_retries_after_eintr),
		harness_test(accept_retry_retries_after_econnaborted),
		harness_test(accept_retry_retries_after_eproto),
		harness_test(accept_retry_retries_a_run_of_transient_errors),
		harness_test(accept_retry_returns_emfile_to_the_caller),
		harness_test(accept_resource_error_names_only_passing_shortages),
		harness_test(accept_retry_returns_a_close_on_exec_descriptor),
		harness_test(accept_retry_returns_the_error_of_a_socket_that_cannot_accept),
		harness_test(accept_retry_on_a_non_blocking_listener_returns_eagain_when_none_is_queued),
		harness_test(accept_retry_returns_a_blocking_descriptor_from_a_non_blocking_listener),
		harness_test(nonblocking_mode_sets_and_clears_o_nonblock),
	};

	harness_filter();
	return cmocka_run_group_tests(tests, harness_group_setup, NULL);
}
