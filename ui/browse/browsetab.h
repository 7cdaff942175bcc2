#pragma once
#include "core/dataset.h"
#include "core/types.h"
#include "ui/browse/testsetfilter.h"
#include <QFuture>
#include <QList>
#include <QWidget>
#include <memory>
#include <vector>

class QCheckBox;
class QComboBox;
class QGroupBox;
class QHBoxLayout;
class QLabel;
class QListView;
class QProgressBar;
class QPushButton;
class QStackedWidget;
template <typename T> class QFutureWatcher;
template <typename T> class QPromise;

namespace core {
class Classifier;
struct MnistSet;
} // namespace core

namespace ui {

class ConfusionMatrixView;
class DigitView;
class MnistDownloadPanel;
class ModelDocument;
class ProbabilityBars;
class DatasetPicker;
class TestSetModel;

/// The Browse tab: the MNIST test set as a grid with true and predicted labels, filters, sort by
/// confidence, the selected image with its softmax bars, and the confusion matrix (a click
/// filters the grid). Predictions for the whole set run on QtConcurrent's pool with
/// Classifier::predictSet; a new classifier snapshot cancels a running job and starts another.
class BrowseTab : public QWidget {
    Q_OBJECT
public:
    /// Images per predictSet batch: large enough for LibTorch to use both cores well, small
    /// enough that the progress bar moves and a cancel is noticed within a fraction of a second.
    static constexpr int kBatch = 500;

    explicit BrowseTab(ModelDocument *state, QWidget *parent = nullptr);
    ~BrowseTab() override;

    TestSetModel *model() const { return m_model; }
    TestSetFilter *filter() const { return m_filter; }
    QListView *view() const { return m_view; }
    ConfusionMatrixView *matrixView() const { return m_matrix; }
    DatasetPicker *datasetPicker() const { return m_datasetPicker; }
    ProbabilityBars *detailBars() const { return m_bars; }

    /// A prediction job is running.
    bool isPredicting() const;
    /// Images the current classifier gets right (-1 while predictions are not there).
    int correctCount() const { return m_correct; }
    /// Wall time of the last completed full-set prediction, in seconds (-1 before the first).
    double lastPredictionSeconds() const { return m_lastSeconds; }
    /// The test image shown in the detail panel (-1: none).
    int selectedTestIndex() const { return m_selected; }

public Q_SLOTS:
    /// Filters the grid (also updates the filter controls and the matrix highlight).
    void setCriteria(const ui::TestSetFilter::Criteria &criteria);
    /// Sorts the grid (also updates the sort control).
    void setSortKey(ui::TestSetFilter::SortKey key);
    /// Selects a test image (if the current filter shows it) and shows its details.
    void selectTestIndex(int testIndex);

Q_SIGNALS:
    /// Predictions for the current classifier are in the grid, the matrix and the statistics.
    void predictionsUpdated();

protected:
    void showEvent(QShowEvent *event) override;

private:
    struct JobResult {
        quint64 job = 0;
        std::vector<core::Prediction> predictions;
        double seconds = 0;
        QString error; ///< why predictSet failed, if it did
    };

    // The constructor's steps.
    void setUpGrid();
    QHBoxLayout *buildFilterBar();
    QGroupBox *buildDetailBox();
    QWidget *buildSidePanel();
    void buildPages();
    void buildLayout();
    void connectControls();
    void connectModels();

    void onTestSetChanged();
    void startPredictions();
    static void predictionJob(QPromise<JobResult> &promise, std::shared_ptr<const core::Classifier> classifier,
                              std::shared_ptr<const core::MnistSet> set, quint64 job);
    void showNoPredictions(bool haveSet);
    void onJobFinished();
    void applyControls();
    void updateCount();
    /// Why the grid is empty, for the note shown instead of a blank grid.
    QString emptyFilterText() const;
    void updateStatistics();
    void showDetails(int testIndex);
    void restoreSelection();
    void showMessage(const QString &text);

    ModelDocument *m_state;
    TestSetModel *m_model;
    TestSetFilter *m_filter;
    QListView *m_view;
    QStackedWidget *m_stack;
    QGroupBox *m_detailBox = nullptr;
    QLabel *m_message;
    QLabel *m_emptyNote = nullptr; ///< over the grid when the filter matches nothing
    MnistDownloadPanel *m_downloadPanel = nullptr; ///< on the message page when MNIST is missing
    QComboBox *m_trueCombo;
    QComboBox *m_predictedCombo;
    QCheckBox *m_errorsOnly;
    QPushButton *m_showAll;
    QComboBox *m_sortCombo;
    QLabel *m_count;
    QProgressBar *m_progress;
    QLabel *m_status;
    DigitView *m_detailImage;
    QLabel *m_detailText;
    ProbabilityBars *m_bars;
    ConfusionMatrixView *m_matrix;
    /// Where the dataset is chosen here as on the Train tab (the main window loads it).
    DatasetPicker *m_datasetPicker;
    /// The loaded test set's dataset: its class names for every label this tab shows.
    core::Dataset m_dataset = core::Dataset::builtin(QStringLiteral("mnist"));
    QLabel *m_accuracy;

    QFutureWatcher<JobResult> *m_watcher;
    /// Jobs cancelled but maybe still finishing their batch: waited for on destruction.
    QList<QFuture<JobResult>> m_stale;
    quint64 m_job = 0;
    int m_correct = -1;
    double m_lastSeconds = -1;
    int m_selected = -1;
    bool m_syncing = false; ///< controls are being set programmatically
    bool m_outdated = false; ///< the model or set changed while the tab was hidden
};

} // namespace ui
