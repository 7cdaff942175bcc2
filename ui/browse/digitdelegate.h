#pragma once
#include <QStyledItemDelegate>

namespace ui {

/// Paints one test image of the Browse grid: the digit enlarged with crisp pixels, "true → predicted"
/// beneath, mistakes tinted red. Fixed cell size, so the view can lay out 10,000 cells uniformly.
class DigitDelegate : public QStyledItemDelegate {
    Q_OBJECT
public:
    /// Each MNIST pixel becomes kScale x kScale screen pixels in the grid.
    static constexpr int kScale = 2;

    explicit DigitDelegate(QObject *parent = nullptr);

    void paint(QPainter *painter, const QStyleOptionViewItem &option, const QModelIndex &index) const override;
    QSize sizeHint(const QStyleOptionViewItem &option, const QModelIndex &index) const override;
};

} // namespace ui
