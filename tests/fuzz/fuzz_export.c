/*
 * fuzz_export.c - libFuzzer target for the workspace document exports
 * and, through the same bytes, the text index's tokenizer. The input is
 * read as a workspace document and exported as GraphML, DOT and CSV (with
 * the diagnostics formatted, so the error paths run). Then the text index
 * takes documents from it: each item's title and body when the input is
 * JSON with an items array, else each line of the raw bytes (so invalid
 * UTF-8 and stray bytes reach the tokenizer too); the first document is
 * the near-duplicate query and the index is clustered.
 *
 * Ownership: every object made for one input is freed before the function
 * returns, so LeakSanitizer reports any leak.
 */
#include <jansson.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/core.h"
#include "map/map.h"

#define FUZZ_MAX_DOCS 64 /* documents indexed per input */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Indexes the items' "title\nbody" when the input is a JSON document
 * with items; returns how many, or -1 when it is not one. */
static int add_items(MapTextIndex *ix, const char *text, size_t size,
                     TBuf *first)
{
    json_t *root = json_loadb(text, size, 0, NULL);
    json_t *items = json_object_get(root, "items");
    if (!json_is_array(items)) {
        json_decref(root);
        return -1;
    }
    int n = 0;
    size_t i;
    json_t *it;
    json_array_foreach(items, i, it)
    {
        if (n >= FUZZ_MAX_DOCS)
            break;
        const char *title = json_string_value(json_object_get(it, "title"));
        const char *body = json_string_value(json_object_get(it, "body"));
        TBuf b = {0};
        tbuf_printf(&b, "%s\n%s", title ? title : "", body ? body : "");
        map_text_index_add(ix, (long long)i, tbuf_cstr(&b));
        if (n++ == 0)
            tbuf_puts(first, tbuf_cstr(&b));
        tbuf_free(&b);
    }
    json_decref(root);
    return n;
}

/* Indexes each line of the raw bytes (up to a NUL, which ends a C
 * string). */
static void add_lines(MapTextIndex *ix, const char *text, size_t size,
                      TBuf *first)
{
    char *copy = malloc(size + 1);
    if (!copy)
        return;
    memcpy(copy, text, size);
    copy[size] = 0;
    char *line = copy;
    for (int n = 0; n < FUZZ_MAX_DOCS && line; n++) {
        char *nl = memchr(line, '\n', size - (size_t)(line - copy));
        if (nl)
            *nl = 0;
        map_text_index_add(ix, n, line);
        if (n == 0)
            tbuf_puts(first, line);
        line = nl ? nl + 1 : NULL;
    }
    free(copy);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *text = (const char *)data;
    static const MapExportFormat fmts[] = {MAP_EXPORT_GRAPHML, MAP_EXPORT_DOT,
                                           MAP_EXPORT_CSV};
    for (size_t f = 0; f < sizeof fmts / sizeof *fmts; f++) {
        TDiags d = {0};
        TBuf out = {0};
        if (map_export(text, size, "fuzz.json", fmts[f], &out, &d) == T_OK &&
            out.len == 0)
            abort(); /* a valid document always gives some output */
        if (d.len) {
            TBuf msg = {0};
            diags_format(&d, &msg);
            tbuf_free(&msg);
        }
        tbuf_free(&out);
        diags_free(&d);
    }

    MapTextIndex *ix = map_text_index_new();
    if (!ix)
        return 0;
    TBuf first = {0};
    if (add_items(ix, text, size, &first) < 0)
        add_lines(ix, text, size, &first);
    MapSimilar sim[8];
    int n = map_text_similar(ix, tbuf_cstr(&first), -1, 0.0, sim, 8);
    for (int i = 1; i < n; i++)
        if (sim[i].score > sim[i - 1].score || sim[i].score < 0 ||
            sim[i].score > 1)
            abort(); /* best first, within 0..1 */
    MapThemeSuggestion *sg = NULL;
    int ns = map_text_suggest_themes(ix, (int)(size % 5) - 1, &sg);
    long long members = 0;
    for (int g = 0; g < ns; g++) {
        members += sg[g].nitems;
        for (int j = 0; j < sg[g].nterms; j++)
            if (!sg[g].terms[j][0])
                abort(); /* no empty term */
    }
    if (ns > 0 && members == 0)
        abort();
    map_theme_suggestions_free(sg, ns);
    tbuf_free(&first);
    map_text_index_free(ix);
    return 0;
}
