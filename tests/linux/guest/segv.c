/* segv: a user program that dereferences a bad pointer, the simplest real user-mode fault. The
 * kernel sends it SIGSEGV and reports "segv[PID]: segfault at 8 ..."; the shell's status is
 * 139 (128 + SIGSEGV). Built with the host's gcc -static, as rewind-exit is. */
int main(int argc, char **argv)
{
	/* From argc, so the compiler cannot see the address is bad (and refuse to build). */
	volatile int *bad = (volatile int *)(8UL * (unsigned long)argc);
	(void)argv;
	return *bad;
}
