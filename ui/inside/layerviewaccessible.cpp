#include "layerviewaccessible.h"
#include "layerview.h"

namespace ui {

namespace {

/// One row: not a QObject, so it is registered with QAccessible and owned by its cache.
class RowItem : public QAccessibleInterface {
public:
    RowItem(const LayerViewAccessible *list, int row) : m_list(list), m_row(row) {}

    bool isValid() const override { return m_list->isValid() && m_row < m_list->view()->rowCount(); }
    QObject *object() const override { return nullptr; }
    QWindow *window() const override { return m_list->window(); }
    QAccessibleInterface *parent() const override { return const_cast<LayerViewAccessible *>(m_list); }
    QAccessibleInterface *child(int) const override { return nullptr; }
    int childCount() const override { return 0; }
    int indexOfChild(const QAccessibleInterface *) const override { return -1; }
    QAccessibleInterface *childAt(int, int) const override { return nullptr; }
    QString text(QAccessible::Text t) const override
    {
        if (!isValid())
            return {};
        const LayerView *v = m_list->view();
        if (t == QAccessible::Name)
            return v->rowTitle(m_row);
        if (t == QAccessible::Description)
            return v->rowDescription(m_row);
        return {};
    }
    void setText(QAccessible::Text, const QString &) override {}
    QRect rect() const override
    {
        if (!isValid())
            return {};
        const LayerView *v = m_list->view();
        const QRect local = v->rowRect(m_row);
        return QRect(v->mapToGlobal(local.topLeft()), local.size());
    }
    QAccessible::Role role() const override { return QAccessible::ListItem; }
    QAccessible::State state() const override
    {
        QAccessible::State s;
        s.readOnly = true;
        s.focusable = true;
        if (isValid()) {
            const LayerView *v = m_list->view();
            s.focused = v->hasFocus() && v->currentRow() == m_row;
            s.selected = v->currentRow() == m_row;
        }
        return s;
    }

private:
    const LayerViewAccessible *m_list;
    int m_row;
};

} // namespace

LayerViewAccessible::LayerViewAccessible(LayerView *view) : QAccessibleWidget(view, QAccessible::List) {}

LayerViewAccessible::~LayerViewAccessible()
{
    for (QAccessible::Id id : std::as_const(m_rows))
        QAccessible::deleteAccessibleInterface(id);
}

QAccessibleInterface *LayerViewAccessible::factory(const QString &className, QObject *object)
{
    if (className == QLatin1String("ui::LayerView") && object && object->isWidgetType())
        return new LayerViewAccessible(static_cast<LayerView *>(object));
    return nullptr;
}

LayerView *LayerViewAccessible::view() const
{
    return static_cast<LayerView *>(widget());
}

int LayerViewAccessible::childCount() const
{
    return view()->rowCount();
}

QAccessibleInterface *LayerViewAccessible::child(int index) const
{
    if (index < 0 || index >= childCount())
        return nullptr;
    auto it = m_rows.constFind(index);
    if (it != m_rows.constEnd())
        return QAccessible::accessibleInterface(*it);
    auto *item = new RowItem(this, index);
    m_rows.insert(index, QAccessible::registerAccessibleInterface(item));
    return item;
}

int LayerViewAccessible::indexOfChild(const QAccessibleInterface *child) const
{
    for (auto it = m_rows.constBegin(); it != m_rows.constEnd(); ++it)
        if (QAccessible::accessibleInterface(it.value()) == child)
            return it.key();
    return -1;
}

QAccessibleInterface *LayerViewAccessible::focusChild() const
{
    return view()->hasFocus() ? child(view()->currentRow()) : nullptr;
}

} // namespace ui
