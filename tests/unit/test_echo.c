/*
 * test_echo.c - writen() and str_echo() (src/echo.h) over real sockets.
 * Each test names the promise of echo.h it checks, or the reason it exists.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "echo.h"
#include "harness.h"

/* ---- writen ---- */

/*
 * Runs writen() of len random bytes into sv[0] after arming faults on it
 * with arm(), then checks that sv[1] received exactly those bytes.
 */
static void
assert_writen_delivers(size_t len, void (*arm)(int fd))
{
	unsigned char *data = xmalloc(len), *got = xmalloc(len + 1);
	size_t n;
	int sv[2], rc;

	fill_random(data, len, 1);
	unix_pair(sv);
	arm(sv[0]);
	rc = writen(sv[0], data, len);
	assert_int_equal(rc, 0);
	assert_int_equal(fault_armed(), 0);
	assert_int_equal(shutdown(sv[0], SHUT_WR), 0);
	assert_int_equal(read_upto(sv[1], got, len + 1, &n), 0);
	assert_int_equal(n, len);
	assert_memory_equal(got, data, len);
	assert_int_equal(close(sv[0]), 0);
	assert_int_equal(close(sv[1]), 0);
	free(data);
	free(got);
}

static void
four_short_writes(int fd)
{
	fault_short(FAULT_WRITE, fd, 4, 3);
}

/* echo.h: writen "retries ... after short writes". */
static void
writen_writes_every_byte_despite_short_writes(void **state)
{
	(void)state;
	assert_writen_delivers(100, four_short_writes);
}

static void
two_eintrs_on_write(int fd)
{
	fault_fail(FAULT_WRITE, fd, 2, EINTR);
}

/* echo.h: writen "retries after EINTR". */
static void
writen_restarts_after_eintr(void **state)
{
	(void)state;
	assert_writen_delivers(100, two_eintrs_on_write);
}

/* echo.h: writen returns -1 with errno EPIPE "for a socket whose peer has gone". */
static void
writen_reports_epipe_when_the_peer_is_gone(void **state)
{
	int sv[2], rc, err;

	(void)state;
	unix_pair(sv);
	assert_int_equal(close(sv[1]), 0);
	rc = writen(sv[0], "x", 1);
	err = errno;
	assert_int_equal(rc, -1);
	assert_int_equal(err, EPIPE);
	assert_int_equal(close(sv[0]), 0);
}

/* ---- str_echo ---- */

/*
 * An echo session: str_echo() runs on sv[0] in the test's thread while an
 * asker on sv[1] sends msg and waits for its echo before ending its side.
 */
struct session {
	int sv[2];
	struct asker asker;
	uint64_t echoed;
	int rc;
};

static void
session_start(struct session *s, const void *msg, size_t len)
{
	unix_pair(s->sv);
	s->echoed = 0;
	asker_start(&s->asker, s->sv[1], msg, len, ASK_HALF_CLOSE);
}

/* Runs str_echo() to the asker's EOF; checks the echo came back whole and alone. */
static void
session_run(struct session *s)
{
	const struct asker *a = &s->asker;

	s->rc = str_echo(s->sv[0], &s->echoed);
	/* Closing our end is what gives the asker its EOF. */
	assert_int_equal(close(s->sv[0]), 0);
	assert_int_equal(peer_join(&s->asker.peer), 0);
	assert_int_equal(close(s->sv[1]), 0);
	assert_int_equal(a->got, a->len);
	assert_memory_equal(a->reply, a->msg, a->len);
	assert_int_equal(a->surplus, 0);
	assert_int_equal(s->rc, 0);
	assert_int_equal(s->echoed, a->len);
	free(s->asker.reply);
}

/* session_run(), and every fault armed for it met. */
static void
session_finish(struct session *s)
{
	session_run(s);
	assert_int_equal(fault_armed(), 0);
}

static void
assert_echoes(const void *msg, size_t len)
{
	struct session s;

	session_start(&s, msg, len);
	session_finish(&s);
}

/* echo.h: str_echo sends "back on fd every byte read from fd". */
static void
str_echo_echoes_a_short_message(void **state)
{
	static const char msg[] = "hello, echo\n";

	(void)state;
	assert_echoes(msg, sizeof msg - 1);
}

/* echo.h: "Binary-safe ... NUL bytes included": every byte value, NUL first. */
static void
str_echo_echoes_all_256_byte_values(void **state)
{
	unsigned char all[256];
	int i;

	(void)state;
	for (i = 0; i < 256; i++)
		all[i] = (unsigned char)i;
	assert_echoes(all, sizeof all);
}

