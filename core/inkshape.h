#pragma once
#include <QString>

namespace core {

/// The shape of the ink of a network input (kPixels floats, white ink on black, normalised as
/// MNIST was), from its intensity-weighted second moments. Torch-free.
struct InkShape {
    bool blank = true;          ///< no ink at all
    double spreadRatio = 0;     ///< horizontal over vertical standard deviation of the ink
    double elongation = 0;      ///< long over short axis (square root of the moments' eigenvalues)
    double tiltDegrees = 0;     ///< the long axis's angle from the vertical, -90..90
};

namespace inkshape {

/// Beyond this, ink is spread wider than MNIST's writers spread a digit: 4 of the 10,000 test
/// digits (0.04%: a lying 6, flat 2s and 4s) exceed 1.8; an oval drawn 2.5 times as wide as tall
/// measures 1.9 and a horizontal line 6 or more.
inline constexpr double kMaxSpreadRatio = 1.8;
/// A stroke this elongated (a 1, a line) must stand within kMaxTilt of the vertical: the most
/// tilted MNIST test digit that elongated leans 46 degrees.
inline constexpr double kLineElongation = 4.0;
inline constexpr double kMaxTiltDegrees = 55.0;

InkShape measure(const float *pixels);

/// True for ink that looks like no digit MNIST's writers wrote: wider than tall beyond
/// kMaxSpreadRatio (a dash, a flat oval), or a line lying closer to the horizontal than any
/// written 1. The network still answers for such marks (it must answer something); callers show
/// the answer as a guess. reason, when given, receives the words for it.
bool unlikeAnyDigit(const float *pixels, QString *reason = nullptr);

} // namespace inkshape
} // namespace core
