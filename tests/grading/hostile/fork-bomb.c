/*
 * fork-bomb.c - a hostile submission: forks without end before it listens.
 * The sandbox's process limit must stop it, the other submissions' results
 * must not change, and nothing of it may outlive its grading.
 */
#include <unistd.h>

int
main(void)
{
	for (;;)
		(void)fork();	/* failures are the point: keep trying */
}
