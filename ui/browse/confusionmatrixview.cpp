#include "ui/browse/confusionmatrixview.h"
#include "ui/browse/confusionmatrixaccessible.h"
#include <QAccessible>
#include <QHelpEvent>
#include <QMouseEvent>
#include <QPainter>
#include <QToolTip>
#include <algorithm>
#include <cmath>

namespace ui {

namespace {

QColor mix(const QColor &a, const QColor &b, double t)
{
    t = std::clamp(t, 0.0, 1.0);
    return QColor::fromRgbF(float(a.redF() + (b.redF() - a.redF()) * t), float(a.greenF() + (b.greenF() - a.greenF()) * t),
                            float(a.blueF() + (b.blueF() - a.blueF()) * t));
}

const QColor kEmpty(0xfa, 0xfa, 0xfa);
const QColor kRightFull(0x1f, 0x8a, 0x4c);  // diagonal at 100% of its row
const QColor kRightLow(0xd8, 0xef, 0xe0);
const QColor kWrongLow(0xfd, 0xe4, 0xd8);
const QColor kWrongFull(0xc0, 0x2a, 0x1c);  // the largest mistake count
const QColor kSelection(0x20, 0x60, 0xd0);
} // namespace

ConfusionMatrixView::ConfusionMatrixView(QWidget *parent) : QWidget(parent)
{
    // A table a screen reader can walk, cell by cell, instead of one picture (issue 16).
    // Installed first: setting the name below may already make and cache this widget's interface.
    static const bool factoryInstalled = [] {
        QAccessible::installFactory(&ConfusionMatrixAccessible::factory);
        return true;
    }();
    Q_UNUSED(factoryInstalled);
    setMouseTracking(false);
    setSizePolicy(QSizePolicy::Expanding, QSizePolicy::Preferred);
    setAccessibleName(tr("Confusion matrix"));
    setAccessibleDescription(tr("Rows: the true class; columns: the predicted class, then the class accuracy"));
    setCursor(Qt::PointingHandCursor);
}

void ConfusionMatrixView::setClassLabels(const QStringList &labels)
{
    if (labels.isEmpty() || labels == m_labels)
        return;
    const bool resized = labels.size() != m_labels.size();
    m_labels = labels;
    if (resized) {
        clear();
        updateGeometry();
    }
    update();
}

QString ConfusionMatrixView::classLabel(int c) const
{
    const QString name = c >= 0 && c < classes() ? m_labels[c] : QString();
    return name.isEmpty() || name == QString::number(c) ? QString::number(c) : QStringLiteral("%1 (%2)").arg(name).arg(c);
}

void ConfusionMatrixView::setMatrix(const Matrix &matrix)
{
    m_matrix = matrix;
    m_matrix.resize(std::size_t(classes()), std::vector<int>(std::size_t(classes()), 0));
    for (auto &row : m_matrix)
        row.resize(std::size_t(classes()), 0);
    m_has = true;
    update();
    notifyAccessibility();
}

void ConfusionMatrixView::clear()
{
    m_matrix = core::emptyConfusion(classes());
    m_has = false;
    update();
    notifyAccessibility();
}

void ConfusionMatrixView::setSelection(int trueDigit, int predictedDigit)
{
    m_selTrue = trueDigit;
    m_selPredicted = predictedDigit;
    update();
}

void ConfusionMatrixView::notifyAccessibility()
{
    if (!QAccessible::isActive())
        return;
    QAccessibleTableModelChangeEvent event(this, QAccessibleTableModelChangeEvent::DataChanged);
    event.setFirstRow(0);
    event.setLastRow(classes() - 1);
    event.setFirstColumn(0);
    event.setLastColumn(classes());
    QAccessible::updateAccessibility(&event);
}

ConfusionMatrixView::Geometry ConfusionMatrixView::geometry() const
{
    Geometry g;
    const QFontMetrics fm = fontMetrics();
    g.header = fm.height() + 8;
    g.accuracy = fm.horizontalAdvance(QStringLiteral("100.0%")) + 10;
    // The title row ("predicted →") sits above the column labels.
    const int top = fm.height() + 2 + g.header;
    const int left = g.header + fm.height() + 2;
    g.cell = std::max(12, std::min((width() - left - g.accuracy) / classes(), (height() - top) / classes()));
    const int used = left + g.cell * classes() + g.accuracy;
    g.origin = QPoint(left + std::max(0, (width() - used) / 2), top);
    return g;
}

QRect ConfusionMatrixView::cellRect(int t, int p) const
{
    const Geometry g = geometry();
    return {g.origin.x() + p * g.cell, g.origin.y() + t * g.cell, g.cell, g.cell};
}

std::pair<int, int> ConfusionMatrixView::hit(QPoint pos) const
{
    const Geometry g = geometry();
    const int col = pos.x() >= g.origin.x() ? (pos.x() - g.origin.x()) / g.cell : -1;
    const int row = pos.y() >= g.origin.y() ? (pos.y() - g.origin.y()) / g.cell : -1;
    const bool inCols = col >= 0 && col < classes();
    const bool inRows = row >= 0 && row < classes();
    if (inCols && inRows)
        return {row, col};
    if (inRows && pos.x() < g.origin.x() && pos.x() >= g.origin.x() - g.header)
        return {row, -1}; // row header: every image of that true digit
    if (inCols && pos.y() < g.origin.y() && pos.y() >= g.origin.y() - g.header)
        return {-1, col}; // column header: every image predicted as that digit
    return {-2, -2};
}

QSize ConfusionMatrixView::sizeHint() const
{
    // Modest: the side panel's scroll area sizes its content by the preferred heights (a word-
    // wrapped label makes it height-for-width), so a large hint pushed row 9 under its scroll bar
    // at the default window size (issue 16 item 9). The matrix grows into the room it is given.
    const QFontMetrics fm = fontMetrics();
    const int cell = fm.height() + 6;
    const int header = fm.height() + 8;
    return {header + fm.height() + 2 + cell * classes() + fm.horizontalAdvance(QStringLiteral("100.0%")) + 10,
            fm.height() + 2 + header + cell * classes()};
}

QSize ConfusionMatrixView::minimumSizeHint() const
{
    const QFontMetrics fm = fontMetrics();
    return {fm.height() * 3 + 18 * classes() + fm.horizontalAdvance(QStringLiteral("100.0%")), fm.height() * 3 + 18 * classes()};
}

void ConfusionMatrixView::paintEvent(QPaintEvent *)
{
    QPainter p(this);
    const Geometry g = geometry();
    paintLabels(p, g);
    paintCells(p, g);
    paintSelection(p);
}

void ConfusionMatrixView::paintLabels(QPainter &p, const Geometry &g) const
{
    const QPalette pal = palette();
    const QFontMetrics fm = fontMetrics();
    QFont bold = font();
    bold.setBold(true);
    // Axis titles.
    p.setPen(pal.color(QPalette::WindowText));
    p.drawText(QRect(g.origin.x(), 0, g.cell * classes(), fm.height() + 2), Qt::AlignCenter, tr("predicted →"));
    p.save();
    p.translate(g.origin.x() - g.header - 2, g.origin.y() + g.cell * classes() / 2);
    p.rotate(-90);
    p.drawText(QRect(-g.cell * classes() / 2, -fm.height(), g.cell * classes(), fm.height()), Qt::AlignCenter, tr("← true")); // reads upwards: the arrow points down the rows
    p.restore();
    p.drawText(QRect(g.origin.x() + g.cell * classes(), g.origin.y() - g.header, g.accuracy, g.header), Qt::AlignCenter,
               tr("acc."));

    for (int i = 0; i < classes(); ++i) {
        p.setFont(i == m_selTrue ? bold : font());
        p.setPen(i == m_selTrue ? kSelection : pal.color(QPalette::WindowText));
        p.drawText(QRect(g.origin.x() - g.header, g.origin.y() + i * g.cell, g.header, g.cell), Qt::AlignCenter,
                   QString::number(i));
        p.setFont(i == m_selPredicted ? bold : font());
        p.setPen(i == m_selPredicted ? kSelection : pal.color(QPalette::WindowText));
        p.drawText(QRect(g.origin.x() + i * g.cell, g.origin.y() - g.header, g.cell, g.header), Qt::AlignCenter,
                   QString::number(i));
    }
}

QColor ConfusionMatrixView::cellColour(const core::Confusion &confusion, int t, int q) const
{
    const int count = m_matrix[t][q];
    if (!m_has || count <= 0)
        return kEmpty;
    if (t == q) // share of the row that is right: 90% .. 100% spans the scale
        return mix(kRightLow, kRightFull, (confusion.classAccuracy(t) - 0.9) / 0.1);
    // Square root: a handful of mistakes must still show up against the worst pair.
    const int maxWrong = confusion.maxMistakes();
    return mix(kWrongLow, kWrongFull, maxWrong ? std::sqrt(double(count) / maxWrong) : 0);
}

void ConfusionMatrixView::paintCells(QPainter &p, const Geometry &g) const
{
    const core::Confusion confusion = core::confusionOf(m_matrix);
    QFont small = font();
    if (g.cell < fontMetrics().horizontalAdvance(QStringLiteral("0000")) + 4)
        small.setPointSizeF(std::max(6.0, small.pointSizeF() * 0.8));
    p.setFont(small);
    for (int t = 0; t < classes(); ++t) {
        for (int q = 0; q < classes(); ++q) {
            const QRect r = cellRect(t, q);
            const int count = m_matrix[t][q];
            const QColor fill = cellColour(confusion, t, q);
            p.fillRect(r, fill);
            p.setPen(QColor(0xdd, 0xdd, 0xdd));
            p.drawRect(r.adjusted(0, 0, -1, -1));
            if (m_has && count > 0) {
                p.setPen(fill.lightnessF() < 0.55 ? Qt::white : QColor(0x20, 0x20, 0x20));
                p.drawText(r, Qt::AlignCenter, QString::number(count));
            }
        }
        if (m_has) {
            p.setPen(palette().color(QPalette::WindowText));
            p.drawText(QRect(g.origin.x() + g.cell * classes(), g.origin.y() + t * g.cell, g.accuracy, g.cell),
                       Qt::AlignRight | Qt::AlignVCenter,
                       QStringLiteral("%1%").arg(confusion.classAccuracy(t) * 100, 0, 'f', 1));
        }
    }
}

// The filter the grid shows: a cell, a row or a column.
void ConfusionMatrixView::paintSelection(QPainter &p) const
{
    p.setPen(QPen(kSelection, 2.5));
    p.setBrush(Qt::NoBrush);
    if (m_selTrue >= 0 && m_selPredicted >= 0)
        p.drawRect(cellRect(m_selTrue, m_selPredicted).adjusted(1, 1, -1, -1));
    else if (m_selTrue >= 0)
        p.drawRect(cellRect(m_selTrue, 0).united(cellRect(m_selTrue, classes() - 1)).adjusted(1, 1, -1, -1));
    else if (m_selPredicted >= 0)
        p.drawRect(cellRect(0, m_selPredicted).united(cellRect(classes() - 1, m_selPredicted)).adjusted(1, 1, -1, -1));
}

void ConfusionMatrixView::mousePressEvent(QMouseEvent *event)
{
    if (event->button() != Qt::LeftButton)
        return QWidget::mousePressEvent(event);
    const auto [t, q] = hit(event->position().toPoint());
    if (t == -2 || (t < 0 && q < 0))
        return;
    Q_EMIT cellClicked(t, q);
    event->accept();
}

bool ConfusionMatrixView::event(QEvent *event)
{
    if (event->type() == QEvent::ToolTip) {
        auto *help = static_cast<QHelpEvent *>(event);
        const auto [t, q] = hit(help->pos());
        QString text;
        if (t >= 0 && q >= 0)
            text = m_has ? tr("%1 image(s) of a %2 predicted as %3").arg(m_matrix[t][q]).arg(classLabel(t), classLabel(q))
                         : tr("true %1, predicted %2").arg(classLabel(t), classLabel(q));
        else if (t >= 0)
            text = tr("Show every %1").arg(classLabel(t));
        else if (q >= 0)
            text = tr("Show everything predicted as %1").arg(classLabel(q));
        if (text.isEmpty())
            QToolTip::hideText();
        else
            QToolTip::showText(help->globalPos(), text, this);
        return true;
    }
    return QWidget::event(event);
}

} // namespace ui
