/*
 * sde.h - the runtime that SDEverywhere's generated C includes (its first
 * line is `#include "sde.h"`), written for Territory's bench: SDEverywhere
 * ships its own C runtime with its command-line package, which the npm
 * registry reachable here does not serve, so the bench supplies the few
 * definitions the generated code needs. It owns the simulation clock
 * (`_time`), the graphical-function type (`Lookup`) and the builtins as
 * macros; bench/sde/sde_run.c owns the run loop, the output buffer and the
 * timing. The semantics follow @sdeverywhere/runtime's JS functions (the
 * same package the JS peer runs on): Euler INTEG, lookups that interpolate
 * linearly and hold the end values, and a lookup search that starts from
 * the last hit when the input has not decreased.
 *
 * Only what the bench models use is defined; a builtin missing here makes
 * the generated model.c fail to compile with its name in the message.
 */
#ifndef BENCH_SDE_H
#define BENCH_SDE_H

#include <float.h>
#include <math.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

/* A graphical function: size (x, y) pairs, x increasing. */
typedef struct {
    double *data;      /* x0, y0, x1, y1, ... (owned when copied) */
    size_t n;          /* number of (x, y) pairs */
    bool owned;        /* data was copied and is freed with the lookup */
    double last_input; /* the previous x looked up, for the search start */
    size_t last_hit;   /* the pair index found for last_input */
} Lookup;

Lookup *__new_lookup(size_t size, bool copy, double *data);
void __set_lookup(Lookup *lookup, size_t size, double *data);
double __lookup(Lookup *lookup, double x);

/* The clock, which the run loop advances; the model defines the rest of
 * the time controls (_initial_time, _final_time, _time_step, _saveper). */
extern double _time;
extern double _initial_time;
extern double _final_time;
extern double _time_step;
extern double _saveper;

/* The generated model's entry points (model.c defines them). */
extern const int numInputs;
extern const int numOutputs;
void initConstants(void);
void initLevels(void);
void evalAux(void);
void evalLevels(void);
void storeOutputData(void);
const char *getHeader(void);
void setInputs(double *inputValues, int32_t *inputIndices);
void setConstant(size_t varIndex, size_t *subIndices, double value);
void setLookup(size_t varIndex, size_t *subIndices, double *points,
               size_t numPoints);
void storeOutput(size_t varIndex, size_t *subIndices);

/* storeOutputData calls outputVar once per output, in header order. */
void sde_output_var(double value);
#define outputVar(value) sde_output_var(value)

#define _NA_ (-DBL_MAX)
#define _ABS(x) fabs(x)
#define _ARCCOS(x) acos(x)
#define _ARCSIN(x) asin(x)
#define _ARCTAN(x) atan(x)
#define _COS(x) cos(x)
#define _EXP(x) exp(x)
#define _LN(x) log(x)
#define _SIN(x) sin(x)
#define _SQRT(x) sqrt(x)
#define _TAN(x) tan(x)
#define _INTEGER(x) trunc(x)
#define _MAX(a, b) fmax(a, b)
#define _MIN(a, b) fmin(a, b)
#define _MODULO(a, b) fmod(a, b)
#define _POW(a, b) pow(a, b)
#define _POWER(a, b) pow(a, b)
#define _IF_THEN_ELSE(c, t, f) ((bool)(c) ? (t) : (f))
#define _INTEG(value, rate) ((value) + (rate)*_time_step)
#define _XIDZ(a, b, x) (fabs(b) < DBL_EPSILON ? (x) : (a) / (b))
#define _ZIDZ(a, b) (fabs(b) < DBL_EPSILON ? 0.0 : (a) / (b))
#define _STEP(height, t0) (_time + _time_step / 2.0 > (t0) ? (height) : 0.0)
#define _LOOKUP(lookup, x) __lookup(lookup, x)
#define _WITH_LOOKUP(x, lookup) __lookup(lookup, x)

#endif
