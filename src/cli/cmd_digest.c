/*
 * cmd_digest.c - `territory digest`: writes the e-mail digests that are
 * due, one RFC 5322 message (plain-text and HTML parts) per member and
 * workspace, into a folder, and sends them through an SMTP relay when one
 * is given (off by default).
 *
 * A member's digest frequency (docs/http-api.md, PATCH /api/w/SLUG/me) is
 * none, meeting, daily or weekly. A digest is due for a daily subscriber
 * when the last one went out a day ago or more, for a weekly one a week
 * ago, and for a meeting one when a meeting has ended since the last (a
 * first digest is due at once). It lists the workspace's events since the
 * last one sent (the first: since the member joined), exactly as the
 * member's history shows them, so texts of hidden contributions stay
 * withheld below facilitator. A digest with nothing in it is not written
 * and leaves the marker where it was. --since DATE sends every subscriber
 * what happened since DATE, whether due or not.
 *
 * The marker moves only once a digest is written (and sent, with --smtp):
 * a run that fails part-way can be repeated and sends nobody a digest
 * twice for the same events.
 */
#include "cli.h"

#include <curl/curl.h>
#include <dlfcn.h>
#include <errno.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "store/store.h"

#define DEFAULT_DB "territory.db"
#define DIGEST_MAX_EVENTS 200 /* listed per digest; the rest counted */
#define DAY 86400LL
#define SLACK 600LL /* a daily run at the same hour is still due */

typedef struct DigestArgs {
    const char *db;       /* the database */
    const char *out;      /* folder for the messages */
    const char *since;    /* --since, or NULL */
    const char *now;      /* --now (for tests), or NULL */
    const char *smtp;     /* relay URL, or NULL (off) */
    const char *from;     /* sender address */
    const char *user;     /* SMTP user, or NULL */
    const char *base_url; /* the server's address for links, or NULL */
} DigestArgs;

/* Seconds since the epoch of "YYYY-MM-DD" or "YYYY-MM-DDThh:mm[:ss]Z",
 * or -1. */
static long long parse_time(const char *s)
{
    int y, mo, d, h = 0, mi = 0, sec = 0, n = 0;
    size_t len = strlen(s);
    if (len == 10) {
        if (sscanf(s, "%4d-%2d-%2d%n", &y, &mo, &d, &n) != 3 || n != 10)
            return -1;
    } else if (sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d%n", &y, &mo, &d, &h, &mi,
                      &sec, &n) == 6 &&
               (size_t)n == len - 1 && s[n] == 'Z') {
    } else if (sscanf(s, "%4d-%2d-%2dT%2d:%2d%n", &y, &mo, &d, &h, &mi, &n) ==
                   5 &&
               (size_t)n == len - 1 && s[n] == 'Z') {
    } else {
        return -1;
    }
    if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec > 60 ||
        y < 1970)
        return -1;
    struct tm tm = {.tm_year = y - 1900,
                    .tm_mon = mo - 1,
                    .tm_mday = d,
                    .tm_hour = h,
                    .tm_min = mi,
                    .tm_sec = sec};
    time_t t = timegm(&tm);
    struct tm back;
    gmtime_r(&t, &back);
    if (back.tm_mday != d) /* 31 February */
        return -1;
    return (long long)t;
}

