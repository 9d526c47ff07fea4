/* test_common.h - includes every core test needs, in the order cmocka requires. */
#ifndef CW_TEST_COMMON_H
#define CW_TEST_COMMON_H
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#define CW_COUNT_OF(a) (sizeof(a) / sizeof((a)[0]))
#endif
