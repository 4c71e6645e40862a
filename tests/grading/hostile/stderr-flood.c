/*
 * stderr-flood.c - a hostile submission: writes to stderr without end and
 * never listens.  The bytes kept of its output must stay under the cap and
 * the disk must not fill.
 */
#include <string.h>
#include <unistd.h>

int
main(void)
{
	char line[4096];

	memset(line, 'x', sizeof(line) - 1);
	line[sizeof(line) - 1] = '\n';
	for (;;)
		(void)write(STDERR_FILENO, line, sizeof(line));	/* EFBIG or not: go on */
}
