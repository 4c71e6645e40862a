/*
 * test_str_cli.c - str_cli() (src/echo.h): in is a pipe a feeder thread
 * writes, out a pipe a collector thread reads, sock a socketpair with a
 * plain echo server thread on the other end - a batch run,
 * `client < in > out`.
 * Each test names the promise of echo.h it checks, or the reason it exists.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "echo.h"
#include "harness.h"

/* Enough to take many trips round str_cli()'s loop. */
#define SMALL_RUN (256u << 10)

struct run {
	int in[2], out[2], sv[2];
	unsigned char *data;
	size_t len;
	struct feeder feeder;
	struct collector collector;
	struct server server;
	enum cli_status status;
	int err;		/* errno after str_cli() */
};

static void
run_start(struct run *r, size_t len, enum server_mode mode, size_t limit)
{
	r->len = len;
	r->data = xmalloc(len);
	fill_random(r->data, len, (unsigned)len);
	make_pipe(r->in);
	make_pipe(r->out);
	unix_pair(r->sv);
	/* Far less than the data: a client that blocks writing deadlocks. */
	shrink_buffers(r->sv[0]);
	shrink_buffers(r->sv[1]);
	feeder_start(&r->feeder, r->in[1], r->data, len, FEED_CLOSE);
	collector_start(&r->collector, r->out[0], len);
	server_start(&r->server, r->sv[1], mode, limit);
}

/*
 * Runs str_cli() in this thread (the one that armed any faults), then
 * releases every peer whatever the outcome: closing in's read end stops a
 * feeder still writing, closing sock ends the server, closing out ends the
 * collector.
 */
static void
run_finish(struct run *r)
{
	errno = 0;
	r->status = str_cli(r->in[0], r->out[1], r->sv[0]);
	r->err = errno;
	assert_int_equal(close(r->in[0]), 0);
	assert_int_equal(close(r->sv[0]), 0);
	assert_int_equal(close(r->out[1]), 0);
	(void)peer_join(&r->feeder.peer);
	(void)peer_join(&r->collector.peer);
	(void)peer_join(&r->server.peer);
	assert_int_equal(close(r->out[0]), 0);
}

static void
run_free(struct run *r)
{
	free(r->collector.buf);
	free(r->data);
}

/* The whole input came back, byte for byte, and str_cli() said so. */
static void
assert_complete(struct run *r)
{
	assert_int_equal(r->status, CLI_OK);
	assert_int_equal(r->feeder.peer.err, 0);
	assert_int_equal(r->server.peer.err, 0);
	assert_true(r->server.saw_eof);
	assert_int_equal(r->collector.peer.err, 0);
	assert_int_equal(r->collector.len, r->len);
	assert_memory_equal(r->collector.buf, r->data, r->len);
	assert_int_equal(fault_armed(), 0);
	run_free(r);
}

/* A run of SMALL_RUN bytes through an echo server, with faults from arm(). */
static void
assert_complete_with(void (*arm)(const struct run *r))
{
	struct run r;

	run_start(&r, SMALL_RUN, SERVER_ECHO, SIZE_MAX);
	arm(&r);
	run_finish(&r);
	assert_complete(&r);
}

/*
 * echo.h: "a batch run loses nothing" (echo-client host < file > out):
 * 4 MiB of binary data (all byte values) comes back byte-identical.
 */
static void
str_cli_returns_4_mib_of_binary_input_byte_identical(void **state)
{
	struct run r;

	(void)state;
	run_start(&r, 4u << 20, SERVER_ECHO, SIZE_MAX);
	run_finish(&r);
	assert_complete(&r);
}

/*
 * echo.h: "On in's EOF it half-closes sock (shutdown SHUT_WR) and keeps
 * copying sock to out until the server's EOF".  This server echoes nothing
 * until it sees EOF, so the run completes only if str_cli() half-closed and
 * then still copied the whole echo to out.
 */
static void
str_cli_half_closes_at_input_eof_and_still_writes_the_echo(void **state)
{
	struct run r;

	(void)state;
	run_start(&r, SMALL_RUN, SERVER_ECHO_AFTER_EOF, SIZE_MAX);
	run_finish(&r);
	assert_complete(&r);
}

