// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * tap.c - the TAP writer behind tap.h.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tap.h"

static unsigned int tap_planned;	/* from plan_tests() */
static int tap_have_plan;		/* a "1..n" line was printed */
static int tap_no_plan;			/* plan_no_plan() */
static int tap_skip_all;		/* plan_skip_all() */
static unsigned int tap_run;		/* results printed */
static unsigned int tap_failed;
static char *tap_todo;			/* reason, inside todo_start/end */

/* Print @s with every newline continued as a "# " comment line. */
static void
tap_print_desc(
	const char	*s)
{
	for (; *s; s++) {
		if (*s == '\n')
			fputs("\n# ", stdout);
		else if (*s == '#')
			fputs("\\#", stdout);	/* not a TAP directive */
		else
			putchar(*s);
	}
}

/* vsnprintf into a malloc'd string; NULL on failure. */
static char *
tap_vformat(
	const char	*fmt,
	va_list		ap)
{
	va_list		aq;
	char		*s;
	int		n;

	va_copy(aq, ap);
	n = vsnprintf(NULL, 0, fmt, aq);
	va_end(aq);
	if (n < 0)
		return NULL;
	s = malloc((size_t)n + 1);
	if (s)
		vsnprintf(s, (size_t)n + 1, fmt, ap);
	return s;
}

void
plan_tests(
	unsigned int	n)
{
	if (tap_have_plan || tap_no_plan) {
		fprintf(stdout, "# plan_tests() called twice\n");
		exit(255);
	}
	tap_planned = n;
	tap_have_plan = 1;
	printf("1..%u\n", n);
	fflush(stdout);
}

void
plan_no_plan(void)
{
	tap_no_plan = 1;
}

void
plan_skip_all(
	const char	*fmt,
	...)
{
	va_list		ap;
	char		*why;

	va_start(ap, fmt);
	why = tap_vformat(fmt, ap);
	va_end(ap);
	printf("1..0 # SKIP %s\n", why ? why : "");
	free(why);
	fflush(stdout);
	tap_have_plan = 1;
	tap_skip_all = 1;
}

int
diag(
	const char	*fmt,
	...)
{
	va_list		ap;
	char		*msg, *p;

	va_start(ap, fmt);
	msg = tap_vformat(fmt, ap);
	va_end(ap);
	if (!msg)
		return 0;
	fputs("# ", stdout);
	for (p = msg; *p; p++) {
		putchar(*p);
		if (*p == '\n' && p[1])
			fputs("# ", stdout);
	}
	if (p == msg || p[-1] != '\n')
		putchar('\n');
	free(msg);
	fflush(stdout);
	return 0;
}

int
_tap_result(
	int		pass,
	const char	*func,
	const char	*file,
	unsigned int	line,
	const char	*fmt,
	...)
{
	va_list		ap;
	char		*desc = NULL;

	if (fmt) {
		va_start(ap, fmt);
		desc = tap_vformat(fmt, ap);
		va_end(ap);
	}
	tap_run++;
	printf("%sok %u", pass ? "" : "not ", tap_run);
	if (desc && *desc) {
		fputs(" - ", stdout);
		tap_print_desc(desc);
	}
	if (tap_todo) {
		fputs(" # TODO ", stdout);
		tap_print_desc(tap_todo);
	}
	putchar('\n');
	fflush(stdout);
	if (!pass) {
		if (!tap_todo)
			tap_failed++;
		diag("    Failed %stest (%s:%s() at line %u)",
		     tap_todo ? "(TODO) " : "", file, func, line);
	}
	free(desc);
	return pass;
}

void
skip(
	unsigned int	n,
	const char	*fmt,
	...)
{
	va_list		ap;
	char		*why;

	va_start(ap, fmt);
	why = tap_vformat(fmt, ap);
	va_end(ap);
	while (n--) {
		tap_run++;
		printf("ok %u # skip ", tap_run);
		tap_print_desc(why ? why : "");
		putchar('\n');
	}
	free(why);
	fflush(stdout);
}

void
todo_start(
	const char	*fmt,
	...)
{
	va_list		ap;

	free(tap_todo);
	va_start(ap, fmt);
	tap_todo = tap_vformat(fmt, ap);
	va_end(ap);
	if (!tap_todo)
		tap_todo = strdup("");
}

void
todo_end(void)
{
	free(tap_todo);
	tap_todo = NULL;
}

int
exit_status(void)
{
	if (tap_skip_all)
		return 0;
	if (tap_no_plan && !tap_have_plan) {
		printf("1..%u\n", tap_run);
		fflush(stdout);
		tap_have_plan = 1;
		tap_planned = tap_run;
	}
	if (!tap_have_plan) {
		diag("no plan: call plan_tests() first");
		return 255;
	}
	if (tap_run != tap_planned) {
		diag("Looks like you planned %u tests but ran %u",
		     tap_planned, tap_run);
		return 255;
	}
	if (tap_failed) {
		diag("Looks like you failed %u test%s of %u",
		     tap_failed, tap_failed == 1 ? "" : "s", tap_run);
		return tap_failed > 254 ? 254 : (int)tap_failed;
	}
	return 0;
}
