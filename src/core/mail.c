/*
 * mail.c - writes e-mail messages (RFC 5322 headers, MIME multipart
 * bodies) and escapes text for XML and HTML. The digest command builds its
 * messages here; sending them is the caller's business.
 *
 * Bodies are base64, so no line is ever too long and no boundary can occur
 * inside a part (the boundary holds '_', which base64 never does). Header
 * text that is not plain printable ASCII is written as RFC 2047 "B" encoded
 * words, each at most 75 characters and never splitting a UTF-8 sequence.
 */
#include "core.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

int tbuf_put_xml_escaped(TBuf *b, const char *s)
{
    for (const char *p = s; *p; p++) {
        unsigned char c = (unsigned char)*p;
        const char *rep = NULL;
        switch (c) {
        case '&':
            rep = "&amp;";
            break;
        case '<':
            rep = "&lt;";
            break;
        case '>':
            rep = "&gt;";
            break;
        case '"':
            rep = "&quot;";
            break;
        case '\'':
            rep = "&#39;";
            break;
        default:
            if (c < 0x20 && c != '\t' && c != '\n' && c != '\r')
                continue;
        }
        int rc = rep ? tbuf_puts(b, rep) : tbuf_putc(b, (char)c);
        if (rc != T_OK)
            return rc;
    }
    return T_OK;
}

