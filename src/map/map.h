/*
 * map.h - causal maps as graphs, and their analysis: every elementary
 * feedback loop (Johnson's algorithm on each strongly connected component)
 * with its polarity, length and delay, and the leverage of each factor
 * (loops through it, degrees, betweenness, component).
 *
 * A MapGraph comes from a workspace export document (map_graph_from_json)
 * or from a model's variable dependencies (map_graph_from_model).
 *
 * Ownership: a MapGraph owns its names and links (arena); MapLoops and
 * MapLeverage are owned by the caller and freed with their *_free.
 */
#ifndef TERRITORY_MAP_H
#define TERRITORY_MAP_H

#include "../core/core.h"
#include "../sd/sd.h"

typedef enum {
    MAP_NEG = -1,    /* opposite direction */
    MAP_UNKNOWN = 0, /* not known */
    MAP_POS = 1      /* same direction */
} MapPolarity;

typedef struct MapLink {
    int from, to;         /* node indices */
    MapPolarity polarity; /* +, - or ? */
    bool delay;           /* the link acts with a delay */
} MapLink;

typedef struct MapGraph {
    Arena arena;        /* owns ids, names and both arrays */
    int nnodes;         /* number of factors */
    const char **ids;   /* each node's id (unique) */
    const char **names; /* each node's label, as shown */
    int nlinks;         /* number of links */
    MapLink *links;     /* links in the order given */
    int cap_nodes;      /* allocated */
    int cap_links;      /* allocated */
} MapGraph;

MapGraph *map_graph_new(void);
void map_graph_free(MapGraph *g);
/* Adds a node; returns its index, or -1 when out of memory. */
int map_graph_add_node(MapGraph *g, const char *id, const char *name);
int map_graph_add_link(MapGraph *g, int from, int to, MapPolarity pol,
                       bool delay);
/* Index of the node with this id, or -1. Linear; for building only. */
int map_graph_find(const MapGraph *g, const char *id);

/* Reads a workspace export document: {"items": [{"id", "title"}...],
 * "links": [{"from", "to", "polarity", "delay"}...]}. Errors name the
 * field (`links[3].to: ...`) or the JSON line and column. */
int map_graph_from_json(const char *text, size_t len, const char *file,
                        MapGraph **out, TDiags *d);
/* The causal graph of a model: a link from each variable an equation
 * reads to the variable it defines, flows into and out of their stocks,
 * each with the polarity sign analysis can prove (else ?); links through
 * DELAY and SMOOTH functions are marked as delays. */
int map_graph_from_model(const SdModel *m, MapGraph **out, TDiags *d);

/* The graph of a compiled program's structure (sd_program_edges): one
 * node per program node, in the same order, so a loop's node indices are
 * the program's and can be scored with sd_ltm. Polarities are unknown;
 * LTM's scores carry the sign. */
int map_graph_from_program(const SdProgram *p, MapGraph **out);

/* ---- loops ------------------------------------------------------------ */

typedef struct MapLoop {
    int length;           /* number of links (= nodes) */
    int *nodes;           /* the nodes in order, starting at the lowest */
    MapPolarity polarity; /* MAP_POS reinforcing, MAP_NEG balancing, ? */
    bool delay;           /* some link in it has a delay */
} MapLoop;

typedef struct MapLoopOpts {
    int max_listed;        /* list at most this many, shortest first */
    double budget_seconds; /* stop counting after this long (0: none) */
} MapLoopOpts;

typedef struct MapLoops {
    long long count;    /* elementary cycles found */
    bool exact;         /* false when the budget stopped the count */
    int listed;         /* loops in the array below */
    MapLoop *loops;     /* shortest first, then by node sequence */
    long long *through; /* per node: loops through it (of count) */
} MapLoops;

int map_loops_find(const MapGraph *g, const MapLoopOpts *o, MapLoops **out);
void map_loops_free(MapLoops *l);

/* ---- leverage --------------------------------------------------------- */

typedef struct MapLeverage {
    int *in_degree;      /* distinct links into each node */
    int *out_degree;     /* distinct links out of it */
    double *betweenness; /* Brandes, directed, unnormalised */
    int *component;      /* strongly connected component, numbered from 0
                            in order of each component's lowest node */
} MapLeverage;

int map_leverage(const MapGraph *g, MapLeverage **out);
void map_leverage_free(MapLeverage *l);

#endif
