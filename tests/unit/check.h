/* A minimal unit-test harness. Each test file defines tests with TEST(name) and lists them
 * in a `tests[]` table via RUN_TESTS(...). Output: one line per test, "ok NAME" or
 * "FAIL NAME: file:line: expression", then a summary the runner (tests/run.sh) counts. */
#ifndef REWIND_CHECK_H
#define REWIND_CHECK_H
#include <stdint.h>
#include <stdio.h>

struct check_state {
	int failed;
};
extern struct check_state check_state;

#define TEST(name) static void name(void)

#define CHECK(expr)                                                                    \
	do {                                                                           \
		if (!(expr)) {                                                         \
			printf("  check failed: %s:%d: %s\n", __FILE__, __LINE__, #expr); \
			check_state.failed = 1;                                        \
			return;                                                        \
		}                                                                      \
	} while (0)

#define CHECK_EQ(a, b)                                                                       \
	do {                                                                                 \
		unsigned long long _a = (unsigned long long)(a), _b = (unsigned long long)(b); \
		if (_a != _b) {                                                              \
			printf("  check failed: %s:%d: %s == %s (0x%llx != 0x%llx)\n", __FILE__, \
			       __LINE__, #a, #b, _a, _b);                                    \
			check_state.failed = 1;                                              \
			return;                                                              \
		}                                                                            \
	} while (0)

struct check_case {
	const char *name;
	void (*fn)(void);
};
/* True when no file in dir has a name starting with prefix (e.g. a temporary "x.tmp-XXXXXX"). */
int check_no_file_like(const char *dir, const char *prefix);
int check_run(const char *suite, const struct check_case *cases, int n);

#define T(fn) { #fn, fn }
#define RUN_TESTS(...)                                                                 \
	int main(void)                                                                 \
	{                                                                              \
		static const struct check_case cases[] = { __VA_ARGS__ };              \
		return check_run(__FILE__, cases, (int)(sizeof(cases) / sizeof(cases[0]))); \
	}

#endif
