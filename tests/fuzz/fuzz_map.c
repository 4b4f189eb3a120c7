/*
 * fuzz_map.c - libFuzzer target for the causal-map reader and analyses.
 * The input bytes are a workspace export document: map_graph_from_json
 * reads it (and must agree with map_graph_from_json_tree, jansson's
 * reader, which it falls back on); a graph that loads has its loops found (at
 * most 50 listed, a 0.05 s budget so a dense graph cannot hang the run) and,
 * when it has at most 2,000 nodes, its leverage measured (betweenness is
 * quadratic).
 *
 * Ownership: every object made for one input is freed before the function
 * returns, so LeakSanitizer reports any leak in the engine.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/core.h"
#include "map/map.h"

#define FUZZ_MAX_LISTED 50
#define FUZZ_BUDGET 0.05       /* seconds of loop counting per input */
#define FUZZ_MAX_LEVERAGE 2000 /* larger graphs skip map_leverage */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    TDiags d = {0};
    MapGraph *g = NULL;
    MapLoops *loops = NULL;
    MapLeverage *lev = NULL;
    int rc = map_graph_from_json((const char *)data, size, "fuzz.json", &g, &d);
    /* The single-pass reader must agree with jansson's tree reader. */
    TDiags d2 = {0};
    MapGraph *g2 = NULL;
    int rc2 = map_graph_from_json_tree((const char *)data, size, "fuzz.json",
                                       &g2, &d2);
    if (rc != rc2 || d.len != d2.len)
        abort();
    if (g && (g->nnodes != g2->nnodes || g->nlinks != g2->nlinks))
        abort();
    for (int i = 0; g && i < g->nnodes; i++)
        if (strcmp(g->ids[i], g2->ids[i]) || strcmp(g->names[i], g2->names[i]))
            abort();
    for (int i = 0; g && i < g->nlinks; i++)
        if (g->links[i].from != g2->links[i].from ||
            g->links[i].to != g2->links[i].to ||
            g->links[i].polarity != g2->links[i].polarity ||
            g->links[i].delay != g2->links[i].delay)
            abort();
    map_graph_free(g2);
    diags_free(&d2);
    if (rc == T_OK) {
        MapLoopOpts o = {.max_listed = FUZZ_MAX_LISTED,
                         .budget_seconds = FUZZ_BUDGET};
        if (map_loops_find(g, &o, &loops) == T_OK) {
            /* Read back what was listed, so a bad pointer shows. */
            long long sum = 0;
            for (int i = 0; i < loops->listed; i++)
                for (int k = 0; k < loops->loops[i].length; k++)
                    sum += loops->loops[i].nodes[k];
            for (int v = 0; v < g->nnodes; v++)
                sum += loops->through[v];
            if (sum == -1)
                abort(); /* never: keeps the reads */
        }
        if (g->nnodes <= FUZZ_MAX_LEVERAGE)
            map_leverage(g, &lev);
    }
    if (d.len) {
        TBuf msg = {0};
        diags_format(&d, &msg);
        tbuf_free(&msg);
    }
    map_leverage_free(lev);
    map_loops_free(loops);
    map_graph_free(g);
    diags_free(&d);
    return 0;
}