/*
 * echo.h: "line-agnostic: whatever one read() returns is written back at
 * once".  The asker half-closes only after the echo is back, so an echo
 * that waited for a newline (or for EOF) would time out.
 */
static void
str_echo_echoes_a_chunk_without_newline_at_once(void **state)
{
	static const char msg[] = "no newline here";

	(void)state;
	assert_echoes(msg, sizeof msg - 1);
}

/*
 * Runs str_echo() on len random bytes that a feeder sends while a collector
 * reads the echo back at the same time; checks that the echo is the data.
 * Returns what str_echo() reported in *echoed.
 */
static uint64_t
echo_bulk(size_t len)
{
	unsigned char *data = xmalloc(len);
	struct feeder f;
	struct collector c;
	uint64_t echoed = 0;
	int sv[2], rc;

	fill_random(data, len, (unsigned)len);
	unix_pair(sv);
	feeder_start(&f, sv[1], data, len, FEED_SHUTDOWN);
	collector_start(&c, sv[1], len);
	rc = str_echo(sv[0], &echoed);
	/* Closing our end is what gives the collector its EOF. */
	assert_int_equal(close(sv[0]), 0);
	assert_int_equal(peer_join(&f.peer), 0);
	assert_int_equal(peer_join(&c.peer), 0);
	assert_int_equal(close(sv[1]), 0);
	assert_int_equal(rc, 0);
	assert_int_equal(c.len, len);
	assert_memory_equal(c.buf, data, len);
	free(c.buf);
	free(data);
	return echoed;
}

/*
 * SPEC.md S-ECHO-4, in the library: 8 MiB both ways at once, by two
 * threads: far more than the socket buffers hold, so an echo that stopped
 * reading while it wrote (or the reverse) would deadlock.
 */
static void
str_echo_echoes_8_mib_in_both_directions_at_once(void **state)
{
	(void)state;
	(void)echo_bulk(8u << 20);
}

/* echo.h: "Returns 0 on EOF". */
static void
str_echo_returns_0_on_eof(void **state)
{
	uint64_t echoed = 1;
	int sv[2];

	(void)state;
	unix_pair(sv);
	assert_int_equal(shutdown(sv[1], SHUT_WR), 0);
	assert_int_equal(str_echo(sv[0], &echoed), 0);
	assert_int_equal(echoed, 0);
	assert_int_equal(close(sv[0]), 0);
	assert_int_equal(close(sv[1]), 0);
}

/*
 * echo.h: "-1 with errno set on an error (ECONNRESET, ...)".  A socketpair cannot
 * be reset, so this is TCP over loopback, the peer closing with SO_LINGER 0.
 */
static void
str_echo_returns_econnreset_on_a_reset(void **state)
{
	uint64_t echoed;
	int sv[2], rc, err;

	(void)state;
	tcp_pair(sv);
	abortive_close(sv[1]);
	rc = str_echo(sv[0], &echoed);
	err = errno;
	assert_int_equal(rc, -1);
	assert_int_equal(err, ECONNRESET);
	assert_int_equal(close(sv[0]), 0);
}

/* echo.h: str_echo "Retries after EINTR": a read interrupted before any data. */
static void
str_echo_restarts_after_eintr_on_read(void **state)
{
	static const char msg[] = "read interrupted";
	struct session s;

	(void)state;
	session_start(&s, msg, sizeof msg - 1);
	fault_fail(FAULT_READ, s.sv[0], 1, EINTR);
	session_finish(&s);
}

/* echo.h: str_echo "Retries after EINTR": a write of the echo interrupted. */
static void
str_echo_restarts_after_eintr_on_write(void **state)
{
	static const char msg[] = "write interrupted";
	struct session s;

	(void)state;
	session_start(&s, msg, sizeof msg - 1);
	fault_fail(FAULT_WRITE, s.sv[0], 1, EINTR);
	session_finish(&s);
}

/* echo.h: "whatever one read() returns is written back", all of it despite short writes. */
static void
str_echo_completes_despite_short_writes(void **state)
{
	unsigned char msg[1000];
	struct session s;

	(void)state;
	fill_random(msg, sizeof msg, 3);
	session_start(&s, msg, sizeof msg);
	fault_short(FAULT_WRITE, s.sv[0], 5, 7);
	session_finish(&s);
}

