/*
 * cmd_scenario.c - `territory ensemble` (sensitivity runs: percentile bands
 * of every variable over time, with a progress bar on a terminal) and
 * `territory compare` (a model run under several named scenarios, side by
 * side as series and as a table of chosen outcomes at chosen times).
 */
#include "cli.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "sd/sd.h"

typedef enum { FMT_TEXT, FMT_CSV, FMT_JSON } Format;

#define MAX_LIST 1024 /* --vary, --scenario, --vars and --at entries */

static void put_prec(FILE *f, double v, bool json, int digits)
{
    if (!isfinite(v)) {
        fputs(json ? "null" : isnan(v) ? "NaN" : v > 0 ? "Inf" : "-Inf", f);
        return;
    }
    if (v == 0)
        v = 0; /* no "-0" */
    /* "%.*g", several times faster (numfmt.c) */
    char num[STR_NUM_MAX];
    int n = str_fmt_g(num, v, digits);
    fwrite(num, 1, (size_t)n, f);
}

static void put_num(FILE *f, double v, bool json)
{
    put_prec(f, v, json, 10);
}

/* Ensemble values are kept as floats: their seven digits, no noise. */
static void put_f7(FILE *f, double v, bool json)
{
    put_prec(f, v, json, 7);
}

static void put_json_str(FILE *f, const char *s)
{
    fputc('"', f);
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\')
            fprintf(f, "\\%c", c);
        else if (c < 0x20)
            fprintf(f, "\\u%04x", c);
        else
            fputc(c, f);
    }
    fputc('"', f);
}

/* A CSV field, quoted when it must be (RFC 4180). */
static void put_csv_str(FILE *f, const char *s)
{
    if (!strpbrk(s, ",\"\r\n")) {
        fputs(s, f);
        return;
    }
    fputc('"', f);
    for (; *s; s++) {
        if (*s == '"')
            fputc('"', f);
        fputc(*s, f);
    }
    fputc('"', f);
}

/* Splits a comma-separated list in place into at most max names. */
static int split_list(char *s, const char **out, int max)
{
    int n = 0;
    for (char *p = s; p && *p;) {
        char *comma = strchr(p, ',');
        if (comma)
            *comma = '\0';
        while (*p == ' ')
            p++;
        if (*p) {
            if (n == max)
                return -1;
            out[n++] = p;
        }
        p = comma ? comma + 1 : NULL;
    }
    return n;
}

static bool parse_method(const char *val, SdMethod *m)
{
    if (val && !strcasecmp(val, "euler"))
        *m = SD_EULER;
    else if (val && !strcasecmp(val, "rk2"))
        *m = SD_RK2;
    else if (val && !strcasecmp(val, "rk4"))
        *m = SD_RK4;
    else
        return false;
    return true;
}

/* The options `ensemble` and `compare` share, and the model named on the
 * command line. */
typedef struct CommonOpts {
    const char *model;    /* the model file */
    const char *outpath;  /* -o FILE, or NULL for standard output */
    const char *vars;     /* --vars A,B, or NULL for every variable */
    SdMethod method;      /* --method */
    bool method_given;    /* --method was given */
    Format fmt;           /* --format */
    bool text_ok;         /* whether this command writes text */
    const char *data[64]; /* --data files for the model's data variables */
    int ndata;            /* how many */
} CommonOpts;

/* Takes argv[*i] when it is a shared option (moving *i past its value) or
 * the model: 1. Returns 0 for an option the command must take itself, -1
 * after saying what is wrong. */
