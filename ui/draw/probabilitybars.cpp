#include "ui/draw/probabilitybars.h"
#include <QHelpEvent>
#include <QPainter>
#include <QToolTip>
#include <QPaintEvent>
#include <algorithm>

namespace ui {

namespace {
// Colours chosen to survive both light and dark palettes: saturated fills on a neutral track.
const QColor kTopColour(0x2f, 0x7d, 0xd1);    // the predicted class
const QColor kWrongColour(0xd1, 0x3b, 0x2f);  // predicted class when it is not the true one
const QColor kTrueColour(0x2e, 0x9e, 0x4f);   // marker of the true class
} // namespace

ProbabilityBars::ProbabilityBars(QWidget *parent) : QWidget(parent)
{
    setSizePolicy(QSizePolicy::Expanding, QSizePolicy::Preferred);
    setAccessibleName(tr("Class probabilities"));
}

void ProbabilityBars::setClassLabels(const QStringList &labels)
{
    if (labels.isEmpty() || labels == m_labels)
        return;
    m_labels = labels;
    clear();
    updateGeometry();
}

void ProbabilityBars::setProbabilities(const std::vector<float> &probabilities)
{
    m_probabilities = probabilities;
    m_probabilities.resize(std::size_t(classes()), 0.f);
    m_empty = false;
    QStringList parts;
    for (int d = 0; d < classes(); ++d)
        parts << QStringLiteral("%1: %2%").arg(m_labels[d]).arg(double(m_probabilities[std::size_t(d)]) * 100, 0, 'f', 1);
    setAccessibleDescription(parts.join(QStringLiteral(", ")));
    update();
}

void ProbabilityBars::clear()
{
    m_probabilities.assign(std::size_t(classes()), 0.f);
    m_empty = true;
    setAccessibleDescription(QString());
    update();
}

void ProbabilityBars::setTrueClass(int digit)
{
    m_trueClass = (digit >= 0 && digit < classes()) ? digit : -1;
    update();
}

int ProbabilityBars::topClass() const
{
    if (m_empty)
        return -1;
    return int(std::max_element(m_probabilities.begin(), m_probabilities.end()) - m_probabilities.begin());
}

QSize ProbabilityBars::sizeHint() const
{
    const int row = fontMetrics().height() + 6;
    return {260, row * std::min(classes(), 20) + 4};
}

QSize ProbabilityBars::minimumSizeHint() const
{
    const int row = fontMetrics().height() + 2;
    return {150, row * std::min(classes(), 12)};
}

int ProbabilityBars::labelWidth() const
{
    // As wide as the longest label, but never more than half the widget: longer names elide.
    int widest = 0;
    for (const QString &l : m_labels)
        widest = std::max(widest, fontMetrics().horizontalAdvance(l));
    return std::min(widest + 14, std::max(fontMetrics().horizontalAdvance(QStringLiteral("0")) + 14, width() / 2));
}

bool ProbabilityBars::event(QEvent *e)
{
    // The row under the pointer: its whole label (an elided one) and its probability.
    if (e->type() == QEvent::ToolTip && classes() > 0) {
        const auto *help = static_cast<QHelpEvent *>(e);
        const int d = std::clamp(int(help->pos().y() * classes() / std::max(1, height())), 0, classes() - 1);
        QToolTip::showText(help->globalPos(), m_empty ? m_labels[d]
                                                      : QStringLiteral("%1: %2%").arg(m_labels[d]).arg(double(m_probabilities[std::size_t(d)]) * 100, 0, 'f', 1),
                           this);
        return true;
    }
    return QWidget::event(e);
}

void ProbabilityBars::paintEvent(QPaintEvent *)
{
    QPainter p(this);
    p.setRenderHint(QPainter::Antialiasing, false);
    const QPalette pal = palette();
    const QFontMetrics fm = fontMetrics();
    const int top = topClass();
    const qreal rowH = qreal(height()) / std::max(1, classes());
    const int labelW = labelWidth();
    const int valueW = fm.horizontalAdvance(QStringLiteral("100.0%")) + 8;
    const int trackX = labelW;
    const int trackW = std::max(10, width() - labelW - valueW);
    QFont bold = font();
    bold.setBold(true);

    QColor track = pal.color(QPalette::Base).darker(108);
    if (pal.color(QPalette::Base).lightness() < 80)
        track = pal.color(QPalette::Base).lighter(160);

    for (int d = 0; d < classes(); ++d) {
        const QRectF row(0, d * rowH, width(), rowH);
        const qreal barH = std::max<qreal>(4, rowH * 0.62);
        const QRectF trackRect(trackX, row.center().y() - barH / 2, trackW, barH);
        const bool isTop = d == top;
        const bool isTrue = d == m_trueClass;

        // Label: the digit, bold when it is the prediction, green when it is the truth.
        p.setFont(isTop || isTrue ? bold : font());
        p.setPen(isTrue ? kTrueColour : pal.color(QPalette::WindowText));
        p.drawText(QRectF(0, row.top(), labelW - 6, rowH), Qt::AlignRight | Qt::AlignVCenter,
                   (isTop || isTrue ? QFontMetrics(bold) : fm).elidedText(m_labels[d], Qt::ElideRight, labelW - 6));

        p.fillRect(trackRect, track);
        if (isTrue) {
            p.setPen(QPen(kTrueColour, 2));
            p.setBrush(Qt::NoBrush);
            p.drawRect(trackRect.adjusted(-1, -1, 1, 1));
        }
        if (m_empty)
            continue;
        const float prob = std::clamp(m_probabilities[std::size_t(d)], 0.f, 1.f);
        QRectF fill = trackRect;
        fill.setWidth(std::max<qreal>(prob > 0.0005f ? 1 : 0, trackRect.width() * prob));
        QColor colour = pal.color(QPalette::Mid);
        if (isTop)
            colour = (m_trueClass >= 0 && m_trueClass != d) ? kWrongColour : kTopColour;
        p.fillRect(fill, colour);

        p.setFont(isTop ? bold : font());
        p.setPen(pal.color(QPalette::WindowText));
        p.drawText(QRectF(trackX + trackW + 4, row.top(), valueW - 4, rowH), Qt::AlignRight | Qt::AlignVCenter,
                   QStringLiteral("%1%").arg(double(prob) * 100, 0, 'f', 1));
    }
}

} // namespace ui
