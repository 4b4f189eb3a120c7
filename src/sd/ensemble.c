/*
 * ensemble.c - sensitivity runs. A model is run N times with some of its
 * parameters drawn from distributions by Latin hypercube sampling, on all
 * cores, and each saved variable is summarised at each saved time by its
 * 5th, 25th, 50th, 75th and 95th percentiles and its mean. Also the parser
 * of `--vary NAME=DIST(ARGS)` specifications and the distributions'
 * quantile functions.
 *
 * The samples are drawn once, before any run, from libsodium's
 * randombytes_buf_deterministic keyed by the seed (ChaCha20), and every
 * run writes into its own rows, so the same seed gives the same samples and
 * the same bands whatever the number of threads or their timing.
 *
 * Each run compiles its own program from a private copy of the model's
 * variable table whose varied equations are replaced by the drawn numbers:
 * constants are folded into the bytecode at compile time, so this is what
 * makes a drawn value reach every place it is used.
 *
 * Ownership: an SdEnsemble and everything in it is the caller's, freed with
 * sd_ensemble_free; the model is only read.
 */
#include <math.h>
#include <pthread.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sd_int.h"

/* No ensemble keeps more than this many bytes of saved values. */
#define ENSEMBLE_MAX_BYTES ((size_t)4 << 30)
#define ENSEMBLE_MAX_RUNS 10000000L
#define ENSEMBLE_MAX_THREADS 64

const double sd_ensemble_pct[SD_ENSEMBLE_NQ] = {5, 25, 50, 75, 95};

/* ---- distributions ------------------------------------------------------ */

uint64_t sd_ensemble_run_seed(uint64_t seed, long k)
{
    /* splitmix64's finaliser over the pair: never 0 (the default) */
    uint64_t z = seed ^ ((uint64_t)k + 1) * 0x9e3779b97f4a7c15ULL;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    z ^= z >> 31;
    return z ? z : 1;
}

static const struct {
    const char *name;  /* as written in a specification */
    SdDistKind kind;   /* which one */
    int nargs;         /* its parameters */
    const char *usage; /* their names, for messages */
} dists[] = {
    {"uniform", SD_DIST_UNIFORM, 2, "low, high"},
    {"normal", SD_DIST_NORMAL, 2, "mean, sd"},
    {"triangular", SD_DIST_TRIANGULAR, 3, "low, mode, high"},
    {"lognormal", SD_DIST_LOGNORMAL, 2, "mu, sigma of the logarithm"},
};

const char *sd_dist_name(SdDistKind k)
{
    for (size_t i = 0; i < sizeof dists / sizeof dists[0]; i++)
        if (dists[i].kind == k)
            return dists[i].name;
    return "?";
}

int sd_dist_nargs(SdDistKind k)
{
    for (size_t i = 0; i < sizeof dists / sizeof dists[0]; i++)
        if (dists[i].kind == k)
            return dists[i].nargs;
    return 0;
}

double sd_vary_quantile(const SdVary *v, double u)
{
    const double *p = v->p;
    switch (v->dist) {
    case SD_DIST_UNIFORM:
        return p[0] + u * (p[1] - p[0]);
    case SD_DIST_NORMAL:
        return p[0] + p[1] * sd_norm_quantile(u);
    case SD_DIST_TRIANGULAR: {
        double w = p[2] - p[0], f = (p[1] - p[0]) / w;
        return u < f ? p[0] + sqrt(u * w * (p[1] - p[0]))
                     : p[2] - sqrt((1 - u) * w * (p[2] - p[1]));
    }
    case SD_DIST_LOGNORMAL:
        return exp(p[0] + p[1] * sd_norm_quantile(u));
    }
    return NAN;
}

/* ---- the --vary parser ----------------------------------------------------
 */

