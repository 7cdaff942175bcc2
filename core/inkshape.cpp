#include "inkshape.h"
#include "types.h"
#include <QCoreApplication>
#include <cmath>
#include <numbers>

namespace core::inkshape {

InkShape measure(const float *pixels)
{
    InkShape shape;
    double mass = 0, sx = 0, sy = 0;
    for (int i = 0; i < kPixels; ++i) {
        const double v = pixels[i];
        if (v <= 0)
            continue;
        mass += v;
        sx += v * (i % kSide);
        sy += v * (i / kSide);
    }
    if (mass <= 0)
        return shape;
    const double cx = sx / mass, cy = sy / mass;
    double xx = 0, yy = 0, xy = 0;
    for (int i = 0; i < kPixels; ++i) {
        const double v = pixels[i];
        if (v <= 0)
            continue;
        const double dx = i % kSide - cx, dy = i / kSide - cy;
        xx += v * dx * dx;
        yy += v * dy * dy;
        xy += v * dx * dy;
    }
    xx /= mass;
    yy /= mass;
    xy /= mass;
    // A pixel's own extent (variance 1/12 of a unit square): a one-pixel line still has a width.
    constexpr double kPixelVariance = 1.0 / 12;
    xx += kPixelVariance;
    yy += kPixelVariance;
    const double half = (xx + yy) / 2;
    const double disc = std::sqrt(std::max(0.0, half * half - (xx * yy - xy * xy)));
    shape.blank = false;
    shape.spreadRatio = std::sqrt(xx / yy);
    shape.elongation = std::sqrt((half + disc) / std::max(half - disc, 1e-9));
    shape.tiltDegrees = 0.5 * std::atan2(2 * xy, yy - xx) * 180 / std::numbers::pi;
    return shape;
}

bool unlikeAnyDigit(const float *pixels, QString *reason)
{
    const InkShape s = measure(pixels);
    if (s.blank)
        return false;
    const char *why = nullptr;
    if (s.spreadRatio > kMaxSpreadRatio)
        why = QT_TRANSLATE_NOOP("core::InkShape", "it is much wider than tall, unlike any digit");
    else if (s.elongation > kLineElongation && std::abs(s.tiltDegrees) > kMaxTiltDegrees)
        why = QT_TRANSLATE_NOOP("core::InkShape", "a line lying this flat is no digit");
    if (why && reason)
        *reason = QCoreApplication::translate("core::InkShape", why);
    return why != nullptr;
}

} // namespace core::inkshape
