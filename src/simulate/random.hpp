// The generator's own pseudo-random numbers: SplitMix64 seeding xoshiro256**, and samplers for the
// uniform, normal, binomial and Poisson distributions built only from integer operations and the
// IEEE basic operations (+ - * / sqrt, floor, fabs), which are correctly rounded on every
// conforming platform. No std:: distributions (their algorithms differ between standard libraries)
// and no libm transcendental functions (log/exp/cos are not correctly rounded everywhere): log and
// exp are computed here. Together with a build that does not contract a*b+c into fused
// multiply-adds (the project builds in ISO C++ mode, where GCC does not contract; Clang is told so
// below) the same seed gives bit-identical numbers on every machine.
//
// Header-only so that the samplers inline into the generator's hot loop. Not thread-safe per
// object; use one Rng per thread (the generator makes one per stream).
#pragma once

#include <array>
#include <bit>
#include <cmath>
#include <cstdint>
#include <string_view>

#if defined(__clang__)
#pragma clang fp contract(off)
#endif

namespace rallyuxr::simulate::rng {

// ---- Seeding and hashing -------------------------------------------------------------------

// The SplitMix64 finalizer: a bijective 64-bit mixer.
constexpr std::uint64_t mix64(std::uint64_t z) {
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

// One SplitMix64 step.
constexpr std::uint64_t splitmix64_next(std::uint64_t& state) {
  state += 0x9e3779b97f4a7c15ULL;
  return mix64(state);
}

// 64-bit FNV-1a of a byte string (stable stream keys from metric ids).
constexpr std::uint64_t fnv1a64(std::string_view s) {
  std::uint64_t h = 0xcbf29ce484222325ULL;
  for (char c : s) {
    h ^= static_cast<unsigned char>(c);
    h *= 0x100000001b3ULL;
  }
  return h;
}

// ---- Deterministic elementary functions ---------------------------------------------------

namespace detail {

// ln 2 split so that k * kLn2Hi is exact for |k| < 2^20 (fdlibm's constants).
inline constexpr double kLn2Hi = 6.93147180369123816490e-01;
inline constexpr double kLn2Lo = 1.90821492927058770002e-10;
inline constexpr double kInvLn2 = 1.44269504088896338700e+00;
inline constexpr double kSqrt2 = 1.41421356237309514547e+00;

}  // namespace detail

// Natural logarithm of a positive, finite, normal x; basic operations only (error ~1 ulp).
inline double det_log(double x) {
  const auto bits = std::bit_cast<std::uint64_t>(x);
  int e = static_cast<int>((bits >> 52) & 0x7ff) - 1023;
  double m = std::bit_cast<double>((bits & 0x000fffffffffffffULL) | 0x3ff0000000000000ULL);
  if (m > detail::kSqrt2) {
    m *= 0.5;
    ++e;
  }
  // log(m) = 2 atanh(f), f = (m-1)/(m+1), |f| <= 0.1716: the odd series to f^23 is exact to
  // well below an ulp.
  const double f = (m - 1.0) / (m + 1.0);
  const double f2 = f * f;
  double p = 1.0 / 23;
  p = p * f2 + 1.0 / 21;
  p = p * f2 + 1.0 / 19;
  p = p * f2 + 1.0 / 17;
  p = p * f2 + 1.0 / 15;
  p = p * f2 + 1.0 / 13;
  p = p * f2 + 1.0 / 11;
  p = p * f2 + 1.0 / 9;
  p = p * f2 + 1.0 / 7;
  p = p * f2 + 1.0 / 5;
  p = p * f2 + 1.0 / 3;
  const double log_m = 2.0 * f + 2.0 * f * f2 * p;
  const double ed = static_cast<double>(e);
  return ed * detail::kLn2Hi + (ed * detail::kLn2Lo + log_m);
}

// e^x, x clamped to [-700, 700]; basic operations only (error ~1 ulp).
inline double det_exp(double x) {
  if (x > 700.0) x = 700.0;
  if (x < -700.0) x = -700.0;
  const double kf = std::floor(x * detail::kInvLn2 + 0.5);
  const double r = (x - kf * detail::kLn2Hi) - kf * detail::kLn2Lo;  // |r| <= 0.347
  // Taylor series to r^14 / 14!: remainder below 1e-18.
  double p = 1.0 / 87178291200.0;                // 1/14!
  p = p * r + 1.0 / 6227020800.0;                // 1/13!
  p = p * r + 1.0 / 479001600.0;                 // 1/12!
  p = p * r + 1.0 / 39916800.0;                  // 1/11!
  p = p * r + 1.0 / 3628800.0;                   // 1/10!
  p = p * r + 1.0 / 362880.0;                    // 1/9!
  p = p * r + 1.0 / 40320.0;                     // 1/8!
  p = p * r + 1.0 / 5040.0;                      // 1/7!
  p = p * r + 1.0 / 720.0;                       // 1/6!
  p = p * r + 1.0 / 120.0;                       // 1/5!
  p = p * r + 1.0 / 24.0;                        // 1/4!
  p = p * r + 1.0 / 6.0;                         // 1/3!
  p = p * r + 0.5;                               // 1/2!
  p = p * r + 1.0;
  p = p * r + 1.0;
  // times 2^k, k in [-1010, 1010]: a normal power of two, so the product is exactly rounded.
  const auto biased = static_cast<std::uint64_t>(static_cast<std::int64_t>(kf) + 1023);
  return p * std::bit_cast<double>(biased << 52);
}

// b^n for n >= 0 by repeated squaring (deterministic, unlike std::pow).
inline double det_ipow(double b, std::int64_t n) {
  double r = 1.0;
  while (n > 0) {
    // r *= (n odd ? b : 1.0), branch-free (the bits of n are unpredictable; x * 1.0 is exact).
    const std::uint64_t take = 0 - static_cast<std::uint64_t>(n & 1);
    r *= std::bit_cast<double>((std::bit_cast<std::uint64_t>(b) & take) |
                               (std::bit_cast<std::uint64_t>(1.0) & ~take));
    b *= b;
    n >>= 1;
  }
  return r;
}

// round half away from zero for the values the samplers produce (finite, |v| < 2^62).
inline std::int64_t round_to_int(double v) {
  return static_cast<std::int64_t>(v >= 0 ? std::floor(v + 0.5) : -std::floor(-v + 0.5));
}

// ---- The generator and its samplers -------------------------------------------------------

// Binomial samples with n * min(p, 1-p) below this are drawn exactly (inversion); above, by a
// rounded and clamped normal approximation.
inline constexpr double kBinomialExactBelow = 20.0;
// Poisson samples with a mean below this are drawn exactly (inversion).
inline constexpr double kPoissonExactBelow = 30.0;

namespace detail {
inline constexpr int kReciprocals = 128;
inline constexpr std::array<double, kReciprocals> kReciprocal = [] {
  std::array<double, kReciprocals> r{};
  r[0] = 0.0;
  for (int i = 1; i < kReciprocals; ++i) r[i] = 1.0 / i;
  return r;
}();
inline double reciprocal(std::int64_t x) {
  return x < kReciprocals ? kReciprocal[static_cast<std::size_t>(x)] : 1.0 / static_cast<double>(x);
}

// Ziggurat tables for 256 blocks of equal area kZigguratV under exp(-x^2/2); x[1] = kZigguratR.
inline constexpr int kZigguratBlocks = 256;
inline constexpr double kZigguratR = 3.6541528853610088;
inline constexpr double kZigguratV = 0.00492867323399;

struct Ziggurat {
  std::array<double, kZigguratBlocks + 1> x{};
  std::array<double, kZigguratBlocks> ratio{};  // x[i + 1] / x[i]
};

inline Ziggurat make_ziggurat() {
  Ziggurat z;
  double f = det_exp(-0.5 * kZigguratR * kZigguratR);
  z.x[0] = kZigguratV / f;  // the base block, tail included, as a rectangle of the same area
  z.x[1] = kZigguratR;
  z.x[kZigguratBlocks] = 0.0;
  for (int i = 2; i < kZigguratBlocks; ++i) {
    const auto k = static_cast<std::size_t>(i);
    z.x[k] = std::sqrt(-2.0 * det_log(kZigguratV / z.x[k - 1] + f));
    f = det_exp(-0.5 * z.x[k] * z.x[k]);
  }
  for (std::size_t i = 0; i < kZigguratBlocks; ++i) z.ratio[i] = z.x[i + 1] / z.x[i];
  return z;
}

inline const Ziggurat& ziggurat() {
  static const Ziggurat tables = make_ziggurat();
  return tables;
}
}  // namespace detail

// xoshiro256** 1.0 (Blackman & Vigna), seeded from one 64-bit value through SplitMix64.
class Rng {
 public:
  explicit Rng(std::uint64_t seed) {
    std::uint64_t sm = seed;
    for (auto& word : s_) word = splitmix64_next(sm);
  }

  // An independent stream for (seed, key): the key (e.g. a metric id's hash) is mixed in before
  // seeding, so streams of different keys share nothing.
  static Rng stream(std::uint64_t seed, std::uint64_t key) {
    return Rng(mix64(seed ^ 0x6a09e667f3bcc909ULL) ^ mix64(key + 0xbb67ae8584caa73bULL));
  }

  std::uint64_t next() {
    const std::uint64_t result = rotl(s_[1] * 5, 7) * 9;
    const std::uint64_t t = s_[1] << 17;
    s_[2] ^= s_[0];
    s_[3] ^= s_[1];
    s_[1] ^= s_[2];
    s_[0] ^= s_[3];
    s_[2] ^= t;
    s_[3] = rotl(s_[3], 45);
    return result;
  }

  // Uniform on [0, 1), a multiple of 2^-53.
  double uniform01() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }

  // Standard normal by the ziggurat method (Marsaglia & Tsang, in Doornik's 2005 formulation,
  // 256 blocks); its tables are built once from det_log/det_exp, so they are bit-identical too.
  double normal() {
    const detail::Ziggurat& z = detail::ziggurat();
    for (;;) {
      const std::uint64_t bits = next();
      const auto i = static_cast<std::size_t>(bits & 0xff);
      const double u = 2.0 * (static_cast<double>(bits >> 11) * 0x1.0p-53) - 1.0;  // [-1, 1)
      if (std::fabs(u) < z.ratio[i]) return u * z.x[i];  // inside a rectangle
      if (i == 0) return normal_tail(u < 0);
      const double x = u * z.x[i];  // in the wedge of block i?
      const double f0 = det_exp(-0.5 * (z.x[i] * z.x[i] - x * x));
      const double f1 = det_exp(-0.5 * (z.x[i + 1] * z.x[i + 1] - x * x));
      if (f1 + uniform01() * (f0 - f1) < 1.0) return x;
    }
  }

  // Binomial(n, p). Exact inversion (BINV) when n*min(p,1-p) < kBinomialExactBelow, otherwise
  // round(n p + sqrt(n p q) Z) clamped to [0, n].
  std::int64_t binomial(std::int64_t n, double p) {
    if (n <= 0 || !(p > 0.0)) return 0;
    if (p >= 1.0) return n;
    const bool flip = p > 0.5;
    const double pp = flip ? 1.0 - p : p;
    const double q = 1.0 - pp;
    const double mean = static_cast<double>(n) * pp;
    std::int64_t x;
    if (mean < kBinomialExactBelow) {
      const double s = pp / q;
      const double a = static_cast<double>(n + 1) * s;
      double r = det_ipow(q, n);
      double u = uniform01();
      x = 0;
      while (u > r) {
        u -= r;
        ++x;
        if (x >= n) {  // only reachable through rounding in the far tail
          x = n;
          break;
        }
        r *= a * detail::reciprocal(x) - s;
      }
    } else {
      x = round_to_int(mean + std::sqrt(mean * q) * normal());
      if (x < 0) x = 0;
      if (x > n) x = n;
    }
    return flip ? n - x : x;
  }

  // Poisson(mu). Exact inversion when mu < kPoissonExactBelow, otherwise
  // round(mu + sqrt(mu) Z) clamped at 0.
  std::int64_t poisson(double mu) {
    if (!(mu > 0.0)) return 0;
    if (mu < kPoissonExactBelow) {
      double r = det_exp(-mu);
      double u = uniform01();
      std::int64_t x = 0;
      while (u > r && x < 1000) {
        u -= r;
        ++x;
        r *= mu * detail::reciprocal(x);
      }
      return x;
    }
    const std::int64_t x = round_to_int(mu + std::sqrt(mu) * normal());
    return x < 0 ? 0 : x;
  }

 private:
  static std::uint64_t rotl(std::uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

  // Uniform on (0, 1].
  double uniform01_open_zero() { return static_cast<double>((next() >> 11) + 1) * 0x1.0p-53; }

  // A standard normal beyond +-kZigguratR (Marsaglia's tail method).
  double normal_tail(bool negative) {
    double x, y;
    do {
      x = det_log(uniform01_open_zero()) / detail::kZigguratR;
      y = det_log(uniform01_open_zero());
    } while (-2.0 * y < x * x);
    return negative ? x - detail::kZigguratR : detail::kZigguratR - x;
  }

  std::array<std::uint64_t, 4> s_{};
};

}  // namespace rallyuxr::simulate::rng
