/*
 * map_int.h - what the files of the map module share: the adjacency form
 * of a graph and Tarjan's components (adj.c).
 */
#ifndef TERRITORY_MAP_INT_H
#define TERRITORY_MAP_INT_H

#include "map.h"

/* Compressed adjacency over distinct (from, to) pairs. */
typedef struct Adj {
    int n;       /* nodes */
    int *start;  /* n + 1 offsets into to[] */
    int *to;     /* successor of each pair, ascending within a node */
    int *vstart; /* per pair: offset into vlink[]; one more at the end */
    int *vlink;  /* link indices of each pair's variants */
} Adj;

/* Links identical in ends, polarity and delay count once. */
int map_adj_build(const MapGraph *g, Adj *a);
void map_adj_free(Adj *a);

/* Scratch for Tarjan's algorithm, sized for the whole graph once. */
typedef struct Tarjan {
    int *idx, *low, *stack, *call, *edge; /* per node / DFS state */
    bool *on;                             /* on the Tarjan stack */
} Tarjan;

int map_tarjan_init(Tarjan *t, int n);
void map_tarjan_free(Tarjan *t);
/* Components of the subgraph induced by nodes[0..k) (in[] marks them):
 * comp[v] gets a number from 0 for each of those nodes, in the order
 * Tarjan completes them. Returns the number of components. */
int map_scc(const Adj *a, Tarjan *t, const int *nodes, int k, const bool *in,
            int *comp);

#endif
