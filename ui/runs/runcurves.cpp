#include "ui/runs/runcurves.h"
#include <QJsonDocument>
#include <QJsonValue>
#include <QSet>
#include <algorithm>
#include <cmath>
#include <limits>

namespace ui {
namespace runcurves {

namespace {

double along(RunAxis axis, double epochPosition, qint64 imagesSeen, double wallSeconds)
{
    switch (axis) {
    case RunAxis::Images:
        return double(imagesSeen);
    case RunAxis::WallTime:
        return wallSeconds;
    case RunAxis::Epoch:
        break;
    }
    return epochPosition;
}

} // namespace

double lossX(const core::LossPoint &p, RunAxis axis)
{
    return along(axis, p.epochPosition(), p.imagesSeen, p.wallSeconds);
}

double epochX(const core::EpochPoint &p, RunAxis axis)
{
    return along(axis, p.stats.epoch, p.imagesSeen, p.wallSeconds);
}

QString axisTitle(RunAxis axis)
{
    switch (axis) {
    case RunAxis::Images:
        return QStringLiteral("images seen");
    case RunAxis::WallTime:
        return QStringLiteral("wall time (s)");
    case RunAxis::Epoch:
        break;
    }
    return QStringLiteral("epoch");
}

QList<QPointF> rawLoss(const core::RunCurves &curves, RunAxis axis)
{
    QList<QPointF> points;
    points.reserve(qsizetype(curves.losses.size()));
    for (const auto &p : curves.losses)
        if (std::isfinite(p.loss))
            points.append({lossX(p, axis), p.loss});
    return points;
}

QList<QPointF> rawEnvelope(const core::RunCurves &curves, RunAxis axis)
{
    QList<QPointF> points;
    points.reserve(qsizetype(curves.losses.size()));
    for (const auto &p : curves.losses) {
        const double x = lossX(p, axis);
        if (p.count > 1 && std::isfinite(p.lossMin) && std::isfinite(p.lossMax)) {
            points.append({x, p.lossMin});
            points.append({x, p.lossMax});
        } else if (std::isfinite(p.loss)) {
            points.append({x, p.loss});
        }
    }
    return points;
}

QList<QPointF> smooth(const QList<QPointF> &points, double smoothing)
{
    const double w = std::clamp(smoothing, 0.0, 0.999);
    if (w <= 0)
        return points;
    QList<QPointF> out;
    out.reserve(points.size());
    double last = 0;
    double debias = 1; // w^n: the weight the zero start still has after n points
    for (const auto &p : points) {
        last = last * w + (1 - w) * p.y();
        debias *= w;
        out.append({p.x(), last / (1 - debias)});
    }
    return out;
}

QList<QPointF> accuracy(const core::RunCurves &curves, RunAxis axis, bool test)
{
    QList<QPointF> points;
    for (const auto &e : curves.epochs)
        points.append({epochX(e, axis), 100.0 * (test ? e.stats.testAccuracy : e.stats.trainAccuracy)});
    return points;
}

double valueAt(const QList<QPointF> &points, double x)
{
    if (points.isEmpty() || x < points.front().x() || x > points.back().x())
        return std::numeric_limits<double>::quiet_NaN();
    const auto it = std::lower_bound(points.begin(), points.end(), x, [](const QPointF &p, double v) { return p.x() < v; });
    if (it == points.begin())
        return it->y();
    const QPointF &hi = *it;
    const QPointF &lo = *(it - 1);
    if (hi.x() == lo.x())
        return hi.y();
    return lo.y() + (hi.y() - lo.y()) * (x - lo.x()) / (hi.x() - lo.x());
}

QColor runColor(qint64 id)
{
    // The golden angle spreads consecutive ids around the wheel; value 190 keeps yellow readable.
    const int hue = int(std::fmod(double(id) * 137.508, 360.0));
    return QColor::fromHsv(hue, 210, 190);
}

} // namespace runcurves

std::vector<RunDifference> runDifferences(const core::RunRecord &a, const core::RunRecord &b)
{
    std::vector<RunDifference> rows;
    const auto add = [&](const QString &name, const QString &x, const QString &y) { rows.push_back({name, x, y, x != y}); };
    add(QStringLiteral("network"), a.network, b.network);
    add(QStringLiteral("dataset"), a.datasetId, b.datasetId);
    add(QStringLiteral("dataset checksum"), a.datasetChecksum, b.datasetChecksum);
    QStringList keys = a.recipe.keys();
    for (const auto &k : b.recipe.keys())
        if (!keys.contains(k))
            keys.append(k);
    std::sort(keys.begin(), keys.end());
    const auto text = [](const QJsonValue &v) {
        if (v.isUndefined())
            return QStringLiteral("-");
        if (v.isDouble())
            return QString::number(v.toDouble(), 'g', 10);
        if (v.isString())
            return v.toString();
        if (v.isBool())
            return v.toBool() ? QStringLiteral("true") : QStringLiteral("false");
        return QString::fromUtf8(QJsonDocument::fromVariant(v.toVariant()).toJson(QJsonDocument::Compact));
    };
    for (const auto &k : keys)
        add(k, text(a.recipe.value(k)), text(b.recipe.value(k)));
    add(QStringLiteral("threads used"), QString::number(a.threads), QString::number(b.threads));
    add(QStringLiteral("started from epoch"), QString::number(a.startEpoch), QString::number(b.startEpoch));
    return rows;
}

} // namespace ui
