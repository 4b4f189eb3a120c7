/*
 * bench_loops.c - times loop finding in-process on one map (issues 5 and
 * 8): reads the workspace export document once, then counts its
 * elementary cycles again and again, and reports the best and median time
 * per count and the cost per cycle.
 *
 * Usage: bench_loops MAP.json [--min-seconds S] [--budget S]
 *
 * What is timed is map_loops_find (src/map/map.h) with nothing listed
 * (max_listed 0, as `territory loops --max 0` does), for at least S
 * seconds (default 1) and at least 3 runs, after one untimed warm-up run;
 * freeing the result is not timed. Reading the file and building the graph
 * (map_graph_from_json) is timed once, apart. --budget (default 60) is
 * map_loops_find's own time budget; a count it stops is reported with
 * exact=0.
 *
 * Output: readable lines, then one line for scripts, tab-separated
 * key=value pairs after the word `result` (bench/run.sh parses it).
 * Exit codes: 0 done, 1 the map failed, 2 usage error.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "map/map.h"

#define MAX_RUNS 100000     /* samples kept; a run stops here whatever S is */
#define MAP_MAX (256 << 20) /* bytes read from the map file */

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
    fprintf(stderr,
            "usage: bench_loops MAP.json [--min-seconds S] [--budget S]\n");
    return 2;
}

/* Parses seconds from 0 (exclusive when !zero_ok) to 3600. */
static bool seconds_arg(const char *s, bool zero_ok, double *out)
{
    char *end;
    double v = strtod(s, &end);
    if (end == s || *end || !(v >= 0) || v > 3600 || (!zero_ok && v == 0))
        return false;
    *out = v;
    return true;
}

int main(int argc, char **argv)
{
    const char *path = NULL;
    double min_seconds = 1.0, budget = 60.0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--min-seconds") && i + 1 < argc) {
            if (!seconds_arg(argv[++i], true, &min_seconds)) {
                fprintf(stderr, "bench_loops: --min-seconds takes a number "
                                "of seconds from 0 to 3600\n");
                return 2;
            }
        } else if (!strcmp(argv[i], "--budget") && i + 1 < argc) {
            if (!seconds_arg(argv[++i], false, &budget)) {
                fprintf(stderr, "bench_loops: --budget takes a number of "
                                "seconds above 0, up to 3600\n");
                return 2;
            }
        } else if (argv[i][0] == '-' || path) {
            return usage();
        } else {
            path = argv[i];
        }
    }
    if (!path)
        return usage();

    /* Read and build, timed once. */
    TBuf b = {0};
    TDiags d = {0};
    MapGraph *g = NULL;
    double t0 = now_ns();
    int rc = tbuf_read_file(&b, path, MAP_MAX);
    if (rc == T_OK)
        rc = map_graph_from_json(b.data ? b.data : "", b.len, path, &g, &d);
    double read_ms = (now_ns() - t0) / 1e6;
    tbuf_free(&b);
    if (rc != T_OK) {
        TBuf msg = {0};
        if (d.len && diags_format(&d, &msg) == T_OK)
            fprintf(stderr, "%s", tbuf_cstr(&msg));
        else
            fprintf(stderr, "bench_loops: cannot read '%s'\n", path);
        tbuf_free(&msg);
        diags_free(&d);
        return 1;
    }
    diags_free(&d);

    /* The warm-up run also gives the count every later run must repeat. */
    MapLoopOpts o = {0, budget};
    MapLoops *l = NULL;
    if (map_loops_find(g, &o, &l) != T_OK) {
        fprintf(stderr, "bench_loops: out of memory\n");
        map_graph_free(g);
        return 1;
    }
    long long count = l->count;
    bool exact = l->exact;
    map_loops_free(l);

    double *us = malloc(sizeof(double) * MAX_RUNS);
    if (!us) {
        fprintf(stderr, "bench_loops: out of memory\n");
        map_graph_free(g);
        return 1;
    }
    int runs = 0;
    double begin = now_ns(), limit = min_seconds * 1e9;
    while (runs < MAX_RUNS && (runs < 3 || now_ns() - begin < limit)) {
        double a = now_ns();
        rc = map_loops_find(g, &o, &l);
        double z = now_ns();
        if (rc != T_OK || (exact && l->count != count)) {
            fprintf(stderr, "bench_loops: %s\n",
                    rc != T_OK ? "out of memory"
                               : "the count changed between runs");
            map_loops_free(l);
            free(us);
            map_graph_free(g);
            return 1;
        }
        map_loops_free(l);
        us[runs++] = (z - a) / 1e3;
    }
    qsort(us, (size_t)runs, sizeof(double), cmp_double);
    double best = us[0];
    double median =
        runs % 2 ? us[runs / 2] : (us[runs / 2 - 1] + us[runs / 2]) / 2;
    double ns_cycle = count > 0 ? best * 1e3 / (double)count : 0;
    int nnodes = g->nnodes, nlinks = g->nlinks;
    free(us);
    map_graph_free(g);

    printf("map              %s\n", path);
    printf("graph            %d nodes, %d links\n", nnodes, nlinks);
    printf("read             %.2f ms (file + JSON + graph, once)\n", read_ms);
    printf("cycles           %lld%s\n", count,
           exact ? "" : " at least (the budget stopped the count)");
    printf("runs             %d\n", runs);
    printf("per count        best %.1f us, median %.1f us\n", best, median);
    printf("per cycle        %.1f ns (best run)\n", ns_cycle);
    printf("result\tmap=%s\tnodes=%d\tlinks=%d\tcount=%lld\texact=%d"
           "\tread_ms=%.3f\truns=%d\tbest_us=%.2f\tmedian_us=%.2f"
           "\tns_per_cycle=%.1f\n",
           path, nnodes, nlinks, count, exact ? 1 : 0, read_ms, runs, best,
           median, ns_cycle);
    return 0;
}