static void vary_error(TDiags *d, const char *spec, const char *at,
                       const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static void vary_error(TDiags *d, const char *spec, const char *at,
                       const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int col = str_utf8_count(spec, (size_t)(at - spec)) + 1;
    diags_vadd(d, DIAG_ERROR, "--vary", 1, col, spec, fmt, ap);
    va_end(ap);
}

static const char *skip_space(const char *s)
{
    while (*s == ' ' || *s == '\t')
        s++;
    return s;
}

/* spec := name '=' dist '(' number { ',' number } ')' */
int sd_vary_parse(Arena *a, const char *spec, SdVary *out, TDiags *d)
{
    memset(out, 0, sizeof *out);
    if (strlen(spec) > 1000) {
        vary_error(d, "", "", "specification longer than 1000 bytes");
        return T_EINPUT;
    }
    const char *eq = strchr(spec, '=');
    if (!eq) {
        vary_error(d, spec, spec + strlen(spec),
                   "expected NAME=DISTRIBUTION(ARGS), e.g. "
                   "'birth rate=uniform(0.02, 0.04)'");
        return T_EINPUT;
    }
    const char *n0 = skip_space(spec), *n1 = eq;
    while (n1 > n0 && (n1[-1] == ' ' || n1[-1] == '\t'))
        n1--;
    if (n1 == n0) {
        vary_error(d, spec, spec, "missing variable name before '='");
        return T_EINPUT;
    }
    const char *s = skip_space(eq + 1), *w = s;
    while ((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z'))
        s++;
    int k = -1;
    for (size_t i = 0; i < sizeof dists / sizeof dists[0]; i++)
        if (strlen(dists[i].name) == (size_t)(s - w) &&
            !strncasecmp(dists[i].name, w, (size_t)(s - w)))
            k = (int)i;
    if (k < 0) {
        vary_error(d, spec, w,
                   "unknown distribution '%.*s' (uniform, normal, "
                   "triangular, lognormal)",
                   (int)(s - w), w);
        return T_EINPUT;
    }
    s = skip_space(s);
    if (*s != '(') {
        vary_error(d, spec, s, "expected '(' after '%s'", dists[k].name);
        return T_EINPUT;
    }
    double p[3];
    int n = 0;
    s++;
    for (;;) {
        s = skip_space(s);
        const char *start = s;
        char *end;
        double x = strtod(s, &end);
        if (end == s || !isfinite(x)) {
            vary_error(d, spec, start, "expected a number");
            return T_EINPUT;
        }
        if (n == 3) {
            vary_error(d, spec, start, "%s takes %d arguments (%s)",
                       dists[k].name, dists[k].nargs, dists[k].usage);
            return T_EINPUT;
        }
        p[n++] = x;
        s = skip_space(end);
        if (*s == ',') {
            s++;
            continue;
        }
        if (*s == ')')
            break;
        vary_error(d, spec, s, "expected ',' or ')'");
        return T_EINPUT;
    }
    const char *close = s;
    s = skip_space(s + 1);
    if (*s) {
        vary_error(d, spec, s, "unexpected text after ')'");
        return T_EINPUT;
    }
    if (n != dists[k].nargs) {
        vary_error(d, spec, close, "%s takes %d arguments (%s), got %d",
                   dists[k].name, dists[k].nargs, dists[k].usage, n);
        return T_EINPUT;
    }
    const char *bad = NULL;
    switch (dists[k].kind) {
    case SD_DIST_UNIFORM:
        bad = p[0] < p[1] ? NULL : "low must be less than high";
        break;
    case SD_DIST_NORMAL:
    case SD_DIST_LOGNORMAL:
        bad = p[1] > 0 ? NULL : "the spread must be greater than 0";
        break;
    case SD_DIST_TRIANGULAR:
        bad = p[0] < p[2] && p[0] <= p[1] && p[1] <= p[2]
                  ? NULL
                  : "need low <= mode <= high and low < high";
        break;
    }
    if (bad) {
        vary_error(d, spec, w, "%s: %s", dists[k].name, bad);
        return T_EINPUT;
    }
    out->name = arena_strndup(a, n0, (size_t)(n1 - n0));
    if (!out->name)
        return T_EINTERNAL;
    out->dist = dists[k].kind;
    memcpy(out->p, p, sizeof p);
    return T_OK;
}

/* ---- sampling -------------------------------------------------------------
 */

/* Latin hypercube: for each parameter, the runs get one stratum each of
 * (0, 1) in a random order, and a random point inside it. */
static int draw_samples(const SdEnsembleOpts *o, double *samples)
{
    long n = o->runs;
    int k = o->nvary;
    size_t nwords = (size_t)n * (size_t)k * 2;
    uint64_t *r = malloc(sizeof(uint64_t) * (nwords ? nwords : 1));
    long *perm = malloc(sizeof(long) * (size_t)n);
    if (!r || !perm) {
        free(r);
        free(perm);
        return T_EINTERNAL;
    }
    unsigned char seed[randombytes_SEEDBYTES] = {0};
    for (int i = 0; i < 8; i++)
        seed[i] = (unsigned char)(o->seed >> (8 * i));
    randombytes_buf_deterministic(r, sizeof(uint64_t) * nwords, seed);
    const uint64_t *next = r;
    for (int j = 0; j < k; j++) {
        for (long i = 0; i < n; i++)
            perm[i] = i;
        for (long i = n - 1; i > 0; i--) { /* Fisher-Yates */
            long m = (long)(*next++ % (uint64_t)(i + 1));
            long t = perm[i];
            perm[i] = perm[m];
            perm[m] = t;
        }
        for (long i = 0; i < n; i++) {
            /* A point strictly inside the stratum, so u is never 0 or 1. */
            double off = ((double)(*next++ >> 11) + 0.5) / 9007199254740992.0;
            double u = ((double)perm[i] + off) / (double)n;
            samples[(size_t)i * (size_t)k + (size_t)j] =
                sd_vary_quantile(&o->vary[j], u);
        }
    }
    free(r);
    free(perm);
    return T_OK;
}

/* ---- percentiles ------------------------------------------------------- */

/* Moves the k-th smallest of x[lo..hi] to x[k], smaller ones before it
 * and larger ones after (Hoare's selection, median-of-three pivots). */
static void select_kth(float *x, long lo, long hi, long k)
{
    while (lo < hi) {
        long mid = lo + (hi - lo) / 2;
        float a = x[lo], b = x[mid], c = x[hi];
        float piv = a < b ? (b < c   ? b
                             : a < c ? c
                                     : a)
                          : (a < c   ? a
                             : b < c ? c
                                     : b);
        long i = lo, j = hi;
        while (i <= j) {
            while (x[i] < piv)
                i++;
            while (x[j] > piv)
                j--;
            if (i <= j) {
                float t = x[i];
                x[i] = x[j];
                x[j] = t;
                i++;
                j--;
            }
        }
        if (k <= j)
            hi = j;
        else if (k >= i)
            lo = i;
        else
            return;
    }
}

/* The percentiles of x[0..n-1] (linear interpolation between order
 * statistics, as R's type 7 and numpy's default) and the mean; x is
 * reordered. Non-finite values are left out; all of them: NaN. */
static void summarise(float *x, long n, double *q, double *mean)
{
    long m = 0;
    double sum = 0;
    for (long i = 0; i < n; i++)
        if (isfinite(x[i])) {
            sum += x[i];
            x[m++] = x[i];
        }
    if (m == 0) {
        for (int j = 0; j < SD_ENSEMBLE_NQ; j++)
            q[j] = NAN;
        *mean = NAN;
        return;
    }
    *mean = sum / (double)m;
    long from = 0; /* x[0..from-1] are all <= x[from..] */
    for (int j = 0; j < SD_ENSEMBLE_NQ; j++) {
        double h = (double)(m - 1) * sd_ensemble_pct[j] / 100;
        long k = (long)floor(h);
        select_kth(x, from, m - 1, k);
        double lo = x[k], hi = lo;
        if (k + 1 < m) {
            hi = x[k + 1];
            for (long i = k + 2; i < m; i++)
                if (x[i] < hi)
                    hi = x[i];
        }
        q[j] = lo + (h - (double)k) * (hi - lo);
        from = k;
    }
}

/* ---- the runs --------------------------------------------------------------
 */

typedef struct Shared {
    const SdModel *m;        /* the model, read only */
    const SdEnsembleOpts *o; /* options */
    const int *vary_var;     /* index in m->vars of each varied variable */
    const double *samples;   /* runs * nvary */
    const int *out;          /* output variables (program indices) */
    int nout;                /* how many */
    long nrows;              /* saved times per run */
    float *values;           /* runs * nout * nrows */
    double *time;            /* the saved times (from run 0) */
    SdEnsemble *e;           /* the result, for the percentile phase */
    pthread_mutex_t lock;    /* guards everything below */
    long next;               /* next run (or column) to take */
    long done;               /* runs finished */
    int rc;                  /* first failure */
    TDiags *d;               /* where the first failure is reported */
} Shared;

static long take(Shared *s, long limit)
{
    pthread_mutex_lock(&s->lock);
    long i = s->rc || s->next >= limit ? -1 : s->next++;
    pthread_mutex_unlock(&s->lock);
    return i;
}

static void fail(Shared *s, int rc, const TDiags *local, long run)
{
    pthread_mutex_lock(&s->lock);
    if (!s->rc) {
        s->rc = rc;
        for (int i = 0; local && i < local->len; i++) {
            const TDiag *g = &local->items[i];
            diags_add(s->d, g->level, g->file, g->line, g->col, g->context,
                      "run %ld: %s", run + 1, g->message);
        }
        if (!local || !local->len)
            diags_add(s->d, DIAG_ERROR, NULL, 0, 0, NULL, "run %ld: %s",
                      run + 1, rc == T_EINTERNAL ? "out of memory" : "failed");
    }
    pthread_mutex_unlock(&s->lock);
}

static void *run_worker(void *arg)
{
    Shared *s = arg;
    const SdModel *m = s->m;
    const SdEnsembleOpts *o = s->o;
    int k = o->nvary;
    /* A private variable table: the varied equations point into eqn. */
    SdModel local = *m;
    SdVar *vars = malloc(sizeof(SdVar) * ((size_t)m->nvars + 1));
    char(*eqn)[32] = malloc(sizeof *eqn * ((size_t)k + 1));
    if (!vars || !eqn) {
        fail(s, T_EINTERNAL, NULL, 0);
        free(vars);
        free(eqn);
        return NULL;
    }
    memcpy(vars, m->vars, sizeof(SdVar) * (size_t)m->nvars);
    local.vars = vars;
    local.arena = (Arena){0}; /* never used: compile reads the model */
    SdRunOpts ro = {.method = o->method,
                    .method_given = o->method_given,
                    .max_steps = o->max_steps,
                    .vars = s->out,
                    .nvars = s->nout};
    long i;
    while ((i = take(s, o->runs)) >= 0) {
        for (int j = 0; j < k; j++) {
            SdVar *v = &vars[s->vary_var[j]];
            snprintf(eqn[j], sizeof eqn[j], "%.17g",
                     s->samples[(size_t)i * (size_t)k + (size_t)j]);
            v->eqn = eqn[j];
            v->line = v->col = 0;
            v->adj = NULL;
            v->nadj = 0;
            if (v->kind != SD_STOCK)
                v->gf = NULL; /* the number replaces the lookup too */
        }
        TDiags d = {0};
        SdProgram *p = NULL;
        SdResults *r = NULL;
        int rc = sd_compile(&local, &p, &d);
        ro.seed = sd_ensemble_run_seed(o->seed, i);
        if (!rc)
            rc = sd_run(p, &ro, &r, &d);
        if (!rc && r->nrows != s->nrows) {
            diags_add(&d, DIAG_ERROR, NULL, 0, 0, NULL,
                      "saved %d times, not %ld", r->nrows, s->nrows);
            rc = T_EINTERNAL;
        }
        if (rc) {
            fail(s, rc, &d, i);
        } else {
            float *dst =
                s->values + (size_t)i * (size_t)s->nout * (size_t)s->nrows;
            for (int c = 0; c < s->nout; c++)
                for (long t = 0; t < s->nrows; t++)
                    dst[(size_t)c * (size_t)s->nrows + (size_t)t] =
                        (float)r->data[(size_t)t * (size_t)r->ncols +
                                       (size_t)c + 1];
            pthread_mutex_lock(&s->lock);
            long done = ++s->done;
            if (o->progress)
                o->progress(o->ud, done, o->runs);
            pthread_mutex_unlock(&s->lock);
        }
        sd_results_free(r);
        sd_program_free(p);
        diags_free(&d);
    }
    free(vars);
    free(eqn);
    return NULL;
}

/* The second phase: each (variable, time) column's percentiles. */
static void *stat_worker(void *arg)
{
    Shared *s = arg;
    long n = s->o->runs, cols = (long)s->nout * s->nrows;
    float *x = malloc(sizeof(float) * (size_t)n);
    if (!x) {
        fail(s, T_EINTERNAL, NULL, 0);
        return NULL;
    }
    long c;
    while ((c = take(s, cols)) >= 0) {
        for (long i = 0; i < n; i++)
            x[i] = s->values[(size_t)i * (size_t)cols + (size_t)c];
        summarise(x, n, s->e->q + (size_t)c * SD_ENSEMBLE_NQ,
                  s->e->mean + (size_t)c);
    }
    free(x);
    return NULL;
}

static int spawn(Shared *s, int nthreads, void *(*fn)(void *))
{
    pthread_t th[ENSEMBLE_MAX_THREADS];
    int started = 0;
    for (int i = 1; i < nthreads; i++) {
        if (pthread_create(&th[started], NULL, fn, s))
            break; /* fewer threads is still correct */
        started++;
    }
    fn(s);
    for (int i = 0; i < started; i++)
        pthread_join(th[i], NULL);
    return s->rc;
}

static int find_var(const SdModel *m, const char *name)
{
    char *id = sd_canon_name(NULL, name, strlen(name));
    int found = -1;
    for (int i = 0; id && i < m->nvars; i++)
        if (!strcmp(m->vars[i].ident, id) && !m->vars[i].hidden) {
            found = i;
            break;
        }
    free(id);
    return found;
}

int sd_ensemble_run(const SdModel *m, const SdEnsembleOpts *o, SdEnsemble **out,
                    TDiags *d)
{
    *out = NULL;
    if (o->runs < 1 || o->runs > ENSEMBLE_MAX_RUNS) {
        diags_add(d, DIAG_ERROR, NULL, 0, 0, NULL,
                  "the number of runs must be between 1 and %ld",
                  ENSEMBLE_MAX_RUNS);
        return T_EINPUT;
    }
    int k = o->nvary;
    int *vary_var = malloc(sizeof(int) * ((size_t)k + 1));
    if (!vary_var)
        return T_EINTERNAL;
    for (int j = 0; j < k; j++) {
        vary_var[j] = find_var(m, o->vary[j].name);
        if (vary_var[j] < 0)
            diags_add(d, DIAG_ERROR, NULL, 0, 0, NULL,
                      "--vary: unknown variable '%s'", o->vary[j].name);
        for (int i = 0; i < j && vary_var[j] >= 0; i++)
            if (vary_var[i] == vary_var[j]) {
                diags_add(d, DIAG_ERROR, NULL, 0, 0, NULL,
                          "--vary: '%s' is varied twice", o->vary[j].name);
                break;
            }
    }
    if (d->errors) {
        free(vary_var);
        return T_EINPUT;
    }

    /* The model as it is: which variables to keep, and how many rows. */
    SdProgram *base = NULL;
    SdResults *r0 = NULL;
    int rc = sd_compile(m, &base, d);
    int nout = 0;
    int *outv = NULL;
    if (!rc) {
        int want = o->nnames ? o->nnames : sd_program_nvars(base);
        outv = malloc(sizeof(int) * ((size_t)want + 1));
        if (!outv)
            rc = T_EINTERNAL;
        for (int i = 0; !rc && i < want; i++) {
            int v = o->nnames ? sd_program_find(base, o->names[i]) : i;
            if (v < 0) {
                diags_add(d, DIAG_ERROR, NULL, 0, 0, NULL,
                          "no variable '%s' to report", o->names[i]);
                rc = T_EINPUT;
            }
            outv[nout++] = v;
        }
    }
    if (!rc) {
        SdRunOpts ro = {.method = o->method,
                        .method_given = o->method_given,
                        .max_steps = o->max_steps,
                        .vars = outv,
                        .nvars = nout,
                        .seed = sd_ensemble_run_seed(o->seed, 0)};
        rc = sd_run(base, &ro, &r0, d);
    }
    SdEnsemble *e = NULL;
    double *samples = NULL;
    float *values = NULL;
    if (rc)
        goto done;
    size_t cells = (size_t)o->runs * (size_t)nout * (size_t)r0->nrows;
    if (cells > ENSEMBLE_MAX_BYTES / sizeof(float)) {
        diags_add(d, DIAG_ERROR, NULL, 0, 0, NULL,
                  "%ld runs of %d variables at %d times would keep %.1f GiB; "
                  "choose fewer variables (--vars) or runs, or save less "
                  "often",
                  o->runs, nout, r0->nrows,
                  (double)cells * sizeof(float) / (1 << 30));
        rc = T_EINPUT;
        goto done;
    }
    e = calloc(1, sizeof *e);
    samples = malloc(sizeof(double) * ((size_t)o->runs * (size_t)k + 1));
    values = malloc(sizeof(float) * (cells + 1));
    if (!e || !samples || !values) {
        rc = T_EINTERNAL;
        goto done;
    }
    e->runs = o->runs;
    e->nvary = k;
    e->nvars = nout;
    e->nrows = r0->nrows;
    e->names = calloc((size_t)nout + 1, sizeof(char *));
    e->time = malloc(sizeof(double) * ((size_t)r0->nrows + 1));
    e->q =
        malloc(sizeof(double) * (cells / (size_t)o->runs + 1) * SD_ENSEMBLE_NQ);
    e->mean = malloc(sizeof(double) * (cells / (size_t)o->runs + 1));
    if (!e->names || !e->time || !e->q || !e->mean) {
        rc = T_EINTERNAL;
        goto done;
    }
    for (int i = 0; i < nout; i++)
        if (!(e->names[i] = strdup(r0->names[i + 1]))) {
            rc = T_EINTERNAL;
            goto done;
        }
    for (int t = 0; t < r0->nrows; t++)
        e->time[t] = r0->data[(size_t)t * (size_t)r0->ncols];
    if ((rc = draw_samples(o, samples)))
        goto done;

    long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
    int nthreads = o->threads > 0 ? o->threads : ncpu > 0 ? (int)ncpu : 1;
    if (nthreads > ENSEMBLE_MAX_THREADS)
        nthreads = ENSEMBLE_MAX_THREADS;
    if (nthreads > o->runs)
        nthreads = (int)o->runs;
    Shared s = {.m = m,
                .o = o,
                .vary_var = vary_var,
                .samples = samples,
                .out = outv,
                .nout = nout,
                .nrows = r0->nrows,
                .values = values,
                .e = e,
                .d = d};
    pthread_mutex_init(&s.lock, NULL);
    rc = spawn(&s, nthreads, run_worker);
    if (!rc) {
        s.next = 0;
        rc = spawn(&s, nthreads, stat_worker);
    }
    pthread_mutex_destroy(&s.lock);
    if (!rc) {
        e->samples = samples;
        samples = NULL;
    }
done:
    if (rc == T_EINTERNAL && !d->errors)
        diags_add(d, DIAG_ERROR, NULL, 0, 0, NULL, "out of memory");
    free(vary_var);
    free(outv);
    free(samples);
    free(values);
    sd_results_free(r0);
    sd_program_free(base);
    if (rc) {
        sd_ensemble_free(e);
        return rc;
    }
    *out = e;
    return T_OK;
}

void sd_ensemble_free(SdEnsemble *e)
{
    if (!e)
        return;
    for (int i = 0; e->names && i < e->nvars; i++)
        free(e->names[i]);
    free(e->names);
    free(e->time);
    free(e->q);
    free(e->mean);
    free(e->samples);
    free(e);
}
