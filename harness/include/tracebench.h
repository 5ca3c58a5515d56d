/* tracebench: regression benchmarks for distributed-tracing libraries.
 * The umbrella header: include this one. */
#ifndef TRACEBENCH_H
#define TRACEBENCH_H

#include "tracebench/err.h"
#include "tracebench/log.h"
#include "tracebench/paths.h"
#include "tracebench/units.h"
#include "tracebench/client.h"
#include "tracebench/result.h"
#include "tracebench/satellite.h"
#include "tracebench/calibration.h"
#include "tracebench/controller.h"
#include "tracebench/rng.h"
#include "tracebench/stats.h"
#include "tracebench/verdict.h"
#include "tracebench/thresholds.h"
#include "tracebench/baseline.h"
#include "tracebench/regress.h"
#include "tracebench/record.h"
#include "tracebench/summary.h"

#endif
