#pragma once
#include <QList>
#include <QPointF>
#include <QString>

namespace ui {

/// Tick layout of a linear chart axis: labels every `step` from `min` to `max`.
struct LinearTicks {
    double min = 0;
    double max = 1;
    double step = 1;
    QString labelFormat = QStringLiteral("%.1f"); ///< printf-style, as QValueAxis takes it
    /// Labels this layout asks Qt Charts for (both ends included).
    int count() const;
};

/// Tick layout of a logarithmic axis: labels at powers of `base` (10, or 10^k when the range
/// spans many decades) from `min` to `max`.
struct LogTicks {
    double min = 0.01;
    double max = 10;
    double base = 10;
    QString labelFormat = QStringLiteral("%g");
    int count() const;
};

/// Qt Charts lays out one label per tick and loops from min to max by the interval, so a step
/// that is small relative to the range freezes the GUI thread (issue 9: a loss of 1e6 with a
/// step of 1). These functions lay an axis out for ANY pair of values (inf, NaN, 1e300, -0,
/// tiny): never more than maxTicks + 2 labels, a 1-2-2.5-5 step, the ends on a label.
namespace chartaxes {

/// Largest |value| an axis shows: far beyond any real loss, far below double overflow (so
/// step * count never overflows).
inline constexpr double kMaxMagnitude = 1e150;
/// Smallest positive value a log axis shows (a loss of exactly 0 has no logarithm).
inline constexpr double kLogFloor = 1e-6;

/// A linear axis that holds lo..hi. Non-finite or reversed bounds fall back to fallbackLo /
/// fallbackHi; a zero-width range is widened around its value.
LinearTicks linear(double lo, double hi, int maxTicks, double fallbackLo = 0, double fallbackHi = 1);
/// A log axis that holds lo..hi (values below kLogFloor are shown at it).
LogTicks logarithmic(double lo, double hi, int maxTicks);

/// The smallest and largest finite y of the points (from `from` on); false when there is none.
bool finiteYRange(const QList<QPointF> &points, double &lo, double &hi, qsizetype from = 0);
/// The q-quantile (0..1) of the finite y of the last `window` points; false when there is none.
/// A robust top for an axis: a few spikes in the window do not move it.
bool recentQuantile(const QList<QPointF> &points, qsizetype window, double q, double &value);
/// A value fit for a chart: NaN and infinities become `fallback`, and magnitudes are capped.
double displayable(double value, double fallback);

} // namespace chartaxes
} // namespace ui
