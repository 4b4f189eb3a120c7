/*
 * aop.c - the array operations the VM runs (opcode AOP): reductions (sum,
 * product, extremes, mean, standard deviation), ranks and sort orders,
 * Vensim's VECTOR SELECT, the allocation functions ALLOCATE BY PRIORITY
 * and ALLOCATE AVAILABLE, and matrix inversion. Each reads its values from
 * the operand stack and works in a scratch buffer the caller sized with
 * sd_aop_scratch, so a run allocates nothing.
 */
#include "sd_int.h"

#include <math.h>
#include <string.h>

int sd_aop_extra(int kind)
{
    switch (kind) {
    case SD_AOP_RANK:
    case SD_AOP_SORT_ORDER:
    case SD_AOP_VRANK:
    case SD_AOP_ALLOC_AVAIL:
        return 1;
    case SD_AOP_VSELECT:
    case SD_AOP_ALLOC_PRIO:
        return 2;
    default:
        return 0;
    }
}

int sd_aop_scratch(const SdAop *op)
{
    switch (op->kind) {
    case SD_AOP_RANK:
    case SD_AOP_SORT_ORDER:
    case SD_AOP_VRANK:
        return 2 * op->n; /* values and an order */
    case SD_AOP_ALLOC_PRIO:
        return 4 * op->n;
    case SD_AOP_INVERT:
        return 2 * op->n * op->n;
    default:
        return 0;
    }
}

/* Sorts the indices idx[0..n) by v, ascending (descending when down);
 * ties keep their order. Insertion sort into a merge: arrays here are
 * small, and stability matters more than speed. */
static void sort_idx(const double *v, double *idx, int n, bool down)
{
    for (int i = 0; i < n; i++)
        idx[i] = i;
    for (int i = 1; i < n; i++) {
        double x = idx[i];
        int j = i - 1;
        while (j >= 0) {
            double a = v[(int)idx[j]], b = v[(int)x];
            bool after = down ? a < b : a > b;
            if (!after)
                break;
            idx[j + 1] = idx[j];
            j--;
        }
        idx[j + 1] = x;
    }
}

/* Vensim's ALLOCATE BY PRIORITY: requests served from the highest
 * priority down; a lower priority starts receiving when the one above has
 * received (priority gap / width) of its request (all of it once the gap
 * is a width or more), and while several receive, each gets a share in
 * proportion to its request. */
static double alloc_priority(const double *req, const double *pri, int n, int k,
                             double width, double supply, double *s)
{
    double total = 0;
    for (int i = 0; i < n; i++)
        total += req[i] > 0 ? req[i] : 0;
    if (!(supply < total))
        return req[k] > 0 ? req[k] : 0;
    if (!(width > 0) || !(supply > 0))
        return 0;
    /* s: order[n], out[n], start[n] (the allocation of the one above at
     * which each starts), active[n] */
    double *order = s, *out = s + n, *start = s + 2 * n, *active = s + 3 * n;
    sort_idx(pri, order, n, true);
    /* Requests of zero take no part: the gaps are between the others. */
    int m = 0;
    for (int i = 0; i < n; i++)
        if (req[(int)order[i]] > 0)
            order[m++] = order[i];
    for (int i = 0; i < n; i++) {
        out[i] = 0;
        active[i] = 0;
        start[i] = 0;
    }
    n = m;
    /* start[i]: how much the one before i must have before i begins */
    for (int i = 1; i < n; i++) {
        int a = (int)order[i - 1], b = (int)order[i];
        double gap = (pri[a] - pri[b]) / width;
        start[i] = (gap < 1 ? gap : 1) * (req[a] > 0 ? req[a] : 0);
    }
    int next = 0; /* next in order to activate */
    if (next < n)
        active[next++] = 1;
    double left = supply;
    for (int guard = 0; left > 1e-12 * supply && guard < 4 * n + 8; guard++) {
        double rate = 0;
        for (int i = 0; i < n; i++)
            if (active[i])
                rate += req[(int)order[i]];
        if (!(rate > 0))
            break;
        /* how much supply until some active one is full */
        double step = left;
        for (int i = 0; i < n; i++) {
            if (!active[i])
                continue;
            int t = (int)order[i];
            double need = (req[t] - out[t]) * rate / req[t];
            if (need < step)
                step = need;
        }
        /* or until the next one starts */
        bool starts = false;
        if (next < n) {
            int prev = (int)order[next - 1];
            if (active[next - 1]) {
                double need = (start[next] - out[prev]) * rate / req[prev];
                if (need < 0)
                    need = 0;
                if (need <= step) {
                    step = need;
                    starts = true;
                }
            } else {
                starts = true;
                step = 0;
            }
        }
        for (int i = 0; i < n; i++)
            if (active[i]) {
                int t = (int)order[i];
                out[t] += step * req[t] / rate;
            }
        left -= step;
        for (int i = 0; i < n; i++)
            if (active[i] &&
                out[(int)order[i]] >= req[(int)order[i]] * (1 - 1e-12)) {
                out[(int)order[i]] = req[(int)order[i]];
                active[i] = 0;
            }
        if (starts && next < n) {
            if (req[(int)order[next]] > 0)
                active[next] = 1;
            next++;
        }
    }
    return out[k];
}

