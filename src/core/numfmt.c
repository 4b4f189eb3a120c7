/*
 * numfmt.c - a fast "%.Pg": the same characters snprintf writes, without
 * printf's multi-precision arithmetic for every number. Large CSV tables
 * (`territory run`, ensembles) spend most of their time there otherwise.
 *
 * A double is m * 2^q exactly. For the P significant digits we need
 * round(|v| * 10^s) for the s that puts it in [10^(P-1), 10^P); that is a
 * ratio of two integers, num / den, which fits 128-bit integers for every
 * double from about 1e-18 to 1e38 (P <= 17), so the quotient and the
 * remainder, and with them the rounding (to nearest, ties to even, as
 * glibc's printf rounds the exact value), are exact. Other numbers (NaN,
 * infinities, subnormals, the far ends of the range) go to snprintf.
 */
#include "core.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

__extension__ typedef unsigned __int128 U128;

/* 10^k, k <= 38 (10^38 < 2^127). */
static U128 pow10_u128(int k)
{
    U128 r = 1;
    for (; k >= 19; k -= 19)
        r *= (U128)10000000000000000000ULL;
    static const uint64_t small[19] = {1ULL,
                                       10ULL,
                                       100ULL,
                                       1000ULL,
                                       10000ULL,
                                       100000ULL,
                                       1000000ULL,
                                       10000000ULL,
                                       100000000ULL,
                                       1000000000ULL,
                                       10000000000ULL,
                                       100000000000ULL,
                                       1000000000000ULL,
                                       10000000000000ULL,
                                       100000000000000ULL,
                                       1000000000000000ULL,
                                       10000000000000000ULL,
                                       100000000000000000ULL,
                                       1000000000000000000ULL};
    return r * small[k];
}

/* 5^k, k <= 54 (5^54 < 2^126). */
static U128 pow5_u128(int k)
{
    static const uint64_t small[28] = {1ULL,
                                       5ULL,
                                       25ULL,
                                       125ULL,
                                       625ULL,
                                       3125ULL,
                                       15625ULL,
                                       78125ULL,
                                       390625ULL,
                                       1953125ULL,
                                       9765625ULL,
                                       48828125ULL,
                                       244140625ULL,
                                       1220703125ULL,
                                       6103515625ULL,
                                       30517578125ULL,
                                       152587890625ULL,
                                       762939453125ULL,
                                       3814697265625ULL,
                                       19073486328125ULL,
                                       95367431640625ULL,
                                       476837158203125ULL,
                                       2384185791015625ULL,
                                       11920928955078125ULL,
                                       59604644775390625ULL,
                                       298023223876953125ULL,
                                       1490116119384765625ULL,
                                       7450580596923828125ULL};
    if (k <= 27)
        return small[k];
    return (U128)small[27] * small[k - 27];
}

static int bits_u128(U128 x)
{
    int n = 0;
    while (x >> 64) {
        x >>= 64;
        n += 64;
    }
    uint64_t lo = (uint64_t)x;
    return lo ? n + 64 - __builtin_clzll(lo) : n;
}

/* floor(m * 2^q * 10^s) into *n, and how the rest compares with one half:
 * -1 below, 0 exactly, 1 above. false when it does not fit. */
static bool scaled(uint64_t m, int q, int s, U128 *n, int *half)
{
    U128 num = m, den = 1;
    int shift = q; /* the power of two left: num/den * 2^shift */
    if (s >= 0) {
        if (s > 54)
            return false;
        U128 p5 = pow5_u128(s);
        if (bits_u128(p5) + 53 > 127)
            return false;
        num *= p5;
        shift += s;
    } else {
        if (-s > 38)
            return false;
        den = pow10_u128(-s);
    }
    if (shift >= 0) {
        if (bits_u128(num) + shift > 127)
            return false;
        num <<= shift;
    } else if (den == 1) {
        int r = -shift;
        if (r > 126) /* the quotient is 0: the number is far too small */
            return false;
        U128 mask = ((U128)1 << r) - 1, h = (U128)1 << (r - 1);
        U128 rem = num & mask;
        *n = num >> r;
        *half = rem < h ? -1 : rem > h;
        return true;
    } else {
        if (bits_u128(den) - shift > 126)
            return false;
        den <<= -shift;
    }
    U128 quo = num / den, rem = num % den;
    *n = quo;
    U128 twice = rem << 1; /* den < 2^126: no overflow */
    *half = twice < den ? -1 : twice > den;
    return true;
}

