#include "ui/browse/testsetmodel.h"
#include "core/mnist.h"

namespace ui {

TestSetModel::TestSetModel(QObject *parent) : QAbstractListModel(parent) {}
TestSetModel::~TestSetModel() = default;

void TestSetModel::setTestSet(std::shared_ptr<const core::MnistSet> set)
{
    beginResetModel();
    m_set = std::move(set);
    m_predictions.clear();
    endResetModel();
}

void TestSetModel::setPredictions(std::vector<core::Prediction> predictions)
{
    if (!m_set || int(predictions.size()) != m_set->count)
        return;
    m_predictions = std::move(predictions);
    if (m_set->count > 0)
        Q_EMIT dataChanged(index(0), index(m_set->count - 1));
}

void TestSetModel::clearPredictions()
{
    if (m_predictions.empty())
        return;
    m_predictions.clear();
    if (m_set && m_set->count > 0)
        Q_EMIT dataChanged(index(0), index(m_set->count - 1));
}

int TestSetModel::label(int row) const
{
    return m_set ? int(m_set->labels[std::size_t(row)]) : -1;
}

const core::Prediction *TestSetModel::prediction(int row) const
{
    return m_predictions.empty() ? nullptr : &m_predictions[std::size_t(row)];
}

QImage TestSetModel::image(int row) const
{
    if (!m_set || row < 0 || row >= m_set->count)
        return {};
    // Wraps the set's bytes without copying; the caller uses it while the set is alive (this
    // model holds it), which is the duration of a paint.
    return QImage(m_set->image(row), m_set->cols, m_set->rows, m_set->cols, QImage::Format_Grayscale8);
}

int TestSetModel::rowCount(const QModelIndex &parent) const
{
    return (parent.isValid() || !m_set) ? 0 : m_set->count;
}

QVariant TestSetModel::data(const QModelIndex &index, int role) const
{
    if (!index.isValid() || !m_set || index.row() >= m_set->count)
        return {};
    const int row = index.row();
    const core::Prediction *p = prediction(row);
    switch (role) {
    case ImageRole:
        return image(row);
    case TrueLabelRole:
        return label(row);
    case PredictedRole:
        return p ? p->digit : -1;
    case ConfidenceRole:
        return p ? p->confidence : 0.f;
    case CorrectRole:
        return p && p->digit == label(row);
    case PredictionRole:
        return p ? QVariant::fromValue(*p) : QVariant();
    case IndexRole:
        return row;
    case Qt::DisplayRole:
        return p ? tr("%1 → %2").arg(label(row)).arg(p->digit) : QString::number(label(row));
    case Qt::ToolTipRole:
    case Qt::AccessibleTextRole:
        if (!p)
            return tr("Test image %1: true %2").arg(row).arg(label(row));
        return tr("Test image %1: true %2, predicted %3 (%4%)")
            .arg(row)
            .arg(label(row))
            .arg(p->digit)
            .arg(double(p->confidence) * 100, 0, 'f', 1);
    default:
        return {};
    }
}

QHash<int, QByteArray> TestSetModel::roleNames() const
{
    QHash<int, QByteArray> names = QAbstractListModel::roleNames();
    names[ImageRole] = "image";
    names[TrueLabelRole] = "trueLabel";
    names[PredictedRole] = "predicted";
    names[ConfidenceRole] = "confidence";
    names[CorrectRole] = "correct";
    names[PredictionRole] = "prediction";
    names[IndexRole] = "testIndex";
    return names;
}

} // namespace ui
