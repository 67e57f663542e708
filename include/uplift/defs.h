/* defs.h — compiler attributes and basic types shared by every public header.
 *
 * The library is built with -fvisibility=hidden; only declarations marked
 * UPL_EXPORT are part of libuplift's ABI. */
#ifndef UPLIFT_DEFS_H
#define UPLIFT_DEFS_H

#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>

#if defined(__GNUC__) || defined(__clang__)
#define UPL_EXPORT __attribute__((visibility("default")))
#define UPL_MUST_CHECK __attribute__((warn_unused_result))
#define UPL_PRINTF(fmt, args) __attribute__((format(printf, fmt, args)))
#else
#define UPL_EXPORT
#define UPL_MUST_CHECK
#define UPL_PRINTF(fmt, args)
#endif

#define UPL_VERSION_STRING "0.1.0"

#endif
