/*
 * random.c - the random-number builtins (opcode RANDOM). A draw is a pure
 * function of the run's seed, the call site, the step index and the seed
 * argument: those words are mixed (splitmix64's finaliser) into uniform
 * doubles in (0, 1), which inverse CDFs (or, for large Poisson means,
 * Hörmann's transformed rejection) turn into the distribution. So a call
 * gives the same value however often its equation is evaluated within one
 * step (Runge-Kutta stages, loop dominance), a new one each step, and the
 * same numbers every run with the same seed.
 */
#include "sd_int.h"

#include <math.h>
#include <string.h>

#define SD_RANDOM_DEFAULT_SEED 0x5d1e2c3b4a596877ULL /* seed 0 means this */
#define SD_RANDOM_TRIES 1000 /* redraws of a discrete truncated draw */

static uint64_t mix64(uint64_t z)
{
    z += 0x9e3779b97f4a7c15ULL;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static uint64_t dbits(double x)
{
    uint64_t u;
    if (x == 0)
        x = 0; /* -0 and 0 are the same seed */
    memcpy(&u, &x, sizeof u);
    return u;
}

double sd_random_u01(uint64_t seed, uint32_t site, long step, double arg,
                     uint32_t j)
{
    uint64_t h = mix64(seed ? seed : SD_RANDOM_DEFAULT_SEED);
    h = mix64(h ^ ((uint64_t)site << 32 | j));
    h = mix64(h ^ (uint64_t)step);
    h = mix64(h ^ dbits(arg));
    return ((double)(h >> 11) + 0.5) * 0x1.0p-53;
}

/* The standard normal CDF and its inverse (Acklam's rational
 * approximation, relative error below 1.2e-9, then one Halley step
 * against erfc, which brings it to about machine precision); the inverse
 * is also the ensembles' (sd_norm_quantile). */
static double phi(double z)
{
    return 0.5 * erfc(-z / M_SQRT2);
}

double sd_norm_quantile(double p)
{
    static const double a[] = {-3.969683028665376e+01, 2.209460984245205e+02,
                               -2.759285104469687e+02, 1.383577518672690e+02,
                               -3.066479806614716e+01, 2.506628277459239e+00};
    static const double b[] = {-5.447609879822406e+01, 1.615858368580409e+02,
                               -1.556989798598866e+02, 6.680131188771972e+01,
                               -1.328068155288572e+01};
    static const double c[] = {-7.784894002430293e-03, -3.223964580411365e-01,
                               -2.400758277161838e+00, -2.549732539343734e+00,
                               4.374664141464968e+00,  2.938163982698783e+00};
    static const double d[] = {7.784695709041462e-03, 3.224671290700398e-01,
                               2.445134137142996e+00, 3.754408661907416e+00};
    if (!(p > 0))
        return -INFINITY;
    if (!(p < 1))
        return INFINITY;
    double x;
    if (p < 0.02425) {
        double q = sqrt(-2 * log(p));
        x = (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q +
             c[5]) /
            ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
    } else if (p > 1 - 0.02425) {
        double q = sqrt(-2 * log1p(-p));
        x = -(((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q +
              c[5]) /
            ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
    } else {
        double q = p - 0.5, r = q * q;
        x = (((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r +
             a[5]) *
            q /
            (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1);
    }
    double e = phi(x) - p;
    double u = e * sqrt(2 * M_PI) * exp(x * x / 2);
    return x - u / (1 + x * u / 2);
}

static double clamp(double x, double lo, double hi)
{
    return x < lo ? lo : x > hi ? hi : x;
}

/* mean + sd * Z, Z standard normal, truncated to [lo, hi] by the inverse
 * CDF on the truncated range (the lower tail, where it is accurate). */
static double normal_trunc(double lo, double hi, double mean, double sd,
                           double u)
{
    if (!(sd > 0) || !(lo <= hi))
        return clamp(mean, lo, hi);
    double a = (lo - mean) / sd, b = (hi - mean) / sd;
    bool flip = a > 0;
    if (flip) {
        double t = a;
        a = -b;
        b = -t;
    }
    double pa = phi(a), pb = phi(b);
    double z = pb > pa ? sd_norm_quantile(pa + u * (pb - pa)) : a + u * (b - a);
    if (flip)
        z = -z;
    return clamp(mean + sd * z, lo, hi);
}

/* shift + stretch * E, E exponential with mean 1, truncated to [lo, hi]. */
static double exp_trunc(double lo, double hi, double shift, double stretch,
                        double u)
{
    if (!(stretch != 0) || !(lo <= hi))
        return clamp(shift, lo, hi);
    double e1 = (lo - shift) / stretch, e2 = (hi - shift) / stretch;
    double elo = fmax(fmin(e1, e2), 0), ehi = fmax(e1, e2);
    if (!(elo <= ehi))
        return clamp(shift, lo, hi);
    double slo = exp(-elo), shi = exp(-ehi); /* survival at the ends */
    double s = slo - u * (slo - shi);
    double e = s > 0 ? -log(s) : ehi;
    return clamp(shift + stretch * e, lo, hi);
}

/* A Poisson count with mean lam: the inverse CDF for small means,
 * Hörmann's PTRS (transformed rejection) for larger. */
static double poisson(double lam, uint64_t seed, uint32_t site, long step,
                      double arg, uint32_t *j)
{
    if (!(lam > 0))
        return 0;
    if (lam < 10) {
        double u = sd_random_u01(seed, site, step, arg, (*j)++);
        double p = exp(-lam), f = p;
        double k = 0;
        while (u > f && k < 1000) {
            k++;
            p *= lam / k;
            f += p;
        }
        return k;
    }
    double slam = sqrt(lam), loglam = log(lam);
    double b = 0.931 + 2.53 * slam, a = -0.059 + 0.02483 * b;
    double invalpha = 1.1239 + 1.1328 / (b - 3.4),
           vr = 0.9277 - 3.6224 / (b - 2);
    for (int t = 0; t < SD_RANDOM_TRIES; t++) {
        double uu = sd_random_u01(seed, site, step, arg, (*j)++) - 0.5;
        double v = sd_random_u01(seed, site, step, arg, (*j)++);
        double us = 0.5 - fabs(uu);
        double k = floor((2 * a / us + b) * uu + lam + 0.43);
        if (us >= 0.07 && v <= vr)
            return k;
        if (k < 0 || (us < 0.013 && v > us))
            continue;
        if (log(v) + log(invalpha) - log(a / (us * us) + b) <=
            -lam + k * loglam - lgamma(k + 1))
            return k;
    }
    return floor(lam); /* cannot happen in practice: each try accepts
                          with probability above 0.9 */
}

/* The triangular distribution on [s, e] with its peak at p: F and F^-1. */
static double tri_cdf(double x, double s, double p, double e)
{
    if (x <= s)
        return 0;
    if (x >= e)
        return 1;
    if (x <= p)
        return (x - s) * (x - s) / ((e - s) * (p - s));
    return 1 - (e - x) * (e - x) / ((e - s) * (e - p));
}

static double tri_inv(double u, double s, double p, double e)
{
    double fp = (p - s) / (e - s);
    if (u <= fp)
        return s + sqrt(u * (e - s) * (p - s));
    return e - sqrt((1 - u) * (e - s) * (e - p));
}

int sd_random_nargs(int kind)
{
    switch (kind) {
    case SD_RAND_UNIFORM:
        return 3;
    case SD_RAND_NORMAL:
    case SD_RAND_EXPONENTIAL:
    case SD_RAND_LOGNORMAL:
        return 5;
    case SD_RAND_POISSON:
    case SD_RAND_TRIANGULAR:
        return 6;
    default:
        return 0;
    }
}

double sd_random_draw(int kind, uint32_t site, uint64_t seed, long step,
                      const double *x)
{
    int n = sd_random_nargs(kind);
    if (n == 0)
        return NAN;        /* not a kind */
    double arg = x[n - 1]; /* the seed argument */
    uint32_t j = 0;
    double lo = x[0], hi = x[1];
    if (isnan(lo) || isnan(hi))
        return NAN;
    double u = sd_random_u01(seed, site, step, arg, j++);
    switch (kind) {
    case SD_RAND_UNIFORM: {
        double v = lo + (hi - lo) * u;
        return v >= hi && hi > lo ? nextafter(hi, lo) : v; /* [lo, hi) */
    }
    case SD_RAND_NORMAL:
        return normal_trunc(lo, hi, x[2], x[3], u);
    case SD_RAND_LOGNORMAL: {
        /* x[2], x[3]: the mean and standard deviation of the value itself,
         * not of its log */
        double m = x[2], s = x[3];
        if (!(m > 0) || !(s >= 0))
            return NAN;
        double s2 = log1p(s * s / (m * m));
        return exp(
            normal_trunc(-INFINITY, INFINITY, log(m) - s2 / 2, sqrt(s2), u));
    }
    case SD_RAND_EXPONENTIAL:
        return exp_trunc(lo, hi, x[2], x[3], u);
    case SD_RAND_POISSON: {
        /* shift + stretch * count, redrawn (deterministically) until
         * within [lo, hi]; the nearer bound after SD_RANDOM_TRIES */
        double v = NAN;
        for (int t = 0; t < SD_RANDOM_TRIES; t++) {
            v = x[3] + x[4] * poisson(x[2], seed, site, step, arg, &j);
            if (v >= lo && v <= hi)
                return v;
        }
        return clamp(v, lo, hi);
    }
    case SD_RAND_TRIANGULAR: {
        double s = x[2], p = x[3], e = x[4];
        if (!(s <= p && p <= e) || !(s < e))
            return clamp(p, lo, hi);
        double flo = tri_cdf(lo, s, p, e), fhi = tri_cdf(hi, s, p, e);
        if (!(flo < fhi))
            return clamp(p, lo, hi);
        return clamp(tri_inv(flo + u * (fhi - flo), s, p, e), lo, hi);
    }
    default:
        return NAN;
    }
}
