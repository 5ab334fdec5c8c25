#ifndef MOBENCH_CLAPACK_SHIM_H
#define MOBENCH_CLAPACK_SHIM_H
/* LAPACKE, the C interface to LAPACK (Debian: liblapacke-dev, which pulls in liblapack-dev).
   Complex numbers as plain structs: mobench uses only the real routines, and structs import cleanly into Swift. */
#define LAPACK_COMPLEX_STRUCTURE 1
#include <lapacke.h>
#endif
