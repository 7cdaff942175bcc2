#pragma once
#include <QAccessibleWidget>
#include <QHash>

namespace ui {

class LayerView;

/// The layer view as a screen reader walks it (issue 18): a list whose items are the rows, each
/// named as the row ("4 MaxPool2d(2) 32x13x13") and described by what it shows ("32 maps of
/// 13×13, largest magnitude 2.1; showing 1–75 of 128"). The view paints itself, so without this
/// it was one picture. Items are made on demand; only their ids are kept.
class LayerViewAccessible : public QAccessibleWidget {
public:
    explicit LayerViewAccessible(LayerView *view);
    ~LayerViewAccessible() override;

    /// QAccessible's factory hook: the interface for a LayerView, else null.
    static QAccessibleInterface *factory(const QString &className, QObject *object);

    LayerView *view() const;

    int childCount() const override;
    QAccessibleInterface *child(int index) const override;
    int indexOfChild(const QAccessibleInterface *child) const override;
    QAccessibleInterface *focusChild() const override;

private:
    mutable QHash<int, QAccessible::Id> m_rows; ///< row -> registered item
};

} // namespace ui