static void format_time(long long t, char out[24])
{
    time_t tt = (time_t)t;
    struct tm tm;
    gmtime_r(&tt, &tm);
    strftime(out, 24, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* Whether the subscription is due at now (seconds). */
static bool is_due(const StoreDigestSub *s, long long now)
{
    long long last = s->last_at[0] ? parse_time(s->last_at) : -1;
    if (last < 0)
        return true; /* never sent: the first one goes now */
    if (!strcmp(s->digest, "daily"))
        return now - last >= DAY - SLACK;
    if (!strcmp(s->digest, "weekly"))
        return now - last >= 7 * DAY - SLACK;
    if (!strcmp(s->digest, "meeting"))
        return s->last_meeting[0] && strcmp(s->last_meeting, s->last_at) > 0;
    return false;
}

/* The events the member sees after `after` (an id) and at or after
 * `since` (RFC 3339, or NULL), oldest first, at most DIGEST_MAX_EVENTS;
 * *more counts the rest. */
static json_t *events_for(StoreDb *db, const StoreActor *a, long long after,
                          const char *since, int *more, StoreErr *e)
{
    json_t *all = json_array();
    long long before = 0;
    *more = 0;
    for (;;) {
        json_t *page = NULL;
        if (store_events(db, a, before, 200, &page, e) != STORE_OK) {
            json_decref(all);
            return NULL;
        }
        size_t n = json_array_size(page), i;
        bool done = n == 0;
        for (i = 0; i < n; i++) {
            json_t *ev = json_array_get(page, i);
            long long id = json_integer_value(json_object_get(ev, "id"));
            const char *at = json_string_value(json_object_get(ev, "at"));
            if (id <= after || (since && at && strcmp(at, since) < 0)) {
                done = true;
                break;
            }
            json_array_append(all, ev);
            before = id;
        }
        json_decref(page);
        if (done)
            break;
    }
    /* Newest first so far: keep the newest DIGEST_MAX_EVENTS, oldest
     * first. */
    size_t n = json_array_size(all);
    json_t *out = json_array();
    if (n > DIGEST_MAX_EVENTS)
        *more = (int)(n - DIGEST_MAX_EVENTS);
    for (size_t k = n; k-- > 0;)
        if (k < DIGEST_MAX_EVENTS)
            json_array_append(out, json_array_get(all, k));
    json_decref(all);
    return out;
}

static const char *when_phrase(const char *digest)
{
    return !strcmp(digest, "daily")    ? "every day"
           : !strcmp(digest, "weekly") ? "every week"
                                       : "after each meeting";
}

/* The two parts of one digest. */
static void compose(const StoreDigestSub *s, const json_t *events, int more,
                    const char *from_when, const DigestArgs *a, TBuf *text,
                    TBuf *html, TBuf *subject)
{
    size_t n = json_array_size(events) + (size_t)more;
    tbuf_printf(subject, "%s: %zu change%s", s->ws_name, n, n == 1 ? "" : "s");
    tbuf_printf(text, "Hello %s,\n\n%zu change%s in \"%s\" since %s:\n\n",
                s->display_name, n, n == 1 ? "" : "s", s->ws_name, from_when);
    tbuf_puts(html, "<!doctype html><html><body style=\"font-family: "
                    "sans-serif\"><p>Hello ");
    tbuf_put_xml_escaped(html, s->display_name);
    tbuf_printf(html, ",</p><p>%zu change%s in <b>", n, n == 1 ? "" : "s");
    tbuf_put_xml_escaped(html, s->ws_name);
    tbuf_puts(html, "</b> since ");
    tbuf_put_xml_escaped(html, from_when);
    tbuf_puts(html, ":</p><ul>");
    size_t i;
    json_t *ev;
    json_array_foreach(events, i, ev)
    {
        const char *at = json_string_value(json_object_get(ev, "at"));
        const char *who = json_string_value(json_object_get(ev, "actor"));
        const char *what = json_string_value(json_object_get(ev, "summary"));
        char day[17] = "";
        if (at) { /* 2026-11-23T10:00:00Z -> 2026-11-23 10:00 */
            memcpy(day, at, 16);
            day[10] = ' ';
        }
        who = who && *who ? who : "Territory";
        tbuf_printf(text, "- %s %s: %s\n", day, who, what ? what : "");
        tbuf_puts(html, "<li>");
        tbuf_put_xml_escaped(html, day);
        tbuf_puts(html, " <b>");
        tbuf_put_xml_escaped(html, who);
        tbuf_puts(html, "</b>: ");
        tbuf_put_xml_escaped(html, what ? what : "");
        tbuf_puts(html, "</li>");
    }
    if (more) {
        tbuf_printf(text, "... and %d earlier change%s\n", more,
                    more == 1 ? "" : "s");
        tbuf_printf(html, "<li>... and %d earlier change%s</li>", more,
                    more == 1 ? "" : "s");
    }
    tbuf_puts(html, "</ul>");
    if (a->base_url) {
        tbuf_printf(text, "\nOpen the workspace: %s/#/w/%s\n", a->base_url,
                    s->slug);
        tbuf_puts(html, "<p><a href=\"");
        char url[1024];
        snprintf(url, sizeof url, "%s/#/w/%s", a->base_url, s->slug);
        tbuf_put_xml_escaped(html, url);
        tbuf_puts(html, "\">Open the workspace</a></p>");
    }
    tbuf_printf(text,
                "\nYou get this digest %s; change it in the workspace's "
                "settings.\n",
                when_phrase(s->digest));
    tbuf_printf(html,
                "<p style=\"color: #666\">You get this digest %s; change it "
                "in the workspace's settings.</p></body></html>",
                when_phrase(s->digest));
}

typedef struct Upload {
    const char *data; /* the message */
    size_t len, off;  /* its length, and how much curl has read */
} Upload;

static size_t read_cb(char *buf, size_t size, size_t nitems, void *ud)
{
    Upload *u = ud;
    size_t n = size * nitems, left = u->len - u->off;
    if (n > left)
        n = left;
    memcpy(buf, u->data + u->off, n);
    u->off += n;
    return n;
}

/* libcurl, loaded only when a digest is sent: linked into the program,
 * it and the thirty libraries it needs cost every command (a model run
 * too) about 20 ms of loading before main. */
typedef struct Curl {
    void *lib;                                        /* from dlopen */
    CURLcode (*global_init)(long);                    /* curl_global_init */
    void (*global_cleanup)(void);                     /* curl_global_cleanup */
    CURL *(*easy_init)(void);                         /* curl_easy_init */
    CURLcode (*easy_setopt)(CURL *, CURLoption, ...); /* curl_easy_setopt */
    CURLcode (*easy_perform)(CURL *);                 /* curl_easy_perform */
    const char *(*easy_strerror)(CURLcode);           /* curl_easy_strerror */
    void (*easy_cleanup)(CURL *);                     /* curl_easy_cleanup */
    struct curl_slist *(*slist_append)(struct curl_slist *,
                                       const char *); /* curl_slist_append */
    void (*slist_free_all)(struct curl_slist *);      /* curl_slist_free_all */
} Curl;

/* Loads libcurl and its functions; false with a message when it cannot. */
static bool curl_load(Curl *cu)
{
    *cu = (Curl){0};
    cu->lib = dlopen("libcurl.so.4", RTLD_NOW | RTLD_LOCAL);
    if (!cu->lib) {
        cli_error("cannot send mail: cannot load libcurl (%s); install "
                  "Debian's libcurl4",
                  dlerror());
        return false;
    }
    /* POSIX guarantees a function's address survives the void *. */
#define CURL_SYM(field, name)                                                  \
    *(void **)&cu->field = dlsym(cu->lib, name);                               \
    if (!cu->field) {                                                          \
        cli_error("cannot send mail: libcurl has no '%s'", name);              \
        dlclose(cu->lib);                                                      \
        return false;                                                          \
    }
    CURL_SYM(global_init, "curl_global_init")
    CURL_SYM(global_cleanup, "curl_global_cleanup")
    CURL_SYM(easy_init, "curl_easy_init")
    CURL_SYM(easy_setopt, "curl_easy_setopt")
    CURL_SYM(easy_perform, "curl_easy_perform")
    CURL_SYM(easy_strerror, "curl_easy_strerror")
    CURL_SYM(easy_cleanup, "curl_easy_cleanup")
    CURL_SYM(slist_append, "curl_slist_append")
    CURL_SYM(slist_free_all, "curl_slist_free_all")
#undef CURL_SYM
    return true;
}

/* Sends one message through the relay; a message for the user on
 * failure. */
static int smtp_send(const Curl *cu, const DigestArgs *a, const char *to,
                     const TBuf *msg, char *why, size_t cap)
{
    CURL *c = cu->easy_init();
    if (!c) {
        snprintf(why, cap, "cannot start libcurl");
        return -1;
    }
    char errbuf[CURL_ERROR_SIZE] = "";
    char from[300], rcpt_addr[300];
    snprintf(from, sizeof from, "<%s>", a->from);
    snprintf(rcpt_addr, sizeof rcpt_addr, "<%s>", to);
    struct curl_slist *rcpt = cu->slist_append(NULL, rcpt_addr);
    Upload up = {msg->data, msg->len, 0};
    cu->easy_setopt(c, CURLOPT_URL, a->smtp);
    cu->easy_setopt(c, CURLOPT_MAIL_FROM, from);
    cu->easy_setopt(c, CURLOPT_MAIL_RCPT, rcpt);
    cu->easy_setopt(c, CURLOPT_READFUNCTION, read_cb);
    cu->easy_setopt(c, CURLOPT_READDATA, &up);
    cu->easy_setopt(c, CURLOPT_UPLOAD, 1L);
    cu->easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
    cu->easy_setopt(c, CURLOPT_TIMEOUT, 60L);
    /* Encrypt when the relay offers it; smtps:// always does. */
    cu->easy_setopt(c, CURLOPT_USE_SSL, (long)CURLUSESSL_TRY);
    const char *pass = getenv("TERRITORY_SMTP_PASSWORD");
    if (a->user) {
        cu->easy_setopt(c, CURLOPT_USERNAME, a->user);
        if (pass)
            cu->easy_setopt(c, CURLOPT_PASSWORD, pass);
    }
    CURLcode rc = cu->easy_perform(c);
    if (rc != CURLE_OK)
        snprintf(why, cap, "%s", errbuf[0] ? errbuf : cu->easy_strerror(rc));
    cu->slist_free_all(rcpt);
    cu->easy_cleanup(c);
    return rc == CURLE_OK ? 0 : -1;
}

static int parse_args(int argc, char **argv, DigestArgs *a)
{
    for (int i = 0; i < argc; i++) {
        const char *arg = argv[i], *val = i + 1 < argc ? argv[i + 1] : NULL;
        const char **slot = !strcmp(arg, "--db")          ? &a->db
                            : !strcmp(arg, "--out")       ? &a->out
                            : !strcmp(arg, "-o")          ? &a->out
                            : !strcmp(arg, "--since")     ? &a->since
                            : !strcmp(arg, "--now")       ? &a->now
                            : !strcmp(arg, "--smtp")      ? &a->smtp
                            : !strcmp(arg, "--from")      ? &a->from
                            : !strcmp(arg, "--smtp-user") ? &a->user
                            : !strcmp(arg, "--base-url")  ? &a->base_url
                                                          : NULL;
        if (!slot) {
            cli_error("unknown option '%s'", arg);
            return EXIT_USAGE;
        }
        if (!val) {
            cli_error("%s takes a value", arg);
            return EXIT_USAGE;
        }
        *slot = val;
        i++;
    }
    if (a->smtp && !a->from) {
        cli_error("--smtp needs --from ADDRESS (the digests' sender)");
        return EXIT_USAGE;
    }
    if (a->smtp && strncmp(a->smtp, "smtp://", 7) &&
        strncmp(a->smtp, "smtps://", 8)) {
        cli_error("--smtp takes smtp://HOST[:PORT] or smtps://HOST[:PORT]");
        return EXIT_USAGE;
    }
    return EXIT_OK;
}

int cmd_digest(int argc, char **argv)
{
    DigestArgs a = {.db = DEFAULT_DB, .out = "digests"};
    int rc = parse_args(argc, argv, &a);
    if (rc)
        return rc;
    long long now = a.now ? parse_time(a.now) : (long long)time(NULL);
    long long since = a.since ? parse_time(a.since) : 0;
    if (now < 0 || since < 0) {
        cli_error("%s: '%s' is not a date (YYYY-MM-DD or "
                  "YYYY-MM-DDThh:mm:ssZ)",
                  now < 0 ? "--now" : "--since", now < 0 ? a.now : a.since);
        return EXIT_USAGE;
    }
    char now_s[24], since_s[24];
    format_time(now, now_s);
    format_time(since, since_s);

    StoreDb *db = NULL;
    StoreErr e = {0};
    StoreOpenOpts oo = {.create = false};
    if (store_open(a.db, &oo, &db, &e) != STORE_OK) {
        cli_error("%s", e.message);
        return EXIT_INPUT;
    }
    StoreDigestSub *subs = NULL;
    int nsubs = 0;
    if (store_digest_subs(db, &subs, &nsubs, &e) != STORE_OK) {
        cli_error("%s", e.message);
        store_close(db);
        return EXIT_INTERNAL;
    }
    if (mkdir(a.out, 0777) && errno != EEXIST) {
        cli_error("cannot make the folder '%s': %s", a.out, strerror(errno));
        free(subs);
        store_close(db);
        return EXIT_INPUT;
    }
    Curl cu = {0};
    if (a.smtp && !curl_load(&cu)) {
        free(subs);
        store_close(db);
        return EXIT_INTERNAL;
    }
    if (a.smtp)
        cu.global_init(CURL_GLOBAL_DEFAULT);
    int written = 0, sent = 0, failed = 0;
    for (int i = 0; i < nsubs; i++) {
        const StoreDigestSub *s = &subs[i];
        if (!a.since && !is_due(s, now))
            continue;
        StoreActor actor;
        if (store_actor(db, s->slug, s->user_id, &actor, &e) != STORE_OK) {
            cli_error("%s: %s", s->slug, e.message);
            failed++;
            continue;
        }
        /* From the last digest on, or since the member joined, or since
         * --since. */
        long long after = a.since ? 0 : s->last_event;
        const char *from_when = a.since         ? since_s
                                : s->last_event ? s->last_at
                                                : s->joined_at;
        const char *lower = a.since         ? since_s
                            : s->last_event ? NULL
                                            : s->joined_at;
        int more = 0;
        json_t *events = events_for(db, &actor, after, lower, &more, &e);
        if (!events) {
            cli_error("%s: %s", s->slug, e.message);
            failed++;
            continue;
        }
        if (json_array_size(events) == 0) {
            json_decref(events);
            continue; /* nothing new: no digest, the marker stays */
        }
        long long newest = json_integer_value(json_object_get(
            json_array_get(events, json_array_size(events) - 1), "id"));
        TBuf text = {0}, html = {0}, subject = {0}, msg = {0};
        char from_human[17];
        snprintf(from_human, sizeof from_human, "%.16s", from_when);
        if (from_human[0])
            from_human[10] = ' ';
        compose(s, events, more, from_human, &a, &text, &html, &subject);
        char seed[128];
        snprintf(seed, sizeof seed, "digest-%lld-%lld-%lld", s->ws_id,
                 s->user_id, newest);
        TMail m = {.from_name = "Territory",
                   .from_addr = a.from ? a.from : "territory@localhost",
                   .to_name = s->display_name,
                   .to_addr = s->email,
                   .subject = tbuf_cstr(&subject),
                   .text = tbuf_cstr(&text),
                   .html = tbuf_cstr(&html),
                   .date = now,
                   .id_seed = seed};
        bool ok = mail_write(&m, &msg) == T_OK;
        char path[4096];
        char stamp[17];
        time_t tt = (time_t)now;
        struct tm tm;
        gmtime_r(&tt, &tm);
        strftime(stamp, sizeof stamp, "%Y%m%dT%H%M%SZ", &tm);
        snprintf(path, sizeof path, "%s/%s-%s-%lld.eml", a.out, stamp, s->slug,
                 s->user_id);
        if (!ok) {
            cli_error("%s: cannot write a message to '%s' (a malformed "
                      "address)",
                      s->slug, s->email);
        } else {
            FILE *f = fopen(path, "wb");
            ok = f && fwrite(msg.data, 1, msg.len, f) == msg.len;
            if (f && fclose(f))
                ok = false;
            if (!ok)
                cli_error("cannot write '%s': %s", path, strerror(errno));
            else
                written++;
        }
        if (ok && a.smtp) {
            char why[CURL_ERROR_SIZE + 64];
            ok = smtp_send(&cu, &a, s->email, &msg, why, sizeof why) == 0;
            if (!ok)
                cli_error("%s: sending to member %lld through %s failed: %s",
                          s->slug, s->user_id, a.smtp, why);
            else
                sent++;
        }
        if (ok && store_digest_mark(db, s->ws_id, s->user_id, newest, now_s,
                                    &e) != STORE_OK) {
            cli_error("%s: %s", s->slug, e.message);
            ok = false;
        }
        if (!ok)
            failed++;
        else
            printf("%s\n", path);
        tbuf_free(&text);
        tbuf_free(&html);
        tbuf_free(&subject);
        tbuf_free(&msg);
        json_decref(events);
    }
    if (a.smtp) {
        cu.global_cleanup();
        dlclose(cu.lib);
    }
    fprintf(stderr, "territory: %d digest%s written", written,
            written == 1 ? "" : "s");
    if (a.smtp)
        fprintf(stderr, ", %d sent", sent);
    if (failed)
        fprintf(stderr, ", %d failed", failed);
    fputc('\n', stderr);
    free(subs);
    store_close(db);
    return failed ? EXIT_INPUT : EXIT_OK;
}
