/*
 * fuzz_workspace.c - libFuzzer target for the workspace-document
 * importer (src/store/doc.c). The input bytes are a workspace document:
 * store_doc_check reads it and collects its problems; a document without
 * problems is imported into a fresh in-memory database and exported
 * again, and the export must import cleanly too (what the server writes
 * it must read back).
 *
 * Ownership: everything made for one input (the database, the issues,
 * the exported document) is freed before the function returns, so
 * LeakSanitizer reports any leak in the store.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/core.h"
#include "store/store.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *text = (const char *)data;
    StoreIssues is = {0};
    int rc = store_doc_check(text, size, &is);
    /* read back every problem, so a bad field or message shows */
    size_t sum = 0;
    for (int i = 0; i < is.len; i++)
        sum += strlen(is.items[i].field) + strlen(is.items[i].message);
    store_issues_free(&is);
    if (rc != STORE_OK || sum == (size_t)-1)
        return 0;

    StoreOpenOpts o = {.create = true};
    StoreDb *db = NULL;
    StoreErr e = {0};
    if (store_open(":memory:", &o, &db, &e) != STORE_OK)
        abort(); /* an in-memory database always opens */
    char slug[STORE_SLUG_MAX + 8];
    rc = store_doc_import(db, text, size, 0, false, NULL, slug, sizeof slug,
                          &is, &e);
    store_issues_free(&is);
    if (rc == STORE_EINPUT)
        abort(); /* the check said it was sound */
    if (rc == STORE_OK) {
        StoreActor a;
        json_t *doc = NULL;
        if (store_actor_admin(db, slug, &a, &e) != STORE_OK ||
            store_doc_export(db, &a, true, false, &doc, &e) != STORE_OK)
            abort();
        json_object_set_new(doc, "slug",
                            json_string(strcmp(slug, "round-trip")
                                            ? "round-trip"
                                            : "round-trip-again"));
        char *again = json_dumps(doc, JSON_COMPACT);
        json_decref(doc);
        if (!again)
            abort();
        rc = store_doc_import(db, again, strlen(again), 0, false, NULL, slug,
                              sizeof slug, &is, &e);
        free(again);
        store_issues_free(&is);
        if (rc != STORE_OK)
            abort(); /* an export that does not import */
    }
    store_close(db);
    return 0;
}
