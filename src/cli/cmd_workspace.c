/*
 * cmd_workspace.c - `territory workspace list|export|import`: moves a
 * workspace in and out of a database as one workspace document
 * (docs/http-api.md). list prints the slugs one per line; export writes
 * the document (hidden contributions included) to standard output or -o
 * FILE; import reads a file or standard input, reports every problem as
 * `FILE: field: message`, and prints the new workspace's slug. An
 * imported workspace belongs to the first account, or to whoever signs
 * up first when there is none yet.
 */
#include "cli.h"

#include <errno.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "store/store.h"
#include "web/assets.h"

#define DEFAULT_DB "territory.db"
#define DOC_FILE_MAX ((size_t)256 << 20)

static void usage_ws(void)
{
    fputs("usage: territory workspace list [--db FILE]\n"
          "       territory workspace export [--db FILE] SLUG [-o FILE]\n"
          "       territory workspace import [--db FILE] [--slug SLUG] "
          "[FILE]\n",
          stderr);
}

static int open_db(const char *path, bool create, StoreDb **db)
{
    const WebAsset *seed = web_asset_find("@starter.json");
    StoreOpenOpts o = {.create = create,
                       .seed = create && seed ? (const char *)seed->data : NULL,
                       .seed_len = create && seed ? seed->len : 0};
    StoreErr e = {0};
    if (store_open(path, &o, db, &e) != STORE_OK) {
        cli_error("%s", e.message);
        return EXIT_INPUT;
    }
    return EXIT_OK;
}

static int ws_list(StoreDb *db)
{
    json_t *list = NULL;
    StoreErr e = {0};
    if (store_ws_slugs(db, &list, &e) != STORE_OK) {
        cli_error("%s", e.message);
        return EXIT_INTERNAL;
    }
    size_t i;
    json_t *s;
    json_array_foreach(list, i, s)
    {
        puts(json_string_value(s));
    }
    json_decref(list);
    return EXIT_OK;
}

static int ws_export(StoreDb *db, const char *slug, const char *out)
{
    StoreActor a;
    StoreErr e = {0};
    json_t *doc = NULL;
    if (store_actor_admin(db, slug, &a, &e) != STORE_OK ||
        store_doc_export(db, &a, true, false, &doc, &e) != STORE_OK) {
        cli_error("%s", e.message);
        return e.rc == STORE_EINTERNAL ? EXIT_INTERNAL : EXIT_INPUT;
    }
    FILE *f = out ? fopen(out, "w") : stdout;
    if (!f) {
        cli_error("cannot write '%s': %s", out, strerror(errno));
        json_decref(doc);
        return EXIT_INPUT;
    }
    int rc = json_dumpf(doc, f, JSON_INDENT(2)) == 0 && fputc('\n', f) != EOF
                 ? EXIT_OK
                 : EXIT_INTERNAL;
    json_decref(doc);
    if (out && fclose(f) != 0)
        rc = EXIT_INTERNAL;
    if (rc != EXIT_OK)
        cli_error("cannot write '%s'", out ? out : "standard output");
    return rc;
}

static int ws_import(StoreDb *db, const char *file, const char *slug)
{
    TBuf b = {0};
    const char *name = file && strcmp(file, "-") ? file : "<stdin>";
    if (file && strcmp(file, "-")) {
        if (tbuf_read_file(&b, file, DOC_FILE_MAX) != T_OK) {
            cli_error("cannot read '%s': %s", file, strerror(errno));
            tbuf_free(&b);
            return EXIT_INPUT;
        }
    } else {
        char chunk[65536];
        size_t n;
        while ((n = fread(chunk, 1, sizeof chunk, stdin)) > 0) {
            if (b.len + n > DOC_FILE_MAX || tbuf_append(&b, chunk, n)) {
                cli_error("standard input is over %zu bytes", DOC_FILE_MAX);
                tbuf_free(&b);
                return EXIT_INPUT;
            }
        }
    }
    StoreIssues is = {0};
    StoreErr e = {0};
    char out[STORE_SLUG_MAX + 8];
    int rc = store_doc_import(db, tbuf_cstr(&b), b.len, 0, true, slug, out,
                              sizeof out, &is, &e);
    tbuf_free(&b);
    if (rc == STORE_EINPUT && is.len) {
        for (int i = 0; i < is.len; i++)
            fprintf(stderr, "%s: %s%s%s\n", name, is.items[i].field,
                    is.items[i].field[0] ? ": " : "", is.items[i].message);
        if (is.dropped)
            fprintf(stderr, "%s: (%d more problems not shown)\n", name,
                    is.dropped);
        store_issues_free(&is);
        return EXIT_INPUT;
    }
    store_issues_free(&is);
    if (rc != STORE_OK) {
        cli_error("%s: %s", name, e.message);
        return rc == STORE_EINTERNAL ? EXIT_INTERNAL : EXIT_INPUT;
    }
    puts(out);
    return EXIT_OK;
}

int cmd_workspace(int argc, char **argv)
{
    if (argc < 1) {
        usage_ws();
        return EXIT_USAGE;
    }
    const char *verb = argv[0], *path = DEFAULT_DB, *out = NULL, *slug = NULL,
               *arg = NULL;
    for (int i = 1; i < argc; i++) {
        const char *val = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(argv[i], "--db") && val) {
            path = val;
            i++;
        } else if (!strcmp(argv[i], "-o") && val) {
            out = val;
            i++;
        } else if (!strcmp(argv[i], "--slug") && val) {
            slug = val;
            i++;
        } else if (argv[i][0] == '-' && argv[i][1]) {
            cli_error("workspace: unknown option '%s'", argv[i]);
            usage_ws();
            return EXIT_USAGE;
        } else if (!arg) {
            arg = argv[i];
        } else {
            cli_error("workspace: one argument too many: '%s'", argv[i]);
            usage_ws();
            return EXIT_USAGE;
        }
    }
    bool list = !strcmp(verb, "list"), exp = !strcmp(verb, "export"),
         imp = !strcmp(verb, "import");
    if ((!list && !exp && !imp) || (list && arg) || (exp && !arg) ||
        (!exp && out) || (!imp && slug)) {
        if (!list && !exp && !imp)
            cli_error("workspace: unknown action '%s'", verb);
        usage_ws();
        return EXIT_USAGE;
    }
    if (slug && !store_slug_ok(slug)) {
        cli_error("--slug must be 1 to %d of a-z, 0-9 and '-'", STORE_SLUG_MAX);
        return EXIT_USAGE;
    }
    StoreDb *db = NULL;
    int rc = open_db(path, imp, &db);
    if (rc != EXIT_OK)
        return rc;
    rc = list  ? ws_list(db)
         : exp ? ws_export(db, arg, out)
               : ws_import(db, arg, slug);
    store_close(db);
    return rc;
}
