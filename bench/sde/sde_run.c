/*
 * sde_run.c - times SDEverywhere's generated C in-process (issue 8): the
 * run loop, the output buffer and the graphical functions for the code
 * that @sdeverywhere/compile writes (model.c, which includes sde.h), and a
 * main that simulates the model again and again and reports the best and
 * median time per run, as build/bench/bench_sim does for Territory.
 *
 * Usage: sde_run [--min-seconds S] [--var NAME]
 *
 * bench/run.sh builds it with the model: gcc -O2 model.c sde_run.c -lm.
 * A run is what SDEverywhere's runtime does for a run: initConstants,
 * initLevels, then per step evalAux, the outputs stored at each save time,
 * and evalLevels (Euler), every output kept in one buffer of doubles that
 * is allocated once. Each run is timed with clock_gettime(CLOCK_MONOTONIC),
 * for at least S seconds (default 1) and at least 3 runs, after one
 * untimed warm-up run. --var names an output (as the model writes it, as
 * in getHeader) whose value at the final time is printed, so that the
 * bench can check the peer computes what Territory does.
 *
 * Output: readable lines, then one line for scripts, tab-separated
 * key=value pairs after the word `result` (bench/run.sh parses it).
 * Exit codes: 0 done, 1 the model went wrong (no finite value), 2 usage.
 */
#include <string.h>
#include <time.h>

#include "sde.h"

#define MAX_RUNS 1000000 /* samples kept; a run stops here whatever S is */

double _time;

/* The output buffer: one row of numOutputs values per save time. */
typedef struct {
    double *values; /* rows x numOutputs */
    size_t cap;     /* values allocated */
    size_t n;       /* values stored in this run */
} Outputs;

/* sde_output_var has the generated code's signature, so the buffer it
 * fills is reached through this pointer, set once before the first run. */
static Outputs *outputs_now;

void sde_output_var(double value)
{
    if (outputs_now->n < outputs_now->cap)
        outputs_now->values[outputs_now->n++] = value;
}

Lookup *__new_lookup(size_t size, bool copy, double *data)
{
    Lookup *l = calloc(1, sizeof *l);
    if (!l) {
        fprintf(stderr, "sde_run: out of memory\n");
        exit(1);
    }
    if (copy) {
        __set_lookup(l, size, data);
    } else {
        l->data = data;
        l->n = size;
        l->last_input = DBL_MAX;
    }
    return l;
}

void __set_lookup(Lookup *l, size_t size, double *data)
{
    if (l->owned)
        free(l->data);
    l->data = malloc(sizeof(double) * 2 * (size ? size : 1));
    if (!l->data) {
        fprintf(stderr, "sde_run: out of memory\n");
        exit(1);
    }
    memcpy(l->data, data, sizeof(double) * 2 * size);
    l->owned = true;
    l->n = size;
    l->last_input = DBL_MAX;
    l->last_hit = 0;
}

double __lookup(Lookup *l, double x)
{
    if (!l || l->n == 0)
        return _NA_;
    const double *d = l->data;
    size_t max = 2 * l->n;
    /* Inputs mostly grow step by step (time, a level): start the search
     * at the last hit unless the input went back. */
    size_t start = x >= l->last_input ? l->last_hit : 0;
    for (size_t i = start; i < max; i += 2) {
        if (d[i] >= x) {
            l->last_input = x;
            l->last_hit = i;
            if (i == 0 || d[i] == x)
                return d[i + 1];
            double x0 = d[i - 2], y0 = d[i - 1];
            return y0 + (d[i + 1] - y0) / (d[i] - x0) * (x - x0);
        }
    }
    l->last_input = x;
    l->last_hit = max;
    return d[max - 1];
}

static double now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* One run; returns the number of rows saved. The save times are counted
 * in steps (every saveper / dt steps) rather than by comparing the
 * floating-point clock, so no save is lost to rounding. */
