/*
 * cmd_run.c - `territory run` and `territory check`: load, compile and
 * simulate a model, and write its table as CSV, TSV or JSON.
 */
#include "cli.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "sd/sd.h"

typedef enum { FMT_CSV, FMT_TSV, FMT_JSON } Format;

typedef struct RunArgs {
    const char *model;     /* path */
    Format format;         /* output format */
    SdRunOpts opts;        /* method */
    const char *sets[256]; /* NAME=VALUE overrides */
    int nsets;             /* how many */
    const char *vars;      /* comma-separated names, or NULL for all */
    const char *data[64];  /* --data files for data variables */
    int ndata;             /* how many */
    const char *out;       /* output file, or NULL for stdout */
} RunArgs;

static int parse_run_args(int argc, char **argv, RunArgs *a)
{
    for (int i = 0; i < argc; i++) {
        const char *arg = argv[i];
        const char *val = i + 1 < argc ? argv[i + 1] : NULL;
        bool takes = true;
        if (!strcmp(arg, "--format")) {
            if (val && !strcmp(val, "csv"))
                a->format = FMT_CSV;
            else if (val && !strcmp(val, "tsv"))
                a->format = FMT_TSV;
            else if (val && !strcmp(val, "json"))
                a->format = FMT_JSON;
            else {
                cli_error("--format takes csv, tsv or json");
                return EXIT_USAGE;
            }
        } else if (!strcmp(arg, "--method")) {
            a->opts.method_given = true;
            if (val && !strcasecmp(val, "euler"))
                a->opts.method = SD_EULER;
            else if (val && !strcasecmp(val, "rk2"))
                a->opts.method = SD_RK2;
            else if (val && !strcasecmp(val, "rk4"))
                a->opts.method = SD_RK4;
            else {
                cli_error("--method takes euler, rk2 or rk4");
                return EXIT_USAGE;
            }
        } else if (!strcmp(arg, "--seed")) {
            /* the random functions' draws: same seed, same numbers */
            char *end;
            if (!val || !*val || *val == '-' ||
                (a->opts.seed = strtoull(val, &end, 10), *end)) {
                cli_error("--seed takes a whole number");
                return EXIT_USAGE;
            }
        } else if (!strcmp(arg, "--set")) {
            if (!val || !strchr(val, '=')) {
                cli_error("--set takes NAME=VALUE");
                return EXIT_USAGE;
            }
            if (a->nsets == 256) {
                cli_error("too many --set options (256 at most)");
                return EXIT_USAGE;
            }
            a->sets[a->nsets++] = val;
        } else if (!strcmp(arg, "--data")) {
            if (!val) {
                cli_error("--data takes a file (.tab or .csv)");
                return EXIT_USAGE;
            }
            if (a->ndata == 64) {
                cli_error("too many --data options (64 at most)");
                return EXIT_USAGE;
            }
            a->data[a->ndata++] = val;
        } else if (!strcmp(arg, "--vars")) {
            if (!val) {
                cli_error("--vars takes a comma-separated list of names");
                return EXIT_USAGE;
            }
            a->vars = val;
        } else if (!strcmp(arg, "-o") || !strcmp(arg, "--output")) {
            if (!val) {
                cli_error("-o takes a file name");
                return EXIT_USAGE;
            }
            a->out = val;
        } else if (arg[0] == '-' && arg[1]) {
            cli_error("unknown option '%s'", arg);
            return EXIT_USAGE;
        } else {
            takes = false;
            if (a->model) {
                cli_error("more than one model given ('%s' and '%s')", a->model,
                          arg);
                return EXIT_USAGE;
            }
            a->model = arg;
        }
        if (takes)
            i++;
    }
    if (!a->model) {
        cli_error("no model given");
        return EXIT_USAGE;
    }
    return EXIT_OK;
}

