/* SPDX-License-Identifier: MIT */
/*
 * iobmd C++ library: symbol visibility.
 *
 * The library is built with -fvisibility=hidden; only what carries
 * IOBMD_API is exported from libiobmd.so.
 */
#ifndef IOBMD_EXPORT_HPP
#define IOBMD_EXPORT_HPP

#define IOBMD_API __attribute__((visibility("default")))
/* A member of an exported class that the library alone calls. */
#define IOBMD_LOCAL __attribute__((visibility("hidden")))

#endif /* IOBMD_EXPORT_HPP */
