/*
 * centrality.c - leverage of each factor: distinct links in and out,
 * betweenness centrality (Brandes 2001: directed, unweighted, every
 * shortest path counted, unnormalised), and strongly connected component
 * numbered by its lowest node.
 */
#include "map_int.h"

#include <stdlib.h>
#include <string.h>

void map_leverage_free(MapLeverage *l)
{
    if (!l)
        return;
    free(l->in_degree);
    free(l->out_degree);
    free(l->betweenness);
    free(l->component);
    free(l);
}

/* Brandes: a BFS from every node counts shortest paths (sigma), then the
 * dependencies flow back in reverse BFS order. */
static void betweenness(const Adj *a, double *bc, int *dist, double *sigma,
                        double *delta, int *order)
{
    int n = a->n;
    for (int s = 0; s < n; s++) {
        for (int v = 0; v < n; v++) {
            dist[v] = -1;
            sigma[v] = 0;
            delta[v] = 0;
        }
        dist[s] = 0;
        sigma[s] = 1;
        int head = 0, tail = 0;
        order[tail++] = s;
        while (head < tail) {
            int v = order[head++];
            for (int e = a->start[v]; e < a->start[v + 1]; e++) {
                int w = a->to[e];
                if (dist[w] < 0) {
                    dist[w] = dist[v] + 1;
                    order[tail++] = w;
                }
                if (dist[w] == dist[v] + 1)
                    sigma[w] += sigma[v];
            }
        }
        for (int i = tail - 1; i > 0; i--) {
            int v = order[i];
            for (int e = a->start[v]; e < a->start[v + 1]; e++) {
                int w = a->to[e];
                if (dist[w] == dist[v] + 1)
                    delta[v] += sigma[v] / sigma[w] * (1 + delta[w]);
            }
            bc[v] += delta[v];
        }
    }
}

int map_leverage(const MapGraph *g, MapLeverage **out)
{
    *out = NULL;
    int n = g->nnodes;
    Adj a;
    if (map_adj_build(g, &a))
        return T_EINTERNAL;
    Tarjan t = {0};
    MapLeverage *l = calloc(1, sizeof *l);
    int *dist = malloc(sizeof(int) * (size_t)(n + 1));
    double *sigma = malloc(sizeof(double) * (size_t)(n + 1));
    double *delta = malloc(sizeof(double) * (size_t)(n + 1));
    int *order = malloc(sizeof(int) * (size_t)(n + 1));
    bool *all = malloc(sizeof(bool) * (size_t)(n + 1));
    int rc = T_OK;
    if (l) {
        l->in_degree = calloc((size_t)n + 1, sizeof(int));
        l->out_degree = calloc((size_t)n + 1, sizeof(int));
        l->betweenness = calloc((size_t)n + 1, sizeof(double));
        l->component = malloc(sizeof(int) * (size_t)(n + 1));
    }
    if (!l || !dist || !sigma || !delta || !order || !all || !l->in_degree ||
        !l->out_degree || !l->betweenness || !l->component ||
        map_tarjan_init(&t, n)) {
        rc = T_EINTERNAL;
        goto done;
    }
    for (int v = 0; v < n; v++) {
        l->out_degree[v] = a.start[v + 1] - a.start[v];
        for (int e = a.start[v]; e < a.start[v + 1]; e++)
            l->in_degree[a.to[e]]++;
    }
    betweenness(&a, l->betweenness, dist, sigma, delta, order);
    /* Components, renumbered by each one's lowest node. */
    for (int v = 0; v < n; v++) {
        order[v] = v;
        all[v] = true;
    }
    int nc = map_scc(&a, &t, order, n, all, l->component);
    for (int c = 0; c < nc; c++)
        dist[c] = -1;
    int next = 0;
    for (int v = 0; v < n; v++) {
        if (dist[l->component[v]] < 0)
            dist[l->component[v]] = next++;
        l->component[v] = dist[l->component[v]];
    }
done:
    map_adj_free(&a);
    map_tarjan_free(&t);
    free(dist);
    free(sigma);
    free(delta);
    free(order);
    free(all);
    if (rc) {
        map_leverage_free(l);
        return rc;
    }
    *out = l;
    return T_OK;
}
