/*
 * cmd_loops.c - `territory loops`: every feedback loop of a map (a
 * workspace export document) or of a model's variables, with polarity,
 * length and delay, and optionally each factor's leverage.
 */
#include "cli.h"

#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "map/map.h"

#define MAP_FILE_MAX ((size_t)256 << 20)

static char pol_char(MapPolarity p)
{
    return p == MAP_POS ? 'R' : p == MAP_NEG ? 'B' : '?';
}

/* Reads FILE as a map when it is JSON, else as a model. */
static int load_graph(const char *path, MapGraph **g, TDiags *d)
{
    const char *ext = strrchr(path, '.');
    if (ext && !strcasecmp(ext, ".json")) {
        TBuf b = {0};
        if (tbuf_read_file(&b, path, MAP_FILE_MAX)) {
            diags_add(d, DIAG_ERROR, path, 0, 0, NULL, "cannot read: %s",
                      strerror(errno));
            tbuf_free(&b);
            return T_EINPUT;
        }
        int rc = map_graph_from_json(b.data ? b.data : "", b.len, path, g, d);
        tbuf_free(&b);
        return rc;
    }
    SdModel *m = NULL;
    int rc = sd_model_load(path, &m, d);
    if (rc == T_OK)
        rc = map_graph_from_model(m, g, d);
    sd_model_free(m);
    return rc;
}

static json_t *loops_json(const MapGraph *g, const MapLoops *l,
                          const MapLeverage *lev)
{
    json_t *root = json_object();
    json_object_set_new(root, "count", json_integer(l->count));
    json_object_set_new(root, "exact", json_boolean(l->exact));
    json_object_set_new(root, "listed", json_integer(l->listed));
    json_t *arr = json_array();
    int nr = 0, nb = 0, nu = 0;
    for (int i = 0; i < l->listed; i++) {
        const MapLoop *lp = &l->loops[i];
        json_t *o = json_object();
        char pol[2] = {pol_char(lp->polarity), 0};
        int *num = lp->polarity == MAP_POS   ? &nr
                   : lp->polarity == MAP_NEG ? &nb
                                             : &nu;
        char id[32];
        snprintf(id, sizeof id, "%s%d", pol, ++*num);
        json_object_set_new(o, "id", json_string(id));
        json_object_set_new(o, "polarity", json_string(pol));
        json_object_set_new(o, "length", json_integer(lp->length));
        json_object_set_new(o, "delay", json_boolean(lp->delay));
        json_t *nodes = json_array();
        for (int k = 0; k < lp->length; k++)
            json_array_append_new(nodes, json_string(g->names[lp->nodes[k]]));
        json_object_set_new(o, "nodes", nodes);
        json_array_append_new(arr, o);
    }
    json_object_set_new(root, "loops", arr);
    if (lev) {
        json_t *f = json_array();
        for (int v = 0; v < g->nnodes; v++) {
            json_t *o = json_object();
            json_object_set_new(o, "name", json_string(g->names[v]));
            json_object_set_new(o, "loops", json_integer(l->through[v]));
            json_object_set_new(o, "in", json_integer(lev->in_degree[v]));
            json_object_set_new(o, "out", json_integer(lev->out_degree[v]));
            json_object_set_new(o, "betweenness",
                                json_real(lev->betweenness[v]));
            json_object_set_new(o, "component",
                                json_integer(lev->component[v]));
            json_array_append_new(f, o);
        }
        json_object_set_new(root, "factors", f);
    }
    return root;
}

