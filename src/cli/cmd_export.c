/*
 * cmd_export.c - `territory export DOC.json --format graphml|dot|csv
 * [-o FILE]`: converts a workspace document to GraphML or Graphviz DOT
 * (the map) or RFC 4180 CSV (the items), on standard output or into FILE.
 * Problems in the document are reported with their field path and
 * nothing is written.
 */
#include "cli.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "map/map.h"

#define EXPORT_FILE_MAX ((size_t)256 << 20) /* bytes of a document read */

static const char USAGE[] =
    "usage: territory export DOC.json --format graphml|dot|csv [-o FILE]";

/* Writes n bytes to path (or standard output when NULL); 0 or -1 with
 * errno set. */
static int write_all(const char *path, const char *data, size_t n)
{
    FILE *f = path ? fopen(path, "wb") : stdout;
    if (!f)
        return -1;
    size_t w = n ? fwrite(data, 1, n, f) : 0;
    int err = w != n ? errno : 0;
    if (fflush(f) && !err)
        err = errno;
    if (path && fclose(f) && !err)
        err = errno;
    if (err) {
        errno = err;
        return -1;
    }
    return 0;
}

int cmd_export(int argc, char **argv)
{
    const char *path = NULL, *out_path = NULL;
    int fmt = -1;
    for (int i = 0; i < argc; i++) {
        const char *val = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(argv[i], "--format")) {
            if (val && !strcmp(val, "graphml"))
                fmt = MAP_EXPORT_GRAPHML;
            else if (val && !strcmp(val, "dot"))
                fmt = MAP_EXPORT_DOT;
            else if (val && !strcmp(val, "csv"))
                fmt = MAP_EXPORT_CSV;
            else {
                cli_error("--format takes graphml, dot or csv");
                return EXIT_USAGE;
            }
            i++;
        } else if (!strcmp(argv[i], "-o")) {
            if (!val) {
                cli_error("-o takes a file name");
                return EXIT_USAGE;
            }
            out_path = val;
            i++;
        } else if (argv[i][0] == '-' && argv[i][1]) {
            cli_error("unknown option '%s'", argv[i]);
            return EXIT_USAGE;
        } else if (path) {
            cli_error("more than one document given");
            return EXIT_USAGE;
        } else {
            path = argv[i];
        }
    }
    if (!path || fmt < 0) {
        cli_error("%s", USAGE);
        return EXIT_USAGE;
    }
    TBuf in = {0}, out = {0};
    TDiags d = {0};
    int ex = EXIT_OK;
    errno = 0;
    int rc = tbuf_read_file(&in, path, EXPORT_FILE_MAX);
    if (rc != T_OK) {
        if (rc == T_EINPUT)
            cli_error("cannot read '%s': %s", path,
                      errno == EFBIG ? "larger than 256 MiB"
                      : errno        ? strerror(errno)
                                     : "read error");
        else
            cli_error("out of memory reading '%s'", path);
        ex = rc == T_EINPUT ? EXIT_INPUT : EXIT_INTERNAL;
        goto done;
    }
    rc = map_export(in.data ? in.data : "", in.len, path, (MapExportFormat)fmt,
                    &out, &d);
    if (rc != T_OK) {
        cli_print_diags(&d);
        if (rc != T_EINPUT && !d.len)
            cli_error("out of memory");
        ex = rc == T_EINPUT ? EXIT_INPUT : EXIT_INTERNAL;
        goto done;
    }
    if (write_all(out_path, out.data, out.len)) {
        cli_error("cannot write '%s': %s", out_path ? out_path : "(stdout)",
                  strerror(errno));
        ex = EXIT_INTERNAL;
    }
done:
    tbuf_free(&in);
    tbuf_free(&out);
    diags_free(&d);
    return ex;
}