static long run_once(Outputs *o)
{
    o->n = 0;
    initConstants();
    initLevels();
    long last_step = lround((_final_time - _initial_time) / _time_step);
    long save_every = lround(_saveper / _time_step);
    if (save_every < 1)
        save_every = 1;
    long rows = 0;
    for (long step = 0;; step++) {
        _time = _initial_time + (double)step * _time_step;
        evalAux();
        if (step % save_every == 0) {
            storeOutputData();
            rows++;
        }
        if (step == last_step)
            break;
        evalLevels();
    }
    return rows;
}

/* The column of name in getHeader's tab-separated list, or -1. */
static long header_index(const char *name)
{
    const char *h = getHeader();
    size_t len = strlen(name);
    long col = 0;
    for (const char *p = h;; col++) {
        const char *tab = strchr(p, '\t');
        size_t n = tab ? (size_t)(tab - p) : strlen(p);
        if (n == len && !strncmp(p, name, n))
            return col;
        if (!tab)
            return -1;
        p = tab + 1;
    }
}

int main(int argc, char **argv)
{
    double min_seconds = 1.0;
    const char *var = NULL;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--min-seconds") && i + 1 < argc) {
            char *end;
            min_seconds = strtod(argv[++i], &end);
            if (*end || !(min_seconds >= 0) || min_seconds > 3600) {
                fprintf(stderr, "sde_run: --min-seconds takes a number of "
                                "seconds from 0 to 3600\n");
                return 2;
            }
        } else if (!strcmp(argv[i], "--var") && i + 1 < argc) {
            var = argv[++i];
        } else {
            fprintf(stderr, "usage: sde_run [--min-seconds S] [--var NAME]\n");
            return 2;
        }
    }
    long col = var ? header_index(var) : numOutputs - 1;
    if (col < 0) {
        fprintf(stderr, "sde_run: no output '%s' in the generated model\n",
                var);
        return 2;
    }

    /* The time controls are constants the model sets in initConstants. */
    initConstants();
    long steps = lround((_final_time - _initial_time) / _time_step);
    long save_every = lround(_saveper / _time_step);
    long max_rows = steps / (save_every < 1 ? 1 : save_every) + 1;
    Outputs o = {0};
    o.cap = (size_t)max_rows * (size_t)numOutputs;
    o.values = malloc(sizeof(double) * (o.cap ? o.cap : 1));
    double *us = malloc(sizeof(double) * MAX_RUNS);
    if (!o.values || !us) {
        fprintf(stderr, "sde_run: out of memory\n");
        return 1;
    }
    outputs_now = &o;

    long rows = run_once(&o); /* warm-up: lookups, caches, page faults */
    int runs = 0;
    double begin = now_ns(), limit = min_seconds * 1e9;
    while (runs < MAX_RUNS && (runs < 3 || now_ns() - begin < limit)) {
        double a = now_ns();
        run_once(&o);
        double b = now_ns();
        us[runs++] = (b - a) / 1e3;
    }
    qsort(us, (size_t)runs, sizeof(double), cmp_double);
    double best = us[0];
    double median =
        runs % 2 ? us[runs / 2] : (us[runs / 2 - 1] + us[runs / 2]) / 2;
    double last = o.n >= (size_t)numOutputs
                      ? o.values[o.n - (size_t)numOutputs + (size_t)col]
                      : NAN;
    printf("outputs          %d (every saved time: %ld rows)\n", numOutputs,
           rows);
    printf("steps            %ld\n", steps);
    printf("runs             %d\n", runs);
    printf("per run          best %.1f us, median %.1f us\n", best, median);
    printf("last value       %s = %.9g\n", var ? var : "(last output)", last);
    printf("result\toutputs=%d\trows=%ld\tsteps=%ld\truns=%d\tbest_us=%.2f"
           "\tmedian_us=%.2f\tlast=%.9g\n",
           numOutputs, rows, steps, runs, best, median, last);
    free(us);
    free(o.values);
    return isfinite(last) ? 0 : 1;
}