/*
 * echo.h: a server that closes "before echoing every byte sent" is
 * CLI_PREMATURE: the server reads everything but echoes only half.
 */
static void
str_cli_reports_premature_when_the_echo_is_cut_short(void **state)
{
	struct run r;

	(void)state;
	run_start(&r, SMALL_RUN, SERVER_ECHO, SMALL_RUN / 2);
	run_finish(&r);
	assert_int_equal(r.status, CLI_PREMATURE);
	/* What did come back was still written out. */
	assert_int_equal(r.collector.len, SMALL_RUN / 2);
	assert_memory_equal(r.collector.buf, r.data, SMALL_RUN / 2);
	run_free(&r);
}

/*
 * echo.h: a server that closes "before in ended" is CLI_PREMATURE: nothing was ever
 * typed, in is still open, and the server closes.
 */
static void
str_cli_reports_premature_when_the_server_closes_while_input_is_open(void **state)
{
	int in[2], out[2], sv[2];
	enum cli_status status;

	(void)state;
	make_pipe(in);
	make_pipe(out);
	unix_pair(sv);
	assert_int_equal(close(sv[1]), 0);
	status = str_cli(in[0], out[1], sv[0]);
	assert_int_equal(status, CLI_PREMATURE);
	assert_int_equal(close(in[0]), 0);
	assert_int_equal(close(in[1]), 0);
	assert_int_equal(close(out[0]), 0);
	assert_int_equal(close(out[1]), 0);
	assert_int_equal(close(sv[0]), 0);
}

/*
 * echo.h: CLI_NET_ERROR, "errno says why (ECONNRESET ...: the server reset
 * it)".  A socketpair cannot be reset: TCP over loopback, closed with
 * SO_LINGER 0 by the server side.
 */
static void
str_cli_reports_a_reset_as_net_error_with_econnreset(void **state)
{
	int in[2], out[2], sv[2], err;
	enum cli_status status;

	(void)state;
	make_pipe(in);
	make_pipe(out);
	tcp_pair(sv);
	abortive_close(sv[0]);
	status = str_cli(in[0], out[1], sv[1]);
	err = errno;
	assert_int_equal(status, CLI_NET_ERROR);
	assert_int_equal(err, ECONNRESET);
	assert_int_equal(close(in[0]), 0);
	assert_int_equal(close(in[1]), 0);
	assert_int_equal(close(out[0]), 0);
	assert_int_equal(close(out[1]), 0);
	assert_int_equal(close(sv[1]), 0);
}

/* echo.h: str_cli "retries after EINTR". */
static void
eintr_in_poll(const struct run *r)
{
	(void)r;
	fault_fail(FAULT_POLL, FAULT_ANY_FD, 3, EINTR);
}

static void
str_cli_loses_nothing_after_eintr_in_poll(void **state)
{
	(void)state;
	assert_complete_with(eintr_in_poll);
}

static void
eintr_reading_input(const struct run *r)
{
	fault_fail(FAULT_READ, r->in[0], 2, EINTR);
}

static void
str_cli_loses_nothing_after_eintr_reading_input(void **state)
{
	(void)state;
	assert_complete_with(eintr_reading_input);
}

static void
eintr_reading_socket(const struct run *r)
{
	fault_fail(FAULT_READ, r->sv[0], 2, EINTR);
}

static void
str_cli_loses_nothing_after_eintr_reading_the_socket(void **state)
{
	(void)state;
	assert_complete_with(eintr_reading_socket);
}

static void
eintr_writing_socket(const struct run *r)
{
	fault_fail(FAULT_WRITE, r->sv[0], 2, EINTR);
}

static void
str_cli_loses_nothing_after_eintr_writing_the_socket(void **state)
{
	(void)state;
	assert_complete_with(eintr_writing_socket);
}

static void
eintr_writing_output(const struct run *r)
{
	fault_fail(FAULT_WRITE, r->out[1], 2, EINTR);
}

static void
str_cli_loses_nothing_after_eintr_writing_output(void **state)
{
	(void)state;
	assert_complete_with(eintr_writing_output);
}