/* The amount a request q gets at priority level x under its profile (type,
 * priority, width): Vensim's priority curves. */
static double profile_take(double q, const double *pp, double x)
{
    double type = pp[0], mid = pp[1], w = pp[2];
    if (!(q > 0))
        return 0;
    if (!(w > 0))
        w = 1e-9;
    switch ((int)type) {
    case 1: /* rectangular */
        if (x <= mid - w / 2)
            return q;
        if (x >= mid + w / 2)
            return 0;
        return q * (1 - (x - mid + w / 2) / w);
    case 2: /* triangular */
        if (x <= mid - w / 2)
            return q;
        if (x < mid) {
            double u = x - mid + w / 2;
            return q * (1 - 2 * u * u / (w * w));
        }
        if (x < mid + w / 2) {
            double u = mid + w / 2 - x;
            return 2 * q * u * u / (w * w);
        }
        return 0;
    case 3: { /* normal, its tail as Vensim computes it: the three-term
               * approximation of Abramowitz and Stegun (26.2.16), which
               * the reference outputs match and the exact erfc does not */
        double z = (x - mid) / w, az = fabs(z);
        double t = 1 / (1 + 0.33267 * az);
        double tail =
            exp(-az * az / 2) / sqrt(2 * M_PI) *
            (0.4361836 * t - 0.1201676 * t * t + 0.9372980 * t * t * t);
        return q * (z >= 0 ? tail : 1 - tail);
    }
    case 4: /* exponential, symmetric around its mean */
        if (x < mid)
            return q * (1 - 0.5 * exp((x - mid) / w));
        return q * 0.5 * exp((mid - x) / w);
    default:
        return NAN;
    }
}

/* Vensim's ALLOCATE AVAILABLE: the priority level x at which the requests'
 * curves together take exactly the supply, found by bisection. */
static double alloc_available(const double *req, const double *pp, int n, int k,
                              double supply)
{
    double total = 0;
    for (int i = 0; i < n; i++)
        total += req[i] > 0 ? req[i] : 0;
    if (!(supply < total))
        return req[k] > 0 ? req[k] : 0;
    if (!(supply > 0))
        return 0;
    double lo = INFINITY, hi = -INFINITY;
    for (int i = 0; i < n; i++) {
        if (!(req[i] > 0))
            continue;
        double w = pp[4 * i + 2] > 0 ? pp[4 * i + 2] : 1;
        double reach = (int)pp[4 * i] >= 3 ? 40 * w : w;
        lo = fmin(lo, pp[4 * i + 1] - reach);
        hi = fmax(hi, pp[4 * i + 1] + reach);
    }
    if (!(lo < hi))
        return NAN;
    for (int it = 0; it < 200; it++) {
        double mid = (lo + hi) / 2, got = 0;
        for (int i = 0; i < n; i++)
            got += profile_take(req[i], pp + 4 * i, mid);
        if (isnan(got))
            return NAN;
        if (got > supply)
            lo = mid; /* taking too much: raise the level */
        else
            hi = mid;
    }
    return profile_take(req[k], pp + 4 * k, (lo + hi) / 2);
}

/* Element k of the inverse of the n x n matrix a (Gauss-Jordan with
 * partial pivoting); NaN when it is singular. */
static double invert(const double *a, int n, int k, double *s)
{
    double *m = s, *inv = s + n * n;
    memcpy(m, a, sizeof(double) * (size_t)n * (size_t)n);
    for (int i = 0; i < n * n; i++)
        inv[i] = i / n == i % n ? 1 : 0;
    for (int c = 0; c < n; c++) {
        int piv = c;
        for (int r = c + 1; r < n; r++)
            if (fabs(m[r * n + c]) > fabs(m[piv * n + c]))
                piv = r;
        if (!(fabs(m[piv * n + c]) > 0))
            return NAN;
        if (piv != c)
            for (int j = 0; j < n; j++) {
                double t = m[c * n + j];
                m[c * n + j] = m[piv * n + j];
                m[piv * n + j] = t;
                t = inv[c * n + j];
                inv[c * n + j] = inv[piv * n + j];
                inv[piv * n + j] = t;
            }
        double p = m[c * n + c];
        for (int j = 0; j < n; j++) {
            m[c * n + j] /= p;
            inv[c * n + j] /= p;
        }
        for (int r = 0; r < n; r++) {
            if (r == c)
                continue;
            double f = m[r * n + c];
            if (f == 0)
                continue;
            for (int j = 0; j < n; j++) {
                m[r * n + j] -= f * m[c * n + j];
                inv[r * n + j] -= f * inv[c * n + j];
            }
        }
    }
    return inv[k];
}

