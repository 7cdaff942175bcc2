#pragma once
#include "core/runstore.h"
#include <QColor>
#include <QList>
#include <QPointF>
#include <QString>
#include <vector>

namespace ui {

/// What the Runs tab's charts put on x.
enum class RunAxis { Epoch, Images, WallTime };

/// The curve math of the Runs tab, plain functions of stored runs (tested on their own).
namespace runcurves {

/// x of a stored loss point / an epoch on the chosen axis (epochs, images seen, seconds).
double lossX(const core::LossPoint &point, RunAxis axis);
double epochX(const core::EpochPoint &point, RunAxis axis);
/// "epoch", "images seen", "wall time (s)".
QString axisTitle(RunAxis axis);

/// The per-batch loss as points on axis (non-finite losses left out).
QList<QPointF> rawLoss(const core::RunCurves &curves, RunAxis axis);
/// The raw curve with its envelope: each stored point's loss, or for a bucket of batches its
/// minimum and maximum at the same x (so the noise band is drawn however the run was stored).
QList<QPointF> rawEnvelope(const core::RunCurves &curves, RunAxis axis);
/// TensorBoard's smoothing: an exponential moving average with weight `smoothing` (0: none,
/// 0.99: heavy) on the previous value, debiased so the curve starts at the first value.
QList<QPointF> smooth(const QList<QPointF> &points, double smoothing);
/// Test accuracy (percent) or train accuracy per epoch.
QList<QPointF> accuracy(const core::RunCurves &curves, RunAxis axis, bool test);

/// y at x on a curve sorted by x, linearly interpolated; NaN outside it.
double valueAt(const QList<QPointF> &points, double x);

/// A colour per run id, distinct for neighbours (golden-angle hues), readable on white.
QColor runColor(qint64 id);

} // namespace runcurves

/// One row of the difference view: a setting and its value in two runs.
struct RunDifference {
    QString name;
    QString a;
    QString b;
    bool differs = false;
};
/// The settings of two runs side by side: network, dataset, every recipe key, threads.
std::vector<RunDifference> runDifferences(const core::RunRecord &a, const core::RunRecord &b);

} // namespace ui
