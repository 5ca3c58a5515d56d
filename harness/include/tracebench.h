/* tracebench: regression benchmarks for distributed-tracing libraries.
 * The umbrella header: include this one. */
#ifndef TRACEBENCH_H
#define TRACEBENCH_H

#include "tracebench/util/err.h"
#include "tracebench/util/log.h"
#include "tracebench/util/paths.h"
#include "tracebench/util/units.h"
#include "tracebench/measure/client.h"
#include "tracebench/measure/result.h"
#include "tracebench/satellite/satellite.h"
#include "tracebench/measure/calibration.h"
#include "tracebench/measure/counter.h"
#include "tracebench/measure/controller.h"
#include "tracebench/measure/interrupt.h"
#include "tracebench/util/rng.h"
#include "tracebench/gate/stats.h"
#include "tracebench/gate/verdict.h"
#include "tracebench/gate/thresholds.h"
#include "tracebench/gate/baseline.h"
#include "tracebench/gate/gate.h"
#include "tracebench/gate/regress.h"
#include "tracebench/gate/cost.h"
#include "tracebench/output/results.h"
#include "tracebench/gate/audit.h"
#include "tracebench/output/record.h"
#include "tracebench/output/summary.h"
#include "tracebench/gate/compare.h"
#include "tracebench/output/compare_report.h"

#endif
