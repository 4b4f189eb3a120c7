/*
 * measure.c - the demand study's measures over a classified log: how much
 * demand is failure demand (over the contacts the service has coded, which
 * the reports say), by service, channel and type; a Pareto of types;
 * resolution at first contact; handoffs; end-to-end time per case from
 * first contact to closure; and the two capability charts (daily failure
 * share, end-to-end days per case in order of closure).
 *
 * Names are grouped by a folded key (case, runs of spaces, '-' and '_'
 * ignored) so "Progress chasing" and "progress-chasing" are one type; the
 * name shown is the first spelling in the file. Every list is sorted
 * before it is returned so output never depends on hash order.
 */
#include "demand.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Appends the grouping key of s: folded case, and one space for every run
 * of spaces, '-' and '_', none at either end. */
static int group_key(TBuf *b, const char *s)
{
    size_t n = strlen(s), start = b->len;
    bool gap = false;
    for (size_t i = 0; i < n;) {
        uint32_t cp;
        int used = str_utf8_decode(s + i, n - i, &cp);
        i += (size_t)(used > 0 ? used : 1);
        if (cp == ' ' || cp == '\t' || cp == '\n' || cp == '\r' || cp == '-' ||
            cp == '_' || cp == 0xA0 || cp == 0x2013) {
            gap = true;
            continue;
        }
        if (gap && b->len > start && tbuf_putc(b, ' '))
            return T_EINTERNAL;
        gap = false;
        char enc[4];
        int k = str_utf8_encode(str_fold_case(cp), enc);
        if (tbuf_append(b, enc, (size_t)k))
            return T_EINTERNAL;
    }
    tbuf_cstr(b);
    return T_OK;
}

/* Groups being built: a table from key to index into items. */
typedef struct Groups {
    THash index;        /* key -> position in items */
    DemandGroup *items; /* the groups */
    int len;            /* how many */
    int cap;            /* allocated */
} Groups;

/* Counts contact c in the group named name (empty: `none`). */
static int group_count(Groups *g, Arena *a, TBuf *key, const char *name,
                       const char *none, const DemandContact *c)
{
    key->len = 0;
    if (group_key(key, name))
        return T_EINTERNAL;
    int at;
    if (!thash_get(&g->index, tbuf_cstr(key), &at)) {
        if (g->len == g->cap && vec_grow_((void **)&g->items, &g->cap,
                                          sizeof *g->items, g->len + 1))
            return T_EINTERNAL;
        const char *k = arena_strdup(a, tbuf_cstr(key));
        const char *shown = *name ? arena_strdup(a, name) : none;
        if (!k || !shown)
            return T_EINTERNAL;
        at = g->len++;
        g->items[at] = (DemandGroup){.name = shown, .key = k};
        if (thash_put(&g->index, k, at))
            return T_EINTERNAL;
    }
    DemandGroup *gr = &g->items[at];
    gr->total++;
    if (c->demand == DEMAND_VALUE)
        gr->value++;
    else if (c->demand == DEMAND_FAILURE)
        gr->failure++;
    else
        gr->unclassified++;
    return T_OK;
}

static double ratio(int num, int den)
{
    return den > 0 ? (double)num / den : NAN;
}

static int by_total(const void *pa, const void *pb)
{
    const DemandGroup *a = pa, *b = pb;
    if (a->total != b->total)
        return a->total > b->total ? -1 : 1;
    return strcmp(a->key, b->key);
}

/* Moves the groups into the study's arena, sorted, with their shares. */
static int group_finish(Groups *g, Arena *a, int total, DemandGroup **out,
                        int *n)
{
    *out = arena_alloc(a, sizeof **out * (size_t)(g->len + 1));
    if (!*out)
        return T_EINTERNAL;
    for (int i = 0; i < g->len; i++) {
        DemandGroup *gr = &g->items[i];
        gr->share = ratio(gr->total, total);
        gr->failure_share = ratio(gr->failure, gr->value + gr->failure);
    }
    if (g->len)
        memcpy(*out, g->items, sizeof **out * (size_t)g->len);
    qsort(*out, (size_t)g->len, sizeof **out, by_total);
    *n = g->len;
    return T_OK;
}

