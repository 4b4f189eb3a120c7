/*
 * cmd_serve.c - `territory serve`: the server on a database (created and
 * seeded with the starter workspace when missing), until SIGINT or
 * SIGTERM; and `territory init`, which only creates and seeds the
 * database. Once listening, serve prints exactly one line,
 * `territory: listening on http://HOST:PORT/`, and flushes it.
 */
#include "cli.h"

#include <errno.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include "store/store.h"
#include "web/assets.h"
#include "web/web.h"

#define DEFAULT_DB "territory.db"

int cmd_serve(int argc, char **argv)
{
    WebOpts o = {.db_path = DEFAULT_DB, .host = "127.0.0.1", .port = 8080};
    for (int i = 0; i < argc; i++) {
        const char *val = i + 1 < argc ? argv[i + 1] : NULL;
        long n = 0;
        if (!strcmp(argv[i], "--db") && val) {
            o.db_path = val;
            i++;
        } else if (!strcmp(argv[i], "--host") && val) {
            o.host = val;
            i++;
        } else if (!strcmp(argv[i], "--port") && val) {
            if (!str_to_int(val, 0, 65535, &n)) {
                cli_error("--port takes a port number from 0 to 65535, not "
                          "'%s'",
                          val);
                return EXIT_USAGE;
            }
            o.port = (int)n;
            i++;
        } else if (!strcmp(argv[i], "--threads") && val) {
            if (!str_to_int(val, 1, 63, &n)) {
                cli_error("--threads takes a number from 1 to 63");
                return EXIT_USAGE;
            }
            o.threads = (int)n;
            i++;
        } else if (!strcmp(argv[i], "--secure-cookies")) {
            o.secure_cookies = true;
        } else {
            cli_error("serve: unknown option '%s'", argv[i]);
            fputs("usage: territory serve [--db FILE] [--host ADDR] "
                  "[--port N] [--secure-cookies]\n",
                  stderr);
            return EXIT_USAGE;
        }
    }
    /* the workers inherit a mask with these blocked; this thread waits
     * for them */
    sigset_t stop;
    sigemptyset(&stop);
    sigaddset(&stop, SIGINT);
    sigaddset(&stop, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &stop, NULL);
    signal(SIGPIPE, SIG_IGN);

    WebServer *s = NULL;
    char err[600];
    if (web_server_start(&o, &s, err, sizeof err) != T_OK) {
        cli_error("%s", err);
        return EXIT_INPUT;
    }
    bool v6 = strchr(o.host, ':') != NULL;
    printf("territory: listening on http://%s%s%s:%d/\n", v6 ? "[" : "", o.host,
           v6 ? "]" : "", web_server_port(s));
    fflush(stdout);
    int sig = 0;
    while (sigwait(&stop, &sig) != 0) {
    }
    web_server_stop(s);
    return EXIT_OK;
}

int cmd_init(int argc, char **argv)
{
    const char *path = DEFAULT_DB;
    for (int i = 0; i < argc; i++) {
        if (!strcmp(argv[i], "--db") && i + 1 < argc) {
            path = argv[++i];
        } else {
            cli_error("init: unknown option '%s'", argv[i]);
            fputs("usage: territory init [--db FILE]\n", stderr);
            return EXIT_USAGE;
        }
    }
    bool existed = access(path, F_OK) == 0;
    const WebAsset *seed = web_asset_find("@starter.json");
    StoreOpenOpts o = {.create = true,
                       .seed = seed ? (const char *)seed->data : NULL,
                       .seed_len = seed ? seed->len : 0};
    StoreDb *db = NULL;
    StoreErr e = {0};
    if (store_open(path, &o, &db, &e) != STORE_OK) {
        cli_error("%s", e.message);
        return EXIT_INPUT;
    }
    store_close(db);
    if (existed)
        printf("%s: up to date (schema version %d)\n", path,
               store_schema_version());
    else
        printf("%s: created with the starter workspace\n", path);
    return EXIT_OK;
}
