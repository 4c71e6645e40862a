/*
 * never-listens.c - a hostile submission: sleeps and never opens a socket.
 * Every server clause must fail with that reason, in seconds, not after a
 * timeout per clause.
 */
#include <unistd.h>

int
main(void)
{
	for (;;)
		(void)pause();
}
