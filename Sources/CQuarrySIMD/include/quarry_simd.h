// SIMD-BP128 block decoders, fully unrolled per bit width (see bitpack128.c).
#ifndef QUARRY_SIMD_H
#define QUARRY_SIMD_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/// The SSE2 kernels exist on x86-64 only (elsewhere these write nothing; SIMDBitPacking keeps
/// its Swift kernel there).
/// Decodes one block of 128 values packed at `width` (1...32) bits in the 4-lane vertical
/// layout documented in SIMDBitPacking.swift into `out`. Reads exactly 16 * width bytes from
/// `in`, which needs no alignment.
void quarry_unpack128(const void *in, uint32_t width, uint32_t *out);

/// As quarry_unpack128, plus `addend` to every value (modulo 2^32): tfs stored as tf - 1.
void quarry_unpack128_plus(const void *in, uint32_t width, uint32_t addend, uint32_t *out);

/// As quarry_unpack128, then out[i] = base + in[0] + ... + in[i] (running sums, modulo 2^32).
void quarry_unpack128_running_sums(const void *in, uint32_t width, uint32_t base, uint32_t *out);

/// The index of the first of the `count` sorted values at `values` that is >= `target`
/// (`count` when none is): a binary search whose steps are conditional moves, not branches
/// (the hops of a leapfrog land at unpredictable places, and a mispredicted branch per step cost
/// more than the search). `count` must be >= 1.
long quarry_lower_bound(const uint32_t *values, long count, uint32_t target);

#ifdef __cplusplus
}
#endif

#endif