static void loops_text(FILE *f, const MapGraph *g, const MapLoops *l,
                       const MapLeverage *lev)
{
    fprintf(f, "%lld loop%s%s", l->count, l->count == 1 ? "" : "s",
            l->exact ? "" : " at least (counting stopped at the time budget)");
    if (l->listed == 0 && l->count > 0)
        fprintf(f, "; none listed");
    else if (l->listed < l->count)
        fprintf(f, "; the %d shortest listed", l->listed);
    fputc('\n', f);
    int nr = 0, nb = 0, nu = 0;
    for (int i = 0; i < l->listed; i++) {
        const MapLoop *lp = &l->loops[i];
        int *num = lp->polarity == MAP_POS   ? &nr
                   : lp->polarity == MAP_NEG ? &nb
                                             : &nu;
        char id[32];
        snprintf(id, sizeof id, "%c%d", pol_char(lp->polarity), ++*num);
        fprintf(f, "%-6s length %-3d %-6s ", id, lp->length,
                lp->delay ? "delay" : "");
        for (int k = 0; k < lp->length; k++)
            fprintf(f, "%s -> ", g->names[lp->nodes[k]]);
        fprintf(f, "%s\n", g->names[lp->nodes[0]]);
    }
    if (lev) {
        fprintf(f, "\n%-10s %4s %4s %12s %5s  %s\n", "loops", "in", "out",
                "betweenness", "scc", "factor");
        for (int v = 0; v < g->nnodes; v++)
            fprintf(f, "%-10lld %4d %4d %12.2f %5d  %s\n", l->through[v],
                    lev->in_degree[v], lev->out_degree[v], lev->betweenness[v],
                    lev->component[v], g->names[v]);
    }
}

int cmd_loops(int argc, char **argv)
{
    const char *path = NULL;
    bool json = false, leverage = false;
    long max = 1000;
    double budget = 60;
    for (int i = 0; i < argc; i++) {
        const char *val = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(argv[i], "--format")) {
            if (val && !strcmp(val, "json"))
                json = true;
            else if (!val || strcmp(val, "text")) {
                cli_error("--format takes text or json");
                return EXIT_USAGE;
            }
            i++;
        } else if (!strcmp(argv[i], "--max")) {
            if (!val || !str_to_int(val, 0, 10000000, &max)) {
                cli_error("--max takes a number of loops from 0 to 10000000");
                return EXIT_USAGE;
            }
            i++;
        } else if (!strcmp(argv[i], "--budget")) {
            if (!val || !str_to_double(val, &budget) || !(budget > 0)) {
                cli_error("--budget takes a positive number of seconds");
                return EXIT_USAGE;
            }
            i++;
        } else if (!strcmp(argv[i], "--leverage")) {
            leverage = true;
        } else if (argv[i][0] == '-' && argv[i][1]) {
            cli_error("unknown option '%s'", argv[i]);
            return EXIT_USAGE;
        } else if (path) {
            cli_error("more than one map or model given");
            return EXIT_USAGE;
        } else {
            path = argv[i];
        }
    }
    if (!path) {
        cli_error("usage: territory loops MAP_OR_MODEL [--format text|json] "
                  "[--max N] [--budget SECONDS] [--leverage]");
        return EXIT_USAGE;
    }
    TDiags d = {0};
    MapGraph *g = NULL;
    MapLoops *l = NULL;
    MapLeverage *lev = NULL;
    int ex = EXIT_OK;
    int rc = load_graph(path, &g, &d);
    if (rc == T_OK) {
        MapLoopOpts o = {(int)max, budget};
        rc = map_loops_find(g, &o, &l);
    }
    if (rc == T_OK && leverage)
        rc = map_leverage(g, &lev);
    if (rc) {
        cli_print_diags(&d);
        if (rc != T_EINPUT && !d.len)
            cli_error("out of memory");
        ex = rc == T_EINPUT ? EXIT_INPUT : EXIT_INTERNAL;
    } else if (json) {
        json_t *root = loops_json(g, l, lev);
        char *s =
            root ? json_dumps(root, JSON_INDENT(1) | JSON_ENSURE_ASCII) : NULL;
        if (s) {
            puts(s);
            free(s);
        } else {
            cli_error("out of memory");
            ex = EXIT_INTERNAL;
        }
        json_decref(root);
    } else {
        loops_text(stdout, g, l, lev);
    }
    if (fflush(stdout) && ex == EXIT_OK) {
        cli_error("cannot write the output: %s", strerror(errno));
        ex = EXIT_INTERNAL;
    }
    map_leverage_free(lev);
    map_loops_free(l);
    map_graph_free(g);
    diags_free(&d);
    return ex;
}

