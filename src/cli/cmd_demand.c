/*
 * cmd_demand.c - `territory demand`: reads a contact log, classifies it
 * (repeat contacts, and the text rules given with --rules), measures
 * value and failure demand with capability charts, and writes the report
 * as text, JSON or one HTML file. Rows that do not load are listed on
 * stderr as warnings and in the report; they never stop the run.
 */
#include "cli.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "demand/demand.h"

#define DEMAND_WARN_MAX 20 /* rejected rows listed on stderr */

static void demand_usage(void)
{
    cli_error("usage: territory demand CONTACTS.csv [--rules FILE] "
              "[--map COLUMN=HEADER ...] [--split YYYY-MM-DD ...] "
              "[--format text|json|html] [-o FILE]");
}

/* Prints s with control characters as spaces: a log cannot drive the
 * terminal. */
static void put_clean(FILE *f, const char *s)
{
    for (; *s; s++)
        fputc((unsigned char)*s < 0x20 || *s == 0x7F ? ' ' : *s, f);
}

/* Writes the report to path ("-" or NULL: stdout). */
static int write_out(const char *path, const TBuf *b)
{
    FILE *f = path && strcmp(path, "-") ? fopen(path, "wb") : stdout;
    if (!f) {
        cli_error("cannot write '%s': %s", path, strerror(errno));
        return EXIT_INPUT;
    }
    size_t n = b->len ? fwrite(b->data, 1, b->len, f) : 0;
    int bad = n != b->len;
    if (f == stdout)
        bad |= fflush(f) != 0;
    else
        bad |= fclose(f) != 0;
    if (bad) {
        cli_error("cannot write '%s': %s", path ? path : "stdout",
                  strerror(errno));
        return EXIT_INTERNAL;
    }
    return EXIT_OK;
}

int cmd_demand(int argc, char **argv)
{
    const char *path = NULL, *rules_path = NULL, *out_path = NULL;
    DemandFormat fmt = DEMAND_TEXT;
    DemandMap map;
    demand_map_default(&map);
    int splits[DEMAND_SPLITS_MAX], nsplits = 0;
    for (int i = 0; i < argc; i++) {
        const char *opt = argv[i];
        const char *val = i + 1 < argc ? argv[i + 1] : NULL;
        bool takes = !strcmp(opt, "--rules") || !strcmp(opt, "--map") ||
                     !strcmp(opt, "--split") || !strcmp(opt, "--format") ||
                     !strcmp(opt, "-o");
        if (takes && !val) {
            cli_error("%s needs a value", opt);
            demand_usage();
            return EXIT_USAGE;
        }
        if (!strcmp(opt, "--format")) {
            if (!strcmp(val, "text"))
                fmt = DEMAND_TEXT;
            else if (!strcmp(val, "json"))
                fmt = DEMAND_JSON;
            else if (!strcmp(val, "html"))
                fmt = DEMAND_HTML;
            else {
                cli_error("--format takes text, json or html, not '%s'", val);
                return EXIT_USAGE;
            }
            i++;
        } else if (!strcmp(opt, "--rules")) {
            rules_path = val;
            i++;
        } else if (!strcmp(opt, "-o")) {
            out_path = val;
            i++;
        } else if (!strcmp(opt, "--map")) {
            char err[512];
            if (demand_map_set(&map, val, err, sizeof err)) {
                cli_error("%s", err);
                return EXIT_USAGE;
            }
            i++;
        } else if (!strcmp(opt, "--split")) {
            long long epoch;
            int day;
            char err[256];
            if (!demand_date_parse(val, &epoch, &day, err, sizeof err) ||
                strlen(val) != 10) {
                cli_error("--split takes a date YYYY-MM-DD, not '%s'", val);
                return EXIT_USAGE;
            }
            if (nsplits == DEMAND_SPLITS_MAX) {
                cli_error("at most %d --split dates", DEMAND_SPLITS_MAX);
                return EXIT_USAGE;
            }
            splits[nsplits++] = day;
            i++;
        } else if (opt[0] == '-' && opt[1]) {
            cli_error("unknown option '%s'", opt);
            demand_usage();
            return EXIT_USAGE;
        } else if (path) {
            cli_error("more than one contact log given");
            return EXIT_USAGE;
        } else {
            path = opt;
        }
    }
    if (!path) {
        demand_usage();
        return EXIT_USAGE;
    }

    TDiags d = {0};
    DemandLog *log = NULL;
    DemandRules *rules = NULL;
    DemandStudy *study = NULL;
    TBuf out = {0};
    int ex = EXIT_OK;
    int rc = demand_log_load(path, &map, &log, &d);
    if (rc == T_OK && rules_path)
        rc = demand_rules_load(rules_path, &rules, &d);
    if (rc == T_OK)
        rc = demand_classify(log, rules);
    if (rc == T_OK) {
        DemandOpts o = {splits, nsplits};
        rc = demand_study_run(log, &o, &study, &d);
    }
    if (rc == T_OK)
        rc = demand_report(study, fmt, &out);
    if (rc) {
        cli_print_diags(&d);
        if (!d.len)
            cli_error("out of memory");
        ex = rc == T_EINPUT   ? EXIT_INPUT
             : rc == T_EUSAGE ? EXIT_USAGE
                              : EXIT_INTERNAL;
        goto done;
    }
    cli_print_diags(&d); /* warnings, if any */
    for (int i = 0; i < log->nrejected && i < DEMAND_WARN_MAX; i++) {
        fprintf(stderr, "%s:%d: warning: row rejected: ", path,
                log->rejected[i].line);
        put_clean(stderr, log->rejected[i].reason);
        fputc('\n', stderr);
    }
    if (log->nrejected > DEMAND_WARN_MAX)
        fprintf(stderr,
                "%s: warning: %d more rows rejected (the report "
                "lists them all)\n",
                path, log->nrejected - DEMAND_WARN_MAX);
    ex = write_out(out_path, &out);
done:
    tbuf_free(&out);
    demand_study_free(study);
    demand_rules_free(rules);
    demand_log_free(log);
    diags_free(&d);
    return ex;
}