static int load_and_compile(const char *path, const RunArgs *a, SdModel **m,
                            SdProgram **p, TDiags *d)
{
    *p = NULL;
    int rc = sd_model_load(path, m, d);
    if (!rc && a)
        rc = sd_model_attach_data(*m, a->data, a->ndata, d);
    if (rc)
        return rc;
    for (int i = 0; a && i < a->nsets; i++) {
        const char *eq = strchr(a->sets[i], '=');
        char *name = strndup(a->sets[i], (size_t)(eq - a->sets[i]));
        double v;
        if (!name)
            return T_EINTERNAL;
        if (!str_to_double(eq + 1, &v)) {
            diags_add(d, DIAG_ERROR, NULL, 0, 0, NULL,
                      "--set %s: '%s' is not a number", name, eq + 1);
            rc = T_EINPUT;
        } else if (sd_model_set(*m, name, v, d)) {
            rc = T_EINPUT;
        }
        free(name);
    }
    if (rc)
        return rc;
    return sd_compile(*m, p, d);
}

/* Appends v with 15 significant digits ("%.15g", by str_fmt_g, which is
 * several times faster than printf on a big table). */
static int put_num(TBuf *b, double v, bool json)
{
    if (isnan(v) || isinf(v)) {
        if (json)
            return tbuf_puts(b, "null");
        return tbuf_puts(b, isnan(v) ? "NaN" : v > 0 ? "Inf" : "-Inf");
    }
    if (v == 0)
        v = 0; /* no "-0" */
    char num[STR_NUM_MAX];
    return tbuf_append(b, num, (size_t)str_fmt_g(num, v, 15));
}

/* Writes out b's text and empties it; false when out of memory before
 * (err) or the write failed. */
static bool flush_buf(FILE *f, TBuf *b, int err)
{
    bool ok = !err && fwrite(b->data, 1, b->len, f) == b->len;
    b->len = 0;
    return ok;
}

static void put_json_string(FILE *f, const char *s)
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

static void put_field(FILE *f, const char *s, Format fmt)
{
    if (fmt == FMT_CSV && strpbrk(s, ",\"\r\n")) {
        fputc('"', f);
        for (; *s; s++) {
            if (*s == '"')
                fputc('"', f);
            fputc(*s, f);
        }
        fputc('"', f);
    } else if (fmt == FMT_TSV) {
        for (; *s; s++)
            fputc(*s == '\t' || *s == '\n' || *s == '\r' ? ' ' : *s, f);
    } else {
        fputs(s, f);
    }
}

static void put_header(FILE *f, const SdResults *r, Format fmt)
{
    char sep = fmt == FMT_CSV ? ',' : '\t';
    for (int c = 0; c < r->ncols; c++) {
        if (c)
            fputc(sep, f);
        put_field(f, r->names[c], fmt);
    }
    fputc('\n', f);
}

static int write_results(FILE *f, const SdResults *r, Format fmt)
{
    /* The rows go through a buffer written out every 64 KiB or so. */
    TBuf b = {0};
    bool ok = true;
    int err = 0; /* out of memory while filling b */
    if (fmt == FMT_JSON) {
        fputs("{\"columns\": [", f);
        for (int c = 0; c < r->ncols; c++) {
            if (c)
                fputs(", ", f);
            put_json_string(f, r->names[c]);
        }
        fputs("],\n \"rows\": [\n", f);
        for (int i = 0; i < r->nrows && ok; i++) {
            err |= tbuf_puts(&b, "  [");
            for (int c = 0; c < r->ncols; c++) {
                if (c)
                    err |= tbuf_puts(&b, ", ");
                err |= put_num(
                    &b, r->data[(size_t)i * (size_t)r->ncols + (size_t)c],
                    true);
            }
            err |= tbuf_puts(&b, i + 1 < r->nrows ? "],\n" : "]\n");
            if (b.len >= 65536 || i + 1 == r->nrows)
                ok = flush_buf(f, &b, err);
        }
        fputs(" ]}\n", f);
    } else {
        char sep = fmt == FMT_CSV ? ',' : '\t';
        put_header(f, r, fmt);
        for (int i = 0; i < r->nrows && ok; i++) {
            for (int c = 0; c < r->ncols; c++) {
                if (c)
                    err |= tbuf_putc(&b, sep);
                err |= put_num(
                    &b, r->data[(size_t)i * (size_t)r->ncols + (size_t)c],
                    false);
            }
            err |= tbuf_putc(&b, '\n');
            if (b.len >= 65536 || i + 1 == r->nrows)
                ok = flush_buf(f, &b, err);
        }
    }
    tbuf_free(&b);
    return !ok || ferror(f) ? T_EINTERNAL : T_OK;
}