static int common_opt(CommonOpts *c, int argc, char **argv, int *i)
{
    const char *arg = argv[*i], *val = *i + 1 < argc ? argv[*i + 1] : NULL;
    if (!strcmp(arg, "--vars")) {
        if (!val) {
            cli_error("--vars takes a comma-separated list of names");
            return -1;
        }
        c->vars = val;
    } else if (!strcmp(arg, "--method")) {
        if (!parse_method(val, &c->method)) {
            cli_error("--method takes euler, rk2 or rk4");
            return -1;
        }
        c->method_given = true;
    } else if (!strcmp(arg, "--format")) {
        if (val && c->text_ok && !strcmp(val, "text"))
            c->fmt = FMT_TEXT;
        else if (val && !strcmp(val, "csv"))
            c->fmt = FMT_CSV;
        else if (val && !strcmp(val, "json"))
            c->fmt = FMT_JSON;
        else {
            cli_error(c->text_ok ? "--format takes text, csv or json"
                                 : "--format takes csv or json");
            return -1;
        }
    } else if (!strcmp(arg, "-o") || !strcmp(arg, "--output")) {
        if (!val) {
            cli_error("-o takes a file name");
            return -1;
        }
        c->outpath = val;
    } else if (!strcmp(arg, "--data")) {
        if (!val) {
            cli_error("--data takes a .tab or .csv file");
            return -1;
        }
        if (c->ndata == 64) {
            cli_error("too many --data options (64 at most)");
            return -1;
        }
        c->data[c->ndata++] = val;
    } else if (arg[0] == '-' && arg[1]) {
        return 0;
    } else {
        if (c->model) {
            cli_error("more than one model given ('%s' and '%s')", c->model,
                      arg);
            return -1;
        }
        c->model = arg;
        return 1;
    }
    (*i)++;
    return 1;
}

static FILE *open_out(const char *path)
{
    if (!path || !strcmp(path, "-"))
        return stdout;
    FILE *f = fopen(path, "w");
    if (!f)
        cli_error("cannot write '%s'", path);
    return f;
}

static int close_out(FILE *f, const char *path)
{
    int bad = ferror(f);
    if (f != stdout)
        bad |= fclose(f);
    else
        bad |= fflush(f);
    if (bad) {
        cli_error("cannot write '%s'", path ? path : "standard output");
        return EXIT_INTERNAL;
    }
    return EXIT_OK;
}

/* ---- ensemble ------------------------------------------------------------ */

typedef struct Progress {
    bool on;        /* drawing to a terminal */
    time_t last;    /* when it was last drawn */
    long last_done; /* how far it was */
} Progress;

static void draw_progress(void *ud, long done, long total)
{
    Progress *p = ud;
    time_t now = time(NULL);
    if (!p->on || (done != total && now == p->last &&
                   done - p->last_done < total / 50 + 1))
        return;
    p->last = now;
    p->last_done = done;
    int width = 30, fill = (int)((double)done / (double)total * width);
    fprintf(stderr, "\r[%.*s%*s] %ld/%ld runs", fill,
            "==============================", width - fill, "", done, total);
    if (done == total)
        fputc('\n', stderr);
    fflush(stderr);
}

static void write_ensemble(FILE *f, const SdEnsemble *e,
                           const SdEnsembleOpts *o, Format fmt)
{
    int nq = SD_ENSEMBLE_NQ;
    if (fmt == FMT_JSON) {
        fprintf(f, "{\"runs\":%ld,\"seed\":%llu,\"vary\":[", e->runs,
                (unsigned long long)o->seed);
        for (int j = 0; j < o->nvary; j++) {
            fputs(j ? ",{\"name\":" : "{\"name\":", f);
            put_json_str(f, o->vary[j].name);
            fprintf(f, ",\"dist\":\"%s\",\"params\":[",
                    sd_dist_name(o->vary[j].dist));
            for (int k = 0; k < sd_dist_nargs(o->vary[j].dist); k++) {
                if (k)
                    fputc(',', f);
                put_num(f, o->vary[j].p[k], true);
            }
            fputs("]}", f);
        }
        fputs("],\"percentiles\":[5,25,50,75,95],\"time\":[", f);
        for (int t = 0; t < e->nrows; t++) {
            if (t)
                fputc(',', f);
            put_num(f, e->time[t], true);
        }
        fputs("],\"vars\":[", f);
        for (int v = 0; v < e->nvars; v++) {
            fputs(v ? ",{\"name\":" : "{\"name\":", f);
            put_json_str(f, e->names[v]);
            for (int k = 0; k <= nq; k++) {
                static const char *key[] = {"p5",  "p25", "p50",
                                            "p75", "p95", "mean"};
                fprintf(f, ",\"%s\":[", key[k]);
                for (int t = 0; t < e->nrows; t++) {
                    size_t c = (size_t)v * (size_t)e->nrows + (size_t)t;
                    if (t)
                        fputc(',', f);
                    put_f7(f,
                           k < nq ? e->q[c * (size_t)nq + (size_t)k]
                                  : e->mean[c],
                           true);
                }
                fputc(']', f);
            }
            fputc('}', f);
        }
        fputs("]}\n", f);
        return;
    }
    fputs("variable,Time,p5,p25,p50,p75,p95,mean\n", f);
    for (int v = 0; v < e->nvars; v++)
        for (int t = 0; t < e->nrows; t++) {
            size_t c = (size_t)v * (size_t)e->nrows + (size_t)t;
            put_csv_str(f, e->names[v]);
            fputc(',', f);
            put_num(f, e->time[t], false);
            for (int k = 0; k < nq; k++) {
                fputc(',', f);
                put_f7(f, e->q[c * (size_t)nq + (size_t)k], false);
            }
            fputc(',', f);
            put_f7(f, e->mean[c], false);
            fputc('\n', f);
        }
}

