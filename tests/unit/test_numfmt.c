/*
 * test_numfmt.c - str_fmt_g (src/core/numfmt.c) against the C library's
 * own "%.*g": the same characters for random doubles of every magnitude,
 * every precision, the edge cases (zeros, subnormals, infinities, NaN,
 * powers of ten and the numbers just below them, exact halves), and with
 * 17 digits, the round trip back to the same double.
 */
#include "unit.h"

#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>

/* xorshift64*: a fixed sequence, so a failure repeats. */
static uint64_t next_rand(uint64_t *st)
{
    uint64_t x = *st;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    *st = x;
    return x * 2685821657736338717ULL;
}

static double from_bits(uint64_t b)
{
    double v;
    memcpy(&v, &b, sizeof v);
    return v;
}

/* str_fmt_g must write what snprintf writes, and say how long it is. */
static void check_same(double v, int prec)
{
    char want[64], got[STR_NUM_MAX];
    snprintf(want, sizeof want, "%.*g", prec, v);
    int n = str_fmt_g(got, v, prec);
    if (strcmp(want, got) != 0 || n != (int)strlen(want))
        fail_msg("%%.%dg of %a: want '%s', got '%s' (%d)", prec, v, want, got,
                 n);
}

static void test_edge_cases(void **state)
{
    (void)state;
    const double edge[] = {0.0,
                           -0.0,
                           1.0,
                           -1.0,
                           0.5,
                           1.5,
                           2.5,
                           0.1,
                           0.2,
                           0.3,
                           1e21,
                           1e-7,
                           1e-4,
                           1e-5,
                           9.9999e-5,
                           123456789012345.0,
                           1234567890123456.0,
                           1e15,
                           1e16,
                           1e17,
                           999999999999999.5,
                           99999999999999.95,
                           0.00009999999999999999,
                           DBL_MAX,
                           -DBL_MAX,
                           DBL_MIN,
                           DBL_MIN / 2,
                           4.9406564584124654e-324,
                           DBL_EPSILON,
                           1.0 + DBL_EPSILON,
                           1.0 - DBL_EPSILON / 2,
                           3.46344372e+09,
                           22.222222222222257,
                           75.37400067686977,
                           INFINITY,
                           -INFINITY,
                           NAN,
                           1e38,
                           1e39,
                           1e-18,
                           1e-19,
                           1e300,
                           1e-300,
                           65536.0,
                           4294967296.0,
                           9007199254740993.0,
                           (double)(1ULL << 63)};
    for (size_t i = 0; i < sizeof edge / sizeof edge[0]; i++)
        for (int prec = 1; prec <= 17; prec++) {
            check_same(edge[i], prec);
            check_same(-edge[i], prec);
        }
}

/* Powers of ten and the doubles next to them, where the exponent guess
 * and the carry into a new digit are decided. */
static void test_powers_of_ten(void **state)
{
    (void)state;
    for (int k = -30; k <= 40; k++) {
        double p = pow(10, k);
        double around[] = {p,
                           nextafter(p, 0),
                           nextafter(p, INFINITY),
                           p * (1 - 1e-15),
                           p * (1 - 4e-16),
                           p * (1 + 1e-15)};
        for (size_t i = 0; i < sizeof around / sizeof around[0]; i++)
            for (int prec = 1; prec <= 17; prec++)
                check_same(around[i], prec);
    }
}

/* Exact halves between two P-digit numbers: rounded to even. */
static void test_ties(void **state)
{
    (void)state;
    for (long i = 0; i < 2000; i++) {
        check_same((double)i + 0.5, 1);
        check_same((double)i + 0.5, 2);
        check_same((double)i + 0.5, 3);
        check_same((double)i * 0.25, 2);
        check_same((double)i * 0.125, 3);
        check_same(1e15 + (double)i + 0.5, 15);
        check_same(1e15 + (double)i + 0.5, 16);
    }
}

static void test_random_bits(void **state)
{
    (void)state;
    uint64_t st = 88172645463325252ULL;
    for (int i = 0; i < 200000; i++) {
        double v = from_bits(next_rand(&st));
        check_same(v, 15);
        check_same(v, 10);
        check_same(v, 17);
        check_same(v, 1 + (int)(next_rand(&st) % 17));
    }
}

/* The numbers models produce: moderate magnitudes, full mantissas. */
static void test_random_moderate(void **state)
{
    (void)state;
    uint64_t st = 0x9e3779b97f4a7c15ULL;
    for (int i = 0; i < 200000; i++) {
        uint64_t r = next_rand(&st);
        double mant = (double)(r >> 11) / 9007199254740992.0; /* [0, 1) */
        int e = (int)(next_rand(&st) % 50) - 25;
        double v = mant * pow(10, e);
        check_same(v, 15);
        check_same(v, 10);
        check_same((double)(int64_t)(r >> 20), 15);       /* integers */
        check_same((double)(int64_t)(r >> 20) / 100, 15); /* cents */
    }
}

/* 17 digits always bring the same double back. */
static void test_round_trip(void **state)
{
    (void)state;
    uint64_t st = 0x2545F4914F6CDD1DULL;
    for (int i = 0; i < 200000; i++) {
        double v = from_bits(next_rand(&st));
        if (!isfinite(v))
            continue;
        char buf[STR_NUM_MAX];
        str_fmt_g(buf, v, 17);
        double back = strtod(buf, NULL);
        assert_memory_equal(&back, &v, sizeof v);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_edge_cases),
        cmocka_unit_test(test_powers_of_ten),
        cmocka_unit_test(test_ties),
        cmocka_unit_test(test_random_bits),
        cmocka_unit_test(test_random_moderate),
        cmocka_unit_test(test_round_trip),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