/* ---- territory dominance ---------------------------------------------- */

static void put_csv(FILE *f, const char *s)
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

int cmd_dominance(int argc, char **argv)
{
    const char *path = NULL;
    bool json = false;
    long max = 100;
    MapDomLoops lm = MAP_DOM_AUTO;
    SdRunOpts ro = {0};
    const char *data[64]; /* --data files for data variables */
    int ndata = 0;
    for (int i = 0; i < argc; i++) {
        const char *val = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(argv[i], "--data")) {
            if (!val || ndata == 64) {
                cli_error(val ? "too many --data options (64 at most)"
                              : "--data takes a .tab or .csv file");
                return EXIT_USAGE;
            }
            data[ndata++] = val;
            i++;
        } else if (!strcmp(argv[i], "--format")) {
            if (val && !strcmp(val, "json"))
                json = true;
            else if (!val || strcmp(val, "csv")) {
                cli_error("--format takes csv or json");
                return EXIT_USAGE;
            }
            i++;
        } else if (!strcmp(argv[i], "--max")) {
            if (!val || !str_to_int(val, 1, 100000, &max)) {
                cli_error("--max takes a number of loops from 1 to 100000");
                return EXIT_USAGE;
            }
            i++;
        } else if (!strcmp(argv[i], "--loops")) {
            if (val && !strcasecmp(val, "all"))
                lm = MAP_DOM_ALL;
            else if (val && !strcasecmp(val, "strongest"))
                lm = MAP_DOM_STRONGEST;
            else {
                cli_error("--loops takes all or strongest");
                return EXIT_USAGE;
            }
            i++;
        } else if (!strcmp(argv[i], "--method")) {
            ro.method_given = true;
            if (val && !strcasecmp(val, "euler"))
                ro.method = SD_EULER;
            else if (val && !strcasecmp(val, "rk2"))
                ro.method = SD_RK2;
            else if (val && !strcasecmp(val, "rk4"))
                ro.method = SD_RK4;
            else {
                cli_error("--method takes euler, rk2 or rk4");
                return EXIT_USAGE;
            }
            i++;
        } else if (argv[i][0] == '-' && argv[i][1]) {
            cli_error("unknown option '%s'", argv[i]);
            return EXIT_USAGE;
        } else if (path) {
            cli_error("more than one model given");
            return EXIT_USAGE;
        } else {
            path = argv[i];
        }
    }
    if (!path) {
        cli_error("usage: territory dominance MODEL [--format csv|json] "
                  "[--max N] [--loops all|strongest] "
                  "[--method euler|rk2|rk4] [--data FILE ...]");
        return EXIT_USAGE;
    }
    TDiags d = {0};
    SdModel *m = NULL;
    SdProgram *p = NULL;
    MapDominance *dm = NULL;
    int ex = EXIT_OK;
    int rc = sd_model_load(path, &m, &d);
    if (rc == T_OK)
        rc = sd_model_attach_data(m, data, ndata, &d);
    if (rc == T_OK)
        rc = sd_compile(m, &p, &d);
    if (rc == T_OK) {
        /* counting is only reported: 2 s for it */
        MapDominanceOpts o = {(int)max, 2, lm, ro};
        rc = map_dominance(p, &o, &dm, &d);
    }
    if (rc) {
        cli_print_diags(&d);
        ex = rc == T_EINPUT ? EXIT_INPUT : EXIT_INTERNAL;
        goto done;
    }
    const SdLtm *t = dm->ltm;
    const MapLoops *l = dm->all;
    if (json) {
        json_t *root = json_object();
        json_object_set_new(root, "method", json_string(dm->method));
        json_object_set_new(root, "count", json_integer(l->count));
        json_object_set_new(root, "exact", json_boolean(l->exact));
        json_object_set_new(root, "scored", json_integer(dm->scored));
        json_object_set_new(root, "listed", json_integer(dm->listed));
        if (dm->strongest) {
            json_object_set_new(root, "times_searched",
                                json_integer(dm->found->ntimes));
            json_object_set_new(root, "complete",
                                json_boolean(dm->found->complete));
        }
        json_t *loops = json_array();
        for (int j = 0; j < dm->listed; j++) {
            const MapDomLoop *lp = &dm->loops[j];
            json_t *o = json_object();
            TBuf lab = {0};
            map_dominance_label(dm, j, &lab);
            char pol[2] = {lp->polarity, 0};
            json_object_set_new(o, "id", json_string(lp->id));
            json_object_set_new(o, "polarity", json_string(pol));
            json_object_set_new(o, "length", json_integer(lp->length));
            json_object_set_new(o, "loop", json_string(tbuf_cstr(&lab)));
            tbuf_free(&lab);
            json_t *rel = json_array();
            for (int r = 0; r < t->nrows; r++)
                json_array_append_new(
                    rel, json_real(t->relative[(size_t)r * t->nloops +
                                               (size_t)lp->scored]));
            json_object_set_new(o, "relative", rel);
            json_array_append_new(loops, o);
        }
        json_object_set_new(root, "loops", loops);
        json_t *times = json_array(), *dom = json_array();
        for (int r = 0; r < t->nrows; r++) {
            json_array_append_new(times, json_real(t->time[r]));
            int b = dm->dominant[r];
            json_array_append_new(dom, b < 0 ? json_null()
                                             : json_string(dm->loops[b].id));
        }
        json_object_set_new(root, "time", times);
        json_object_set_new(root, "dominant", dom);
        char *s = json_dumps(root, JSON_COMPACT | JSON_ENSURE_ASCII |
                                       JSON_REAL_PRECISION(10));
        if (s)
            puts(s);
        else
            ex = EXIT_INTERNAL;
        free(s);
        json_decref(root);
    } else {
        if (dm->strongest)
            printf("# method: strongest; %d loops found at %d saved times%s "
                   "and scored, %d listed; %lld%s loops in all\n",
                   dm->scored, dm->found->ntimes,
                   dm->found->complete ? "" : " (the search was cut short)",
                   dm->listed, l->count, l->exact ? "" : " or more");
        else if (!strcmp(dm->method, "all"))
            printf("# method: all; %d loops, every one scored\n", dm->scored);
        else
            printf("# method: shortest; the %d shortest of %lld%s loops "
                   "scored\n",
                   dm->scored, l->count, l->exact ? "" : " or more");
        fputs("Time,dominant", stdout);
        for (int j = 0; j < dm->listed; j++) {
            TBuf lab = {0};
            tbuf_printf(&lab, "%s: ", dm->loops[j].id);
            map_dominance_label(dm, j, &lab);
            fputc(',', stdout);
            put_csv(stdout, tbuf_cstr(&lab));
            tbuf_free(&lab);
        }
        fputc('\n', stdout);
        for (int r = 0; r < t->nrows; r++) {
            int b = dm->dominant[r];
            printf("%.15g,%s", t->time[r], b < 0 ? "" : dm->loops[b].id);
            for (int j = 0; j < dm->listed; j++)
                printf(",%.6g", t->relative[(size_t)r * t->nloops +
                                            (size_t)dm->loops[j].scored]);
            fputc('\n', stdout);
        }
    }
    if (fflush(stdout) && ex == EXIT_OK) {
        cli_error("cannot write the output: %s", strerror(errno));
        ex = EXIT_INTERNAL;
    }
done:
    map_dominance_free(dm);
    sd_program_free(p);
    sd_model_free(m);
    diags_free(&d);
    return ex;
}
