/*
 * dominance.c - which loop is in charge of a model, at each saved time:
 * the one analysis behind `territory dominance` and the API's dominance
 * route, which only format it. The model's loops come from its variable
 * graph (loops.c); every one is scored by Loops That Matter (sd/ltm.c)
 * when they fit in the caller's limit, else the strong ones are found by
 * strongest-path search and the ones that matter listed; each listed loop
 * is named R1, B1, ?1 by the polarity its scores showed.
 */
#include "map.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A loop's polarity from its scores: R never negative, B never positive,
 * ? when it changes sign or is never active. */
static char ltm_polarity(const SdLtm *t, int i)
{
    bool pos = false, neg = false;
    for (int r = 0; r < t->nrows; r++) {
        double s = t->score[(size_t)r * (size_t)t->nloops + (size_t)i];
        pos |= s > 0;
        neg |= s < 0;
    }
    return pos && !neg ? 'R' : neg && !pos ? 'B' : '?';
}

/* The scored loop with the largest relative score at row r, or -1. */
static int dominant(const SdLtm *t, int r)
{
    int best = -1;
    double bv = 0;
    for (int i = 0; i < t->nloops; i++) {
        double v = fabs(t->relative[(size_t)r * (size_t)t->nloops + (size_t)i]);
        if (v > bv) {
            bv = v;
            best = i;
        }
    }
    return best;
}

void map_dominance_free(MapDominance *m)
{
    if (!m)
        return;
    free(m->loops);
    free(m->dominant);
    free(m->nodes);
    free(m->lens);
    sd_ltm_free(m->ltm);
    sd_ltm_loops_free(m->found);
    map_loops_free(m->all);
    map_graph_free(m->graph);
    free(m);
}

int map_dominance(SdProgram *p, const MapDominanceOpts *o, MapDominance **out,
                  TDiags *d)
{
    *out = NULL;
    MapDominance *m = calloc(1, sizeof *m);
    if (!m)
        return T_EINTERNAL;
    int max = o->max > 0 ? o->max : 100;
    int rc = map_graph_from_program(p, &m->graph);
    if (rc == T_OK) {
        MapLoopOpts lo = {max, o->count_budget};
        rc = map_loops_find(m->graph, &lo, &m->all);
    }
    /* Every loop when they all fit in max; else discover the strong
     * ones. */
    if (rc == T_OK)
        m->strongest = o->loops == MAP_DOM_STRONGEST ||
                       (o->loops == MAP_DOM_AUTO &&
                        (!m->all->exact || m->all->count > max));
    if (rc == T_OK && m->strongest)
        rc = sd_ltm_discover(p, &o->run, NULL, &m->found, d);
    int n = 0, *keep = NULL;
    if (rc == T_OK) {
        n = m->strongest ? m->found->nloops : m->all->listed;
        m->nodes = calloc((size_t)n + 1, sizeof(int *));
        m->lens = calloc((size_t)n + 1, sizeof(int));
        keep = calloc((size_t)n + 1, sizeof(int));
        if (!m->nodes || !m->lens || !keep)
            rc = T_EINTERNAL;
        for (int i = 0; rc == T_OK && i < n; i++) {
            m->nodes[i] =
                m->strongest ? m->found->nodes[i] : m->all->loops[i].nodes;
            m->lens[i] =
                m->strongest ? m->found->lens[i] : m->all->loops[i].length;
            keep[i] = i;
        }
    }
    if (rc == T_OK)
        rc = sd_ltm(p, &o->run, n, m->nodes, m->lens, &m->ltm, d);
    /* Every loop found is scored (relative scores are shares of them all);
     * with strongest path, the max that matter most are listed. */
    int nkeep = n;
    if (rc == T_OK && m->strongest && n > max) {
        nkeep = sd_ltm_pick(m->ltm, max, keep);
        if (nkeep < 0)
            rc = T_EINTERNAL;
    }
    int *pos = NULL;
    if (rc == T_OK) {
        m->scored = n;
        m->listed = nkeep;
        m->loops = calloc((size_t)nkeep + 1, sizeof *m->loops);
        m->dominant = calloc((size_t)m->ltm->nrows + 1, sizeof(int));
        pos = malloc(sizeof(int) * ((size_t)n + 1));
        if (!m->loops || !m->dominant || !pos)
            rc = T_EINTERNAL;
    }
    if (rc == T_OK) {
        int nr = 0, nb = 0, nu = 0;
        for (int i = 0; i < n; i++)
            pos[i] = -1;
        for (int j = 0; j < nkeep; j++) {
            MapDomLoop *lp = &m->loops[j];
            lp->scored = keep[j];
            lp->polarity = ltm_polarity(m->ltm, keep[j]);
            int *num = lp->polarity == 'R'   ? &nr
                       : lp->polarity == 'B' ? &nb
                                             : &nu;
            snprintf(lp->id, sizeof lp->id, "%c%d", lp->polarity, ++*num);
            lp->length = m->lens[keep[j]];
            lp->nodes = m->nodes[keep[j]];
            pos[keep[j]] = j;
        }
        for (int r = 0; r < m->ltm->nrows; r++) {
            int b = dominant(m->ltm, r);
            m->dominant[r] = b < 0 ? -1 : pos[b];
        }
        m->method = m->strongest ? "strongest"
                    : m->all->exact && m->all->count <= m->all->listed
                        ? "all"
                        : "shortest";
    }
    free(keep);
    free(pos);
    if (rc) {
        map_dominance_free(m);
        if (rc == T_EINTERNAL)
            diags_add(d, DIAG_ERROR, NULL, 0, 0, NULL, "out of memory");
        return rc;
    }
    *out = m;
    return T_OK;
}

void map_dominance_label(const MapDominance *m, int j, TBuf *b)
{
    const MapDomLoop *lp = &m->loops[j];
    for (int k = 0; k < lp->length; k++)
        tbuf_printf(b, "%s -> ", m->graph->names[lp->nodes[k]]);
    tbuf_puts(b, m->graph->names[lp->nodes[0]]);
}
