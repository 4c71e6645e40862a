/*
 * opt.c - command-line helpers shared by echo-server and echo-client.
 */
#include <errno.h>
#include <stdlib.h>

#include "opt.h"

int
parse_number(const char *s, long min, long max, long *out)
{
	char *end;
	long v;

	/* strtol() alone would take signs and leading blanks. */
	if (*s < '0' || *s > '9')
		return -1;
	errno = 0;
	v = strtol(s, &end, 10);
	if (*end != '\0' || errno == ERANGE || v < min || v > max)
		return -1;
	*out = v;
	return 0;
}
