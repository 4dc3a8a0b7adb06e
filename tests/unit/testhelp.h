/*
 * testhelp.h: a tiny unit-test harness (after redis: src/testhelp.h).
 *
 * Usage:
 *     TEST(varint_edges) { CHECK(x == 1); CHECK_EQ_INT(a, b); }
 *     int main(void) { RUN(varint_edges); return testhelp_done(); }
 *
 * A failed CHECK prints file:line and the expression, marks the current test
 * failed, and carries on (the test keeps running, so one run shows every
 * failure). testhelp_done() prints "N passed, M failed" and returns non-zero
 * when any test failed. State lives in static variables: one harness per
 * test program, single-threaded.
 */
#ifndef TM_TESTHELP_H
#define TM_TESTHELP_H

#include <stdio.h>
#include <string.h>

static int testhelp_passed;
static int testhelp_failed;
static int testhelp_cur_failed;
static const char *testhelp_cur_name;

#define TEST(name) static void test_##name(void)

#define RUN(name)                                                                                  \
	do {                                                                                       \
		testhelp_cur_name = #name;                                                         \
		testhelp_cur_failed = 0;                                                           \
		test_##name();                                                                     \
		if (testhelp_cur_failed) {                                                         \
			testhelp_failed++;                                                         \
			fprintf(stderr, "FAIL %s\n", #name);                                       \
		} else {                                                                           \
			testhelp_passed++;                                                         \
		}                                                                                  \
	} while (0)

#define CHECK(cond)                                                                                \
	do {                                                                                       \
		if (!(cond)) {                                                                     \
			fprintf(stderr, "%s:%d: [%s] check failed: %s\n", __FILE__, __LINE__,      \
				testhelp_cur_name, #cond);                                         \
			testhelp_cur_failed = 1;                                                   \
		}                                                                                  \
	} while (0)

#define CHECK_EQ_INT(a, b)                                                                         \
	do {                                                                                       \
		long long testhelp_a_ = (long long)(a);                                            \
		long long testhelp_b_ = (long long)(b);                                            \
		if (testhelp_a_ != testhelp_b_) {                                                  \
			fprintf(stderr, "%s:%d: [%s] %s == %s failed: %lld != %lld\n", __FILE__,   \
				__LINE__, testhelp_cur_name, #a, #b, testhelp_a_, testhelp_b_);    \
			testhelp_cur_failed = 1;                                                   \
		}                                                                                  \
	} while (0)

/* Compares n bytes; on mismatch prints the first differing offset. */
#define CHECK_MEM(a, b, n)                                                                         \
	do {                                                                                       \
		const unsigned char *testhelp_p_ = (const void *)(a);                              \
		const unsigned char *testhelp_q_ = (const void *)(b);                              \
		size_t testhelp_n_ = (n), testhelp_i_;                                             \
		for (testhelp_i_ = 0; testhelp_i_ < testhelp_n_; testhelp_i_++)                    \
			if (testhelp_p_[testhelp_i_] != testhelp_q_[testhelp_i_])                  \
				break;                                                             \
		if (testhelp_i_ < testhelp_n_) {                                                   \
			fprintf(stderr,                                                            \
				"%s:%d: [%s] %s vs %s differ at byte %zu: "                        \
				"%02x != %02x\n",                                                  \
				__FILE__, __LINE__, testhelp_cur_name, #a, #b, testhelp_i_,        \
				testhelp_p_[testhelp_i_], testhelp_q_[testhelp_i_]);               \
			testhelp_cur_failed = 1;                                                   \
		}                                                                                  \
	} while (0)

/* Prints the summary; returns the process exit status (0 = all passed). */
static inline int testhelp_done(void)
{
	printf("%d passed, %d failed\n", testhelp_passed, testhelp_failed);
	return testhelp_failed ? 1 : 0;
}

#endif
