/*
 * assets.h - the files the server serves from memory: the browser app
 * (web/) and its npm libraries, and the starter workspace. The table is
 * generated at build time by scripts/embed-assets.py from web/assets.txt
 * into build/gen/assets.c; it is read-only and lives for the program.
 */
#ifndef TERRITORY_WEB_ASSETS_H
#define TERRITORY_WEB_ASSETS_H

#include <stddef.h>

typedef struct WebAsset {
    const char *path;          /* URL path ("/app/main.js"), or "@name" for
                                  data that is not served ("@starter.json") */
    const char *mime;          /* Content-Type, with charset for text */
    const unsigned char *data; /* the bytes, NUL-terminated (not counted) */
    size_t len;                /* length in bytes */
    const char *etag;          /* quoted strong ETag of the content */
} WebAsset;

extern const WebAsset web_assets[]; /* sorted by path */
extern const size_t web_nassets;

/* The asset at PATH (exact match, binary search), or NULL. */
const WebAsset *web_asset_find(const char *path);

#endif
