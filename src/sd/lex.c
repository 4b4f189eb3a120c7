/*
 * lex.c - the tokenizer of equations: numbers, names (bare, or in double
 * quotes with \" and \\ escapes), operators, keywords in any case, and
 * { comments }. In Vensim mode (.mdl) a bare name is a run of words joined
 * by white space (`IF THEN ELSE`, `birth rate`), there are no keywords, and
 * the operators :AND:, :OR:, :NOT: and the constant :NA: are read.
 */
#include "sd_int.h"

#include <stdlib.h>
#include <string.h>

void sd_lex_init(SdLexer *lx, const char *text, size_t len)
{
    memset(lx, 0, sizeof *lx);
    lx->text = text;
    lx->len = len;
}

static bool name_start(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
           c == '$' || c >= 0x80;
}

static bool name_char(unsigned char c)
{
    return name_start(c) || (c >= '0' && c <= '9');
}

static bool is_digit(unsigned char c)
{
    return c >= '0' && c <= '9';
}

/* keyword ::= IF | THEN | ELSE | AND | OR | NOT | MOD (any case) */
static SdTok keyword(const char *s, size_t n)
{
    static const struct {
        const char *word;
        SdTok tok;
    } kw[] = {{"if", TK_IF},   {"then", TK_THEN}, {"else", TK_ELSE},
              {"and", TK_AND}, {"or", TK_OR},     {"not", TK_NOT},
              {"mod", TK_MOD}};
    for (size_t i = 0; i < sizeof kw / sizeof kw[0]; i++) {
        size_t k = strlen(kw[i].word);
        if (k != n)
            continue;
        size_t j = 0;
        while (j < n && (s[j] | 0x20) == kw[i].word[j])
            j++;
        if (j == n)
            return kw[i].tok;
    }
    return TK_NAME;
}

static SdTok set(SdLexer *lx, SdTok t, size_t end)
{
    lx->tok = t;
    lx->end = end;
    lx->pos = end;
    return t;
}

/* The Vensim operators written between colons; the spelling is checked
 * in any case. */
static SdTok colon_word(SdLexer *lx, size_t p)
{
    static const struct {
        const char *word;
        SdTok tok;
    } ops[] = {{":and:", TK_AND},
               {":or:", TK_OR},
               {":not:", TK_NOT},
               {":na:", TK_NUM}};
    const char *s = lx->text;
    for (size_t i = 0; i < sizeof ops / sizeof ops[0]; i++) {
        size_t k = strlen(ops[i].word), j = 0;
        if (p + k > lx->len)
            continue;
        while (j < k && (s[p + j] | 0x20) == (ops[i].word[j] | 0x20))
            j++;
        if (j == k) {
            lx->num = SD_VENSIM_NA;
            return set(lx, ops[i].tok, p + k);
        }
    }
    return TK_ERROR;
}

static bool is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' ||
           c == '\v';
}

static SdTok fail(SdLexer *lx, const char *msg)
{
    lx->err = msg;
    lx->tok = TK_ERROR;
    lx->end = lx->pos;
    return TK_ERROR;
}

