/*
 * territory.h - the public C API of Territory's engine, for programs that
 * embed it. Everything else under src/ is internal and may change; this
 * header changes only by addition.
 *
 * Ownership: every object returned here is owned by the caller and freed
 * with its own *_free function (free of NULL is a no-op). Error text
 * returned through an `char **errors` argument is malloc'd; free() it.
 *
 * Return codes: 0 success, 1 bad input (the error text says where), 2 the
 * API was misused, 3 internal failure (out of memory, I/O).
 */
#ifndef TERRITORY_H
#define TERRITORY_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

#define TERRITORY_VERSION "0.1.0"

typedef struct TerritoryModel TerritoryModel; /* a compiled model */
typedef struct TerritoryTable TerritoryTable; /* a simulation's output */

typedef enum {
    TERRITORY_METHOD_MODEL = 0, /* the method the model file names */
    TERRITORY_METHOD_EULER,
    TERRITORY_METHOD_RK2,
    TERRITORY_METHOD_RK4
} TerritoryMethod;

typedef struct TerritoryRunOptions {
    TerritoryMethod method;  /* integration method */
    const char *const *vars; /* names of variables to save, or NULL: all */
    int nvars;               /* how many names */
} TerritoryRunOptions;

const char *territory_version(void);

/* Reads and compiles a model file (XMILE, .stmx, .itmx). */
int territory_model_open(const char *path, TerritoryModel **out, char **errors);
/* The same from text in memory; name is used in error messages. */
int territory_model_from_xmile(const char *text, size_t len, const char *name,
                               TerritoryModel **out, char **errors);
void territory_model_free(TerritoryModel *m);

/* Variables the model reports, in model order. */
int territory_model_nvars(const TerritoryModel *m);
const char *territory_model_var(const TerritoryModel *m, int i);
/* Replaces a variable's equation by a constant and recompiles. */
int territory_model_set(TerritoryModel *m, const char *var, double value,
                        char **errors);

/* Simulates; opts may be NULL for the model's own method and every
 * variable. */
int territory_simulate(TerritoryModel *m, const TerritoryRunOptions *opts,
                       TerritoryTable **out, char **errors);

/* The table: column 0 is Time, then one column per saved variable. */
int territory_table_ncols(const TerritoryTable *t);
int territory_table_nrows(const TerritoryTable *t);
const char *territory_table_name(const TerritoryTable *t, int col);
double territory_table_value(const TerritoryTable *t, int row, int col);
/* Column of a variable by any spelling of its name, or -1. */
int territory_table_find(const TerritoryTable *t, const char *name);
void territory_table_free(TerritoryTable *t);

#ifdef __cplusplus
}
#endif

#endif