/* Vensim's VECTOR SELECT: combine the values whose selection is non-zero
 * (0 sum, 1 product, 2 min, 3 max of selection * value; 4 their mean; 5
 * product of value ^ selection; 6-10 the same as 0-4 of the values
 * alone); missing when nothing is selected. */
static double vselect(const double *sel, const double *val, int n,
                      double missing, double action)
{
    if (!(action >= 0 && action <= 10))
        return NAN;
    int act = (int)action;
    /* op: 0 sum, 1 product, 2 min, 3 max, 4 mean */
    int op = act <= 4 ? act : act == 5 ? 1 : act - 6;
    double acc = op == 1 ? 1 : op == 2 ? INFINITY : op == 3 ? -INFINITY : 0;
    int count = 0;
    for (int i = 0; i < n; i++) {
        if (sel[i] == 0)
            continue;
        double x = act <= 4   ? sel[i] * val[i]
                   : act == 5 ? pow(val[i], sel[i])
                              : val[i];
        if (op == 1)
            acc *= x;
        else if (op == 2)
            acc = fmin(acc, x);
        else if (op == 3)
            acc = fmax(acc, x);
        else
            acc += x;
        count++;
    }
    if (count == 0)
        return missing;
    return op == 4 ? acc / count : acc;
}

double sd_aop_eval(const SdAop *op, const double *args, double *scratch)
{
    int n = op->n, x = sd_aop_extra(op->kind);
    const double *v = args + x;
    double acc;
    switch (op->kind) {
    case SD_AOP_SUM:
    case SD_AOP_MEAN:
        acc = 0;
        for (int i = 0; i < n; i++)
            acc += v[i];
        return op->kind == SD_AOP_SUM ? acc : n ? acc / n : NAN;
    case SD_AOP_PROD:
        acc = 1;
        for (int i = 0; i < n; i++)
            acc *= v[i];
        return acc;
    case SD_AOP_MIN:
    case SD_AOP_MAX:
        if (n == 0)
            return NAN;
        acc = v[0];
        for (int i = 1; i < n; i++) {
            if (isnan(v[i]))
                return NAN;
            if (op->kind == SD_AOP_MIN ? v[i] < acc : v[i] > acc)
                acc = v[i];
        }
        return acc;
    case SD_AOP_STDDEV: {
        if (n == 0)
            return NAN;
        double mean = 0, ss = 0;
        for (int i = 0; i < n; i++)
            mean += v[i];
        mean /= n;
        for (int i = 0; i < n; i++)
            ss += (v[i] - mean) * (v[i] - mean);
        return sqrt(ss / n);
    }
    case SD_AOP_RANK: {
        /* 1 is the smallest, -1 the largest */
        double r = floor(args[0] + 0.5);
        if (n == 0 || !(fabs(r) >= 1 && fabs(r) <= n))
            return NAN;
        sort_idx(v, scratch, n, false);
        int at = r > 0 ? (int)r - 1 : n + (int)r;
        return scratch[at] + 1;
    }
    case SD_AOP_SORT_ORDER:
    case SD_AOP_VRANK: {
        /* direction > 0 ascending, else descending */
        bool down = !(args[0] > 0);
        sort_idx(v, scratch, n, down);
        if (op->kind == SD_AOP_SORT_ORDER)
            return scratch[op->k];
        for (int i = 0; i < n; i++)
            if ((int)scratch[i] == op->k)
                return i + 1;
        return NAN;
    }
    case SD_AOP_VSELECT:
        return vselect(v, v + n, n, args[0], args[1]);
    case SD_AOP_ALLOC_PRIO:
        return alloc_priority(v, v + n, n, op->k, args[0], args[1], scratch);
    case SD_AOP_ALLOC_AVAIL:
        return alloc_available(v, v + n, n, op->k, args[0]);
    case SD_AOP_INVERT:
        return invert(v, n, op->k, scratch);
    default:
        return NAN;
    }
}
