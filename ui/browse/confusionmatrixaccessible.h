#pragma once
#include <QAccessibleWidget>
#include <QHash>

namespace ui {

class ConfusionMatrixView;

/// The confusion matrix as a screen reader walks it (issue 16 section 3): a table of 10 rows
/// (true digit) and 11 columns (the predicted digit, then the class accuracy) whose cells read
/// "3 predicted as 5: 12 images". The view paints itself, so without this it was one picture
/// with no counts. Cells are computed from the view on demand; only their ids are kept.
class ConfusionMatrixAccessible : public QAccessibleWidget, public QAccessibleTableInterface {
public:
    explicit ConfusionMatrixAccessible(ConfusionMatrixView *view);
    ~ConfusionMatrixAccessible() override;

    /// QAccessible's factory hook: the interface for a ConfusionMatrixView, else null.
    static QAccessibleInterface *factory(const QString &className, QObject *object);

    ConfusionMatrixView *view() const;
    /// The words of a cell (column kClasses: the row's accuracy).
    QString cellText(int row, int column) const;

    // QAccessibleInterface
    void *interface_cast(QAccessible::InterfaceType type) override;
    int childCount() const override;
    QAccessibleInterface *child(int index) const override;
    int indexOfChild(const QAccessibleInterface *child) const override;

    // QAccessibleTableInterface
    QAccessibleInterface *caption() const override { return nullptr; }
    QAccessibleInterface *summary() const override { return nullptr; }
    QAccessibleInterface *cellAt(int row, int column) const override;
    int selectedCellCount() const override { return 0; }
    QList<QAccessibleInterface *> selectedCells() const override { return {}; }
    QString columnDescription(int column) const override;
    QString rowDescription(int row) const override;
    int selectedColumnCount() const override { return 0; }
    int selectedRowCount() const override { return 0; }
    int columnCount() const override;
    int rowCount() const override;
    QList<int> selectedColumns() const override { return {}; }
    QList<int> selectedRows() const override { return {}; }
    bool isColumnSelected(int) const override { return false; }
    bool isRowSelected(int) const override { return false; }
    bool selectRow(int) override { return false; }
    bool selectColumn(int) override { return false; }
    bool unselectRow(int) override { return false; }
    bool unselectColumn(int) override { return false; }
    void modelChange(QAccessibleTableModelChangeEvent *) override {}

private:
    mutable QHash<int, QAccessible::Id> m_cells; ///< row * columnCount() + column -> registered cell
};

} // namespace ui
