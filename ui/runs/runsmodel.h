#pragma once
#include "core/runstore.h"
#include <QAbstractTableModel>
#include <functional>
#include <vector>

namespace ui {

/// The runs as a table (the Runs tab): one row per run, newest last. Name and Note are
/// editable; an edit is handed to the edit hook (the tab writes it to the store) and kept only
/// when that succeeds. Qt::UserRole gives each cell's value for sorting (numbers as numbers).
class RunsModel : public QAbstractTableModel {
    Q_OBJECT
public:
    enum Column { Name, Started, Network, Dataset, LearningRate, BatchSize, Epochs, Seed, FinalAccuracy, BestAccuracy,
                  Time, ImagesPerSecond, Status, Note, ColumnCount };
    /// Writes a renamed run or its note (column Name or Note); false refuses the edit.
    using EditHook = std::function<bool(qint64 id, Column column, const QString &text)>;

    explicit RunsModel(QObject *parent = nullptr);

    void setRuns(std::vector<core::RunRecord> runs);
    /// Replaces one run's row (or appends it): the live run as it trains.
    void updateRun(const core::RunRecord &run);
    void setEditHook(EditHook hook) { m_edit = std::move(hook); }

    const core::RunRecord &run(int row) const { return m_runs[std::size_t(row)]; }
    const std::vector<core::RunRecord> &runs() const { return m_runs; }
    int rowOf(qint64 id) const;

    int rowCount(const QModelIndex &parent = {}) const override;
    int columnCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role) const override;
    Qt::ItemFlags flags(const QModelIndex &index) const override;
    bool setData(const QModelIndex &index, const QVariant &value, int role) override;

private:
    std::vector<core::RunRecord> m_runs;
    EditHook m_edit;
};

} // namespace ui
