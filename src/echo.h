/*
 * echo.h - the echo loops, kept apart from the programs so that they can be
 * unit-tested over socketpair()s.
 *
 * Every function here returns its errors; none of them prints or exits.
 */
#ifndef ECHO_H
#define ECHO_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/*
 * writen: write all n bytes of buf to fd.
 * Retries after EINTR and after short writes.
 * Returns 0 once every byte is written, -1 with errno set otherwise
 * (for a socket whose peer has gone: EPIPE or ECONNRESET).
 */
int writen(int fd, const void *buf, size_t n);

/*
 * str_echo: send back on fd every byte read from fd, until the peer's EOF.
 * Binary-safe and line-agnostic: whatever one read() returns is written back
 * at once, NUL bytes included.  Retries after EINTR.
 * Reads into 1 KiB of stack.  A read that fills it starts a stream: on
 * Linux that goes on through splice(2) where fd allows it; otherwise it
 * goes on through a 64 KiB buffer from malloc(), held until the function
 * returns (or, when malloc() fails, in the 1 KiB, slower but whole).
 * If echoed is not NULL, *echoed receives the number of bytes echoed,
 * also when the function fails.
 * Returns 0 on EOF, -1 with errno set on an error (ECONNRESET, EPIPE, or
 * EAGAIN when a receive or send timeout set on fd expired).
 */
int str_echo(int fd, uint64_t *echoed);

/* What str_cli() reports. */
enum cli_status {
	CLI_OK = 0,		/* in reached EOF and every byte sent came back */
	CLI_PREMATURE,		/* the server closed (EOF) before in ended, or
				   before echoing every byte sent */
	CLI_NET_ERROR,		/* the connection failed: errno says why
				   (ECONNRESET or EPIPE: the server reset it) */
	CLI_IO_ERROR		/* reading in or writing out failed: errno */
};

/*
 * str_cli: copy in to sock and sock to out until both are done.
 * Waits on both descriptors with poll(), so input is sent as fast as the
 * server takes it and the echo is written as soon as it arrives.  On in's
 * EOF it half-closes sock (shutdown SHUT_WR) and keeps copying sock to out
 * until the server's EOF, so a batch run loses nothing and does not wait a
 * round trip per line.  Puts sock in non-blocking mode: a write to the
 * server must never stop us reading its echo.
 * Binary-safe; retries after EINTR and short writes.
 * Returns one of enum cli_status; errno is meaningful for the two errors.
 */
enum cli_status str_cli(int in, int out, int sock);

#endif
