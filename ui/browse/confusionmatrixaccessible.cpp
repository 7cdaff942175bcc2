#include "ui/browse/confusionmatrixaccessible.h"
#include "ui/browse/confusionmatrixview.h"
#include "core/metrics.h"
#include <QCoreApplication>

namespace ui {

namespace {


[[maybe_unused]] QString tr(const char *text)
{
    return QCoreApplication::translate("ui::ConfusionMatrixView", text);
}

/// One cell: not a QObject, so it is registered with QAccessible and owned by its cache.
class Cell : public QAccessibleInterface, public QAccessibleTableCellInterface {
public:
    Cell(const ConfusionMatrixAccessible *table, int row, int column) : m_table(table), m_row(row), m_column(column) {}

    bool isValid() const override { return m_table->isValid(); }
    QObject *object() const override { return nullptr; }
    QWindow *window() const override { return m_table->window(); }
    QAccessibleInterface *parent() const override { return const_cast<ConfusionMatrixAccessible *>(m_table); }
    QAccessibleInterface *child(int) const override { return nullptr; }
    int childCount() const override { return 0; }
    int indexOfChild(const QAccessibleInterface *) const override { return -1; }
    QAccessibleInterface *childAt(int, int) const override { return nullptr; }
    QString text(QAccessible::Text t) const override
    {
        if (t == QAccessible::Name)
            return m_table->cellText(m_row, m_column);
        if (t == QAccessible::Value && m_column < m_table->view()->classes() && m_table->view()->hasMatrix())
            return QString::number(m_table->view()->matrix()[std::size_t(m_row)][std::size_t(m_column)]);
        return {};
    }
    void setText(QAccessible::Text, const QString &) override {}
    QRect rect() const override
    {
        ConfusionMatrixView *v = m_table->view();
        const QRect local = m_column < m_table->view()->classes() ? v->cellRect(m_row, m_column)
                                          : v->cellRect(m_row, v->classes() - 1).translated(v->cellRect(0, 1).x() - v->cellRect(0, 0).x(), 0);
        return QRect(v->mapToGlobal(local.topLeft()), local.size());
    }
    QAccessible::Role role() const override { return QAccessible::Cell; }
    QAccessible::State state() const override
    {
        QAccessible::State s;
        s.readOnly = true;
        return s;
    }
    void *interface_cast(QAccessible::InterfaceType type) override
    {
        return type == QAccessible::TableCellInterface ? static_cast<QAccessibleTableCellInterface *>(this) : nullptr;
    }

    bool isSelected() const override { return false; }
    QList<QAccessibleInterface *> columnHeaderCells() const override { return {}; }
    QList<QAccessibleInterface *> rowHeaderCells() const override { return {}; }
    int columnIndex() const override { return m_column; }
    int rowIndex() const override { return m_row; }
    int columnExtent() const override { return 1; }
    int rowExtent() const override { return 1; }
    QAccessibleInterface *table() const override { return parent(); }

private:
    const ConfusionMatrixAccessible *m_table;
    int m_row;
    int m_column;
};

} // namespace

ConfusionMatrixAccessible::ConfusionMatrixAccessible(ConfusionMatrixView *view)
    : QAccessibleWidget(view, QAccessible::Table)
{
}

ConfusionMatrixAccessible::~ConfusionMatrixAccessible()
{
    for (QAccessible::Id id : std::as_const(m_cells))
        QAccessible::deleteAccessibleInterface(id);
}

QAccessibleInterface *ConfusionMatrixAccessible::factory(const QString &className, QObject *object)
{
    if (className == QLatin1String("ui::ConfusionMatrixView") && object && object->isWidgetType())
        return new ConfusionMatrixAccessible(static_cast<ConfusionMatrixView *>(object));
    return nullptr;
}

ConfusionMatrixView *ConfusionMatrixAccessible::view() const
{
    return static_cast<ConfusionMatrixView *>(widget());
}

QString ConfusionMatrixAccessible::cellText(int row, int column) const
{
    const ConfusionMatrixView *v = view();
    const int n = v->classes();
    const QString r = v->classLabel(row), c = column < n ? v->classLabel(column) : QString();
    if (!v->hasMatrix())
        return column < n ? tr("%1 predicted as %2: no predictions yet").arg(r, c)
                          : tr("accuracy on %1: no predictions yet").arg(r);
    const auto &m = v->matrix();
    if (column < n) {
        const int count = m[std::size_t(row)][std::size_t(column)];
        return count == 1 ? tr("%1 predicted as %2: 1 image").arg(r, c)
                          : tr("%1 predicted as %2: %3 images").arg(r, c).arg(count);
    }
    return tr("accuracy on %1: %2").arg(r, core::percentText(core::confusionOf(m).classAccuracy(row)));
}

void *ConfusionMatrixAccessible::interface_cast(QAccessible::InterfaceType type)
{
    if (type == QAccessible::TableInterface)
        return static_cast<QAccessibleTableInterface *>(this);
    return QAccessibleWidget::interface_cast(type);
}

int ConfusionMatrixAccessible::rowCount() const
{
    return view()->classes();
}

int ConfusionMatrixAccessible::columnCount() const
{
    return view()->classes() + 1;
}

int ConfusionMatrixAccessible::childCount() const
{
    return rowCount() * columnCount();
}

QAccessibleInterface *ConfusionMatrixAccessible::child(int index) const
{
    if (index < 0 || index >= childCount())
        return nullptr;
    return cellAt(index / columnCount(), index % columnCount());
}

int ConfusionMatrixAccessible::indexOfChild(const QAccessibleInterface *child) const
{
    if (!child || child->role() != QAccessible::Cell)
        return -1;
    auto *cell = const_cast<QAccessibleInterface *>(child)->tableCellInterface();
    return cell && cell->table() == this ? cell->rowIndex() * columnCount() + cell->columnIndex() : -1;
}

QAccessibleInterface *ConfusionMatrixAccessible::cellAt(int row, int column) const
{
    if (row < 0 || row >= rowCount() || column < 0 || column >= columnCount())
        return nullptr;
    const int key = row * columnCount() + column;
    if (auto it = m_cells.constFind(key); it != m_cells.constEnd())
        return QAccessible::accessibleInterface(*it);
    auto *cell = new Cell(this, row, column);
    m_cells.insert(key, QAccessible::registerAccessibleInterface(cell));
    return cell;
}

QString ConfusionMatrixAccessible::columnDescription(int column) const
{
    return column < view()->classes() ? tr("predicted %1").arg(view()->classLabel(column)) : tr("class accuracy");
}

QString ConfusionMatrixAccessible::rowDescription(int row) const
{
    return tr("true %1").arg(view()->classLabel(row));
}

} // namespace ui
