#include "ui/browse/digitdelegate.h"
#include "ui/browse/testsetmodel.h"
#include <QApplication>
#include <QPainter>

namespace ui {

namespace {
constexpr int kPad = 4;
const QColor kWrongFill(0xf3, 0xc4, 0xbf);
const QColor kWrongText(0xb0, 0x24, 0x18);
} // namespace

DigitDelegate::DigitDelegate(QObject *parent) : QStyledItemDelegate(parent) {}

QSize DigitDelegate::sizeHint(const QStyleOptionViewItem &option, const QModelIndex &) const
{
    const int image = core::kSide * kScale;
    return {image + 2 * kPad, image + 2 * kPad + option.fontMetrics.height() + 2};
}

void DigitDelegate::paint(QPainter *painter, const QStyleOptionViewItem &option, const QModelIndex &index) const
{
    painter->save();
    const QRect cell = option.rect.adjusted(1, 1, -1, -1);
    const int predicted = index.data(TestSetModel::PredictedRole).toInt();
    const int truth = index.data(TestSetModel::TrueLabelRole).toInt();
    const bool wrong = predicted >= 0 && predicted != truth;
    const bool selected = option.state & QStyle::State_Selected;
    const QPalette &pal = option.palette;

    if (selected)
        painter->fillRect(cell, pal.color(QPalette::Highlight));
    else if (wrong)
        painter->fillRect(cell, kWrongFill);
    if (wrong) {
        painter->setPen(QPen(kWrongText, selected ? 3 : 1));
        painter->drawRect(cell.adjusted(0, 0, -1, -1));
    }

    const QImage image = index.data(TestSetModel::ImageRole).value<QImage>();
    const int side = core::kSide * kScale;
    const QRect target(cell.left() + (cell.width() - side) / 2, cell.top() + kPad - 1, side, side);
    painter->setRenderHint(QPainter::SmoothPixmapTransform, false);
    painter->drawImage(target, image);

    const QRect textRect(cell.left(), target.bottom() + 2, cell.width(), cell.bottom() - target.bottom() - 2);
    QString text = QString::number(truth);
    if (predicted >= 0)
        text += QStringLiteral(" → ") + QString::number(predicted);
    QFont f = option.font;
    f.setBold(wrong);
    painter->setFont(f);
    painter->setPen(selected ? pal.color(QPalette::HighlightedText) : wrong ? kWrongText : pal.color(QPalette::Text));
    painter->drawText(textRect, Qt::AlignHCenter | Qt::AlignVCenter, text);

    if (option.state & QStyle::State_HasFocus) {
        painter->setPen(QPen(pal.color(QPalette::Highlight).darker(140), 1, Qt::DotLine));
        painter->drawRect(cell.adjusted(1, 1, -2, -2));
    }
    painter->restore();
}

} // namespace ui