int cmd_ensemble(int argc, char **argv)
{
    const char *specs[MAX_LIST], *sets[MAX_LIST];
    int nspecs = 0, nsets = 0;
    CommonOpts c = {.fmt = FMT_CSV};
    bool quiet = false;
    SdEnsembleOpts o = {.runs = 0, .seed = 1};
    for (int i = 0; i < argc; i++) {
        const char *arg = argv[i], *val = i + 1 < argc ? argv[i + 1] : NULL;
        long n;
        int taken = common_opt(&c, argc, argv, &i);
        if (taken < 0)
            return EXIT_USAGE;
        if (taken)
            continue;
        if (!strcmp(arg, "--runs")) {
            if (!val || !str_to_int(val, 1, 10000000, &n)) {
                cli_error("--runs takes a number of runs from 1 to 10000000");
                return EXIT_USAGE;
            }
            o.runs = n;
        } else if (!strcmp(arg, "--seed")) {
            char *end;
            if (!val || !*val || *val == '-' ||
                (o.seed = strtoull(val, &end, 10), *end)) {
                cli_error("--seed takes a whole number");
                return EXIT_USAGE;
            }
        } else if (!strcmp(arg, "--jobs")) {
            if (!val || !str_to_int(val, 1, 64, &n)) {
                cli_error("--jobs takes a number of threads from 1 to 64");
                return EXIT_USAGE;
            }
            o.threads = (int)n;
        } else if (!strcmp(arg, "--vary")) {
            if (!val) {
                cli_error("--vary takes NAME=DIST(ARGS)");
                return EXIT_USAGE;
            }
            if (nspecs == MAX_LIST) {
                cli_error("too many --vary options (%d at most)", MAX_LIST);
                return EXIT_USAGE;
            }
            specs[nspecs++] = val;
        } else if (!strcmp(arg, "--set")) {
            if (!val || !strchr(val, '=')) {
                cli_error("--set takes NAME=VALUE");
                return EXIT_USAGE;
            }
            if (nsets == MAX_LIST) {
                cli_error("too many --set options (%d at most)", MAX_LIST);
                return EXIT_USAGE;
            }
            sets[nsets++] = val;
        } else if (!strcmp(arg, "--quiet") || !strcmp(arg, "-q")) {
            quiet = true;
            continue;
        } else {
            cli_error("unknown option '%s'", arg);
            return EXIT_USAGE;
        }
        i++;
    }
    const char *model = c.model, *outpath = c.outpath, *vars = c.vars;
    Format fmt = c.fmt;
    o.method = c.method;
    o.method_given = c.method_given;
    if (!model || !o.runs || !nspecs) {
        cli_error("usage: territory ensemble MODEL --runs N --vary "
                  "'NAME=DIST(ARGS)' ... [--set NAME=VALUE ...] [--seed S] "
                  "[--vars A,B] "
                  "[--format csv|json] [-o FILE] [--data FILE ...]");
        return EXIT_USAGE;
    }

    TDiags d = {0};
    Arena a;
    arena_init(&a);
    SdVary vary[MAX_LIST];
    const char *names[MAX_LIST];
    char *varlist = vars ? strdup(vars) : NULL;
    SdModel *m = NULL;
    SdEnsemble *e = NULL;
    int rc = EXIT_OK;
    for (int i = 0; i < nspecs; i++)
        if (sd_vary_parse(&a, specs[i], &vary[i], &d))
            rc = EXIT_INPUT;
    if (vars) {
        int n = varlist ? split_list(varlist, names, MAX_LIST) : -1;
        if (n <= 0) {
            cli_error("--vars takes a comma-separated list of names (%d at "
                      "most)",
                      MAX_LIST);
            rc = EXIT_USAGE;
        }
        o.names = names;
        o.nnames = n;
    }
    if (!rc && (sd_model_load(model, &m, &d) ||
                sd_model_attach_data(m, c.data, c.ndata, &d)))
        rc = EXIT_INPUT;
    /* --set fixes values for every run (an intervention switched on, say)
     * before the varied ones are drawn. */
    for (int i = 0; !rc && i < nsets; i++) {
        const char *eq = strchr(sets[i], '=');
        char *name = strndup(sets[i], (size_t)(eq - sets[i]));
        double v;
        if (!name)
            rc = EXIT_INTERNAL;
        else if (!str_to_double(eq + 1, &v)) {
            diags_add(&d, DIAG_ERROR, NULL, 0, 0, NULL,
                      "--set %s: '%s' is not a number", name, eq + 1);
            rc = EXIT_INPUT;
        } else if (sd_model_set(m, name, v, &d))
            rc = EXIT_INPUT;
        free(name);
    }
    Progress prog = {.on = !quiet && isatty(STDERR_FILENO)};
    o.vary = vary;
    o.nvary = nspecs;
    o.progress = draw_progress;
    o.ud = &prog;
    if (!rc) {
        int r = sd_ensemble_run(m, &o, &e, &d);
        rc = r == T_EINTERNAL ? EXIT_INTERNAL : r ? EXIT_INPUT : EXIT_OK;
    }
    cli_print_diags(&d);
    if (!rc) {
        FILE *f = open_out(outpath);
        if (!f)
            rc = EXIT_INPUT;
        else {
            write_ensemble(f, e, &o, fmt);
            rc = close_out(f, outpath);
        }
    }
    sd_ensemble_free(e);
    sd_model_free(m);
    free(varlist);
    arena_free(&a);
    diags_free(&d);
    return rc;
}

