/* Just enough of the Windows SDK for tools/msvc_check.sh: clang in MSVC
 * mode checks fastinit's MSVC branches (_MSC_VER, intrin.h, Win32 threads)
 * without the SDK, which this Linux machine cannot have. */
#pragma once
#define INFINITY (__builtin_inff())
#define isfinite(x) __builtin_isfinite(x)
double fma(double, double, double);
float fmaf(float, float, float);
double floor(double);
double ldexp(double, int);
double sqrt(double);
float sqrtf(float);
