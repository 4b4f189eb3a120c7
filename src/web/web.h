/*
 * web.h - the HTTP server: the browser app at / and the JSON API under
 * /api/ (docs/http-api.md), on libmicrohttpd with an internal thread pool
 * (epoll where the platform has it) and one SQLite connection per worker.
 * The command line (`territory serve`) starts and stops it; this module
 * never prints, never exits and touches no signals.
 *
 * Ownership: a WebServer owns its daemon, its listening socket and its
 * database connections; web_server_stop() closes them all and frees it.
 */
#ifndef TERRITORY_WEB_H
#define TERRITORY_WEB_H

#include <stdbool.h>
#include <stddef.h>

typedef struct WebOpts {
    const char *db_path; /* the database file (created and seeded) */
    const char *host;    /* address to listen on: 127.0.0.1, ::1 ... */
    int port;            /* port, 0 for an ephemeral one */
    bool secure_cookies; /* cookies always get Secure */
    int threads;         /* worker threads, 0 for a default */
} WebOpts;

typedef struct WebServer WebServer;

/* Opens (creating and seeding when missing) the database, listens and
 * starts serving. On failure *out is NULL and err says why in one line
 * (git style). */
int web_server_start(const WebOpts *o, WebServer **out, char *err, size_t cap);
/* The port it listens on (the real one when 0 was asked for). */
int web_server_port(const WebServer *s);
/* Stops serving, waits for requests in flight, and frees everything.
 * NULL is a no-op. */
void web_server_stop(WebServer *s);

#endif
