#include "ui/runs/runsmodel.h"
#include "ui/runs/runcurves.h"
#include "core/metrics.h"
#include <QLocale>

namespace ui {

RunsModel::RunsModel(QObject *parent) : QAbstractTableModel(parent) {}

void RunsModel::setRuns(std::vector<core::RunRecord> runs)
{
    beginResetModel();
    m_runs = std::move(runs);
    endResetModel();
}

void RunsModel::updateRun(const core::RunRecord &run)
{
    const int row = rowOf(run.id);
    if (row >= 0) {
        m_runs[std::size_t(row)] = run;
        Q_EMIT dataChanged(index(row, 0), index(row, ColumnCount - 1));
        return;
    }
    beginInsertRows({}, int(m_runs.size()), int(m_runs.size()));
    m_runs.push_back(run);
    endInsertRows();
}

int RunsModel::rowOf(qint64 id) const
{
    for (std::size_t i = 0; i < m_runs.size(); ++i)
        if (m_runs[i].id == id)
            return int(i);
    return -1;
}

int RunsModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : int(m_runs.size());
}

int RunsModel::columnCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

namespace {

QString durationText(double seconds)
{
    if (seconds < 60)
        return QStringLiteral("%1 s").arg(seconds, 0, 'f', 1);
    const qint64 s = qint64(seconds + 0.5);
    return s < 3600 ? QStringLiteral("%1:%2 min").arg(s / 60).arg(s % 60, 2, 10, QLatin1Char('0'))
                    : QStringLiteral("%1:%2 h").arg(s / 3600).arg((s % 3600) / 60, 2, 10, QLatin1Char('0'));
}

} // namespace

QVariant RunsModel::data(const QModelIndex &index, int role) const
{
    if (!index.isValid() || index.row() >= int(m_runs.size()))
        return {};
    const auto &r = m_runs[std::size_t(index.row())];
    const auto column = Column(index.column());
    if (role == Qt::DecorationRole && column == Name)
        return runcurves::runColor(r.id);
    if (role == Qt::ToolTipRole) {
        if (column == Network)
            return r.network;
        if (column == Status && !r.message.isEmpty())
            return r.message;
        if (column == Dataset)
            return tr("checksum %1").arg(r.datasetChecksum);
        return {};
    }
    if (role == Qt::UserRole) { // sort keys
        switch (column) {
        case Started: return r.started;
        case LearningRate: return r.learningRate;
        case BatchSize: return r.batchSize;
        case Epochs: return r.epochsDone;
        case Seed: return r.seed.toULongLong();
        case FinalAccuracy: return r.finalTestAccuracy;
        case BestAccuracy: return r.bestTestAccuracy;
        case Time: return r.wallSeconds;
        case ImagesPerSecond: return r.imagesPerSecond;
        default: return data(index, Qt::DisplayRole);
        }
    }
    if (role != Qt::DisplayRole && role != Qt::EditRole)
        return {};
    const auto percent = [](double v) { return v < 0 ? QStringLiteral("–") : core::percentText(v); };
    switch (column) {
    case Name: return role == Qt::EditRole ? r.name : r.displayName();
    case Started: return QLocale().toString(r.started.toLocalTime(), QLocale::ShortFormat);
    case Network: return r.networkShort;
    case Dataset: return r.datasetId;
    case LearningRate: return QString::number(r.learningRate, 'g', 6);
    case BatchSize: return r.batchSize;
    case Epochs: return r.epochsDone == r.epochs ? QString::number(r.epochs) : QStringLiteral("%1 / %2").arg(r.epochsDone).arg(r.epochs);
    case Seed: return r.seed;
    case FinalAccuracy: return percent(r.finalTestAccuracy);
    case BestAccuracy: return percent(r.bestTestAccuracy);
    case Time: return durationText(r.wallSeconds);
    case ImagesPerSecond: return r.imagesPerSecond > 0 ? QLocale().toString(qint64(r.imagesPerSecond)) : QString();
    case Status: return core::runStatusText(r.status);
    case Note: return r.note;
    case ColumnCount: break;
    }
    return {};
}

QVariant RunsModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole)
        return {};
    static const char *const names[] = {QT_TR_NOOP("Name"), QT_TR_NOOP("Started"), QT_TR_NOOP("Network"), QT_TR_NOOP("Dataset"),
                                        QT_TR_NOOP("Learning rate"), QT_TR_NOOP("Batch"), QT_TR_NOOP("Epochs"), QT_TR_NOOP("Seed"),
                                        QT_TR_NOOP("Final test acc."), QT_TR_NOOP("Best test acc."), QT_TR_NOOP("Time"),
                                        QT_TR_NOOP("Images/s"), QT_TR_NOOP("Ended"), QT_TR_NOOP("Note")};
    return section >= 0 && section < ColumnCount ? tr(names[section]) : QVariant();
}

Qt::ItemFlags RunsModel::flags(const QModelIndex &index) const
{
    auto f = QAbstractTableModel::flags(index);
    if (index.column() == Name || index.column() == Note)
        f |= Qt::ItemIsEditable;
    return f;
}

bool RunsModel::setData(const QModelIndex &index, const QVariant &value, int role)
{
    if (role != Qt::EditRole || !index.isValid() || (index.column() != Name && index.column() != Note))
        return false;
    auto &r = m_runs[std::size_t(index.row())];
    const QString text = value.toString().trimmed();
    if (m_edit && !m_edit(r.id, Column(index.column()), text))
        return false;
    (index.column() == Name ? r.name : r.note) = text;
    Q_EMIT dataChanged(index, index);
    return true;
}

} // namespace ui
