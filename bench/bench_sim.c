/*
 * bench_sim.c - times the engine in-process on one model (issue 8): opens
 * and compiles it once, then simulates it again and again, and reports the
 * best and median time per run and the cost per variable-step.
 *
 * Usage: bench_sim MODEL [--vars NAME[,NAME...]] [--min-seconds S]
 *                  [--check NAME]
 *
 * What is timed goes through the public API (include/territory.h):
 * territory_model_open once, then territory_simulate for at least S seconds
 * (default 1) and at least 3 runs, after one untimed warm-up run. Freeing
 * each result table is not timed. The public API does not tell the number
 * of steps, so the model is also read once through the internal interface
 * (src/sd/sd.h) for its sim specs, which at the same time splits the open
 * time into reading (XML and equations) and compiling.
 *
 * --check names a saved variable whose value at the final time is printed
 * (check=), so that bench/run.sh can compare it with a peer's.
 *
 * Output: readable lines, then one line for scripts, tab-separated
 * key=value pairs after the word `result` (bench/run.sh parses it).
 * Exit codes: 0 done, 1 the model failed, 2 usage error.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "sd/sd.h"
#include "territory.h"

#define MAX_RUNS 1000000 /* samples kept; a run stops here whatever S is */
#define MAX_VARS 1024    /* names accepted by --vars */

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

static int usage(void)
{
    fprintf(stderr, "usage: bench_sim MODEL [--vars NAME[,NAME...]] "
                    "[--min-seconds S] [--check NAME]\n");
    return 2;
}

/* Splits a comma-separated list in place into names; returns how many, or
 * -1 when there are too many or one is empty. */
static int split_names(char *list, const char **names)
{
    int n = 0;
    for (char *p = list;;) {
        char *comma = strchr(p, ',');
        if (comma)
            *comma = '\0';
        if (!*p || n == MAX_VARS)
            return -1;
        names[n++] = p;
        if (!comma)
            return n;
        p = comma + 1;
    }
}

/* Reads the model through the internal interface: its number of steps as
 * sim.c counts them, the time taken to read and to compile it, and the time
 * to find the names to save (territory_simulate does that on every call,
 * so it is inside each timed run). */
static int read_specs(const char *path, const char *const *names, int nnames,
                      long *steps, double *read_ms, double *compile_ms,
                      double *lookup_us)
{
    TDiags d = {0};
    SdModel *sm = NULL;
    SdProgram *p = NULL;
    double t0 = now_ns();
    int rc = sd_model_load(path, &sm, &d);
    double t1 = now_ns();
    if (rc == T_OK)
        rc = sd_compile(sm, &p, &d);
    double t2 = now_ns();
    if (rc == T_OK) {
        /* The best of 5, as the runs report their best. */
        for (int k = 0; k < 5; k++) {
            double t3 = now_ns();
            for (int i = 0; i < nnames; i++)
                (void)sd_program_find(p, names[i]);
            double us = (now_ns() - t3) / 1e3;
            if (k == 0 || us < *lookup_us)
                *lookup_us = us;
        }
        *steps = (long)floor((sm->stop - sm->start) / sm->dt + 1e-6);
        *read_ms = (t1 - t0) / 1e6;
        *compile_ms = (t2 - t1) / 1e6;
    }
    sd_program_free(p);
    sd_model_free(sm);
    diags_free(&d);
    return rc;
}