/* ---- compare --------------------------------------------------------------
 */

typedef struct Run {
    const SdScenario *sc; /* NULL for the model as it is */
    SdResults *r;         /* its results */
} Run;

static const char *run_name(const Run *r)
{
    return r->sc ? r->sc->name : "baseline";
}

/* The row whose time is t (within rounding), or -1. */
static int row_at(const SdResults *r, double t)
{
    for (int i = 0; i < r->nrows; i++) {
        double x = r->data[(size_t)i * (size_t)r->ncols];
        if (fabs(x - t) <= 1e-9 * fmax(1, fabs(t)))
            return i;
    }
    return -1;
}

static void write_compare(FILE *f, const Run *runs, int nruns, const int *rows,
                          int nrows, Format fmt)
{
    const SdResults *r0 = runs[0].r;
    int ncols = r0->ncols;
    if (fmt == FMT_CSV) {
        fputs("scenario,Time", f);
        for (int c = 1; c < ncols; c++) {
            fputc(',', f);
            put_csv_str(f, r0->names[c]);
        }
        fputc('\n', f);
        for (int s = 0; s < nruns; s++)
            for (int t = 0; t < runs[s].r->nrows; t++) {
                put_csv_str(f, run_name(&runs[s]));
                for (int c = 0; c < ncols; c++) {
                    fputc(',', f);
                    put_num(
                        f,
                        runs[s].r->data[(size_t)t * (size_t)ncols + (size_t)c],
                        false);
                }
                fputc('\n', f);
            }
        return;
    }
    if (fmt == FMT_JSON) {
        fputs("{\"scenarios\":[", f);
        for (int s = 0; s < nruns; s++) {
            const SdScenario *sc = runs[s].sc;
            fputs(s ? ",{\"name\":" : "{\"name\":", f);
            put_json_str(f, run_name(&runs[s]));
            if (sc && sc->description) {
                fputs(",\"description\":", f);
                put_json_str(f, sc->description);
            }
            fputs(",\"set\":{", f);
            for (int i = 0; sc && i < sc->nset; i++) {
                if (i)
                    fputc(',', f);
                put_json_str(f, sc->set_names[i]);
                fputc(':', f);
                put_num(f, sc->set_values[i], true);
            }
            fputs("}}", f);
        }
        fputs("],\"time\":[", f);
        for (int t = 0; t < r0->nrows; t++) {
            if (t)
                fputc(',', f);
            put_num(f, r0->data[(size_t)t * (size_t)ncols], true);
        }
        fputs("],\"vars\":[", f);
        for (int c = 1; c < ncols; c++) {
            fputs(c > 1 ? ",{\"name\":" : "{\"name\":", f);
            put_json_str(f, r0->names[c]);
            fputs(",\"series\":[", f);
            for (int s = 0; s < nruns; s++) {
                fputs(s ? ",[" : "[", f);
                for (int t = 0; t < runs[s].r->nrows; t++) {
                    if (t)
                        fputc(',', f);
                    put_num(
                        f,
                        runs[s].r->data[(size_t)t * (size_t)ncols + (size_t)c],
                        true);
                }
                fputc(']', f);
            }
            fputs("]}", f);
        }
        fputs("],\"table\":[", f);
        bool first = true;
        for (int c = 1; c < ncols; c++)
            for (int k = 0; k < nrows; k++) {
                fputs(first ? "{\"var\":" : ",{\"var\":", f);
                first = false;
                put_json_str(f, r0->names[c]);
                fputs(",\"time\":", f);
                put_num(f, r0->data[(size_t)rows[k] * (size_t)ncols], true);
                fputs(",\"values\":[", f);
                for (int s = 0; s < nruns; s++) {
                    if (s)
                        fputc(',', f);
                    put_num(f,
                            runs[s].r->data[(size_t)rows[k] * (size_t)ncols +
                                            (size_t)c],
                            true);
                }
                fputs("]}", f);
            }
        fputs("]}\n", f);
        return;
    }
    /* Text: one table, a row per variable and time, a column per run, and
     * each scenario's change against the first run; columns as wide as
     * their widest cell. */
    int nlines = (ncols - 1) * nrows;
    char *cells = calloc((size_t)nlines * (size_t)nruns + 1, 48);
    int *w = calloc((size_t)nruns + 2, sizeof(int));
    if (!cells || !w) {
        free(cells);
        free(w);
        return;
    }
    int wname = 8;
    for (int c = 1; c < ncols; c++)
        if ((int)strlen(r0->names[c]) > wname)
            wname = (int)strlen(r0->names[c]);
    if (wname > 40)
        wname = 40;
    for (int s = 0; s < nruns; s++)
        w[s] = (int)strlen(run_name(&runs[s]));
    for (int c = 1; c < ncols; c++)
        for (int k = 0; k < nrows; k++) {
            size_t at = (size_t)rows[k] * (size_t)ncols + (size_t)c;
            double base = r0->data[at];
            for (int s = 0; s < nruns; s++) {
                double v = runs[s].r->data[at];
                char *cell = cells + 48 * ((size_t)((c - 1) * nrows + k) *
                                               (size_t)nruns +
                                           (size_t)s);
                if (s && base != 0 && isfinite(v) && isfinite(base))
                    snprintf(cell, 48, "%.6g (%+.1f%%)", v,
                             100 * (v - base) / fabs(base));
                else
                    snprintf(cell, 48, "%.6g", v);
                if ((int)strlen(cell) > w[s])
                    w[s] = (int)strlen(cell);
            }
        }
    fprintf(f, "%-*s %10s", wname, "variable", "time");
    for (int s = 0; s < nruns; s++)
        fprintf(f, "  %*s", w[s], run_name(&runs[s]));
    fputc('\n', f);
    for (int c = 1; c < ncols; c++)
        for (int k = 0; k < nrows; k++) {
            fprintf(f, "%-*.*s %10g", wname, wname, r0->names[c],
                    r0->data[(size_t)rows[k] * (size_t)ncols]);
            for (int s = 0; s < nruns; s++)
                fprintf(f, "  %*s", w[s],
                        cells + 48 * ((size_t)((c - 1) * nrows + k) *
                                          (size_t)nruns +
                                      (size_t)s));
            fputc('\n', f);
        }
    free(cells);
    free(w);
}

