/* uplift.h — umbrella header for libuplift. */
#ifndef UPLIFT_H
#define UPLIFT_H
#include "defs.h"
#include "error.h"
#include "table.h"
#include "io.h"
#if __has_include("measure.h")
#include "measure.h"
#endif
#if __has_include("revital.h")
#include "revital.h"
#endif
#if __has_include("synth.h")
#include "synth.h"
#endif
#if __has_include("profile.h")
#include "profile.h"
#endif
#if __has_include("identify.h")
#include "identify.h"
#endif
#if __has_include("registry.h")
#include "registry.h"
#endif
#endif