static const char B64[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/* Appends the base64 of n bytes at s, with no line breaks. */
static int put_b64(TBuf *b, const unsigned char *s, size_t n)
{
    char q[4];
    for (size_t i = 0; i < n; i += 3) {
        unsigned v = (unsigned)s[i] << 16;
        if (i + 1 < n)
            v |= (unsigned)s[i + 1] << 8;
        if (i + 2 < n)
            v |= s[i + 2];
        q[0] = B64[(v >> 18) & 63];
        q[1] = B64[(v >> 12) & 63];
        q[2] = i + 1 < n ? B64[(v >> 6) & 63] : '=';
        q[3] = i + 2 < n ? B64[v & 63] : '=';
        int rc = tbuf_append(b, q, 4);
        if (rc != T_OK)
            return rc;
    }
    return T_OK;
}

/* A body part's base64, broken into lines of 76 characters (57 bytes). */
static int put_b64_body(TBuf *b, const char *s)
{
    size_t n = strlen(s);
    for (size_t i = 0; i < n; i += 57) {
        size_t k = n - i < 57 ? n - i : 57;
        int rc = put_b64(b, (const unsigned char *)s + i, k);
        if (rc == T_OK)
            rc = tbuf_puts(b, "\r\n");
        if (rc != T_OK)
            return rc;
    }
    return T_OK;
}

/* True when s can go in a header as it is (printable ASCII). */
static bool plain_ascii(const char *s)
{
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        if (*p < 0x20 || *p > 0x7e)
            return false;
    return true;
}

/* Length of the UTF-8 sequence that starts with byte c (1 for a stray
 * continuation byte, so we always move on). */
static size_t utf8_len(unsigned char c)
{
    if (c >= 0xf0)
        return 4;
    if (c >= 0xe0)
        return 3;
    if (c >= 0xc0)
        return 2;
    return 1;
}

/* Appends s as encoded words "=?UTF-8?B?...?=", separated by CRLF SP so
 * long text folds; line breaks in s become spaces. */
static int put_encoded_words(TBuf *b, const char *s)
{
    /* 75 - strlen("=?UTF-8?B??=") = 63 base64 characters: 45 bytes. */
    const size_t max_bytes = 45;
    size_t n = strlen(s), i = 0;
    bool first = true;
    char chunk[48];
    while (i < n || first) {
        size_t k = 0;
        while (i + k < n) {
            size_t l = utf8_len((unsigned char)s[i + k]);
            if (i + k + l > n)
                l = n - i - k;
            if (k + l > max_bytes)
                break;
            k += l;
        }
        memcpy(chunk, s + i, k);
        for (size_t j = 0; j < k; j++)
            if (chunk[j] == '\r' || chunk[j] == '\n')
                chunk[j] = ' ';
        int rc = tbuf_puts(b, first ? "=?UTF-8?B?" : "\r\n =?UTF-8?B?");
        if (rc == T_OK)
            rc = put_b64(b, (const unsigned char *)chunk, k);
        if (rc == T_OK)
            rc = tbuf_puts(b, "?=");
        if (rc != T_OK)
            return rc;
        i += k;
        first = false;
    }
    return T_OK;
}

/* A display name: a quoted string when plain ASCII, else encoded words. */
static int put_name(TBuf *b, const char *name)
{
    if (!plain_ascii(name))
        return put_encoded_words(b, name);
    int rc = tbuf_putc(b, '"');
    for (const char *p = name; *p && rc == T_OK; p++) {
        if (*p == '"' || *p == '\\')
            rc = tbuf_putc(b, '\\');
        if (rc == T_OK)
            rc = tbuf_putc(b, *p);
    }
    return rc == T_OK ? tbuf_putc(b, '"') : rc;
}

/* A plain address: local@domain, printable ASCII with no specials that
 * would let it break out of its angle brackets or its header line. */
static bool good_addr(const char *a)
{
    if (!a || !*a || strlen(a) > 254 || !plain_ascii(a))
        return false;
    const char *at = strchr(a, '@');
    if (!at || at == a || !at[1] || strchr(at + 1, '@'))
        return false;
    return strpbrk(a, " <>\"(),;:\\[]") == NULL;
}

static int put_mailbox(TBuf *b, const char *field, const char *name,
                       const char *addr)
{
    int rc = tbuf_puts(b, field);
    if (rc == T_OK && name && *name) {
        rc = put_name(b, name);
        if (rc == T_OK)
            rc = tbuf_putc(b, ' ');
    }
    if (rc == T_OK)
        rc = tbuf_printf(b, "<%s>\r\n", addr);
    return rc;
}

/* FNV-1a over the fields that make a message unique, for its Message-ID
 * and boundary: the same digest written twice gets the same id. */
static unsigned long long mail_hash(const TMail *m)
{
    unsigned long long h = 1469598103934665603ULL;
    const char *parts[] = {m->id_seed, m->to_addr, m->subject, m->text};
    for (size_t i = 0; i < sizeof parts / sizeof *parts; i++)
        for (const char *p = parts[i] ? parts[i] : ""; *p; p++)
            h = (h ^ (unsigned char)*p) * 1099511628211ULL;
    return h ^ (unsigned long long)m->date;
}

int mail_write(const TMail *m, TBuf *out)
{
    if (!good_addr(m->from_addr) || !good_addr(m->to_addr))
        return T_EINPUT;
    static const char *const days[] = {"Sun", "Mon", "Tue", "Wed",
                                       "Thu", "Fri", "Sat"};
    static const char *const months[] = {"Jan", "Feb", "Mar", "Apr",
                                         "May", "Jun", "Jul", "Aug",
                                         "Sep", "Oct", "Nov", "Dec"};
    time_t t = (time_t)m->date;
    struct tm tm;
    if (!gmtime_r(&t, &tm))
        return T_EINPUT;
    unsigned long long h = mail_hash(m);
    const char *domain = strchr(m->from_addr, '@') + 1;

    int rc = put_mailbox(out, "From: ", m->from_name, m->from_addr);
    if (rc == T_OK)
        rc = put_mailbox(out, "To: ", m->to_name, m->to_addr);
    if (rc == T_OK)
        rc = tbuf_puts(out, "Subject: ");
    if (rc == T_OK) {
        const char *subj = m->subject ? m->subject : "";
        if (plain_ascii(subj) && strlen(subj) < 900)
            rc = tbuf_puts(out, subj);
        else
            rc = put_encoded_words(out, subj);
    }
    if (rc == T_OK)
        rc = tbuf_printf(out,
                         "\r\nDate: %s, %02d %s %04d %02d:%02d:%02d +0000\r\n"
                         "Message-ID: <%016llx.digest@%s>\r\n"
                         "MIME-Version: 1.0\r\n"
                         "Content-Type: multipart/alternative; "
                         "boundary=\"=_territory_%016llx\"\r\n"
                         "\r\n"
                         "This is a message in MIME format.\r\n",
                         days[tm.tm_wday], tm.tm_mday, months[tm.tm_mon],
                         tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec, h,
                         domain, h);
    const char *bodies[2] = {m->text ? m->text : "", m->html ? m->html : ""};
    const char *types[2] = {"text/plain", "text/html"};
    for (int i = 0; i < 2 && rc == T_OK; i++) {
        rc = tbuf_printf(out,
                         "\r\n--=_territory_%016llx\r\n"
                         "Content-Type: %s; charset=utf-8\r\n"
                         "Content-Transfer-Encoding: base64\r\n\r\n",
                         h, types[i]);
        if (rc == T_OK)
            rc = put_b64_body(out, bodies[i]);
    }
    if (rc == T_OK)
        rc = tbuf_printf(out, "\r\n--=_territory_%016llx--\r\n", h);
    return rc;
}
