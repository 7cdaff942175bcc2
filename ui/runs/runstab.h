#pragma once
#include "core/types.h"
#include <QHash>
#include <QWidget>
#include <functional>
#include <memory>

class QLabel;
class QLineEdit;
class QPushButton;
class QSortFilterProxyModel;
class QTableView;
class QTimer;

namespace core {
class RunStore;
struct RunCurves;
}

namespace ui {

class RunCharts;
class RunRecording;
class RunsModel;
class TrainingController;

/// The Runs tab (issue 19): every recorded run in a sortable, filterable table (name and note
/// editable), the selected runs' curves overlaid (RunCharts), the difference of two runs, delete
/// with undo, open a run's checkpoint, train again from its settings, and exports (the table and
/// the selected curves as CSV, the charts as PNG). The Train tab's run appears as it trains: the
/// tab records the controller's runs (RunRecording) and shows each commit.
///
/// Reads and edits go through its own core::RunStore connection on the GUI thread (WAL: a read
/// never waits for the recorder). A database that cannot be opened is said once, above the
/// table; training is never affected.
class RunsTab : public QWidget {
    Q_OBJECT
public:
    /// Asks where to save an export (empty: cancelled). Default: QFileDialog.
    using SavePathPrompt = std::function<QString(const QString &title, const QString &suggestion, const QString &filter)>;

    /// Records controller's runs into databasePath (empty: core::RunStore::defaultPath()).
    explicit RunsTab(TrainingController *controller, const QString &databasePath = {}, QWidget *parent = nullptr);
    ~RunsTab() override;

    void setSavePathPrompt(SavePathPrompt prompt) { m_savePath = std::move(prompt); }
    QString databasePath() const { return m_path; }
    /// The database's problem, if any ("" when it works).
    QString errorText() const;

    /// Reads every run again from the database.
    void reload();
    QList<qint64> selectedRunIds() const;
    /// Selects exactly these runs (the charts follow).
    void selectRuns(const QList<qint64> &ids);

    /// Hides the selected runs (undo brings them back; they are deleted for good at the next
    /// start). Returns how many.
    int deleteSelected();
    bool undoDelete();
    /// The settings of the two selected runs side by side, differences highlighted (null unless
    /// exactly two are selected).
    QWidget *showDifference();

    /// Exports; each returns an error text naming the file, or empty.
    QString exportTable(const QString &path) const;
    QString exportCurves(const QString &path) const;
    QString exportCharts(const QString &path) const;

    /// The live run's chart is redrawn from its commits at most this often (1 s by default);
    /// tests shorten it rather than wait it out.
    void setLiveRefreshInterval(int milliseconds);

    // For tests and the benchmark.
    RunCharts *charts() const { return m_charts; }
    QTableView *table() const { return m_table; }
    RunsModel *model() const { return m_model; }
    QSortFilterProxyModel *proxy() const { return m_proxy; }
    QLineEdit *filterEdit() const { return m_filter; }
    QLineEdit *noteEdit() const { return m_note; }
    QPushButton *deleteButton() const { return m_deleteButton; }
    QPushButton *undoButton() const { return m_undoButton; }
    QPushButton *differenceButton() const { return m_diffButton; }
    QPushButton *openButton() const { return m_openButton; }
    QPushButton *trainAgainButton() const { return m_againButton; }
    RunRecording *recording() const { return m_recording; }

Q_SIGNALS:
    void openCheckpointRequested(const QString &path);
    void trainAgainRequested(const core::TrainConfig &config);
    /// A short message for the status bar (a failed recording, an export).
    void statusMessage(const QString &text);

protected:
    bool eventFilter(QObject *watched, QEvent *event) override;

private:
    void createWidgets();
    void connectRecording();
    void updateButtons();
    void updateCharts();
    void showError(const QString &message);
    void exportWithPrompt(const QString &title, const QString &suggestion, const QString &filter,
                          QString (RunsTab::*write)(const QString &) const);
    /// Runs a store operation; a failure is shown and returns false.
    bool withStore(const std::function<void(core::RunStore &)> &f);

    QString m_path;
    std::unique_ptr<core::RunStore> m_store;
    QString m_storeError;
    RunRecording *m_recording = nullptr;
    RunsModel *m_model = nullptr;
    QSortFilterProxyModel *m_proxy = nullptr;
    QTableView *m_table = nullptr;
    RunCharts *m_charts = nullptr;
    QLineEdit *m_filter = nullptr;
    QLineEdit *m_note = nullptr;
    QLabel *m_error = nullptr;
    QLabel *m_undoLabel = nullptr;
    QPushButton *m_deleteButton = nullptr;
    QPushButton *m_undoButton = nullptr;
    QPushButton *m_diffButton = nullptr;
    QPushButton *m_openButton = nullptr;
    QPushButton *m_againButton = nullptr;
    QPushButton *m_exportTableButton = nullptr;
    QPushButton *m_exportCurvesButton = nullptr;
    QPushButton *m_exportPngButton = nullptr;
    QTimer *m_liveRefresh = nullptr;
    QList<qint64> m_lastDeleted;
    /// Curves of runs read once (a finished run never changes); the live run's is dropped on
    /// every commit.
    QHash<qint64, std::shared_ptr<const core::RunCurves>> m_curves;
    SavePathPrompt m_savePath;
};

} // namespace ui
