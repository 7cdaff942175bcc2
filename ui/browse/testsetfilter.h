#pragma once
#include <QSortFilterProxyModel>

namespace ui {

class TestSetModel;

/// Filters and sorts the test-set grid. Filter changes go through invalidateRowsFilter(), which
/// inserts and removes rows (no model reset): the view keeps its scroll state and persistent
/// indexes, so the selection survives whenever the selected image is still shown. Reads the
/// source's arrays directly rather than through QVariant, so refiltering 10,000 rows is cheap.
class TestSetFilter : public QSortFilterProxyModel {
    Q_OBJECT
public:
    /// What to show. Criteria combine: {true 4, predicted 9} is one confusion-matrix cell.
    struct Criteria {
        int trueDigit = -1;      ///< 0..9, or -1 for any
        int predictedDigit = -1; ///< 0..9, or -1 for any
        bool errorsOnly = false; ///< only misclassified images
        bool operator==(const Criteria &) const = default;
    };
    enum class SortKey {
        Index,                 ///< test-set order
        ConfidentlyWrongFirst, ///< mistakes by falling confidence, then correct ones by rising confidence
        LeastConfidentFirst,   ///< rising confidence of the prediction
    };

    explicit TestSetFilter(TestSetModel *source, QObject *parent = nullptr);

    void setCriteria(const Criteria &criteria);
    const Criteria &criteria() const { return m_criteria; }
    void setSortKey(SortKey key);
    SortKey sortKey() const { return m_sortKey; }
    /// Re-applies the filter and the sort after the source's predictions changed.
    void refresh();
    /// The proxy row showing a test image, or -1 when it is filtered out.
    int proxyRowOf(int testIndex) const;

protected:
    bool filterAcceptsRow(int sourceRow, const QModelIndex &sourceParent) const override;
    bool lessThan(const QModelIndex &left, const QModelIndex &right) const override;

private:
    float sortScore(int row) const;

    TestSetModel *m_source;
    Criteria m_criteria;
    SortKey m_sortKey = SortKey::Index;
};

} // namespace ui
