#include "ui/browse/testsetfilter.h"
#include "ui/browse/testsetmodel.h"

namespace ui {

TestSetFilter::TestSetFilter(TestSetModel *source, QObject *parent)
    : QSortFilterProxyModel(parent), m_source(source)
{
    // Predictions arrive as one dataChanged over all rows; refresh() re-filters once instead of
    // the proxy re-examining rows on every change.
    setDynamicSortFilter(false);
    setSourceModel(source);
}

void TestSetFilter::setCriteria(const Criteria &criteria)
{
    if (criteria == m_criteria)
        return;
    m_criteria = criteria;
    if (m_sortKey == SortKey::Index) {
        invalidateRowsFilter();
        return;
    }
    // With dynamic sorting off, the proxy appends rows a filter change lets back in at the end,
    // unsorted (issue 9 item 5: after "Show all", 1->6 and 1->1 rows came before the mistakes).
    // invalidate() filters and sorts in one pass (a layout change: the view keeps its selection).
    invalidate();
}

void TestSetFilter::setSortKey(SortKey key)
{
    m_sortKey = key;
    if (key == SortKey::Index)
        sort(-1); // back to source order
    else
        sort(0, Qt::AscendingOrder);
    // sort() returns early if the column and order did not change: switching between two score
    // keys needs an explicit re-sort.
    invalidate();
}

void TestSetFilter::refresh()
{
    invalidate();
}

int TestSetFilter::proxyRowOf(int testIndex) const
{
    if (testIndex < 0 || testIndex >= m_source->rowCount())
        return -1;
    const QModelIndex proxy = mapFromSource(m_source->index(testIndex));
    return proxy.isValid() ? proxy.row() : -1;
}

bool TestSetFilter::filterAcceptsRow(int sourceRow, const QModelIndex &) const
{
    const Criteria &c = m_criteria;
    if (c.trueDigit >= 0 && m_source->label(sourceRow) != c.trueDigit)
        return false;
    if (c.predictedDigit < 0 && !c.errorsOnly)
        return true;
    const core::Prediction *p = m_source->prediction(sourceRow);
    if (!p) // nothing is known to be predicted (or wrong) yet
        return false;
    if (c.predictedDigit >= 0 && p->digit != c.predictedDigit)
        return false;
    return !c.errorsOnly || p->digit != m_source->label(sourceRow);
}

float TestSetFilter::sortScore(int row) const
{
    const core::Prediction *p = m_source->prediction(row);
    if (!p)
        return 0.f;
    if (m_sortKey == SortKey::LeastConfidentFirst)
        return p->confidence;
    // Mistakes land in [-2, -1] (most confident first), correct ones in [0, 1] (least sure first).
    return p->digit != m_source->label(row) ? -1.f - p->confidence : p->confidence;
}

bool TestSetFilter::lessThan(const QModelIndex &left, const QModelIndex &right) const
{
    const float a = sortScore(left.row());
    const float b = sortScore(right.row());
    if (a != b)
        return a < b;
    return left.row() < right.row(); // stable, deterministic ties
}

} // namespace ui
