/*
 * map.h - causal maps as graphs, and their analysis: every elementary
 * feedback loop (Johnson's algorithm on each strongly connected component)
 * with its polarity, length and delay, and the leverage of each factor
 * (loops through it, degrees, betweenness, component).
 *
 * A MapGraph comes from a workspace export document (map_graph_from_json)
 * or from a model's variable dependencies (map_graph_from_model).
 *
 * The text section indexes item texts (TF-IDF) for near-duplicate checks
 * and theme suggestions; the export section converts a workspace document
 * to GraphML, Graphviz DOT and CSV.
 *
 * Ownership: a MapGraph owns its names and links (arena); MapLoops and
 * MapLeverage are owned by the caller and freed with their *_free. A
 * MapTextIndex owns copies of its documents' terms; theme suggestions are
 * owned by the caller and freed with map_theme_suggestions_free; exports
 * append to the caller's TBuf.
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
/* The same through jansson's whole tree, which map_graph_from_json falls
 * back on for anything its single pass does not read plainly (and for
 * every message); for tests that compare the two. */
int map_graph_from_json_tree(const char *text, size_t len, const char *file,
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

/* ---- loop dominance of a model (dominance.c) -------------------------- */

typedef enum {
    MAP_DOM_AUTO,     /* every loop when they fit in max, else strongest */
    MAP_DOM_ALL,      /* every loop, or the max shortest */
    MAP_DOM_STRONGEST /* strongest-path discovery (sd_ltm_discover) */
} MapDomLoops;

typedef struct MapDominanceOpts {
    int max;             /* loops listed (and scored, but for strongest) */
    double count_budget; /* seconds to count the model's loops (0: none) */
    MapDomLoops loops;   /* which loops to score */
    SdRunOpts run;       /* how the model runs */
} MapDominanceOpts;

typedef struct MapDomLoop {
    char id[16];      /* R1, B1, ?1: by the polarity its scores showed */
    char polarity;    /* 'R', 'B' or '?' */
    int length;       /* its links */
    const int *nodes; /* its nodes (graph indices), lowest first */
    int scored;       /* its column in ltm's scores */
} MapDomLoop;

typedef struct MapDominance {
    const char *method; /* "all", "shortest" (the max shortest of more) or
                           "strongest" */
    bool strongest;     /* found by strongest path (found is set) */
    int scored;         /* loops scored: relative scores share among them */
    int listed;         /* loops below */
    MapDomLoop *loops;  /* listed: with strongest, every loop that
                           dominates at some time, then by peak score */
    SdLtm *ltm;         /* times, loop scores and relative scores */
    int *dominant;      /* per saved time: index into loops, or -1 */
    MapGraph *graph;    /* the model's variable graph (names) */
    MapLoops *all;      /* the model's loops counted (count, exact) */
    SdLtmLoops *found;  /* strongest path's loops (ntimes, complete) */
    const int **nodes;  /* per scored loop: its nodes */
    int *lens;          /* per scored loop: its length */
} MapDominance;

int map_dominance(SdProgram *p, const MapDominanceOpts *o, MapDominance **out,
                  TDiags *d);
void map_dominance_free(MapDominance *m);
/* "a -> b -> a" for listed loop j, appended to b. */
void map_dominance_label(const MapDominance *m, int j, TBuf *b);

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

/* ---- text: near-duplicates and theme suggestions ---------------------- */

/* Only the first MAP_TEXT_DOC_MAX bytes of a document or query are
 * indexed (cut at a character boundary); an index holds at most
 * MAP_TEXT_MAX_DOCS documents. Functions that return -1 set errno: ENOMEM
 * (out of memory), E2BIG (too many documents), EINVAL (a NULL argument). */
#define MAP_TEXT_DOC_MAX 100000
#define MAP_TEXT_MAX_DOCS 1000000

/* TF-IDF over word tokens (lower-cased, stop words dropped, light
 * stemming). */
typedef struct MapTextIndex MapTextIndex;
MapTextIndex *map_text_index_new(void);
void map_text_index_free(MapTextIndex *ix); /* NULL is a no-op */
/* Adds a document (an item's title and body joined); id is the caller's.
 * 0 or -1 (ENOMEM). */
int map_text_index_add(MapTextIndex *ix, long long id, const char *text);
/* Removes the document of id (the first added with it): its terms' df
 * drop, and later queries score as if it had never been added (the
 * surface counts behind theme names keep its words). 0, or -1 with errno
 * ENOENT when no document has that id. Edit = remove, then add. */
int map_text_index_remove(MapTextIndex *ix, long long id);
/* How many documents the index holds. */
int map_text_index_count(const MapTextIndex *ix);
typedef struct MapSimilar {
    long long id; /* the document's id, as given to map_text_index_add */
    double score; /* cosine similarity, 0..1 */
} MapSimilar;
/* The documents most similar to TEXT (cosine of TF-IDF vectors, 0..1),
 * score >= min_score, best first (ties by id), at most max; excludes
 * exclude_id (pass -1 for none). Returns how many were written to out
 * (-1, with errno ENOMEM, when out of memory). */
int map_text_similar(MapTextIndex *ix, const char *text, long long exclude_id,
                     double min_score, MapSimilar *out, int max);
typedef struct MapThemeSuggestion {
    char *name;       /* a short proposed name built from the top terms */
    long long *items; /* the member documents' ids, ascending */
    int nitems;       /* how many */
    char **terms;     /* the cluster's top terms, most characteristic first */
    int nterms;       /* how many (<= 5) */
} MapThemeSuggestion;
/* Clusters the indexed documents into k groups (k <= 0: chosen
 * automatically, about sqrt(n/2) bounded 2..12), deterministic (seeded
 * k-means++ or agglomerative), largest group first. Returns the count
 * written to *out (caller frees with map_theme_suggestions_free), or -1 on
 * out of memory. Here: spherical k-means++ with fixed seeds, k at most 64
 * and at most the number of documents; documents with no indexable words
 * (only stop words, say) are a group of their own, "Other items", with no
 * terms, so the count can be k + 1. */
int map_text_suggest_themes(MapTextIndex *ix, int k, MapThemeSuggestion **out);
void map_theme_suggestions_free(MapThemeSuggestion *s, int n);
/* Appends the index terms of text, one per line, in text order: the words
 * (ASCII folded to lower case) less stop words, stemmed. For tests and
 * for seeing why two texts match. T_OK, T_EUSAGE or T_EINTERNAL. */
int map_text_terms(const char *text, TBuf *out);

/* ---- export: a workspace document (docs/http-api.md, "The workspace
 * document") to other formats. Each appends to out and returns 0, or -1
 * with an error in d that names the field (items[3].id ...) when the
 * document is not valid. ---- */

/* Nodes with title, theme, theme colour; edges with polarity, delay, note;
 * yEd/Gephi readable. */
int map_export_graphml(const char *doc, size_t len, TBuf *out, TDiags *d);
/* A digraph, nodes labelled and filled with the theme colour, edges
 * labelled +/-, delay as "||" style. */
int map_export_dot(const char *doc, size_t len, TBuf *out, TDiags *d);
/* RFC 4180: id,title,body,theme,status,merged_into,importance,uncertainty,
 * ratings. */
int map_export_items_csv(const char *doc, size_t len, TBuf *out, TDiags *d);

typedef enum {
    MAP_EXPORT_GRAPHML, /* GraphML (XML) */
    MAP_EXPORT_DOT,     /* Graphviz DOT */
    MAP_EXPORT_CSV      /* the items as RFC 4180 CSV */
} MapExportFormat;
/* The three above in one call, with the document's file name (or NULL) in
 * each diagnostic. Returns T_OK, T_EINPUT (diagnostics in d; nothing is
 * appended) or T_EINTERNAL (out of memory). */
int map_export(const char *doc, size_t len, const char *file,
               MapExportFormat fmt, TBuf *out, TDiags *d);

#endif
