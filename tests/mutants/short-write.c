/*
 * short-write.c - writes each chunk with one call and ignores its count.
 *
 * Defect: whatever the socket did not take is lost.  A blocking write()
 * on a socket is rarely short, so to make the defect show every time the
 * client lags, the write is non-blocking (MSG_DONTWAIT), as it would be in
 * a server whose sockets are non-blocking.
 * Expected: fails SPEC clause S-ECHO-4 (megabytes streamed, byte-identical),
 * and S-ECHO-8 (the same, with the server stopped and continued).
 */
#include <sys/socket.h>
#include <unistd.h>

#include "plumbing.h"

static void
echo_once_per_read(int connfd)
{
	char buf[16384];
	ssize_t n;

	while ((n = read(connfd, buf, sizeof buf)) > 0)
		(void)send(connfd, buf, (size_t)n, MSG_DONTWAIT);	/* DEFECT: no loop */
	_exit(0);
}

int
main(int argc, char **argv)
{
	serve_forever(listen_from_args(argc, argv), reap_all, echo_once_per_read);
}
