/*
 * busy-loop.c - a hostile submission: spins on the CPU and never listens.
 * Its grading must end in seconds (no listening socket) without slowing
 * the submissions graded beside it for longer than its CPU share allows.
 */
int
main(void)
{
	volatile unsigned long n = 0;

	for (;;)
		n++;
}