typedef struct ParetoKey {
    int count;       /* of this kind */
    const char *key; /* for ties */
    int group;       /* index into by_type */
} ParetoKey;

static int by_count(const void *pa, const void *pb)
{
    const ParetoKey *a = pa, *b = pb;
    if (a->count != b->count)
        return a->count > b->count ? -1 : 1;
    return strcmp(a->key, b->key);
}

/* The Pareto of one kind of demand, from the type groups. */
static int pareto(DemandStudy *s, DemandKind kind, DemandPareto **out, int *n)
{
    ParetoKey *k = malloc(sizeof *k * (size_t)(s->ntype + 1));
    *out = arena_alloc(&s->arena, sizeof **out * (size_t)(s->ntype + 1));
    if (!k || !*out) {
        free(k);
        return T_EINTERNAL;
    }
    int m = 0, total = 0;
    for (int i = 0; i < s->ntype; i++) {
        const DemandGroup *g = &s->by_type[i];
        int c = kind == DEMAND_FAILURE ? g->failure : g->value;
        if (c > 0) {
            k[m++] = (ParetoKey){c, g->key, i};
            total += c;
        }
    }
    qsort(k, (size_t)m, sizeof *k, by_count);
    int run = 0;
    for (int i = 0; i < m; i++) {
        run += k[i].count;
        (*out)[i] = (DemandPareto){.type = s->by_type[k[i].group].name,
                                   .count = k[i].count,
                                   .share = ratio(k[i].count, total),
                                   .cumulative = ratio(run, total)};
    }
    *n = m;
    free(k);
    return T_OK;
}

static int cmp_int(const void *pa, const void *pb)
{
    int a = *(const int *)pa, b = *(const int *)pb;
    return (a > b) - (a < b);
}

static int cmp_double(const void *pa, const void *pb)
{
    double a = *(const double *)pa, b = *(const double *)pb;
    return (a > b) - (a < b);
}

/* ---- the charts ------------------------------------------------------- */

typedef struct DayKind {
    int day;         /* calendar day */
    DemandKind kind; /* the contact's coding */
} DayKind;

static int by_day(const void *pa, const void *pb)
{
    const DayKind *a = pa, *b = pb;
    return (a->day > b->day) - (a->day < b->day);
}

/* Daily failure share over the days with coded contacts. */
static int share_chart(DemandStudy *s)
{
    const DemandLog *log = s->log;
    int n = log->ncontacts;
    DayKind *dk = malloc(sizeof *dk * (size_t)(n + 1));
    double *v = malloc(sizeof *v * (size_t)(n + 1));
    int *days = malloc(sizeof *days * (size_t)(n + 1));
    if (!dk || !v || !days) {
        free(dk);
        free(v);
        free(days);
        return T_EINTERNAL;
    }
    for (int i = 0; i < n; i++)
        dk[i] = (DayKind){log->contacts[i].day, log->contacts[i].demand};
    qsort(dk, (size_t)n, sizeof *dk, by_day);
    int m = 0;
    for (int i = 0; i < n;) {
        int j = i, val = 0, fail = 0;
        for (; j < n && dk[j].day == dk[i].day; j++) {
            val += dk[j].kind == DEMAND_VALUE;
            fail += dk[j].kind == DEMAND_FAILURE;
        }
        if (val + fail > 0) {
            v[m] = (double)fail / (val + fail);
            days[m++] = dk[i].day;
        } else {
            s->days_unclassified++;
        }
        i = j;
    }
    DemandXmr *x = &s->share_chart;
    x->name = "daily_failure_share";
    x->title = "Failure demand, share of the day's coded contacts";
    x->unit = "share";
    int r =
        demand_xmr_build(x, &s->arena, v, days, m, s->splits, s->nsplits, 0, 1);
    for (int i = 0; r == T_OK && i < m; i++) {
        char buf[32];
        demand_day_format(days[i], buf);
        x->points[i].x = arena_strdup(&s->arena, buf);
        if (!x->points[i].x)
            r = T_EINTERNAL;
    }
    free(dk);
    free(v);
    free(days);
    return r;
}

