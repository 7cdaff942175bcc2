#include "ui/train/chartaxes.h"
#include <algorithm>
#include <cmath>
#include <vector>

namespace ui {

int LinearTicks::count() const
{
    if (!(step > 0) || !std::isfinite(min) || !std::isfinite(max) || max < min)
        return 0;
    return int(std::floor((max - min) / step + 1e-9)) + 1;
}

int LogTicks::count() const
{
    if (!(base > 1) || !(min > 0) || !(max > min) || !std::isfinite(max))
        return 0;
    const double lb = std::log(base);
    return int(std::lround(std::log(max) / lb) - std::lround(std::log(min) / lb)) + 1;
}

namespace chartaxes {

namespace {
// A range narrower than this fraction of its magnitude cannot be split into distinct doubles.
constexpr double kMinRelativeSpan = 1e-6;

double clampMagnitude(double v)
{
    return std::clamp(v, -kMaxMagnitude, kMaxMagnitude);
}
} // namespace

double displayable(double value, double fallback)
{
    if (!std::isfinite(value))
        return fallback;
    return clampMagnitude(value) + 0.0; // + 0.0 turns -0 into 0
}

bool finiteYRange(const QList<QPointF> &points, double &lo, double &hi, qsizetype from)
{
    bool any = false;
    for (qsizetype i = std::max<qsizetype>(0, from); i < points.size(); ++i) {
        const double y = points[i].y();
        if (!std::isfinite(y))
            continue;
        lo = any ? std::min(lo, y) : y;
        hi = any ? std::max(hi, y) : y;
        any = true;
    }
    return any;
}

bool recentQuantile(const QList<QPointF> &points, qsizetype window, double q, double &value)
{
    std::vector<double> ys;
    ys.reserve(std::size_t(std::max<qsizetype>(0, std::min(window, points.size()))));
    for (qsizetype i = std::max<qsizetype>(0, points.size() - window); i < points.size(); ++i)
        if (std::isfinite(points[i].y()))
            ys.push_back(points[i].y());
    if (ys.empty())
        return false;
    const auto nth = ys.begin() + std::ptrdiff_t(std::clamp(q, 0.0, 1.0) * double(ys.size() - 1) + 0.5);
    std::nth_element(ys.begin(), nth, ys.end());
    value = *nth;
    return true;
}

namespace {
// Finite, ordered, and at least a few representable doubles wide: a zero-width range is widened
// around its value (from 0 when it is positive, as a loss axis wants).
void sanitiseRange(double &lo, double &hi, double fallbackLo, double fallbackHi)
{
    if (!std::isfinite(lo))
        lo = fallbackLo;
    if (!std::isfinite(hi))
        hi = fallbackHi;
    lo = clampMagnitude(lo) + 0.0;
    hi = clampMagnitude(hi) + 0.0;
    if (hi < lo)
        std::swap(lo, hi);
    const double magnitude = std::max(std::abs(lo), std::abs(hi));
    const double minSpan = magnitude > 0 ? magnitude * kMinRelativeSpan : 1e-12;
    if (hi - lo >= minSpan)
        return;
    const double pad = std::max(magnitude * 0.5, minSpan);
    if (lo >= 0 && lo - pad < 0) {
        lo = 0;
        hi = std::max(hi, minSpan) + pad;
    } else {
        lo -= pad;
        hi += pad;
    }
}

// The first 1-2-2.5-5 step (times a power of ten) at least `raw` wide.
double niceStep(double raw)
{
    const double decade = std::pow(10.0, std::floor(std::log10(raw)));
    for (double m : {1.0, 2.0, 2.5, 5.0, 10.0})
        if (m * decade >= raw * (1 - 1e-12))
            return m * decade;
    return 10 * decade;
}

// Fixed decimals for everyday numbers, %g (1e+30, 2e-08) for the extremes.
QString labelFormatFor(const LinearTicks &t)
{
    const double bigger = std::max(std::abs(t.min), std::abs(t.max));
    if (t.step < 1e-4 || bigger >= 1e7)
        return QStringLiteral("%.3g");
    // As many decimals as the step needs to be exact (0.25 needs two, 2.5 one, 20 none).
    int decimals = 0;
    while (decimals < 6) {
        const double scaled = t.step * std::pow(10.0, decimals);
        if (std::abs(scaled - std::round(scaled)) < 1e-6 * scaled)
            break;
        ++decimals;
    }
    return QStringLiteral("%.%1f").arg(std::clamp(decimals, 0, 6));
}
} // namespace

LinearTicks linear(double lo, double hi, int maxTicks, double fallbackLo, double fallbackHi)
{
    maxTicks = std::max(2, maxTicks);
    sanitiseRange(lo, hi, fallbackLo, fallbackHi);
    LinearTicks t;
    t.step = niceStep((hi - lo) / (maxTicks - 1));
    t.min = std::floor(lo / t.step + 1e-9) * t.step + 0.0;
    t.max = std::ceil(hi / t.step - 1e-9) * t.step + 0.0;
    // Rounding may leave an end a hair inside the range (5 * 2e29 < 1e30): one more step.
    if (t.min > lo)
        t.min -= t.step;
    if (t.max < hi)
        t.max += t.step;
    if (t.max <= t.min)
        t.max = t.min + t.step;
    t.labelFormat = labelFormatFor(t);
    return t;
}

LogTicks logarithmic(double lo, double hi, int maxTicks)
{
    maxTicks = std::max(2, maxTicks);
    if (!std::isfinite(hi) || hi <= kLogFloor)
        hi = std::isfinite(lo) && lo > kLogFloor ? lo : 1.0;
    if (!std::isfinite(lo) || lo < kLogFloor)
        lo = kLogFloor;
    hi = std::min(hi, kMaxMagnitude);
    lo = std::min(lo, hi);
    int loExp = int(std::floor(std::log10(lo) + 1e-9));
    int hiExp = int(std::ceil(std::log10(hi) - 1e-9));
    if (hiExp <= loExp)
        hiExp = loExp + 1;
    // Labels at powers of 10^k: at most maxTicks of them however many decades the range spans.
    const int k = std::max(1, int(std::ceil(double(hiExp - loExp) / (maxTicks - 1))));
    const int first = int(std::floor(double(loExp) / k)) * k;
    const int last = int(std::ceil(double(hiExp) / k)) * k;
    LogTicks t;
    t.base = std::pow(10.0, k);
    t.min = std::pow(10.0, first);
    t.max = std::pow(10.0, std::max(last, first + k));
    t.labelFormat = QStringLiteral("%g");
    return t;
}

} // namespace chartaxes
} // namespace ui
