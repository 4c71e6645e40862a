/*
 * test_echo.c - writen() and str_echo() (src/echo.h) over real sockets.
 * Clauses quoted are from issue 2, "Library", and the contracts in echo.h.
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
session_finish(struct session *s)
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
	assert_int_equal(fault_armed(), 0);
	free(s->asker.reply);
}

static void
assert_echoes(const void *msg, size_t len)
{
	struct session s;

	session_start(&s, msg, len);
	session_finish(&s);
}

/* Issue 2: str_echo "echo[es] everything read from fd back to it". */
static void
str_echo_echoes_a_short_message(void **state)
{
	static const char msg[] = "hello, echo\n";

	(void)state;
	assert_echoes(msg, sizeof msg - 1);
}

/* Issue 2: "Binary-safe (NUL bytes ...)": every byte value, NUL first. */
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
 * Issue 2: "no line assumptions: a chunk without a newline is echoed at
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
 * Issue 2: "8 MiB in both directions at once", by two threads: far more
 * than the socket buffers hold, so an echo that stopped reading while it
 * wrote (or the reverse) would deadlock.
 */
static void
str_echo_echoes_8_mib_in_both_directions_at_once(void **state)
{
	(void)state;
	(void)echo_bulk(8u << 20);
}

/* Issue 2: "Returns 0 on EOF". */
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
 * Issue 2: "-1 with errno on error (ECONNRESET ...)".  A socketpair cannot
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

/* Issue 2: str_echo "Restarts on EINTR" - a read interrupted before any data. */
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

/* Issue 2: str_echo "Restarts on EINTR" - a write of the echo interrupted. */
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

/* Issue 2: str_echo "writes all bytes despite short writes". */
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
	};

	harness_filter();
	return cmocka_run_group_tests(tests, harness_group_setup, NULL);
}