typedef struct Closure {
    long long at; /* closing time */
    int first;    /* line of the case's first contact, for ties */
    int index;    /* the case */
    double days;  /* end-to-end time */
} Closure;

static int by_closure(const void *pa, const void *pb)
{
    const Closure *a = pa, *b = pb;
    if (a->at != b->at)
        return a->at < b->at ? -1 : 1;
    return (a->first > b->first) - (a->first < b->first);
}

/* End-to-end days per closed case, the summary and its chart. */
static int end_to_end(DemandStudy *s)
{
    const DemandLog *log = s->log;
    int n = log->ncases;
    Closure *cl = malloc(sizeof *cl * (size_t)(n + 1));
    double *sorted = malloc(sizeof *sorted * (size_t)(n + 1));
    double *v = malloc(sizeof *v * (size_t)(n + 1));
    int *days = malloc(sizeof *days * (size_t)(n + 1));
    int rc = T_OK;
    if (!cl || !sorted || !v || !days) {
        rc = T_EINTERNAL;
        goto done;
    }
    s->cases = n;
    int m = 0;
    for (int i = 0; i < n; i++) {
        const DemandCase *c = &log->cases[i];
        if (!c->closed) {
            s->cases_open++;
            continue;
        }
        const DemandContact *f = &log->contacts[c->first];
        if (c->closed_at < f->received) {
            s->cases_bad++;
            continue;
        }
        cl[m++] = (Closure){c->closed_at, f->line, i,
                            (double)(c->closed_at - f->received) / 86400.0};
    }
    s->cases_closed = m;
    qsort(cl, (size_t)m, sizeof *cl, by_closure);
    double sum = 0;
    for (int i = 0; i < m; i++) {
        sorted[i] = v[i] = cl[i].days;
        days[i] = log->cases[cl[i].index].closed_day;
        sum += v[i];
    }
    qsort(sorted, (size_t)m, sizeof *sorted, cmp_double);
    s->e2e_mean = m ? sum / m : NAN;
    s->e2e_median = demand_percentile(sorted, m, 0.5);
    s->e2e_p85 = demand_percentile(sorted, m, 0.85);
    s->e2e_min = m ? sorted[0] : NAN;
    s->e2e_max = m ? sorted[m - 1] : NAN;
    DemandXmr *x = &s->e2e_chart;
    x->name = "end_to_end_days";
    x->title = "End-to-end time per case, days, in order of closure";
    x->unit = "days";
    rc = demand_xmr_build(x, &s->arena, v, days, m, s->splits, s->nsplits, 0,
                          NAN);
    for (int i = 0; rc == T_OK && i < m; i++)
        x->points[i].x = log->cases[cl[i].index].id;
done:
    free(cl);
    free(sorted);
    free(v);
    free(days);
    return rc;
}

/* ---- the study -------------------------------------------------------- */

