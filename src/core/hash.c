/*
 * hash.c - an open-addressing table from borrowed string keys to ints; the
 * symbol tables of the model compiler use it to resolve names once, before
 * any simulation runs.
 */
#include "core.h"

#include <stdlib.h>
#include <string.h>

uint32_t thash_str(const char *s)
{
    uint32_t h = 2166136261u; /* FNV-1a */
    for (; *s; s++) {
        h ^= (unsigned char)*s;
        h *= 16777619u;
    }
    return h;
}

static int grow(THash *h)
{
    int cap = h->cap ? h->cap * 2 : 16;
    THashEntry *slots = calloc((size_t)cap, sizeof *slots);
    if (!slots)
        return T_EINTERNAL;
    for (int i = 0; i < h->cap; i++) {
        THashEntry *e = &h->slots[i];
        if (!e->key)
            continue;
        int j = (int)(e->hash & (uint32_t)(cap - 1));
        while (slots[j].key)
            j = (j + 1) & (cap - 1);
        slots[j] = *e;
    }
    free(h->slots);
    h->slots = slots;
    h->cap = cap;
    return T_OK;
}

int thash_put(THash *h, const char *key, int value)
{
    if ((h->len + 1) * 4 > h->cap * 3 && grow(h))
        return T_EINTERNAL;
    uint32_t hv = thash_str(key);
    int j = (int)(hv & (uint32_t)(h->cap - 1));
    while (h->slots[j].key) {
        if (h->slots[j].hash == hv && strcmp(h->slots[j].key, key) == 0) {
            h->slots[j].value = value;
            return T_OK;
        }
        j = (j + 1) & (h->cap - 1);
    }
    h->slots[j].key = key;
    h->slots[j].hash = hv;
    h->slots[j].value = value;
    h->len++;
    return T_OK;
}

bool thash_get(const THash *h, const char *key, int *value)
{
    if (!h->cap)
        return false;
    uint32_t hv = thash_str(key);
    int j = (int)(hv & (uint32_t)(h->cap - 1));
    while (h->slots[j].key) {
        if (h->slots[j].hash == hv && strcmp(h->slots[j].key, key) == 0) {
            if (value)
                *value = h->slots[j].value;
            return true;
        }
        j = (j + 1) & (h->cap - 1);
    }
    return false;
}

void thash_free(THash *h)
{
    free(h->slots);
    h->slots = NULL;
    h->cap = h->len = 0;
}
