/*
 * build-fails.c - a submission that does not compile: every clause must
 * fail with the build's reason, in seconds, the build log kept.
 */
int
main(void)
{
	return missing_function();
}
