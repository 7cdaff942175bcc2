#pragma once
#include "core/types.h"
#include "ui/train/divergencemonitor.h"
#include <QElapsedTimer>
#include <QHash>
#include <QWidget>
#include <vector>

class QAbstractSpinBox;
class QComboBox;
class QRadioButton;
class QDoubleSpinBox;
class QFrame;
class QGroupBox;
class QLayout;
class QLabel;
class QPlainTextEdit;
class QProgressBar;
class QPushButton;
class QSettings;
class QSpinBox;
class QSplitter;
class QToolButton;
class QUndoStack;

namespace ui {

class EpochEstimator;
class MnistDownloadPanel;
class ModelDocument;
class NetworkEditor;
class RecipeSection;
class TrainingCharts;
class TrainingController;

/// The Train tab: hyper-parameters, Start/Pause/Stop/Reset, live charts, progress and log, and
/// the "MNIST missing" panel. It shows the controller's signals and the ModelDocument (epochs,
/// history, data readiness) and keeps no copy of the document; decisions that concern the whole
/// document (discarding unsaved weights) go to the main window via startRequested() and
/// resetRequested().
class DatasetPicker;

class TrainTab : public QWidget {
    Q_OBJECT
public:
    /// Shows controller->document().
    explicit TrainTab(TrainingController *controller, QWidget *parent = nullptr);
    ~TrainTab() override;

    /// The network, recipe and hyper-parameters in the form (plus the subset limits, which have
    /// no widgets): what Start hands the trainer.
    core::TrainConfig config() const;
    /// Shows config in the form and the editor as one undoable step ("Apply settings").
    void setConfig(const core::TrainConfig &config);
    /// Train on the first n training / test images only (tests, demos, the benchmark).
    void setLimits(int trainLimit, int testLimit);

    /// True when Start will train from new weights: "Start over" is chosen, the model has
    /// already reached the epoch target, or the editor's network is not the model's.
    bool startsFromScratch() const;
    /// The editor's network is the current model's: only then can Start continue it.
    bool editorMatchesModel() const;
    /// Why Start cannot train the editor's network (empty when it can).
    QString networkProblem() const;
    /// Chooses "Continue the current model" (false) or "Start over from new weights" (true).
    void setStartOver(bool startOver);

    /// "3 epochs", or "3 epochs + 350 batches" for a model stopped mid-epoch (issue 9 item 7).
    static QString epochsDoneText(const core::CheckpointInfo &info);
    /// epochsDoneText() of the document's model, or "trained elsewhere" for imported weights that
    /// have no epochs recorded here.
    static QString epochsDoneText(const ModelDocument &document);
    /// The document's test accuracy as shown: "97.48%", "being measured…" or "unknown".
    static QString accuracyText(const ModelDocument &document);

    void saveSettings(QSettings &settings) const;
    void restoreSettings(const QSettings &settings);

    /// Writes both charts as a PNG. Returns an error text or empty.
    QString exportCharts(const QString &path);

    /// Appends a line to the log pane.
    void log(const QString &line);

    // For tests and the benchmark.
    TrainingCharts *charts() const { return m_charts; }
    QPushButton *startButton() const { return m_startButton; }
    DatasetPicker *datasetPicker() const { return m_datasetPicker; }
    QPushButton *pauseButton() const { return m_pauseButton; }
    QPushButton *stopButton() const { return m_stopButton; }
    QPushButton *resetButton() const { return m_resetButton; }
    QProgressBar *progressBar() const { return m_progress; }
    QString progressText() const;
    /// Number of batchFinished() updates received since the tab was made.
    int batchUpdates() const { return m_batchUpdates; }
    /// The last batch shown (global count over the run).
    qint64 lastBatchIndex() const { return m_lastBatchIndex; }
    QWidget *dataPanel() const;
    MnistDownloadPanel *downloadPanel() const { return m_downloadPanel; }
    /// The divergence warning (hidden unless the current run diverges) and its text.
    QWidget *divergenceBanner() const;
    QString divergenceText() const;
    /// The hint shown while a field holds a value out of its range (empty when none).
    QString rangeHint() const;
    QDoubleSpinBox *learningRateField() const { return m_learningRate; }
    QSpinBox *batchSizeField() const { return m_batchSize; }
    QSpinBox *epochsField() const { return m_epochs; }
    QSpinBox *threadsField() const { return m_threads; }
    QSpinBox *seedField() const { return m_seed; }
    NetworkEditor *networkEditor() const { return m_editor; }
    RecipeSection *recipeSection() const { return m_recipe; }
    QUndoStack *undoStack() const { return m_undo; }
    EpochEstimator *estimator() const { return m_estimator; }
    /// The line under Start saying why it is disabled (empty when it is not).
    QString startHint() const;

protected:
    bool eventFilter(QObject *watched, QEvent *event) override;

Q_SIGNALS:
    void startRequested();
    void resetRequested();
    void dataDirChosen(const QString &dir);
    /// The user chose a dataset to train on ("mnist", "fashion-mnist" or a folder).
    void datasetChosen(const QString &spec);
    /// A sentence for the status bar (a diverging run).
    void statusMessage(const QString &text);

private:
    void buildUi();
    void createParameterFields();
    QGroupBox *createParameterBox();
    /// Continue / Start over and the four run buttons.
    QLayout *createRunControls();
    void createDataPanel();
    void createDivergenceBanner();
    /// Charts, progress and log in a splitter.
    QWidget *createProgressSide();
    void connectController();
    void updateButtons();
    void onStarted(const core::TrainConfig &config, int epochsDone);
    void onBatch(const core::BatchStats &stats);
    void onEpoch(const core::EpochStats &stats);
    void onFinished(const core::TrainingSummary &summary);
    void onFailed(const QString &message);
    /// The document describes the model anew; replaceCharts when it is another model.
    void onModelInfo(bool replaceCharts);
    void onDataLoaded(const QString &dir, int trainCount, int testCount);
    void onDataFailed(const QString &dir, const QString &message);
    void chooseDataDir();
    void onBatchLosses(const core::BatchLosses &losses);
    void reportDivergence(const QString &reason);
    void watchRange(QAbstractSpinBox *field, const QString &name, const QString &range);
    /// The network editor, its undo buttons and the estimate, framed for the right side.
    QWidget *createEditorPanel();
    /// Records what the user just changed in the form or the editor as one undo step.
    void recordEdit(const QString &what, int mergeKey);
    /// Moves the whole form to config as one undo step (a preset, an opened model).
    void changeTo(const core::TrainConfig &config, const QString &what);
    /// Shows config in every field and the editor (undo, redo, changeTo).
    void applyConfig(const core::TrainConfig &config);
    /// After any change: estimate, preview seed, buttons.
    void afterChange();
    friend class ConfigCommand;

