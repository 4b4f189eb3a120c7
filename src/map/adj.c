/*
 * adj.c - the graph in the form the analyses walk: compressed adjacency
 * over distinct (from, to) pairs, each pair with its link variants, and
 * strongly connected components of any induced subgraph (Tarjan).
 */
#define _GNU_SOURCE /* qsort_r */
#include "map_int.h"

#include <stdlib.h>
#include <string.h>

/* The graph as compressed adjacency over distinct (from, to) pairs. */

static int cmp_link(const void *a, const void *b, void *ud)
{
    const MapLink *l = ud;
    const MapLink *x = &l[*(const int *)a], *y = &l[*(const int *)b];
    if (x->from != y->from)
        return x->from < y->from ? -1 : 1;
    if (x->to != y->to)
        return x->to < y->to ? -1 : 1;
    if (x->polarity != y->polarity)
        return x->polarity < y->polarity ? -1 : 1;
    if (x->delay != y->delay)
        return x->delay < y->delay ? -1 : 1;
    return *(const int *)a - *(const int *)b;
}

void map_adj_free(Adj *a)
{
    free(a->start);
    free(a->to);
    free(a->vstart);
    free(a->vlink);
}

/* Builds the pairs; links identical in polarity and delay count once. */
int map_adj_build(const MapGraph *g, Adj *a)
{
    memset(a, 0, sizeof *a);
    a->n = g->nnodes;
    int m = g->nlinks;
    int *ord = malloc(sizeof(int) * (size_t)(m + 1));
    a->start = calloc((size_t)a->n + 1, sizeof(int));
    a->to = malloc(sizeof(int) * (size_t)(m + 1));
    a->vstart = malloc(sizeof(int) * (size_t)(m + 2));
    a->vlink = malloc(sizeof(int) * (size_t)(m + 1));
    if (!ord || !a->start || !a->to || !a->vstart || !a->vlink) {
        free(ord);
        map_adj_free(a);
        return T_EINTERNAL;
    }
    for (int i = 0; i < m; i++)
        ord[i] = i;
    qsort_r(ord, (size_t)m, sizeof(int), cmp_link, g->links);
    int npairs = 0, nv = 0;
    for (int k = 0; k < m; k++) {
        const MapLink *l = &g->links[ord[k]];
        const MapLink *prev = k ? &g->links[ord[k - 1]] : NULL;
        bool same_pair = prev && prev->from == l->from && prev->to == l->to;
        if (same_pair && prev->polarity == l->polarity &&
            prev->delay == l->delay)
            continue; /* a duplicate link adds no loop */
        if (!same_pair) {
            a->to[npairs] = l->to;
            a->vstart[npairs] = nv;
            a->start[l->from + 1]++;
            npairs++;
        }
        a->vlink[nv++] = ord[k];
    }
    a->vstart[npairs] = nv;
    for (int i = 0; i < a->n; i++)
        a->start[i + 1] += a->start[i];
    free(ord);
    return T_OK;
}

/* ---- strongly connected components (Tarjan, iterative) ---------------- */

void map_tarjan_free(Tarjan *t)
{
    free(t->idx);
    free(t->low);
    free(t->stack);
    free(t->call);
    free(t->edge);
    free(t->on);
}

int map_tarjan_init(Tarjan *t, int n)
{
    t->idx = malloc(sizeof(int) * (size_t)(n + 1));
    t->low = malloc(sizeof(int) * (size_t)(n + 1));
    t->stack = malloc(sizeof(int) * (size_t)(n + 1));
    t->call = malloc(sizeof(int) * (size_t)(n + 1));
    t->edge = malloc(sizeof(int) * (size_t)(n + 1));
    t->on = calloc((size_t)n + 1, sizeof(bool));
    return t->idx && t->low && t->stack && t->call && t->edge && t->on
               ? T_OK
               : T_EINTERNAL;
}

/* Components of the subgraph induced by nodes[0..k) (in[] marks them):
 * comp[v] gets a number from 0 for each of those nodes. Costs O(k + the
 * links leaving them), so re-splitting a component stays local. Returns
 * the number of components. */
int map_scc(const Adj *a, Tarjan *t, const int *nodes, int k, const bool *in,
            int *comp)
{
    int ncomp = 0, index = 0, sp = 0, cs = 0;
    for (int i = 0; i < k; i++)
        t->idx[nodes[i]] = -1;
    for (int r = 0; r < k; r++) {
        int root = nodes[r];
        if (t->idx[root] >= 0)
            continue;
        t->call[cs] = root;
        t->edge[cs++] = a->start[root];
        t->idx[root] = t->low[root] = index++;
        t->stack[sp++] = root;
        t->on[root] = true;
        while (cs) {
            int v = t->call[cs - 1];
            if (t->edge[cs - 1] < a->start[v + 1]) {
                int w = a->to[t->edge[cs - 1]++];
                if (!in[w])
                    continue;
                if (t->idx[w] < 0) {
                    t->idx[w] = t->low[w] = index++;
                    t->stack[sp++] = w;
                    t->on[w] = true;
                    t->call[cs] = w;
                    t->edge[cs++] = a->start[w];
                } else if (t->on[w] && t->idx[w] < t->low[v]) {
                    t->low[v] = t->idx[w];
                }
                continue;
            }
            cs--;
            if (cs && t->low[v] < t->low[t->call[cs - 1]])
                t->low[t->call[cs - 1]] = t->low[v];
            if (t->low[v] == t->idx[v]) {
                int w;
                do {
                    w = t->stack[--sp];
                    t->on[w] = false;
                    comp[w] = ncomp;
                } while (w != v);
                ncomp++;
            }
        }
    }
    return ncomp;
}