int cmd_compare(int argc, char **argv)
{
    const char *at = NULL;
    const char *files[MAX_LIST];
    int nfiles = 0;
    bool baseline = true;
    CommonOpts c = {.fmt = FMT_TEXT, .text_ok = true};
    for (int i = 0; i < argc; i++) {
        const char *arg = argv[i], *val = i + 1 < argc ? argv[i + 1] : NULL;
        int taken = common_opt(&c, argc, argv, &i);
        if (taken < 0)
            return EXIT_USAGE;
        if (taken)
            continue;
        if (!strcmp(arg, "--scenario")) {
            if (!val) {
                cli_error("--scenario takes a scenario file (JSON)");
                return EXIT_USAGE;
            }
            if (nfiles == MAX_LIST) {
                cli_error("too many --scenario options (%d at most)", MAX_LIST);
                return EXIT_USAGE;
            }
            files[nfiles++] = val;
        } else if (!strcmp(arg, "--at")) {
            if (!val) {
                cli_error("--at takes a comma-separated list of times");
                return EXIT_USAGE;
            }
            at = val;
        } else if (!strcmp(arg, "--no-baseline")) {
            baseline = false;
            continue;
        } else {
            cli_error("unknown option '%s'", arg);
            return EXIT_USAGE;
        }
        i++;
    }
    const char *model = c.model, *outpath = c.outpath, *vars = c.vars;
    Format fmt = c.fmt;
    SdRunOpts ro = {.method = c.method, .method_given = c.method_given};
    if (!model || !nfiles) {
        cli_error("usage: territory compare MODEL --scenario FILE ... "
                  "[--vars A,B] [--at T1,T2] [--format text|csv|json] "
                  "[-o FILE] [--data FILE ...]");
        return EXIT_USAGE;
    }

    TDiags d = {0};
    Arena a;
    arena_init(&a);
    int rc = EXIT_OK;
    /* Every scenario of every file, in order. */
    const SdScenario **scs = calloc(MAX_LIST + 1, sizeof *scs);
    Run *runs = calloc(MAX_LIST + 2, sizeof *runs);
    const char *names[MAX_LIST];
    int nscs = 0, nruns = 0, nnames = 0;
    char *varlist = vars ? strdup(vars) : NULL;
    char *atlist = at ? strdup(at) : NULL;
    int *save = NULL, *rows = NULL;
    if (!scs || !runs || (vars && !varlist) || (at && !atlist)) {
        rc = EXIT_INTERNAL;
        goto done;
    }
    for (int i = 0; i < nfiles; i++) {
        TBuf b = {0};
        if (tbuf_read_file(&b, files[i], 16 << 20)) {
            diags_add(&d, DIAG_ERROR, files[i], 0, 0, NULL,
                      "cannot read the scenario file");
            rc = EXIT_INPUT;
            tbuf_free(&b);
            continue;
        }
        SdScenario *s;
        int n;
        if (sd_scenarios_parse(&a, b.data ? b.data : "", b.len, files[i], &s,
                               &n, &d))
            rc = EXIT_INPUT;
        tbuf_free(&b);
        for (int k = 0; !rc && k < n; k++) {
            for (int j = 0; j < nscs; j++)
                if (!strcmp(scs[j]->name, s[k].name)) {
                    diags_add(&d, DIAG_ERROR, files[i], 0, 0, NULL,
                              "scenario '%s' is given twice", s[k].name);
                    rc = EXIT_INPUT;
                }
            if (nscs == MAX_LIST) {
                cli_error("too many scenarios (%d at most)", MAX_LIST);
                rc = EXIT_USAGE;
                break;
            }
            scs[nscs++] = &s[k];
        }
    }
    if (vars && (nnames = split_list(varlist, names, MAX_LIST)) <= 0) {
        cli_error("--vars takes a comma-separated list of names");
        rc = EXIT_USAGE;
    }
    if (rc)
        goto done;

    if (baseline)
        runs[nruns++] = (Run){0};
    for (int i = 0; i < nscs; i++)
        runs[nruns++] = (Run){.sc = scs[i]};
    for (int i = 0; i < nruns && !rc; i++) {
        SdModel *m = NULL;
        SdProgram *p = NULL;
        int r = sd_model_load(model, &m, &d);
        if (!r)
            r = sd_model_attach_data(m, c.data, c.ndata, &d);
        if (!r && runs[i].sc)
            r = sd_scenario_apply(m, runs[i].sc, &d);
        if (!r)
            r = sd_compile(m, &p, &d);
        if (!r && vars && !save) {
            save = malloc(sizeof(int) * (size_t)nnames);
            for (int k = 0; save && k < nnames; k++)
                if ((save[k] = sd_program_find(p, names[k])) < 0) {
                    diags_add(&d, DIAG_ERROR, NULL, 0, 0, NULL,
                              "no variable '%s' to report", names[k]);
                    r = T_EINPUT;
                }
            if (!save)
                r = T_EINTERNAL;
        }
        if (!r) {
            ro.vars = save;
            ro.nvars = save ? nnames : 0;
            r = sd_run(p, &ro, &runs[i].r, &d);
        }
        if (!r && i > 0 &&
            (runs[i].r->ncols != runs[0].r->ncols ||
             runs[i].r->nrows != runs[0].r->nrows)) {
            diags_add(&d, DIAG_ERROR, NULL, 0, 0, NULL,
                      "the run saved %d values at %d times, not %d at %d",
                      runs[i].r->ncols, runs[i].r->nrows, runs[0].r->ncols,
                      runs[0].r->nrows);
            r = T_EINTERNAL;
        }
        if (r && runs[i].sc)
            diags_add(&d, DIAG_ERROR, NULL, 0, 0, NULL, "in scenario '%s'",
                      runs[i].sc->name);
        if (r)
            rc = r == T_EINTERNAL ? EXIT_INTERNAL : EXIT_INPUT;
        sd_program_free(p);
        sd_model_free(m);
    }
    if (rc)
        goto done;

    /* The times of the table: --at, or the final time. */
    const SdResults *r0 = runs[0].r;
    int nrows = 0;
    rows = malloc(sizeof(int) * (MAX_LIST + 1));
    if (!rows) {
        rc = EXIT_INTERNAL;
        goto done;
    }
    if (at) {
        const char *ts[MAX_LIST];
        int n = split_list(atlist, ts, MAX_LIST);
        for (int k = 0; k < n; k++) {
            double t;
            int row = str_to_double(ts[k], &t) ? row_at(r0, t) : -2;
            if (row == -2)
                diags_add(&d, DIAG_ERROR, NULL, 0, 0, NULL,
                          "--at: '%s' is not a number", ts[k]);
            else if (row < 0)
                diags_add(
                    &d, DIAG_ERROR, NULL, 0, 0, NULL,
                    "--at: %s is not a saved time (saved from %g to "
                    "%g)",
                    ts[k], r0->data[0],
                    r0->data[(size_t)(r0->nrows - 1) * (size_t)r0->ncols]);
            if (row < 0)
                rc = EXIT_INPUT;
            rows[nrows++] = row;
        }
        if (n <= 0) {
            cli_error("--at takes a comma-separated list of times");
            rc = EXIT_USAGE;
        }
    } else {
        rows[nrows++] = r0->nrows - 1;
    }
    if (rc)
        goto done;
    FILE *f = open_out(outpath);
    if (!f) {
        rc = EXIT_INPUT;
        goto done;
    }
    write_compare(f, runs, nruns, rows, nrows, fmt);
    rc = close_out(f, outpath);
done:
    cli_print_diags(&d);
    for (int i = 0; runs && i < nruns; i++)
        sd_results_free(runs[i].r);
    free(runs);
    free(scs);
    free(save);
    free(rows);
    free(varlist);
    free(atlist);
    arena_free(&a);
    diags_free(&d);
    return rc;
}
