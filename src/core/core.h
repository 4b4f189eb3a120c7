/*
 * core.h - the base layer every Territory module stands on: arenas,
 * growable buffers, strings, diagnostics and a string-keyed hash table.
 * Nothing here depends on anything but libc.
 *
 * Ownership: an Arena owns every block allocated from it and frees them all
 * at once in arena_free(); a TBuf owns its data until tbuf_free(); a TDiags
 * owns its messages until diags_free().
 */
#ifndef TERRITORY_CORE_H
#define TERRITORY_CORE_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Result codes shared by every module (and the CLI's exit codes). */
enum {
    T_OK = 0,       /* success */
    T_EINPUT = 1,   /* bad input: a diagnostic says where */
    T_EUSAGE = 2,   /* the caller used the API wrongly */
    T_EINTERNAL = 3 /* out of memory, I/O failure, a broken invariant */
};

/* ---- arena ------------------------------------------------------------ */

typedef struct ArenaBlock ArenaBlock;
typedef struct Arena {
    ArenaBlock *head; /* newest block; older ones chained behind it */
    size_t used;      /* bytes handed out, for reports and caps */
} Arena;

void arena_init(Arena *a);
void arena_free(Arena *a); /* frees every block; the arena can be reused */
void *arena_alloc(Arena *a, size_t n); /* zeroed, aligned to 16 */
char *arena_strdup(Arena *a, const char *s);
char *arena_strndup(Arena *a, const char *s, size_t n);
char *arena_printf(Arena *a, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* ---- growable byte buffer --------------------------------------------- */

typedef struct TBuf {
    char *data; /* NUL-terminated when len > 0 or after tbuf_cstr() */
    size_t len; /* bytes used, excluding the NUL */
    size_t cap; /* bytes allocated */
} TBuf;

#define TBUF_MAX ((size_t)1 << 31) /* no buffer grows past 2 GiB */

int tbuf_reserve(TBuf *b, size_t extra);
int tbuf_append(TBuf *b, const char *s, size_t n);
int tbuf_puts(TBuf *b, const char *s);
int tbuf_putc(TBuf *b, char c);
int tbuf_printf(TBuf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
int tbuf_vprintf(TBuf *b, const char *fmt, va_list ap);
const char *tbuf_cstr(TBuf *b); /* never NULL */
void tbuf_free(TBuf *b);

/* Reads a whole file into b (capped at max bytes). Returns T_OK, T_EINPUT
 * when the file cannot be opened or is too large (errno is kept). */
int tbuf_read_file(TBuf *b, const char *path, size_t max);

/* ---- growable vector of pointers or PODs ------------------------------ */

/* A vector of T: declare `VEC(T) v = {0};` and use vec_push(&v, x). */
#define VEC(T)                                                                 \
    struct {                                                                   \
        T *items;                                                              \
        int len;                                                               \
        int cap;                                                               \
    }
int vec_grow_(void **items, int *cap, size_t elem, int need);
#define vec_push(v, x)                                                         \
    (((v)->len < (v)->cap ||                                                   \
      vec_grow_((void **)&(v)->items, &(v)->cap, sizeof(*(v)->items),          \
                (v)->len + 1) == 0)                                            \
         ? ((v)->items[(v)->len++] = (x), 0)                                   \
         : T_EINTERNAL)
#define vec_free(v)                                                            \
    (free((v)->items), (v)->items = NULL, (v)->len = (v)->cap = 0)

/* ---- diagnostics ------------------------------------------------------ */

typedef enum { DIAG_ERROR, DIAG_WARNING } DiagLevel;

typedef struct TDiag {
    DiagLevel level; /* error or warning */
    char *file;      /* file the problem is in, or NULL */
    int line;        /* 1-based line in that file, 0 when unknown */
    int col;         /* 1-based column (in characters), 0 when unknown */
    char *message;   /* git-style: lower case, no full stop */
    char *context;   /* the source line, for the caret display, or NULL */
} TDiag;

typedef struct TDiags {
    TDiag *items; /* in the order reported */
    int len;      /* number reported */
    int cap;      /* allocated */
    int errors;   /* how many of them are errors */
} TDiags;

#define DIAGS_MAX 1000 /* past this many, further reports are dropped */

void diags_add(TDiags *d, DiagLevel level, const char *file, int line, int col,
               const char *context, const char *fmt, ...)
    __attribute__((format(printf, 7, 8)));
void diags_vadd(TDiags *d, DiagLevel level, const char *file, int line, int col,
                const char *context, const char *fmt, va_list ap);
/* Writes every diagnostic as `file:line:col: message`, the source line and
 * a caret under the column, into out. */
int diags_format(const TDiags *d, TBuf *out);
void diags_free(TDiags *d);

/* ---- strings ---------------------------------------------------------- */

/* Parses a whole string as a double (strtod, C locale digits, no trailing
 * junk but spaces). Returns true on success. */
bool str_to_double(const char *s, double *out);
/* Writes v as snprintf's "%.*g" with precision prec does, character for
 * character, but several times faster (numfmt.c); out holds STR_NUM_MAX
 * bytes. Returns the length. */
#define STR_NUM_MAX 32
int str_fmt_g(char *out, double v, int prec);
/* Parses a whole string as an int in [lo, hi]. */
bool str_to_int(const char *s, long lo, long hi, long *out);
/* Decodes one UTF-8 code point at s (len bytes); returns bytes used (1 for
 * an invalid byte, which decodes as U+FFFD). */
int str_utf8_decode(const char *s, size_t len, uint32_t *cp);
int str_utf8_encode(uint32_t cp, char out[4]);
/* Simple case folding for the scripts names are written in (ASCII, Latin-1,
 * Latin Extended-A, Greek, Cyrillic). */
uint32_t str_fold_case(uint32_t cp);
/* Levenshtein distance between a and b, capped at max+1. */
int str_edit_distance(const char *a, const char *b, int max);
/* A malloc'd copy of line `line` (1-based) of text, without its line
 * end, for a diagnostic's caret display; NULL when there is no such line
 * or out of memory. */
char *str_line_dup(const char *text, size_t len, int line);
/* Number of characters (code points) in the first n bytes of s. */
int str_utf8_count(const char *s, size_t n);

/* Appends s with &, <, >, " and ' escaped for XML and HTML text and
 * attribute values; control characters XML cannot carry (all below U+0020
 * but tab, newline and carriage return) are dropped. */
int tbuf_put_xml_escaped(TBuf *b, const char *s);

/* ---- e-mail messages (RFC 5322 with MIME) ----------------------------- */

/* One message with a plain-text and an HTML alternative. Every field is
 * UTF-8 and borrowed for the call. Names may hold any text: they are
 * written as RFC 2047 encoded words where needed. Addresses must be plain
 * `local@domain` with no spaces, angle brackets or line breaks. */
typedef struct TMail {
    const char *from_name; /* display name of the sender, or NULL */
    const char *from_addr; /* sender address */
    const char *to_name;   /* display name of the recipient, or NULL */
    const char *to_addr;   /* recipient address */
    const char *subject;   /* subject line; line breaks become spaces */
    const char *text;      /* the text/plain part */
    const char *html;      /* the text/html part, already escaped */
    long long date;        /* seconds since the epoch, for the Date field */
    const char *id_seed;   /* makes the Message-ID unique and repeatable */
} TMail;

/* Writes m as an RFC 5322 message with CRLF line ends: headers, then a
 * multipart/alternative body whose parts are UTF-8 in base64. Returns T_OK,
 * or T_EINPUT when an address is malformed. */
int mail_write(const TMail *m, TBuf *out);

/* ---- hash table: string key -> int value ------------------------------ */

typedef struct THashEntry {
    const char *key; /* borrowed: must outlive the table */
    int value;       /* the payload */
    uint32_t hash;   /* cached hash of key */
} THashEntry;

typedef struct THash {
    THashEntry *slots; /* open addressing, power-of-two size */
    int cap;           /* number of slots */
    int len;           /* number of keys */
} THash;

uint32_t thash_str(const char *s);
int thash_put(THash *h, const char *key, int value); /* replaces */
bool thash_get(const THash *h, const char *key, int *value);
void thash_free(THash *h);

#endif