int main(int argc, char **argv)
{
    const char *model = NULL;
    char *vars_arg = NULL;
    const char *check = NULL;
    double min_seconds = 1.0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--vars") && i + 1 < argc) {
            vars_arg = argv[++i];
        } else if (!strcmp(argv[i], "--check") && i + 1 < argc) {
            check = argv[++i];
        } else if (!strcmp(argv[i], "--min-seconds") && i + 1 < argc) {
            char *end;
            min_seconds = strtod(argv[++i], &end);
            if (*end || !(min_seconds >= 0) || min_seconds > 3600) {
                fprintf(stderr, "bench_sim: --min-seconds takes a number of "
                                "seconds from 0 to 3600\n");
                return 2;
            }
        } else if (argv[i][0] == '-' || model) {
            return usage();
        } else {
            model = argv[i];
        }
    }
    if (!model)
        return usage();

    static const char *names[MAX_VARS];
    int nnames = 0;
    char *vars_copy = NULL; /* split in place; vars_arg stays for output */
    if (vars_arg) {
        vars_copy = strdup(vars_arg);
        nnames = vars_copy ? split_names(vars_copy, names) : -1;
        if (nnames < 0) {
            fprintf(stderr,
                    "bench_sim: --vars takes 1 to %d names, "
                    "comma-separated\n",
                    MAX_VARS);
            return 2;
        }
    }

    long steps = 0;
    double read_ms = 0, compile_ms = 0, lookup_us = 0;
    if (read_specs(model, names, nnames, &steps, &read_ms, &compile_ms,
                   &lookup_us) != T_OK) {
        /* territory_model_open below reports why. */
        steps = 0;
    }

    char *errors = NULL;
    TerritoryModel *m = NULL;
    double t0 = now_ns();
    int rc = territory_model_open(model, &m, &errors);
    double open_ms = (now_ns() - t0) / 1e6;
    if (rc) {
        fprintf(stderr, "%s", errors ? errors : "bench_sim: cannot open\n");
        free(errors);
        return 1;
    }
    free(errors);
    int nvars = territory_model_nvars(m);

    TerritoryRunOptions opts = {TERRITORY_METHOD_MODEL, NULL, 0};
    if (nnames) {
        opts.vars = names;
        opts.nvars = nnames;
    }

    /* The warm-up run also checks the model runs and gives its last
     * value, printed so that a model gone wrong (NaN) is seen. */
    TerritoryTable *t = NULL;
    rc = territory_simulate(m, &opts, &t, &errors);
    if (rc) {
        fprintf(stderr, "%s", errors ? errors : "bench_sim: run failed\n");
        free(errors);
        territory_model_free(m);
        return 1;
    }
    free(errors);
    int ncols = territory_table_ncols(t), nrows = territory_table_nrows(t);
    double last = territory_table_value(t, nrows - 1, ncols - 1);
    double checked = NAN;
    if (check) {
        int col = territory_table_find(t, check);
        if (col < 0) {
            fprintf(stderr, "bench_sim: --check: no saved variable '%s'\n",
                    check);
            territory_table_free(t);
            territory_model_free(m);
            return 2;
        }
        checked = territory_table_value(t, nrows - 1, col);
    }
    territory_table_free(t);

    double *us = malloc(sizeof(double) * MAX_RUNS);
    if (!us) {
        fprintf(stderr, "bench_sim: out of memory\n");
        territory_model_free(m);
        return 1;
    }
    int runs = 0;
    double begin = now_ns(), limit = min_seconds * 1e9;
    while (runs < MAX_RUNS && (runs < 3 || now_ns() - begin < limit)) {
        double a = now_ns();
        rc = territory_simulate(m, &opts, &t, &errors);
        double b = now_ns();
        if (rc) {
            fprintf(stderr, "%s", errors ? errors : "bench_sim: run failed\n");
            free(errors);
            free(us);
            territory_model_free(m);
            return 1;
        }
        territory_table_free(t);
        us[runs++] = (b - a) / 1e3;
    }
    qsort(us, (size_t)runs, sizeof(double), cmp_double);
    double best = us[0];
    double median =
        runs % 2 ? us[runs / 2] : (us[runs / 2 - 1] + us[runs / 2]) / 2;
    double var_steps = (double)nvars * (double)steps;
    double ns_vs = var_steps > 0 ? best * 1e3 / var_steps : NAN;
    struct rusage ru;
    long maxrss_kb = getrusage(RUSAGE_SELF, &ru) == 0 ? ru.ru_maxrss : -1;
    free(us);
    territory_model_free(m);
    free(vars_copy);

    printf("model            %s\n", model);
    printf("variables        %d (saved: %s)\n", nvars,
           nnames ? vars_arg : "all");
    printf("steps            %ld (%d rows saved)\n", steps, nrows);
    printf("open             %.2f ms (read %.2f ms + compile %.2f ms, "
           "measured apart)\n",
           open_ms, read_ms, compile_ms);
    if (nnames)
        printf("name lookup      %.1f us per run (inside each run below)\n",
               lookup_us);
    printf("runs             %d\n", runs);
    printf("per run          best %.1f us, median %.1f us\n", best, median);
    printf("per var-step     %.2f ns (best run)\n", ns_vs);
    printf("last value       %.6g\n", last);
    if (check)
        printf("check            %s = %.9g\n", check, checked);
    printf("peak RSS         %ld KiB (this process, all of the above)\n",
           maxrss_kb);
    printf("result\tmodel=%s\tvars=%d\tsaved=%s\tsteps=%ld\trows=%d"
           "\topen_ms=%.3f\tread_ms=%.3f\tcompile_ms=%.3f\truns=%d"
           "\tbest_us=%.2f\tmedian_us=%.2f\tns_per_var_step=%.3f"
           "\tlookup_us=%.1f\tlast=%.6g\tmaxrss_kb=%ld\tcols=%d\tcheck=%.9g\n",
           model, nvars, nnames ? vars_arg : "all", steps, nrows, open_ms,
           read_ms, compile_ms, runs, best, median, ns_vs, lookup_us, last,
           maxrss_kb, ncols, checked);
    return isfinite(last) ? 0 : 1;
}