/* echo.h: str_cli "retries after ... short writes". */
static void
short_writes_to_socket(const struct run *r)
{
	fault_short(FAULT_WRITE, r->sv[0], 20, 1000);
}

static void
str_cli_loses_nothing_despite_short_writes_to_the_socket(void **state)
{
	(void)state;
	assert_complete_with(short_writes_to_socket);
}

static void
short_writes_to_output(const struct run *r)
{
	fault_short(FAULT_WRITE, r->out[1], 20, 1000);
}

static void
str_cli_loses_nothing_despite_short_writes_to_output(void **state)
{
	(void)state;
	assert_complete_with(short_writes_to_output);
}

/*
 * A run of SMALL_RUN bytes through an echo server, with faults from arm(),
 * that must stop with status want and errno err.
 */
static void
assert_fails_with(void (*arm)(const struct run *r), enum cli_status want, int err)
{
	struct run r;

	run_start(&r, SMALL_RUN, SERVER_ECHO, SIZE_MAX);
	arm(&r);
	run_finish(&r);
	assert_int_equal(r.status, want);
	assert_int_equal(r.err, err);
	assert_int_equal(fault_armed(), 0);
	run_free(&r);
}

static void
eio_reading_input(const struct run *r)
{
	fault_fail(FAULT_READ, r->in[0], 1, EIO);
}

/* echo.h: CLI_IO_ERROR, "reading in or writing out failed: errno". */
static void
str_cli_reports_a_failed_input_read_as_io_error(void **state)
{
	(void)state;
	assert_fails_with(eio_reading_input, CLI_IO_ERROR, EIO);
}

static void
enospc_writing_output(const struct run *r)
{
	fault_fail(FAULT_WRITE, r->out[1], 1, ENOSPC);
}

static void
str_cli_reports_a_failed_output_write_as_io_error(void **state)
{
	(void)state;
	assert_fails_with(enospc_writing_output, CLI_IO_ERROR, ENOSPC);
}

static void
enomem_in_poll(const struct run *r)
{
	(void)r;
	fault_fail(FAULT_POLL, FAULT_ANY_FD, 1, ENOMEM);
}

/* echo.h: a failed wait is not the connection's fault: CLI_IO_ERROR with its errno. */
static void
str_cli_reports_a_failed_poll_as_io_error(void **state)
{
	(void)state;
	assert_fails_with(enomem_in_poll, CLI_IO_ERROR, ENOMEM);
}

static void
epipe_writing_the_socket(const struct run *r)
{
	fault_fail(FAULT_WRITE, r->sv[0], 1, EPIPE);
}

/* echo.h: CLI_NET_ERROR, "the connection failed: errno says why". */
static void
str_cli_reports_a_failed_write_to_the_server_as_net_error(void **state)
{
	(void)state;
	assert_fails_with(epipe_writing_the_socket, CLI_NET_ERROR, EPIPE);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		harness_test(str_cli_returns_4_mib_of_binary_input_byte_identical),
		harness_test(str_cli_half_closes_at_input_eof_and_still_writes_the_echo),
		harness_test(str_cli_reports_premature_when_the_echo_is_cut_short),
		harness_test(str_cli_reports_premature_when_the_server_closes_while_input_is_open),
		harness_test(str_cli_reports_a_reset_as_net_error_with_econnreset),
		harness_test(str_cli_loses_nothing_after_eintr_in_poll),
		harness_test(str_cli_loses_nothing_after_eintr_reading_input),
		harness_test(str_cli_loses_nothing_after_eintr_reading_the_socket),
		harness_test(str_cli_loses_nothing_after_eintr_writing_the_socket),
		harness_test(str_cli_loses_nothing_after_eintr_writing_output),
		harness_test(str_cli_loses_nothing_despite_short_writes_to_the_socket),
		harness_test(str_cli_loses_nothing_despite_short_writes_to_output),
		harness_test(str_cli_reports_a_failed_input_read_as_io_error),
		harness_test(str_cli_reports_a_failed_output_write_as_io_error),
		harness_test(str_cli_reports_a_failed_poll_as_io_error),
		harness_test(str_cli_reports_a_failed_write_to_the_server_as_net_error),
	};

	harness_filter();
	return cmocka_run_group_tests(tests, harness_group_setup, NULL);
}
