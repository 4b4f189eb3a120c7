/*
 * main.c - entry point of the territory command: dispatches to the
 * subcommands and owns everything that touches the terminal. The library
 * (src/core, src/sd) never prints; this file and cmd_*.c do.
 */
#define _GNU_SOURCE /* qsort_r */
#include "cli.h"

#include <malloc.h>

#include "territory.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

static void usage(FILE *f)
{
    fputs("usage: territory <command> [options]\n"
          "\n"
          "commands:\n"
          "  run MODEL [--format csv|tsv|json] [--method euler|rk2|rk4]\n"
          "            [--set NAME=VALUE ...] [--vars A,B] [-o FILE]\n"
          "            [--data FILE ...]  (.tab/.csv data for data variables)\n"
          "            [--seed S]  (the random functions' draws)\n"
          "                 simulate a model and print one row per saved time\n"
          "  check MODEL    report every problem in a model as "
          "file:line:col: message\n"
          "  loops MAP_OR_MODEL [--format text|json] [--max N] "
          "[--budget SECONDS]\n"
          "                 [--leverage]\n"
          "                 every feedback loop of a map (workspace JSON) or "
          "model,\n"
          "                 shortest first, with polarity R/B/?, and each "
          "factor's leverage\n"
          "  dominance MODEL [--format csv|json] [--max N] "
          "[--loops all|strongest]\n"
          "                 [--method euler|rk2|rk4] [--data FILE ...]\n"
          "                 which loop drives the behaviour at each saved "
          "time\n"
          "                 (Loops That Matter: relative loop scores)\n"
          "  ensemble MODEL --runs N --vary 'NAME=DIST(ARGS)' ... [--seed S]\n"
          "            [--set NAME=VALUE ...] [--jobs N] [--vars A,B]\n"
          "            [--format csv|json] [-o FILE] [--data FILE ...]\n"
          "                 sensitivity: N runs, parameters drawn by Latin "
          "hypercube\n"
          "                 (uniform, normal, triangular, lognormal), "
          "percentile bands\n"
          "  compare MODEL --scenario FILE ... [--vars A,B] [--at T1,T2]\n"
          "            [--format text|csv|json] [-o FILE] [--data FILE ...]\n"
          "                 the model under named scenarios, side by side\n"
          "  demand CONTACTS.csv [--rules FILE] [--map COLUMN=HEADER ...]\n"
          "            [--split YYYY-MM-DD ...] [--format text|json|html] "
          "[-o FILE]\n"
          "                 value and failure demand in a contact log, with\n"
          "                 capability (XmR) charts\n"
          "  serve [--db FILE] [--host ADDR] [--port N] [--secure-cookies]\n"
          "                 the shared workspace in a browser (default "
          "territory.db,\n"
          "                 http://127.0.0.1:8080/), seeded with the starter\n"
          "  init [--db FILE]  create and seed the database, and nothing else\n"
          "  workspace list|export|import [--db FILE] [SLUG] [-o FILE | FILE]\n"
          "                 list slugs, or move a workspace as one JSON "
          "document\n"
          "  export DOC.json --format graphml|dot|csv [-o FILE]\n"
          "                 a workspace document's map as GraphML or DOT, or "
          "its\n"
          "                 items as CSV\n"
          "  convert MODEL OUT.xmile\n"
          "                 write any model Territory reads as XMILE 1.0\n"
          "  digest [--db FILE] [--out DIR] [--since DATE] [--smtp URL --from "
          "ADDR]\n"
          "                 write (and send) the e-mail digests that are due\n"
          "  version        print the version\n"
          "\n"
          "exit codes: 0 success, 1 bad input, 2 usage error, 3 internal "
          "failure\n",
          f);
}

void cli_error(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("territory: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
}

/* Diagnostics in file order: by line, then column, then as reported. */
static int by_place(const void *pa, const void *pb, void *base)
{
    int ia = *(const int *)pa, ib = *(const int *)pb;
    const TDiag *a = (const TDiag *)base + ia, *b = (const TDiag *)base + ib;
    if (a->line != b->line)
        return a->line < b->line ? -1 : 1;
    if (a->col != b->col)
        return a->col < b->col ? -1 : 1;
    return ia < ib ? -1 : ia > ib;
}

void cli_print_diags(const TDiags *d)
{
    TBuf b = {0};
    TDiags sorted = *d;
    int *idx = malloc(sizeof(int) * (size_t)(d->len + 1));
    TDiag *copy = malloc(sizeof(TDiag) * (size_t)(d->len + 1));
    if (idx && copy) {
        for (int i = 0; i < d->len; i++)
            idx[i] = i;
        qsort_r(idx, (size_t)d->len, sizeof(int), by_place, d->items);
        for (int i = 0; i < d->len; i++)
            copy[i] = d->items[idx[i]];
        sorted.items = copy;
    }
    free(idx);
    diags_format(&sorted, &b);
    free(copy);
    fputs(tbuf_cstr(&b), stderr);
    if (d->len < d->errors)
        fprintf(stderr, "(%d more errors not shown)\n", d->errors - d->len);
    tbuf_free(&b);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return EXIT_USAGE;
    }
    const char *cmd = argv[1];
    /* A short command keeps freed memory for reuse rather than giving it
     * back and faulting fresh pages in again (a first touch of a page is
     * the dearest thing it does on a virtual machine); the long-running
     * server keeps glibc's defaults. */
    if (strcmp(cmd, "serve")) {
        mallopt(M_MMAP_THRESHOLD, 64 << 20);
        mallopt(M_TRIM_THRESHOLD, 128 << 20);
    }
    if (!strcmp(cmd, "run"))
        return cmd_run(argc - 2, argv + 2);
    if (!strcmp(cmd, "check"))
        return cmd_check(argc - 2, argv + 2);
    if (!strcmp(cmd, "loops"))
        return cmd_loops(argc - 2, argv + 2);
    if (!strcmp(cmd, "dominance"))
        return cmd_dominance(argc - 2, argv + 2);
    if (!strcmp(cmd, "export"))
        return cmd_export(argc - 2, argv + 2);
    if (!strcmp(cmd, "demand"))
        return cmd_demand(argc - 2, argv + 2);
    if (!strcmp(cmd, "ensemble"))
        return cmd_ensemble(argc - 2, argv + 2);
    if (!strcmp(cmd, "compare"))
        return cmd_compare(argc - 2, argv + 2);
    if (!strcmp(cmd, "serve"))
        return cmd_serve(argc - 2, argv + 2);
    if (!strcmp(cmd, "init"))
        return cmd_init(argc - 2, argv + 2);
    if (!strcmp(cmd, "workspace"))
        return cmd_workspace(argc - 2, argv + 2);
    if (!strcmp(cmd, "convert"))
        return cmd_convert(argc - 2, argv + 2);
    if (!strcmp(cmd, "digest"))
        return cmd_digest(argc - 2, argv + 2);
    if (!strcmp(cmd, "version") || !strcmp(cmd, "--version")) {
        printf("territory %s\n", territory_version());
        return EXIT_OK;
    }
    if (!strcmp(cmd, "help") || !strcmp(cmd, "--help") || !strcmp(cmd, "-h")) {
        usage(stdout);
        return EXIT_OK;
    }
    cli_error("unknown command '%s'", cmd);
    usage(stderr);
    return EXIT_USAGE;
}
