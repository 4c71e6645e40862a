/*
 * print-env.c - a hostile submission: prints its whole environment, where
 * the grader's variables (tokens, paths, the person grading) would show
 * in its own build log or results.  Only the sandbox's few fixed
 * variables may appear.
 */
#include <stdio.h>

extern char **environ;

int
main(void)
{
	char **e;

	for (e = environ; *e != NULL; e++)
		printf("%s\n", *e);
	return 0;
}
