// SIMD-BP128 block decoders: 128 integers packed at a fixed bit width in the 4-lane vertical
// layout of SIMDBitPacking.swift (value i is lane i % 4; lane words interleaved, word k of lane
// l at 32-bit position 4k + l). The Swift kernel is the reference and the fallback; this one
// exists because the Swift compiler would not unroll the 32 steps, so every step recomputed its
// word and shift and tested for a straddle at run time. Here each width gets its own fully
// unrolled function: shifts are immediates and straddles are known at compile time.
//
// Reads exactly 16 * width bytes from `in` (unaligned loads); writes 128 values to `out`.
#include "quarry_simd.h"

long quarry_lower_bound(const uint32_t *values, long count, uint32_t target) {
    const uint32_t *base = values;
    long n = count;
    while (n > 1) {
        long half = n >> 1;
#if defined(__clang__)
        base = __builtin_unpredictable(base[half] < target) ? base + half : base;
#else
        base = base[half] < target ? base + half : base;
#endif
        n -= half;
    }
    return (base - values) + (*base < target);
}

#if defined(__x86_64__) && defined(__SSE2__)
#include <emmintrin.h>

// Inclusive running sum of four lanes plus the previous vector's last sum.
static inline __m128i running_sum(__m128i v, __m128i *carry) {
    v = _mm_add_epi32(v, _mm_slli_si128(v, 4));
    v = _mm_add_epi32(v, _mm_slli_si128(v, 8));
    v = _mm_add_epi32(v, *carry);
    *carry = _mm_shuffle_epi32(v, 0xFF);
    return v;
}

// The kernel; inlined into one function per width and mode, so W and `running` are constants.
// running: out = base + running sums; otherwise out = value + base (base 0: plain decode).
static inline __attribute__((always_inline))
void unpack_body(const __m128i *in, uint32_t *out, const int W, const int running, uint32_t base) {
    const __m128i mask = _mm_set1_epi32((int)(W == 32 ? 0xFFFFFFFFu : ((1u << W) - 1u)));
    __m128i carry = _mm_set1_epi32((int)base);
    _Pragma("clang loop unroll(full)")
    for (int j = 0; j < 32; j++) {
        const int bit = j * W, word = bit >> 5, shift = bit & 31;
        __m128i v = _mm_srli_epi32(_mm_loadu_si128(in + word), shift);
        if (shift + W > 32) {
            v = _mm_or_si128(v, _mm_slli_epi32(_mm_loadu_si128(in + word + 1), 32 - shift));
        }
        v = _mm_and_si128(v, mask);
        if (running) v = running_sum(v, &carry);
        else v = _mm_add_epi32(v, carry);
        _mm_storeu_si128((__m128i *)out + j, v);
    }
}

#define DEFINE_UNPACK(W)                                                                         \
    static void unpack_##W(const __m128i *in, uint32_t *out, uint32_t add) { unpack_body(in, out, W, 0, add); } \
    static void sums_##W(const __m128i *in, uint32_t *out, uint32_t base) { unpack_body(in, out, W, 1, base); }

DEFINE_UNPACK(1) DEFINE_UNPACK(2) DEFINE_UNPACK(3) DEFINE_UNPACK(4) DEFINE_UNPACK(5)
DEFINE_UNPACK(6) DEFINE_UNPACK(7) DEFINE_UNPACK(8) DEFINE_UNPACK(9) DEFINE_UNPACK(10)
DEFINE_UNPACK(11) DEFINE_UNPACK(12) DEFINE_UNPACK(13) DEFINE_UNPACK(14) DEFINE_UNPACK(15)
DEFINE_UNPACK(16) DEFINE_UNPACK(17) DEFINE_UNPACK(18) DEFINE_UNPACK(19) DEFINE_UNPACK(20)
DEFINE_UNPACK(21) DEFINE_UNPACK(22) DEFINE_UNPACK(23) DEFINE_UNPACK(24) DEFINE_UNPACK(25)
DEFINE_UNPACK(26) DEFINE_UNPACK(27) DEFINE_UNPACK(28) DEFINE_UNPACK(29) DEFINE_UNPACK(30)
DEFINE_UNPACK(31) DEFINE_UNPACK(32)

typedef void (*unpack_fn)(const __m128i *, uint32_t *, uint32_t);
typedef void (*sums_fn)(const __m128i *, uint32_t *, uint32_t);

static const unpack_fn unpackers[33] = {
    0, unpack_1, unpack_2, unpack_3, unpack_4, unpack_5, unpack_6, unpack_7, unpack_8,
    unpack_9, unpack_10, unpack_11, unpack_12, unpack_13, unpack_14, unpack_15, unpack_16,
    unpack_17, unpack_18, unpack_19, unpack_20, unpack_21, unpack_22, unpack_23, unpack_24,
    unpack_25, unpack_26, unpack_27, unpack_28, unpack_29, unpack_30, unpack_31, unpack_32,
};

static const sums_fn summers[33] = {
    0, sums_1, sums_2, sums_3, sums_4, sums_5, sums_6, sums_7, sums_8,
    sums_9, sums_10, sums_11, sums_12, sums_13, sums_14, sums_15, sums_16,
    sums_17, sums_18, sums_19, sums_20, sums_21, sums_22, sums_23, sums_24,
    sums_25, sums_26, sums_27, sums_28, sums_29, sums_30, sums_31, sums_32,
};

// Widths outside 1...32 write nothing (the Swift caller handles 0 and rejects the rest).
void quarry_unpack128(const void *in, uint32_t width, uint32_t *out) {
    if (width >= 1 && width <= 32) unpackers[width]((const __m128i *)in, out, 0);
}

void quarry_unpack128_plus(const void *in, uint32_t width, uint32_t addend, uint32_t *out) {
    if (width >= 1 && width <= 32) unpackers[width]((const __m128i *)in, out, addend);
}

void quarry_unpack128_running_sums(const void *in, uint32_t width, uint32_t base, uint32_t *out) {
    if (width >= 1 && width <= 32) summers[width]((const __m128i *)in, out, base);
}

#else

void quarry_unpack128(const void *in, uint32_t width, uint32_t *out) { (void)in; (void)width; (void)out; }
void quarry_unpack128_plus(const void *in, uint32_t width, uint32_t addend, uint32_t *out) {
    (void)in; (void)width; (void)addend; (void)out;
}
void quarry_unpack128_running_sums(const void *in, uint32_t width, uint32_t base, uint32_t *out) {
    (void)in; (void)width; (void)base; (void)out;
}

#endif
