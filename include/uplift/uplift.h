/* uplift.h — umbrella header for libuplift: every module's public API. */
#ifndef UPLIFT_H
#define UPLIFT_H
#include "defs.h"
#include "error.h"
#include "table.h"
#include "io.h"
#include "synth.h"
#include "profile.h"
#include "measure.h"
#include "identify.h"
#include "registry.h"
#include "revital.h"
#endif
