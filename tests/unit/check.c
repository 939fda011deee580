#include "tests/unit/check.h"

struct check_state check_state;

int check_run(const char *suite, const struct check_case *cases, int n)
{
	int failed = 0;
	for (int i = 0; i < n; i++) {
		check_state.failed = 0;
		cases[i].fn();
		printf("%s %s: %s\n", check_state.failed ? "FAIL" : "ok", suite, cases[i].name);
		failed += check_state.failed;
	}
	fflush(stdout);
	return failed ? 1 : 0;
}