/* echo.h: "*echoed receives the number of bytes echoed". */
static void
str_echo_reports_the_bytes_echoed(void **state)
{
	(void)state;
	assert_int_equal(echo_bulk(1u << 20), 1u << 20);
}

/*
 * echo.h: *echoed is set "also when the function fails": the peer gets its
 * echo of 5 bytes, then resets the connection.
 */
static void
str_echo_reports_the_bytes_echoed_before_an_error(void **state)
{
	struct asker a;
	uint64_t echoed = 0;
	int sv[2], rc, err;

	(void)state;
	tcp_pair(sv);
	asker_start(&a, sv[1], "12345", 5, ASK_RESET);
	rc = str_echo(sv[0], &echoed);
	err = errno;
	assert_int_equal(peer_join(&a.peer), 0);
	assert_int_equal(close(sv[0]), 0);
	assert_int_equal(a.got, 5);
	assert_int_equal(rc, -1);
	assert_int_equal(err, ECONNRESET);
	assert_int_equal(echoed, 5);
	free(a.reply);
}

/* ---- str_echo on data queued before it starts ---- */

/*
 * Bytes queued before str_echo() starts: its first read fills its 1 KiB
 * buffer, which sends the rest through splice() (on Linux); few enough for
 * the socket buffers to hold both the data and its echo without a peer
 * thread.
 */
#define QUEUED 16384

/*
 * Queues QUEUED random bytes and the peer's EOF on sv[1], arms faults on
 * sv[0] with arm(), and runs str_echo() on sv[0].  Checks that what came
 * back is the data's first *echoed bytes and that every armed fault was
 * met.  Returns str_echo()'s result, and its errno in *err.
 */
static int
echo_queued(void (*arm)(int fd), uint64_t *echoed, int *err)
{
	unsigned char *data = xmalloc(QUEUED), *got = xmalloc(QUEUED + 1);
	size_t n;
	int sv[2], rc;

	fill_random(data, QUEUED, 7);
	unix_pair(sv);
	assert_int_equal(writen(sv[1], data, QUEUED), 0);
	assert_int_equal(shutdown(sv[1], SHUT_WR), 0);
	arm(sv[0]);
	*echoed = 0;
	rc = str_echo(sv[0], echoed);
	*err = errno;
	assert_int_equal(fault_armed(), 0);
	/* Not close(): with data left unread in sv[0], that resets sv[1]. */
	assert_int_equal(shutdown(sv[0], SHUT_WR), 0);
	assert_int_equal(read_upto(sv[1], got, QUEUED + 1, &n), 0);
	assert_int_equal(close(sv[0]), 0);
	assert_int_equal(close(sv[1]), 0);
	assert_int_equal(n, *echoed);
	assert_memory_equal(got, data, n);
	free(data);
	free(got);
	return rc;
}

/* echo_queued() for an echo that must fail: -1 with errno want, echoed_before bytes echoed. */
static void
assert_queued_echo_fails(void (*arm)(int fd), int want, uint64_t echoed_before)
{
	uint64_t echoed;
	int err;

	assert_int_equal(echo_queued(arm, &echoed, &err), -1);
	assert_int_equal(err, want);
	assert_int_equal(echoed, echoed_before);
}

static void
epipe_on_write(int fd)
{
	fault_fail(FAULT_WRITE, fd, 1, EPIPE);
}

/* echo.h: -1 with errno when writing the echo fails (EPIPE: the peer has gone). */
static void
str_echo_reports_a_failed_write_of_the_echo(void **state)
{
	(void)state;
	assert_queued_echo_fails(epipe_on_write, EPIPE, 0);
}

/* echo_queued() for an echo that must complete: all of it, and rc 0. */
static void
assert_queued_echo_completes(void (*arm)(int fd))
{
	uint64_t echoed;
	int err;

	assert_int_equal(echo_queued(arm, &echoed, &err), 0);
	assert_int_equal(echoed, QUEUED);
}

/* ---- str_echo's stream buffer, where splice() does not take the stream ---- */

/*
 * Arms what sends the stream through str_echo's own buffer: on Linux,
 * splice() refusing the socket (elsewhere there is no splice), then lets
 * the first read, the one that fills the 1 KiB and starts the stream, and
 * its echo pass as they are (a "short" limit of their own size), so that
 * the faults a test arms after this meet the stream's reads and writes.
 */
static void
stream_without_splice(int fd)
{
#if defined(__linux__) && !defined(ECHO_PORTABLE)
	fault_fail(FAULT_SPLICE_IN, fd, 1, EINVAL);
#endif
	fault_short(FAULT_READ, fd, 1, 1024);
	fault_short(FAULT_WRITE, fd, 1, 1024);
}

