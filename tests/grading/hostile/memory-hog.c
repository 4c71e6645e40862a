/*
 * memory-hog.c - a hostile submission: takes memory 4 MiB at a time,
 * touching every page, until it is refused, then waits.  The memory limit
 * must kill it, not the grader's processes beside it in the sandbox, and
 * the report must say the memory was the submission's.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define CHUNK (4 << 20)

int
main(void)
{
	char *p;

	while ((p = malloc(CHUNK)) != NULL)
		memset(p, 1, CHUNK);	/* kept on purpose: never freed */
	for (;;)
		(void)pause();
}
