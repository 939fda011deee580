#include "tests/unit/check.h"

#include <dirent.h>
#include <string.h>

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

int check_no_file_like(const char *dir, const char *prefix)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int none = 1;
	if (!d)
		return 1;
	while ((e = readdir(d)))
		if (!strncmp(e->d_name, prefix, strlen(prefix)))
			none = 0;
	closedir(d);
	return none;
}
