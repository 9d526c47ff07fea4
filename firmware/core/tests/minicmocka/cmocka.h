/* minicmocka/cmocka.h - the subset of cmocka's API the core's tests use, for bare-metal targets
 * (rv32 under QEMU with semihosting) where Debian ships no cmocka. Host builds use the real cmocka;
 * the test sources are the same. Include <stdarg.h>, <stddef.h>, <stdint.h>, <setjmp.h> first, as
 * with cmocka.
 */
#ifndef CW_MINICMOCKA_H
#define CW_MINICMOCKA_H

#include <math.h>
#include <stdio.h>
#include <string.h>

typedef void (*CMUnitTestFunction)(void **state);
typedef int (*CMFixtureFunction)(void **state);

struct CMUnitTest {
    const char *name;
    CMUnitTestFunction test_func;
};

#define cmocka_unit_test(f) { #f, f }

/* The one jump buffer of the running test: a test program is single-threaded by construction. */
static jmp_buf minicmocka_jump;

static void minicmocka_fail(const char *file, int line, const char *what)
{
    printf("    %s:%d: %s\n", file, line, what);
    longjmp(minicmocka_jump, 1);
}

#define MINICMOCKA_CHECK(cond, text) \
    do { if (!(cond)) { minicmocka_fail(__FILE__, __LINE__, (text)); } } while (0)

#define assert_true(c) MINICMOCKA_CHECK((c), "assert_true(" #c ")")
#define assert_false(c) MINICMOCKA_CHECK(!(c), "assert_false(" #c ")")
#define assert_null(p) MINICMOCKA_CHECK((p) == NULL, "assert_null(" #p ")")
#define assert_non_null(p) MINICMOCKA_CHECK((p) != NULL, "assert_non_null(" #p ")")
#define assert_int_equal(a, b) \
    MINICMOCKA_CHECK((long long)(a) == (long long)(b), "assert_int_equal(" #a ", " #b ")")
#define assert_int_not_equal(a, b) \
    MINICMOCKA_CHECK((long long)(a) != (long long)(b), "assert_int_not_equal(" #a ", " #b ")")
#define assert_in_range(v, lo, hi) \
    MINICMOCKA_CHECK((long long)(v) >= (long long)(lo) && (long long)(v) <= (long long)(hi), \
                     "assert_in_range(" #v ", " #lo ", " #hi ")")
#define assert_float_equal(a, b, eps) \
    MINICMOCKA_CHECK(fabs((double)(a) - (double)(b)) <= (double)(eps), \
                     "assert_float_equal(" #a ", " #b ")")
#define assert_memory_equal(a, b, n) \
    MINICMOCKA_CHECK(memcmp((a), (b), (n)) == 0, "assert_memory_equal(" #a ", " #b ")")
#define assert_string_equal(a, b) \
    MINICMOCKA_CHECK(strcmp((a), (b)) == 0, "assert_string_equal(" #a ", " #b ")")

static int minicmocka_run(const char *group, const struct CMUnitTest *tests, size_t n)
{
    size_t i;
    int failed = 0;
    printf("[==========] %s: running %u test(s)\n", group, (unsigned)n);
    for (i = 0; i < n; ++i) {
        if (setjmp(minicmocka_jump) == 0) {
            tests[i].test_func(NULL);
            printf("[       OK ] %s\n", tests[i].name);
        } else {
            printf("[  FAILED  ] %s\n", tests[i].name);
            failed += 1;
        }
    }
    printf("[==========] %s: %d failed\n", group, failed);
    return failed;
}

#define cmocka_run_group_tests(tests, setup, teardown) \
    minicmocka_run(__FILE__, (tests), sizeof(tests) / sizeof((tests)[0]))

#endif /* CW_MINICMOCKA_H */