/* CSV and TSV rows written as the run makes them, so the results need
 * not be held (nor their memory touched) at all. The file is opened with
 * the first row: a run that fails before it leaves no file behind. */
typedef struct Stream {
    const char *path; /* -o, or NULL for standard output */
    Format fmt;       /* csv or tsv */
    FILE *f;          /* open once the first row came */
    TBuf b;           /* rows not yet written */
    int err;          /* out of memory while filling b */
    bool failed;      /* a write failed (errno says why) */
    bool open_failed; /* the file could not be opened */
} Stream;

static int stream_row(void *ud, const SdResults *r, const double *row)
{
    Stream *s = ud;
    if (!s->f) {
        s->f = s->path ? fopen(s->path, "w") : stdout;
        if (!s->f) {
            s->open_failed = true;
            return 1;
        }
        put_header(s->f, r, s->fmt);
    }
    char sep = s->fmt == FMT_CSV ? ',' : '\t';
    for (int c = 0; c < r->ncols; c++) {
        if (c)
            s->err |= tbuf_putc(&s->b, sep);
        s->err |= put_num(&s->b, row[c], false);
    }
    s->err |= tbuf_putc(&s->b, '\n');
    if (s->b.len >= 65536 && !flush_buf(s->f, &s->b, s->err))
        s->failed = true;
    return s->failed;
}

/* Resolves the --vars names to the program's variables, in the order
 * given, so the run saves only those. */
static int pick_vars(const SdProgram *p, const char *vars, int **out, int *n)
{
    *out = NULL;
    *n = 0;
    if (!vars)
        return EXIT_OK;
    int cap = 1;
    for (const char *q = vars; *q; q++)
        cap += *q == ',';
    int *idx = malloc(sizeof(int) * (size_t)cap);
    if (!idx)
        return EXIT_INTERNAL;
    const char *q = vars;
    int count = 0;
    for (;;) {
        const char *comma = strchr(q, ',');
        size_t len = comma ? (size_t)(comma - q) : strlen(q);
        char *name = strndup(q, len);
        if (!name) {
            free(idx);
            return EXIT_INTERNAL;
        }
        int v = sd_program_find(p, name);
        if (v < 0 && !strcasecmp(name, "time")) {
            free(name); /* Time is always the first column */
        } else if (v < 0) {
            cli_error("--vars: unknown variable '%s'", name);
            free(name);
            free(idx);
            return EXIT_INPUT;
        } else {
            free(name);
            idx[count++] = v;
        }
        if (!comma)
            break;
        q = comma + 1;
    }
    *out = idx;
    *n = count;
    return EXIT_OK;
}

static int exit_for(int rc)
{
    return rc == T_EINPUT   ? EXIT_INPUT
           : rc == T_EUSAGE ? EXIT_USAGE
                            : EXIT_INTERNAL;
}