SdTok sd_lex_next(SdLexer *lx)
{
    const char *s = lx->text;
    size_t n = lx->len, p = lx->pos;
    lx->quoted = false;
    for (;;) {
        while (p < n && (s[p] == ' ' || s[p] == '\t' || s[p] == '\r' ||
                         s[p] == '\n' || s[p] == '\f' || s[p] == '\v'))
            p++;
        if (p < n && s[p] == '{') { /* a comment, as Stella writes them */
            size_t q = p;
            while (q < n && s[q] != '}')
                q++;
            if (q >= n) {
                lx->start = lx->pos = p;
                return fail(lx, "unterminated comment");
            }
            p = q + 1;
            continue;
        }
        break;
    }
    lx->start = lx->pos = p;
    if (p >= n)
        return set(lx, TK_EOF, p);
    unsigned char c = (unsigned char)s[p];
    if (is_digit(c) ||
        (c == '.' && p + 1 < n && is_digit((unsigned char)s[p + 1]))) {
        size_t q = p;
        while (q < n && is_digit((unsigned char)s[q]))
            q++;
        if (q < n && s[q] == '.') {
            q++;
            while (q < n && is_digit((unsigned char)s[q]))
                q++;
        }
        if (q < n && (s[q] == 'e' || s[q] == 'E')) {
            size_t r = q + 1;
            if (r < n && (s[r] == '+' || s[r] == '-'))
                r++;
            if (r < n && is_digit((unsigned char)s[r])) {
                while (r < n && is_digit((unsigned char)s[r]))
                    r++;
                q = r;
            }
        }
        char buf[128];
        size_t k = q - p < sizeof buf - 1 ? q - p : sizeof buf - 1;
        memcpy(buf, s + p, k);
        buf[k] = 0;
        lx->num = strtod(buf, NULL);
        return set(lx, TK_NUM, q);
    }
    if (c == '"') {
        size_t q = p + 1;
        while (q < n && s[q] != '"') {
            if (s[q] == '\\' && q + 1 < n)
                q++;
            q++;
        }
        if (q >= n)
            return fail(lx, "unterminated quoted name");
        lx->quoted = true;
        return set(lx, TK_NAME, q + 1);
    }
    if (name_start(c) && lx->vensim) {
        /* Words joined by white space are one name; the token ends with
         * the last word, so trailing blanks are not part of it. */
        size_t q = p, end;
        for (;;) {
            while (q < n && name_char((unsigned char)s[q]))
                q++;
            end = q;
            while (q < n && is_space(s[q]))
                q++;
            if (q == end || q >= n || !name_char((unsigned char)s[q]))
                break;
        }
        return set(lx, TK_NAME, end);
    }
    if (name_start(c)) {
        /* A dot joins names: `hares.area` names a module's variable and
         * `Dim.elem` an element of a dimension. */
        size_t q = p;
        for (;;) {
            while (q < n && name_char((unsigned char)s[q]))
                q++;
            if (q + 1 < n && s[q] == '.' && name_start((unsigned char)s[q + 1]))
                q++;
            else
                break;
        }
        return set(lx, keyword(s + p, q - p), q);
    }
    if (c == ':' && lx->vensim && colon_word(lx, p) != TK_ERROR)
        return lx->tok;
    char c2 = p + 1 < n ? s[p + 1] : 0;
    switch (c) {
    case '(':
        return set(lx, TK_LP, p + 1);
    case ')':
        return set(lx, TK_RP, p + 1);
    case ',':
        return set(lx, TK_COMMA, p + 1);
    case '[':
        return set(lx, TK_LBRACK, p + 1);
    case ']':
        return set(lx, TK_RBRACK, p + 1);
    case '+':
        return set(lx, TK_PLUS, p + 1);
    case '-':
        return set(lx, TK_MINUS, p + 1);
    case '*':
        return set(lx, TK_STAR, p + 1);
    case '/':
        return set(lx, TK_SLASH, p + 1);
    case '^':
        return set(lx, TK_CARET, p + 1);
    case '=':
        return set(lx, TK_EQ, p + (c2 == '=' ? 2 : 1));
    case '<':
        if (c2 == '>')
            return set(lx, TK_NE, p + 2);
        if (c2 == '=')
            return set(lx, TK_LE, p + 2);
        return set(lx, TK_LT, p + 1);
    case '>':
        return c2 == '=' ? set(lx, TK_GE, p + 2) : set(lx, TK_GT, p + 1);
    case '!':
        if (c2 == '=')
            return set(lx, TK_NE, p + 2);
        return set(lx, lx->vensim ? TK_BANG : TK_NOT, p + 1);
    case '@':
        return set(lx, TK_AT, p + 1);
    case ':':
        return set(lx, TK_COLON, p + 1);
    case '\'':
        if (!lx->vensim)
            return set(lx, TK_QUOTE, p + 1);
        break;
    case '&':
        if (c2 == '&')
            return set(lx, TK_AND, p + 2);
        break;
    case '|':
        if (c2 == '|')
            return set(lx, TK_OR, p + 2);
        break;
    default:
        break;
    }
    lx->pos = p;
    return fail(lx, "unexpected character");
}

const char *sd_tok_name(SdTok t)
{
    static const char *names[] = {"end of equation",
                                  "number",
                                  "name",
                                  "'('",
                                  "')'",
                                  "','",
                                  "'['",
                                  "']'",
                                  "'+'",
                                  "'-'",
                                  "'*'",
                                  "'/'",
                                  "'^'",
                                  "'='",
                                  "'<>'",
                                  "'<'",
                                  "'<='",
                                  "'>'",
                                  "'>='",
                                  "'and'",
                                  "'or'",
                                  "'not'",
                                  "'mod'",
                                  "'if'",
                                  "'then'",
                                  "'else'",
                                  "'!'",
                                  "'@'",
                                  "':'",
                                  "\"'\"",
                                  "invalid token"};
    return (unsigned)t < sizeof names / sizeof names[0] ? names[t] : "?";
}
