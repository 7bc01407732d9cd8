/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * tap.h - a small Test Anything Protocol library for the unit tests.
 *
 * The vocabulary is urcu's tests/utils/tap.h (plan_tests, ok, diag, skip,
 * exit_status); the code is ours.  Usage:
 *
 *	plan_tests(3);
 *	ok(x == 1, "x is %d", x);
 *	skip(2, "no SEEK_DATA on %s", dir);
 *	return exit_status();
 *
 * Output goes to stdout, diagnostics as "# " lines on stdout too, so that
 * the order is kept without relying on the driver's --merge.  Not thread
 * safe: call from one thread.
 */
#ifndef HSM_TESTS_TAP_H
#define HSM_TESTS_TAP_H

#define TAP_PRINTF(f, a) __attribute__((format(printf, f, a)))

/* Announce the number of tests ("1..n"). */
void plan_tests(unsigned int n);
/* No plan up front: "1..n" is printed by exit_status(). */
void plan_no_plan(void);
/* Skip the whole program ("1..0 # SKIP reason"); then return exit_status(). */
void plan_skip_all(const char *fmt, ...) TAP_PRINTF(1, 2);

/* Report one result; returns @pass (0 or 1).  Use ok() instead. */
int _tap_result(int pass, const char *func, const char *file,
		unsigned int line, const char *fmt, ...) TAP_PRINTF(5, 6);

/* ok(cond, fmt, ...): one test, passing when @cond is true. */
#define ok(cond, ...) \
	_tap_result(!!(cond), __func__, __FILE__, __LINE__, __VA_ARGS__)
/* ok1(cond): the condition's text is the description. */
#define ok1(cond) ok((cond), "%s", #cond)
#define pass(...) ok(1, __VA_ARGS__)
#define fail(...) ok(0, __VA_ARGS__)

/* Print a diagnostic ("# " before each line).  Returns 0. */
int diag(const char *fmt, ...) TAP_PRINTF(1, 2);
/* Report @n tests as skipped, with a reason. */
void skip(unsigned int n, const char *fmt, ...) TAP_PRINTF(2, 3);

/*
 * Between todo_start() and todo_end(), results carry "# TODO reason": a
 * known gap, reported but not counted as a failure (the driver shows
 * XFAIL, and XPASS once fixed, so the block can then be removed).
 */
void todo_start(const char *fmt, ...) TAP_PRINTF(1, 2);
void todo_end(void);

/*
 * Exit status for main(): 0 when all planned tests ran and passed, the
 * number of failures (at most 254) otherwise, 255 when the count of tests
 * run differs from the plan.
 */
int exit_status(void);

#endif /* HSM_TESTS_TAP_H */