int cmd_run(int argc, char **argv)
{
    RunArgs a = {.format = FMT_CSV};
    int ex = parse_run_args(argc, argv, &a);
    if (ex)
        return ex;
    TDiags d = {0};
    SdModel *m = NULL;
    SdProgram *p = NULL;
    SdResults *r = NULL;
    int *vars = NULL, nvars = 0;
    Stream st = {.path = a.out && strcmp(a.out, "-") ? a.out : NULL,
                 .fmt = a.format};
    int rc = load_and_compile(a.model, &a, &m, &p, &d);
    /* The program holds all it needs: the model's memory goes back now,
     * for the results to reuse (fresh pages cost more than the run). */
    sd_model_free(m);
    m = NULL;
    if (!rc) {
        ex = pick_vars(p, a.vars, &vars, &nvars);
        if (ex)
            goto done;
        a.opts.vars = vars;
        a.opts.nvars = nvars;
        if (a.format != FMT_JSON) {
            a.opts.on_row = stream_row;
            a.opts.row_ud = &st;
        }
        rc = sd_run(p, &a.opts, &r, &d);
    }
    if (rc) {
        cli_print_diags(&d);
        ex = exit_for(rc);
        goto done;
    }
    if (st.open_failed) {
        cli_error("cannot write '%s': %s", a.out, strerror(errno));
        ex = EXIT_INPUT;
        goto done;
    }
    FILE *f = st.f;
    if (st.f) { /* streamed: the rest of the rows */
        if (st.failed || !flush_buf(f, &st.b, st.err) || fflush(f)) {
            cli_error("cannot write the results: %s", strerror(errno));
            ex = EXIT_INTERNAL;
        }
    } else {
        f = st.path ? fopen(st.path, "w") : stdout;
        if (!f) {
            cli_error("cannot write '%s': %s", a.out, strerror(errno));
            ex = EXIT_INPUT;
            goto done;
        }
        if (write_results(f, r, a.format) || fflush(f)) {
            cli_error("cannot write the results: %s", strerror(errno));
            ex = EXIT_INTERNAL;
        }
    }
    if (f != stdout && fclose(f)) {
        cli_error("cannot write '%s': %s", a.out, strerror(errno));
        ex = EXIT_INTERNAL;
    }
    st.f = NULL; /* closed */
done:
    if (st.f && st.f != stdout)
        fclose(st.f); /* after an error; else closed above */
    tbuf_free(&st.b);
    free(vars);
    sd_results_free(r);
    sd_program_free(p);
    sd_model_free(m);
    diags_free(&d);
    return ex;
}

int cmd_check(int argc, char **argv)
{
    RunArgs a = {0};
    bool dump = false;
    for (int i = 0; i < argc; i++) {
        bool data = !strcmp(argv[i], "--data") && i + 1 < argc;
        if (!strcmp(argv[i], "--bytecode")) {
            dump = true;
        } else if (data && a.ndata < 64) {
            a.data[a.ndata++] = argv[++i];
        } else if (argv[i][0] == '-' || a.model) {
            a.model = NULL;
            break;
        } else {
            a.model = argv[i];
        }
    }
    if (!a.model) {
        cli_error("usage: territory check MODEL [--bytecode] [--data FILE]...");
        return EXIT_USAGE;
    }
    TDiags d = {0};
    SdModel *m = NULL;
    SdProgram *p = NULL;
    int rc = load_and_compile(a.model, &a, &m, &p, &d);
    int ex = EXIT_OK;
    if (rc) {
        cli_print_diags(&d);
        ex = exit_for(rc);
    } else {
        int stocks = 0, flows = 0, auxes = 0;
        for (int i = 0; i < m->nvars; i++) {
            stocks += m->vars[i].kind == SD_STOCK;
            flows += m->vars[i].kind == SD_FLOW;
            auxes += m->vars[i].kind == SD_AUX;
        }
        printf("%s: ok: %d variables (%d stocks, %d flows, %d auxiliaries), "
               "time %g to %g by %g\n",
               a.model, m->nvars, stocks, flows, auxes, m->start, m->stop,
               m->dt);
        if (dump) {
            TBuf b = {0};
            sd_program_disasm(p, &b);
            fputs(tbuf_cstr(&b), stdout);
            tbuf_free(&b);
        }
    }
    sd_program_free(p);
    sd_model_free(m);
    diags_free(&d);
    return ex;
}