static int measure(DemandStudy *s)
{
    const DemandLog *log = s->log;
    Arena *a = &s->arena;
    Groups svc = {0}, chn = {0}, typ = {0};
    TBuf key = {0};
    int rc = T_OK, hmax = -1;
    long long hsum = 0;
    s->total = log->ncontacts;
    for (int i = 0; i < log->ncontacts && rc == T_OK; i++) {
        const DemandContact *c = &log->contacts[i];
        if (c->demand == DEMAND_VALUE)
            s->value++;
        else if (c->demand == DEMAND_FAILURE)
            s->failure++;
        else
            s->unclassified++;
        if (c->demand == DEMAND_NONE && c->suggested == DEMAND_VALUE)
            s->suggested_value++;
        if (c->demand == DEMAND_NONE && c->suggested == DEMAND_FAILURE)
            s->suggested_failure++;
        if (c->demand != DEMAND_NONE && c->rule >= 0 &&
            c->rule_kind != c->demand)
            s->disagreements++;
        s->repeats += c->repeat;
        if (c->first_contact == 1)
            s->first_yes++;
        else if (c->first_contact == 0)
            s->first_no++;
        else
            s->first_unknown++;
        if (c->handoffs >= 0) {
            s->handoffs_n++;
            hsum += c->handoffs;
            if (c->handoffs > hmax)
                hmax = c->handoffs;
        } else {
            s->handoffs_unknown++;
        }
        rc = group_count(&svc, a, &key, c->service, "(none)", c);
        if (rc == T_OK)
            rc = group_count(&chn, a, &key, c->channel, "(none)", c);
        if (rc == T_OK)
            rc = group_count(&typ, a, &key, c->type, "(no type)", c);
    }
    if (rc == T_OK)
        rc = group_finish(&svc, a, s->total, &s->by_service, &s->nservice);
    if (rc == T_OK)
        rc = group_finish(&chn, a, s->total, &s->by_channel, &s->nchannel);
    if (rc == T_OK)
        rc = group_finish(&typ, a, s->total, &s->by_type, &s->ntype);
    thash_free(&svc.index);
    thash_free(&chn.index);
    thash_free(&typ.index);
    free(svc.items);
    free(chn.items);
    free(typ.items);
    tbuf_free(&key);
    if (rc)
        return rc;
    s->failure_share = ratio(s->failure, s->value + s->failure);
    int sv = s->value + s->suggested_value;
    int sf = s->failure + s->suggested_failure;
    s->failure_share_suggested = ratio(sf, sv + sf);
    s->first_share = ratio(s->first_yes, s->first_yes + s->first_no);
    s->handoffs_mean = s->handoffs_n ? (double)hsum / s->handoffs_n : NAN;
    s->handoffs_max = hmax;
    s->handoffs_count = arena_alloc(a, sizeof(int) * (size_t)(hmax + 2));
    if (!s->handoffs_count)
        return T_EINTERNAL;
    for (int i = 0; i < log->ncontacts; i++)
        if (log->contacts[i].handoffs >= 0)
            s->handoffs_count[log->contacts[i].handoffs]++;
    rc = pareto(s, DEMAND_FAILURE, &s->pareto_failure, &s->npareto_failure);
    if (rc == T_OK)
        rc = pareto(s, DEMAND_VALUE, &s->pareto_value, &s->npareto_value);
    if (rc == T_OK)
        rc = share_chart(s);
    if (rc == T_OK)
        rc = end_to_end(s);
    return rc;
}

int demand_study_run(const DemandLog *log, const DemandOpts *o,
                     DemandStudy **out, TDiags *d)
{
    *out = NULL;
    int nsplits = o ? o->nsplits : 0;
    if (nsplits > DEMAND_SPLITS_MAX || nsplits < 0) {
        diags_add(d, DIAG_ERROR, NULL, 0, 0, NULL, "more than %d split dates",
                  DEMAND_SPLITS_MAX);
        return T_EUSAGE;
    }
    DemandStudy *s = calloc(1, sizeof *s);
    if (!s)
        return T_EINTERNAL;
    arena_init(&s->arena);
    s->log = log;
    for (int i = 0; i < nsplits; i++)
        s->splits[i] = o->splits[i];
    qsort(s->splits, (size_t)nsplits, sizeof(int), cmp_int);
    for (int i = 0; i < nsplits; i++)
        if (s->nsplits == 0 || s->splits[s->nsplits - 1] != s->splits[i])
            s->splits[s->nsplits++] = s->splits[i];
    int rc = measure(s);
    if (rc) {
        demand_study_free(s);
        return rc;
    }
    *out = s;
    return T_OK;
}

void demand_study_free(DemandStudy *s)
{
    if (!s)
        return;
    arena_free(&s->arena);
    free(s);
}
