/*
 * xmr.c - capability charts (XmR, "individuals and moving range"), as
 * Wheeler and the Vanguard method use them to see whether a measure of a
 * service is stable and what it will go on doing: the mean, natural
 * process limits at mean +- 2.66 times the average moving range, the
 * moving-range chart's upper limit at 3.268 times it, and the signals of
 * change (a point outside the limits, a run of 8 on one side of the mean,
 * a moving range above its limit). A chart can be split at dates (a change
 * made to the service) and each part gets its own limits.
 *
 * Also the percentiles the study reports.
 */
#include "demand.h"

#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

const char *demand_signal_name(unsigned kind)
{
    switch (kind) {
    case DEMAND_SIG_ABOVE:
        return "above the upper limit";
    case DEMAND_SIG_BELOW:
        return "below the lower limit";
    case DEMAND_SIG_RUN_ABOVE:
        return "run of 8 or more above the mean";
    case DEMAND_SIG_RUN_BELOW:
        return "run of 8 or more below the mean";
    case DEMAND_SIG_RANGE:
        return "moving range above its upper limit";
    default:
        return "signal";
    }
}

double demand_percentile(const double *sorted, int n, double p)
{
    if (n <= 0 || isnan(p))
        return NAN;
    if (p <= 0)
        return sorted[0];
    if (p >= 1)
        return sorted[n - 1];
    double h = (n - 1) * p;
    int lo = (int)floor(h);
    if (lo + 1 >= n)
        return sorted[n - 1];
    return sorted[lo] + (h - lo) * (sorted[lo + 1] - sorted[lo]);
}

/* Mean, average moving range and limits of v[0..n). */
static void limits(DemandXmrLimits *l, const double *v, int n, double floor_,
                   double ceiling)
{
    l->n = n;
    l->mean = l->mr_mean = l->upper = l->lower = l->mr_upper = NAN;
    l->lower_floored = l->upper_capped = false;
    if (n < 1)
        return;
    double sum = 0;
    for (int i = 0; i < n; i++)
        sum += v[i];
    l->mean = sum / n;
    if (n < 2)
        return;
    double mr = 0;
    for (int i = 1; i < n; i++)
        mr += fabs(v[i] - v[i - 1]);
    l->mr_mean = mr / (n - 1);
    l->upper = l->mean + DEMAND_NPL_FACTOR * l->mr_mean;
    l->lower = l->mean - DEMAND_NPL_FACTOR * l->mr_mean;
    l->mr_upper = DEMAND_URL_FACTOR * l->mr_mean;
    if (!isnan(floor_) && l->lower < floor_) {
        l->lower = floor_;
        l->lower_floored = true;
    }
    if (!isnan(ceiling) && l->upper > ceiling) {
        l->upper = ceiling;
        l->upper_capped = true;
    }
}

static int by_point(const void *pa, const void *pb)
{
    const DemandXmrSignal *a = pa, *b = pb;
    if (a->first != b->first)
        return a->first < b->first ? -1 : 1;
    return (a->kind > b->kind) - (a->kind < b->kind);
}

static void add_signal(DemandXmr *x, unsigned kind, int first, int last,
                       int part)
{
    x->signals[x->nsignals++] = (DemandXmrSignal){kind, first, last, part};
}

/* Ends a run of points [from, to) on one side (+1 above, -1 below). */
static void end_run(DemandXmr *x, int side, int from, int to, int part)
{
    if (side == 0 || to - from < DEMAND_RUN_LENGTH)
        return;
    unsigned kind = side > 0 ? DEMAND_SIG_RUN_ABOVE : DEMAND_SIG_RUN_BELOW;
    for (int i = from; i < to; i++)
        x->points[i].sig |= kind;
    add_signal(x, kind, from, to - 1, part);
}

/* The signals of one part, judged against its own limits. */
static void part_signals(DemandXmr *x, int k)
{
    const DemandXmrLimits *l = &x->parts[k];
    if (l->n < 2)
        return;
    int side = 0, from = l->first;
    for (int i = l->first; i < l->first + l->n; i++) {
        DemandXmrPoint *p = &x->points[i];
        if (p->value > l->upper) {
            p->sig |= DEMAND_SIG_ABOVE;
            add_signal(x, DEMAND_SIG_ABOVE, i, i, k);
        } else if (p->value < l->lower) {
            p->sig |= DEMAND_SIG_BELOW;
            add_signal(x, DEMAND_SIG_BELOW, i, i, k);
        }
        if (!isnan(p->mr) && p->mr > l->mr_upper) {
            p->sig |= DEMAND_SIG_RANGE;
            add_signal(x, DEMAND_SIG_RANGE, i, i, k);
        }
        int s = p->value > l->mean ? 1 : p->value < l->mean ? -1 : 0;
        if (s != side) {
            end_run(x, side, from, i, k);
            side = s;
            from = i;
        }
    }
    end_run(x, side, from, l->first + l->n, k);
}

int demand_xmr_build(DemandXmr *x, Arena *a, const double *values,
                     const int *days, int n, const int *splits, int nsplits,
                     double floor_, double ceiling)
{
    if (n < 0 || nsplits < 0 || nsplits > DEMAND_SPLITS_MAX)
        return T_EUSAGE;
    for (int i = 1; i < n; i++)
        if (days[i] < days[i - 1])
            return T_EUSAGE;
    for (int k = 1; k < nsplits; k++)
        if (splits[k] <= splits[k - 1])
            return T_EUSAGE;
    x->floor = floor_;
    x->ceiling = ceiling;
    x->npoints = n;
    x->nparts = nsplits + 1;
    x->nsignals = 0;
    x->points = arena_alloc(a, sizeof *x->points * (size_t)(n + 1));
    x->parts = arena_alloc(a, sizeof *x->parts * (size_t)(nsplits + 1));
    /* At most one outside and one range signal per point, and a run per
     * 8 points. */
    x->signals = arena_alloc(a, sizeof *x->signals * (size_t)(3 * n + 1));
    if (!x->points || !x->parts || !x->signals)
        return T_EINTERNAL;
    int i = 0;
    for (int k = 0; k <= nsplits; k++) {
        DemandXmrLimits *l = &x->parts[k];
        int first = i;
        while (i < n && (k == nsplits || days[i] < splits[k]))
            i++;
        limits(l, values + first, i - first, floor_, ceiling);
        l->first = first;
        l->from_day = k == 0 ? INT_MIN : splits[k - 1];
        for (int j = first; j < i; j++) {
            x->points[j] = (DemandXmrPoint){
                .x = NULL,
                .day = days[j],
                .value = values[j],
                .mr = j > first ? fabs(values[j] - values[j - 1]) : NAN,
                .part = k};
        }
    }
    limits(&x->all, values, n, floor_, ceiling);
    x->all.first = 0;
    x->all.from_day = INT_MIN;
    for (int k = 0; k < x->nparts; k++)
        part_signals(x, k);
    qsort(x->signals, (size_t)x->nsignals, sizeof *x->signals, by_point);
    return T_OK;
}