/* The P significant digits of |v| (finite, not zero, normal) in digits,
 * and the decimal exponent of the first; false when out of range. */
static bool digits_of(double v, int prec, char *digits, int *exp10)
{
    uint64_t bits;
    memcpy(&bits, &v, sizeof bits);
    int be = (int)((bits >> 52) & 0x7ff);
    if (be == 0 || be == 0x7ff)
        return false; /* subnormal, zero, infinite or NaN */
    uint64_t m = (bits & ((1ULL << 52) - 1)) | (1ULL << 52);
    int q = be - 1075;
    /* |v| is in [2^(q+52), 2^(q+53)): a first guess at floor(log10),
     * floor((q + 52) * log10(2)) in integers (exact for |q + 52| < 1650). */
    int t = (q + 52) * 78913;
    int e = t >= 0 ? t >> 18 : -((-t + (1 << 18) - 1) >> 18);
    U128 lo = pow10_u128(prec - 1), hi = lo * 10;
    U128 n = 0;
    int half = 0;
    for (int tries = 0;; tries++) {
        if (tries == 3 || !scaled(m, q, prec - 1 - e, &n, &half))
            return false;
        if (n < lo)
            e--;
        else if (n >= hi)
            e++;
        else
            break;
    }
    if (half > 0 || (half == 0 && (n & 1)))
        n++;
    if (n == hi) { /* 9.99... rounded up to the next power of ten */
        n = lo;
        e++;
    }
    /* Two digits at a time, in two independent 32-bit halves: the
     * digit-by-digit 64-bit loop was half of the time spent here. */
    static const char pairs[201] = "00010203040506070809"
                                   "10111213141516171819"
                                   "20212223242526272829"
                                   "30313233343536373839"
                                   "40414243444546474849"
                                   "50515253545556575859"
                                   "60616263646566676869"
                                   "70717273747576777879"
                                   "80818283848586878889"
                                   "90919293949596979899";
    uint64_t n64 = (uint64_t)n; /* < 10^17 */
    char buf[18];
    uint32_t low = (uint32_t)(n64 % 100000000),
             high = (uint32_t)(n64 / 100000000);
    for (int i = 16; i > 8; i -= 2) {
        memcpy(buf + i - 1, pairs + 2 * (low % 100), 2);
        low /= 100;
    }
    for (int i = 8; i > 0; i -= 2) {
        memcpy(buf + i - 1, pairs + 2 * (high % 100), 2);
        high /= 100;
    }
    buf[0] = (char)('0' + high); /* high < 10^9: one digit left */
    memcpy(digits, buf + 17 - prec, (size_t)prec);
    *exp10 = e;
    return true;
}

int str_fmt_g(char *out, double v, int prec)
{
    if (prec < 1)
        prec = 1;
    if (prec > 17 || !isfinite(v) || v == 0)
        return snprintf(out, STR_NUM_MAX, "%.*g", prec, v);
    char d[17];
    int x;
    if (!digits_of(fabs(v), prec, d, &x))
        return snprintf(out, STR_NUM_MAX, "%.*g", prec, v);
    int nd = prec; /* significant digits kept: trailing zeros go */
    while (nd > 1 && d[nd - 1] == '0')
        nd--;
    char *o = out;
    if (v < 0)
        *o++ = '-';
    if (x < prec && x >= -4) { /* fixed notation */
        if (x >= 0) {
            for (int i = 0; i <= x; i++)
                *o++ = i < nd ? d[i] : '0';
            if (nd > x + 1) {
                *o++ = '.';
                for (int i = x + 1; i < nd; i++)
                    *o++ = d[i];
            }
        } else {
            *o++ = '0';
            *o++ = '.';
            for (int i = -1; i > x; i--)
                *o++ = '0';
            for (int i = 0; i < nd; i++)
                *o++ = d[i];
        }
    } else { /* exponent notation: d.ddde+XX */
        *o++ = d[0];
        if (nd > 1) {
            *o++ = '.';
            for (int i = 1; i < nd; i++)
                *o++ = d[i];
        }
        *o++ = 'e';
        *o++ = x < 0 ? '-' : '+';
        int ax = x < 0 ? -x : x;
        if (ax >= 100)
            *o++ = (char)('0' + ax / 100);
        *o++ = (char)('0' + ax / 10 % 10);
        *o++ = (char)('0' + ax % 10);
    }
    *o = 0;
    return (int)(o - out);
}