static void
stream_reads_counted(int fd)
{
	stream_without_splice(fd);
	fault_short(FAULT_READ, fd, 1, QUEUED);
	fault_fail(FAULT_READ, fd, 1, ECONNRESET);
}

/*
 * echo.h: a stream "goes on through a 64 KiB buffer".  Its reads are
 * counted by the faults they meet: after the first 1 KiB, one read as it
 * is (a limit larger than the data), then a reset.  The data all queued,
 * only a read larger than 1 KiB has echoed all of it by the reset.
 */
static void
str_echo_takes_a_stream_in_reads_larger_than_1_kib(void **state)
{
	(void)state;
	assert_queued_echo_fails(stream_reads_counted, ECONNRESET, QUEUED);
}

static void
stream_read_interrupted(int fd)
{
	stream_without_splice(fd);
	fault_fail(FAULT_READ, fd, 1, EINTR);
}

/* echo.h: str_echo "Retries after EINTR", on a stream's read too. */
static void
str_echo_restarts_a_stream_read_after_eintr(void **state)
{
	(void)state;
	assert_queued_echo_completes(stream_read_interrupted);
}

static void
stream_write_interrupted(int fd)
{
	stream_without_splice(fd);
	fault_fail(FAULT_WRITE, fd, 1, EINTR);
}

/* echo.h: str_echo "Retries after EINTR", on a stream's write too. */
static void
str_echo_restarts_a_stream_write_after_eintr(void **state)
{
	(void)state;
	assert_queued_echo_completes(stream_write_interrupted);
}

static void
stream_writes_short(int fd)
{
	stream_without_splice(fd);
	fault_short(FAULT_WRITE, fd, 5, 7);
}

/* echo.h: a stream's echo goes back whole despite short writes. */
static void
str_echo_completes_a_stream_despite_short_writes(void **state)
{
	(void)state;
	assert_queued_echo_completes(stream_writes_short);
}

static void
stream_reset(int fd)
{
	stream_without_splice(fd);
	fault_fail(FAULT_READ, fd, 1, ECONNRESET);
}

/*
 * echo.h: -1 with errno on an error, on a stream too: freeing its buffer
 * on the way out must not lose the errno.
 */
static void
str_echo_reports_a_reset_met_by_a_stream_read(void **state)
{
	(void)state;
	assert_queued_echo_fails(stream_reset, ECONNRESET, 1024);
}

static void
stream_without_its_buffer(int fd)
{
	stream_without_splice(fd);
	fault_fail(FAULT_MALLOC, FAULT_ANY_FD, 1, ENOMEM);
}

/* echo.h: when malloc() fails, the stream goes on "in the 1 KiB, slower but whole". */
static void
str_echo_completes_a_stream_whose_buffer_cannot_be_had(void **state)
{
	(void)state;
	assert_queued_echo_completes(stream_without_its_buffer);
}

/*
 * echo.c: the stream's buffer is "allocated only then, so an idle child
 * never has it".  A message that fits in 1 KiB meets a malloc() fault
 * armed for the whole exchange and leaves it unmet.
 */
static void
str_echo_allocates_nothing_for_what_fits_in_1_kib(void **state)
{
	unsigned char msg[1000];
	struct session s;

	(void)state;
	fill_random(msg, sizeof msg, 11);
	session_start(&s, msg, sizeof msg);
	fault_fail(FAULT_MALLOC, FAULT_ANY_FD, 1, ENOMEM);
	session_run(&s);
	assert_int_equal(fault_armed(), 1);
}

/* ---- str_echo's splice fast path (not in an ECHO_PORTABLE build) ---- */

#if defined(__linux__) && !defined(ECHO_PORTABLE)
static void
reset_on_splice_in(int fd)
{
	fault_fail(FAULT_SPLICE_IN, fd, 1, ECONNRESET);
}

/*
 * echo.h: -1 with errno on an error, also on the fast path: a reset met
 * by the splice out of the socket is an error, not the peer's EOF (a
 * clean return would tell the server's log that the echo was whole).
 */
static void
str_echo_reports_a_failed_splice_from_the_socket(void **state)
{
	(void)state;
	assert_queued_echo_fails(reset_on_splice_in, ECONNRESET, 1024);
}

static void
epipe_on_splice_out(int fd)
{
	fault_fail(FAULT_SPLICE_OUT, fd, 1, EPIPE);
}

