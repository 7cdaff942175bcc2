#include "ui/train/divergencemonitor.h"
#include "core/types.h"
#include <QCoreApplication>
#include <algorithm>
#include <cmath>

namespace ui {

namespace {
QString tr(const char *text)
{
    return QCoreApplication::translate("ui::DivergenceMonitor", text);
}
} // namespace

void DivergenceMonitor::reset()
{
    *this = DivergenceMonitor();
}

QString DivergenceMonitor::flag(const QString &reason)
{
    if (m_diverged)
        return {};
    m_diverged = true;
    return reason;
}

QString DivergenceMonitor::addLoss(double loss)
{
    if (!std::isfinite(loss))
        return flag(tr("the loss became %1").arg(std::isnan(loss) ? tr("NaN (not a number)") : tr("infinite")));
    ++m_batches;
    m_smoothed = m_smoothed < 0 ? loss : (1 - kSmoothing) * m_smoothed + kSmoothing * loss;
    if (m_batches <= kStartBatches) {
        m_startMin = m_startMin < 0 ? loss : std::min(m_startMin, loss);
        if (m_batches == kStartBatches)
            m_start = m_startMin;
        return {};
    }
    if (m_start >= 0 && m_smoothed > kRiseFactor * m_start && m_smoothed > m_start + kRiseMin)
        return flag(tr("the loss rose from %1 to %2").arg(m_start, 0, 'g', 3).arg(m_smoothed, 0, 'g', 3));
    return {};
}

QString DivergenceMonitor::addEpoch(const core::EpochStats &stats)
{
    if (!std::isfinite(stats.trainLoss))
        return flag(tr("the loss became NaN (not a number)"));
    if (stats.testAccuracy <= kChanceAccuracy)
        return flag(tr("after epoch %1 the test accuracy is %2%, what guessing gives")
                        .arg(stats.epoch)
                        .arg(100.0 * stats.testAccuracy, 0, 'f', 2));
    return {};
}

} // namespace ui
