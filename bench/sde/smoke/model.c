/*
 * model.c - a small model written by hand in the shape of the C that
 * SDEverywhere generates (the same entry points, globals and builtins),
 * so that `sh bench/run.sh --smoke` can check bench/sde/sde_run.c and
 * sde.h without npm: run with sde_run, its final `level` must equal
 * Territory's on model.xmile, the same model in XMILE.
 *
 *   level      = INTEG(inflow - outflow, 100)
 *   inflow     = IF THEN ELSE(Time > 10, 20, 5)
 *   outflow    = level / residence
 *   residence  = residence table(level)   points (0,2) (100,4) (200,5)
 *   time 0 to 30 by 0.25, saved every 0.5
 */
#include "sde.h"

double _final_time;
double _initial_time;
double _inflow;
double _level;
double _outflow;
double _residence;
double _saveper;
double _time_step;
Lookup *_residence_table;

const int numInputs = 0;
const int numOutputs = 6;

double _residence_table_data_[6] = {0.0, 2.0, 100.0, 4.0, 200.0, 5.0};
bool lookups_initialized = false;

void initLookups(void)
{
    if (lookups_initialized)
        return;
    lookups_initialized = true;
    _residence_table = __new_lookup(3, /*copy=*/false, _residence_table_data_);
}

void initConstants(void)
{
    _final_time = 30.0;
    _initial_time = 0.0;
    _time_step = 0.25;
    _saveper = 0.5;
    initLookups();
}

void initLevels(void)
{
    _time = _initial_time;
    _level = 100.0;
}

void evalAux(void)
{
    _inflow = _IF_THEN_ELSE(_time > 10.0, 20.0, 5.0);
    _residence = _LOOKUP(_residence_table, _level);
    _outflow = _level / _residence;
}

void evalLevels(void)
{
    _level = _INTEG(_level, _inflow - _outflow);
}

void setInputs(double *inputValues, int32_t *inputIndices) {}

void setConstant(size_t varIndex, size_t *subIndices, double value) {}

void setLookup(size_t varIndex, size_t *subIndices, double *points,
               size_t numPoints)
{
}

const char *getHeader(void)
{
    return "inflow\tlevel\toutflow\tresidence\tTime\tTIME STEP";
}

void storeOutputData(void)
{
    outputVar(_inflow);
    outputVar(_level);
    outputVar(_outflow);
    outputVar(_residence);
    outputVar(_time);
    outputVar(_time_step);
}

void storeOutput(size_t varIndex, size_t *subIndices) {}