/* echo.h: -1 with errno when the splice of the echo back into the socket fails. */
static void
str_echo_reports_a_failed_splice_into_the_socket(void **state)
{
	(void)state;
	assert_queued_echo_fails(epipe_on_splice_out, EPIPE, 1024);
}

static void
einval_on_first_splice(int fd)
{
	fault_fail(FAULT_SPLICE_IN, fd, 1, EINVAL);
}

/*
 * echo.c: a descriptor splice() does not support (EINVAL before anything
 * moved) goes on with read() and write(), and the echo is whole.
 */
static void
str_echo_falls_back_to_read_and_write_when_splice_is_unsupported(void **state)
{
	(void)state;
	assert_queued_echo_completes(einval_on_first_splice);
}

static void
einval_after_a_short_splice(int fd)
{
	fault_short(FAULT_SPLICE_IN, fd, 1, 100);
	fault_fail(FAULT_SPLICE_IN, fd, 1, EINVAL);
}

/*
 * echo.c: once splice() has moved bytes, EINVAL is an error like any
 * other: falling back then could not tell what the pipe still held.
 */
static void
str_echo_reports_einval_from_splice_after_bytes_moved(void **state)
{
	(void)state;
	assert_queued_echo_fails(einval_after_a_short_splice, EINVAL, 1024 + 100);
}

static void
eintr_on_both_splices(int fd)
{
	fault_fail(FAULT_SPLICE_IN, fd, 2, EINTR);
	fault_fail(FAULT_SPLICE_OUT, fd, 2, EINTR);
}

/* echo.h: "Retries after EINTR", on the fast path too: both splices restart. */
static void
str_echo_restarts_splices_after_eintr(void **state)
{
	(void)state;
	assert_queued_echo_completes(eintr_on_both_splices);
}

static void
short_splices(int fd)
{
	fault_short(FAULT_SPLICE_IN, fd, 3, 100);
	fault_short(FAULT_SPLICE_OUT, fd, 5, 7);
}

/* Short counts both ways on the fast path: every byte still goes back, once. */
static void
str_echo_completes_despite_short_splices(void **state)
{
	(void)state;
	assert_queued_echo_completes(short_splices);
}
#endif

int
main(void)
{
	const struct CMUnitTest tests[] = {
		harness_test(writen_writes_every_byte_despite_short_writes),
		harness_test(writen_restarts_after_eintr),
		harness_test(writen_reports_epipe_when_the_peer_is_gone),
		harness_test(str_echo_echoes_a_short_message),
		harness_test(str_echo_echoes_all_256_byte_values),
		harness_test(str_echo_echoes_a_chunk_without_newline_at_once),
		harness_test(str_echo_echoes_8_mib_in_both_directions_at_once),
		harness_test(str_echo_returns_0_on_eof),
		harness_test(str_echo_returns_econnreset_on_a_reset),
		harness_test(str_echo_restarts_after_eintr_on_read),
		harness_test(str_echo_restarts_after_eintr_on_write),
		harness_test(str_echo_completes_despite_short_writes),
		harness_test(str_echo_reports_the_bytes_echoed),
		harness_test(str_echo_reports_the_bytes_echoed_before_an_error),
		harness_test(str_echo_reports_a_failed_write_of_the_echo),
		harness_test(str_echo_takes_a_stream_in_reads_larger_than_1_kib),
		harness_test(str_echo_restarts_a_stream_read_after_eintr),
		harness_test(str_echo_restarts_a_stream_write_after_eintr),
		harness_test(str_echo_completes_a_stream_despite_short_writes),
		harness_test(str_echo_reports_a_reset_met_by_a_stream_read),
		harness_test(str_echo_completes_a_stream_whose_buffer_cannot_be_had),
		harness_test(str_echo_allocates_nothing_for_what_fits_in_1_kib),
#if defined(__linux__) && !defined(ECHO_PORTABLE)
		harness_test(str_echo_reports_a_failed_splice_from_the_socket),
		harness_test(str_echo_reports_a_failed_splice_into_the_socket),
		harness_test(str_echo_falls_back_to_read_and_write_when_splice_is_unsupported),
		harness_test(str_echo_reports_einval_from_splice_after_bytes_moved),
		harness_test(str_echo_restarts_splices_after_eintr),
		harness_test(str_echo_completes_despite_short_splices),
#endif
	};

	harness_filter();
	return cmocka_run_group_tests(tests, harness_group_setup, NULL);
}
