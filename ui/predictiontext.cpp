#include "predictiontext.h"
#include <QCoreApplication>

namespace ui {

QString doubtReason(const core::Prediction &p)
{
    if (!p.unsure())
        return {};
    const int second = p.secondDigit();
    if (second >= 0 && p.confidence - p.probabilities[std::size_t(second)] < core::Prediction::kCloseMargin)
        return QCoreApplication::translate("ui::Prediction", "%1 or %2?").arg(p.digit).arg(second);
    return QCoreApplication::translate("ui::Prediction", "maybe %1").arg(p.digit);
}

QString doubtSentence(const core::Prediction &p)
{
    const QString reason = doubtReason(p);
    return reason.isEmpty() ? QString() : QCoreApplication::translate("ui::Prediction", "Not sure: %1").arg(reason);
}

} // namespace ui