    TrainingController *m_controller;
    ModelDocument *m_document;

    DatasetPicker *m_datasetPicker = nullptr;
    NetworkEditor *m_editor = nullptr;
    RecipeSection *m_recipe = nullptr;
    EpochEstimator *m_estimator = nullptr;
    QUndoStack *m_undo = nullptr;
    QToolButton *m_undoButton = nullptr;
    QToolButton *m_redoButton = nullptr;
    QSplitter *m_editorSplitter = nullptr; ///< the editor above the charts and the log
    QLabel *m_startHint = nullptr;
    core::TrainConfig m_lastConfig;        ///< the form as of the last undo step
    bool m_applying = false;               ///< applyConfig() is setting the fields
    QList<int> m_editorSizesBeforeRun;     ///< the splitter as the user left it, while a run shrinks the editor
    /// A run gives the charts and the log the editor's room (it cannot be edited then: the
    /// editor shows its text line only); after it, the editor gets its room back.
    void shrinkEditorForRun(bool shrink);
    QSpinBox *m_epochs = nullptr;
    QSpinBox *m_batchSize = nullptr;
    QDoubleSpinBox *m_learningRate = nullptr;
    QSpinBox *m_seed = nullptr;
    QSpinBox *m_threads = nullptr;
    QPushButton *m_startButton = nullptr;
    QPushButton *m_pauseButton = nullptr;
    QPushButton *m_stopButton = nullptr;
    QPushButton *m_resetButton = nullptr;
    QFrame *m_dataPanel = nullptr;
    QLabel *m_dataMessage = nullptr;
    QPushButton *m_chooseDataButton = nullptr;
    MnistDownloadPanel *m_downloadPanel = nullptr;
    QLabel *m_modelSummary = nullptr;
    QRadioButton *m_continueChoice = nullptr;
    QRadioButton *m_startOverChoice = nullptr;
    QLabel *m_rangeHint = nullptr;
    QFrame *m_divergeBanner = nullptr;
    QLabel *m_divergeText = nullptr;
    QSplitter *m_splitter = nullptr;
    TrainingCharts *m_charts = nullptr;
    QProgressBar *m_progress = nullptr;
    QLabel *m_progressDetails = nullptr;
    QPlainTextEdit *m_log = nullptr;

    int m_trainLimit = 0;
    int m_testLimit = 0;
    // The current run, for progress and ETA.
    int m_runFirstEpoch = 1;
    int m_runEpochs = 0;
    int m_runBatchSize = 100;
    int m_batchUpdates = 0;
    qint64 m_lastBatchIndex = 0;
    bool m_runFromScratch = false;
    bool m_logFollows = true;    ///< the log shows its newest line (the user did not scroll up)
    bool m_weightsAreNew = true; ///< fresh from the seed (start-up, Reset), never trained or loaded
    DivergenceMonitor m_divergence;
    QElapsedTimer m_pauseTimer;  ///< running while paused
    qint64 m_pausedMs = 0;       ///< this run's time spent paused
    QHash<QObject *, std::pair<QString, QString>> m_rangeFields; ///< spin box -> (field name, range)
};

} // namespace ui
