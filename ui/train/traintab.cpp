#include "ui/train/traintab.h"
#include "ui/datasetpicker.h"
#include "ui/mnistdownloadpanel.h"
#include "ui/modeldocument.h"
#include "ui/historycsv.h"
#include "ui/train/countspinbox.h"
#include "ui/train/augmentationpreview.h"
#include "ui/train/epochestimator.h"
#include "ui/train/networkeditor.h"
#include "ui/train/recipesection.h"
#include "ui/train/trainingcharts.h"
#include "ui/trainingcontroller.h"
#include "core/error.h"
#include "core/metrics.h"
#include "core/mnist.h"
#include "core/network.h"
#include "core/safefile.h"
#include <QComboBox>
#include <QCoreApplication>
#include <QFontDatabase>
#include <QGridLayout>
#include <QLocale>
#include <QDir>
#include <QDoubleSpinBox>
#include <QFile>
#include <QFileDialog>
#include <QFileInfo>
#include <QFormLayout>
#include <QFrame>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QKeyEvent>
#include <QPointer>
#include <QTimer>
#include <QPlainTextEdit>
#include <QScrollArea>
#include <QToolButton>
#include <QUndoStack>
#include <QProgressBar>
#include <QRadioButton>
#include <QButtonGroup>
#include <QPushButton>
#include <QSaveFile>
#include <QScrollBar>
#include <QSettings>
#include <QSpinBox>
#include <QSplitter>
#include <QStandardPaths>
#include <QTextStream>
#include <QThread>
#include <QTime>
#include <QVBoxLayout>
#include <algorithm>
#include <cmath>
#include <limits>

namespace ui {

namespace {

// Log lines kept: a long session's per-epoch lines and messages, without growing forever.
constexpr int kMaxLogLines = 5000;
// Resolution of the progress bar: per mille, finer than any bar is wide.
constexpr int kProgressSteps = 1000;

QString formatDuration(double seconds)
{
    if (!std::isfinite(seconds) || seconds < 0)
        return QStringLiteral("–");
    const int s = int(std::lround(seconds));
    if (s >= 3600)
        return QStringLiteral("%1:%2:%3").arg(s / 3600).arg(s / 60 % 60, 2, 10, QLatin1Char('0')).arg(s % 60, 2, 10, QLatin1Char('0'));
    return QStringLiteral("%1:%2").arg(s / 60).arg(s % 60, 2, 10, QLatin1Char('0'));
}

// Shared with the main window and the CLI: one definition each in core/metrics.h.
using core::epochsText;
constexpr auto &percent = core::percentText;

} // namespace

/// One undo step of the Train tab: the whole form (network, recipe, hyper-parameters) before and
/// after. A whole config per step keeps every edit, whatever changed, exactly reversible.
class ConfigCommand : public QUndoCommand {
public:
    ConfigCommand(TrainTab *tab, core::TrainConfig before, core::TrainConfig after, const QString &text, int mergeKey, bool applied)
        : QUndoCommand(text), m_tab(tab), m_before(std::move(before)), m_after(std::move(after)), m_mergeKey(mergeKey),
          m_applied(applied)
    {
    }
    void undo() override { m_tab->applyConfig(m_before); }
    void redo() override
    {
        // An edit the user made is on screen already: re-applying it would move the cursor.
        if (m_applied) {
            m_applied = false;
            return;
        }
        m_tab->applyConfig(m_after);
    }
    int id() const override { return m_mergeKey > 0 ? 1 : -1; }
    bool mergeWith(const QUndoCommand *other) override
    {
        const auto *o = static_cast<const ConfigCommand *>(other);
        if (o->m_mergeKey != m_mergeKey)
            return false;
        m_after = o->m_after;
        return true;
    }

private:
    TrainTab *m_tab;
    core::TrainConfig m_before;
    core::TrainConfig m_after;
    int m_mergeKey;
    bool m_applied;
};

namespace {
/// Two configs are the same form when their JSON is (TrainConfig has no operator==).
bool sameForm(const core::TrainConfig &a, const core::TrainConfig &b)
{
    return a.toJson() == b.toJson();
}
/// Merge keys of the basic fields (the editor's start at 1, the recipe's at 200).
enum FieldKey { kEpochsKey = 50, kBatchKey, kRateKey, kSeedKey, kThreadsKey };
} // namespace

TrainTab::TrainTab(TrainingController *controller, QWidget *parent)
    : QWidget(parent), m_controller(controller), m_document(controller->document())
{
    m_undo = new QUndoStack(this);
    m_estimator = new EpochEstimator(this);
    buildUi();
    connectController();
    connect(m_document, &ModelDocument::dataStateChanged, this, &TrainTab::updateButtons);
    connect(m_document, &ModelDocument::infoReplaced, this, [this] { onModelInfo(true); });
    m_lastConfig = config();
    afterChange();
}

void TrainTab::connectController()
{
    const TrainingController *c = m_controller;
    connect(c, &TrainingController::started, this, &TrainTab::onStarted);
    connect(c, &TrainingController::batchLosses, m_charts, &TrainingCharts::addBatchLosses);
    connect(c, &TrainingController::batchLosses, this, &TrainTab::onBatchLosses);
    connect(c, &TrainingController::batchFinished, this, &TrainTab::onBatch);
    connect(c, &TrainingController::epochFinished, this, &TrainTab::onEpoch);
    connect(c, &TrainingController::finished, this, &TrainTab::onFinished);
    connect(c, &TrainingController::failed, this, &TrainTab::onFailed);
    connect(c, &TrainingController::initialized, this, [this] {
        m_weightsAreNew = true;
        updateButtons();
    });
    connect(c, &TrainingController::resetDone, this, [this](const core::CheckpointInfo &info) {
        m_weightsAreNew = true;
        updateButtons();
        log(tr("Weights reset (seed %1).").arg(info.config.seed));
    });
    connect(c, &TrainingController::loaded, this, [this](const QString &path, const core::CheckpointInfo &info) {
        m_weightsAreNew = false;
        // A model the user opened shows its network and recipe in the editor (undoable); the
        // bundled model at start-up leaves the editor on the user's own network.
        if (!path.startsWith(QLatin1Char(':'))) {
            core::TrainConfig opened = config();
            if (m_document->isImported()) {
                opened.network = info.config.networkText();
            } else {
                opened = info.config;
                opened.network = info.config.networkText();
                opened.threads = m_threads->value(); // this machine's, not the file's
                opened.trainLimit = m_trainLimit;
                opened.testLimit = m_testLimit;
            }
            changeTo(opened, tr("Open %1").arg(QFileInfo(path).fileName()));
        }
        // A model that fits the editor can be continued again, even if another model before it
        // (a bundled one with another network) had switched the choice to start over.
        if (editorMatchesModel())
            m_continueChoice->setChecked(true);
        updateButtons();
        if (m_document->isImported()) {
            log(tr("Imported %1: %2 weights trained elsewhere; test accuracy %3")
                    .arg(QDir::toNativeSeparators(path), info.architecture, accuracyText(*m_document)));
            return;
        }
        log(tr("Loaded %1: %2, %3, test accuracy %4.")
                .arg(path.startsWith(QLatin1Char(':')) ? tr("the bundled model") : QDir::toNativeSeparators(path),
                     info.architecture, epochsDoneText(info),
                     info.testAccuracy() < 0 ? tr("unknown") : percent(info.testAccuracy())));
    });
    connect(c, &TrainingController::evaluated, this, [this](double accuracy, int images, const QString &error) {
        if (accuracy >= 0)
            log(tr("The imported model reads %1 of the %2 test images correctly: test accuracy %3.")
                    .arg(QLocale().toString(qint64(std::lround(accuracy * images))), QLocale().toString(images), percent(accuracy)));
        else
            log(tr("The imported model could not be measured on the test set: %1").arg(error));
    });
    connect(m_document, &ModelDocument::evaluationChanged, this, [this] { onModelInfo(false); });
    connect(c, &TrainingController::snapshotReady, this, [this] { onModelInfo(false); });
    connect(c, &TrainingController::dataLoaded, this,
            [this](const std::shared_ptr<const core::MnistSet> &train, const std::shared_ptr<const core::MnistSet> &test,
                   const QString &dir) {
                if (train && train->count > 0)
                    m_recipe->preview()->setDigit(std::vector<std::uint8_t>(train->image(0), train->image(0) + train->pixelsPerImage()),
                                                  train->rows, train->cols);
                onDataLoaded(dir, train->count, test->count);
            });
    connect(c, &TrainingController::dataFailed, this, &TrainTab::onDataFailed);
    connect(c, &TrainingController::stateChanged, this, &TrainTab::updateButtons);
}

TrainTab::~TrainTab()
{
    // The undo stack is a child, destroyed after this destructor, and clearing itself it reports
    // indexChanged: that must not call into a half-destroyed tab (UBSan: "member access within
    // ... which does not point to an object of type 'TrainTab'").
    disconnect(m_undo, nullptr, this, nullptr);
}

void TrainTab::buildUi()
{
    // --- left column: hyper-parameters, run controls, data status ---
    QGroupBox *params = createParameterBox();
    QLayout *buttons = createRunControls();
    m_modelSummary = new QLabel;
    m_modelSummary->setObjectName(QStringLiteral("modelSummary"));
    m_modelSummary->setWordWrap(true);
    m_modelSummary->setTextInteractionFlags(Qt::TextSelectableByMouse);
    createDataPanel();
    createDivergenceBanner();

    m_recipe = new RecipeSection;
    connect(m_recipe, &RecipeSection::changed, this, &TrainTab::recordEdit);
    m_startHint = new QLabel;
    m_startHint->setObjectName(QStringLiteral("startHint"));
    m_startHint->setWordWrap(true);
    m_startHint->setStyleSheet(QStringLiteral("color: #b00020"));
    m_startHint->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_startHint->hide();

    auto *left = new QWidget;
    auto *leftLayout = new QVBoxLayout(left);
    leftLayout->setContentsMargins(0, 0, 0, 0);
    leftLayout->addWidget(params);
    leftLayout->addWidget(m_recipe);
    leftLayout->addWidget(m_continueChoice);
    leftLayout->addWidget(m_startOverChoice);
    leftLayout->addLayout(buttons);
    leftLayout->addWidget(m_startHint);
    leftLayout->addWidget(m_dataPanel);
    leftLayout->addWidget(m_modelSummary);
    leftLayout->addStretch(1);
    // The recipe, once opened, makes the column taller than a small window: it scrolls.
    auto *leftScroll = new QScrollArea;
    leftScroll->setWidget(left);
    leftScroll->setWidgetResizable(true);
    leftScroll->setFrameShape(QFrame::NoFrame);
    leftScroll->setFocusPolicy(Qt::NoFocus); // its fields take the focus, not the frame
    leftScroll->setHorizontalScrollBarPolicy(Qt::ScrollBarAlwaysOff);
    const int width = std::max(m_recipe->preview()->sizeHint().width() + 20, left->sizeHint().width())
                      + leftScroll->verticalScrollBar()->sizeHint().width();
    leftScroll->setMinimumWidth(width);
    leftScroll->setMaximumWidth(std::max(340, width));

    // The editor above the charts and the log: a network is edited before a run and watched
    // during it; the splitter gives either the room (and remembers it).
    m_editorSplitter = new QSplitter(Qt::Vertical);
    m_editorSplitter->addWidget(createEditorPanel());
    m_editorSplitter->addWidget(createProgressSide());
    m_editorSplitter->setStretchFactor(0, 2);
    m_editorSplitter->setStretchFactor(1, 3);
    m_editorSplitter->setCollapsible(1, false);
    // Room for a dozen layers in the list and the table; the charts keep the rest (a saved
    // state replaces this).
    m_editorSplitter->setSizes({330, 420});

    auto *layout = new QHBoxLayout(this);
    layout->addWidget(leftScroll);
    layout->addWidget(m_editorSplitter, 1);
}

QWidget *TrainTab::createEditorPanel()
{
    m_editor = new NetworkEditor;
    m_undoButton = new QToolButton;
    m_undoButton->setObjectName(QStringLiteral("undoEdit"));
    m_undoButton->setText(tr("Undo"));
    m_redoButton = new QToolButton;
    m_redoButton->setObjectName(QStringLiteral("redoEdit"));
    m_redoButton->setText(tr("Redo"));
    m_editor->setUndoButtons(m_undoButton, m_redoButton);
    // Ctrl+Z and Ctrl+Shift+Z anywhere in the tab (a text field keeps its own undo while typing).
    auto *undoAction = new QAction(tr("Undo"), this);
    undoAction->setShortcuts(QKeySequence::Undo);
    undoAction->setShortcutContext(Qt::WidgetWithChildrenShortcut);
    auto *redoAction = new QAction(tr("Redo"), this);
    redoAction->setShortcuts({QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_Z), QKeySequence(Qt::CTRL | Qt::Key_Y)});
    redoAction->setShortcutContext(Qt::WidgetWithChildrenShortcut);
    addAction(undoAction);
    addAction(redoAction);
    connect(undoAction, &QAction::triggered, m_undo, &QUndoStack::undo);
    connect(redoAction, &QAction::triggered, m_undo, &QUndoStack::redo);
    connect(m_undoButton, &QToolButton::clicked, m_undo, &QUndoStack::undo);
    connect(m_redoButton, &QToolButton::clicked, m_undo, &QUndoStack::redo);
    auto updateUndo = [this] {
        const bool idle = !m_controller->isRunning();
        m_undoButton->setEnabled(idle && m_undo->canUndo());
        m_redoButton->setEnabled(idle && m_undo->canRedo());
        m_undoButton->setToolTip(m_undo->canUndo() ? tr("Undo: %1 (Ctrl+Z)").arg(m_undo->undoText()) : tr("Nothing to undo"));
        m_redoButton->setToolTip(m_undo->canRedo() ? tr("Redo: %1 (Ctrl+Shift+Z)").arg(m_undo->redoText()) : tr("Nothing to redo"));
        m_undoButton->setAccessibleName(m_undoButton->toolTip());
        m_redoButton->setAccessibleName(m_redoButton->toolTip());
    };
    connect(m_undo, &QUndoStack::indexChanged, this, updateUndo);
    connect(m_controller, &TrainingController::stateChanged, this, updateUndo);
    updateUndo();

    connect(m_editor, &NetworkEditor::edited, this, &TrainTab::recordEdit);
    connect(m_editor, &NetworkEditor::validityChanged, this, &TrainTab::updateButtons);
    connect(m_editor, &NetworkEditor::presetChosen, this, [this](const QString &name) {
        core::TrainConfig c = core::TrainConfig::preset(name);
        c.seed = std::uint64_t(m_seed->value());
        c.threads = m_threads->value();
        c.trainLimit = m_trainLimit;
        c.testLimit = m_testLimit;
        changeTo(c, tr("Preset %1").arg(name));
    });
    connect(m_estimator, &EpochEstimator::estimateChanged, m_editor, &NetworkEditor::setEstimate);

    auto *box = new QGroupBox(tr("Network"));
    box->setObjectName(QStringLiteral("networkBox"));
    auto *layout = new QVBoxLayout(box);
    layout->setContentsMargins(6, 6, 6, 6);
    layout->addWidget(m_editor);
    return box;
}

void TrainTab::recordEdit(const QString &what, int mergeKey)
{
    if (m_applying)
        return;
    const core::TrainConfig now = config();
    if (sameForm(now, m_lastConfig))
        return;
    m_undo->push(new ConfigCommand(this, m_lastConfig, now, what, mergeKey, true));
    m_lastConfig = now;
    afterChange();
}

void TrainTab::changeTo(const core::TrainConfig &target, const QString &what)
{
    if (sameForm(target, m_lastConfig) && sameForm(target, config()))
        return;
    m_undo->push(new ConfigCommand(this, m_lastConfig, target, what, 0, false));
}

void TrainTab::applyConfig(const core::TrainConfig &c)
{
    m_applying = true;
    m_epochs->setValue(c.epochs);
    m_batchSize->setValue(c.batchSize);
    m_learningRate->setValue(c.learningRate);
    m_seed->setValue(int(std::min<std::uint64_t>(c.seed, std::uint64_t(m_seed->maximum()))));
    m_threads->setValue(c.threads > 0 ? c.threads : m_threads->maximum());
    m_trainLimit = c.trainLimit;
    m_testLimit = c.testLimit;
    try {
        if (core::Network::parse(c.networkText()) != m_editor->network() || !m_editor->textError().isEmpty())
            m_editor->setNetwork(core::Network::parse(c.networkText()));
    } catch (const core::NetworkError &) {
        // A config from a file or the settings that does not parse keeps the editor's network.
    }
    m_recipe->setRecipe(c);
    m_applying = false;
    m_lastConfig = config();
    afterChange();
}

void TrainTab::afterChange()
{
    const core::TrainConfig c = config();
    m_recipe->setSeed(c.seed);
    m_estimator->request(c);
    updateButtons();
}

void TrainTab::createParameterFields()
{
    // Ranges come from core (the CLI and TrainConfig::validate() use the same), so a value the
    // form accepts is one training accepts.
    // Counts read "1e3" as 1000 (issue 16 item 9); the seed stays a plain field.
    m_epochs = new CountSpinBox;
    m_epochs->setRange(core::kMinEpochs, core::kMaxEpochs);
    m_epochs->setValue(15);
    m_epochs->setToolTip(tr("Total epochs of the model (%1 to %2): a loaded or stopped model continues up to this. "
                            "One epoch is one pass over the 60,000 training images.")
                             .arg(core::kMinEpochs)
                             .arg(core::kMaxEpochs));
    m_batchSize = new CountSpinBox;
    m_batchSize->setRange(core::kMinBatchSize, core::kMaxBatchSize);
    m_batchSize->setValue(100);
    m_batchSize->setToolTip(tr("Images per weight update (%1 to %2). Smaller batches make more, noisier updates per "
                               "epoch and slower epochs; larger ones fewer, smoother updates. Usual range 32-256; "
                               "the seed recipe uses 100.")
                                .arg(core::kMinBatchSize)
                                .arg(QLocale().toString(core::kMaxBatchSize)));
    m_learningRate = new QDoubleSpinBox;
    m_learningRate->setDecimals(6);
    m_learningRate->setRange(core::kMinLearningRate, core::kMaxLearningRate);
    m_learningRate->setSingleStep(0.0001);
    m_learningRate->setValue(0.001);
    m_learningRate->setToolTip(tr("How far Adam moves the weights at each batch (%1 to %2). Usual range %3-%4; the "
                                  "seed recipe uses 0.001. Too large (0.1 or more) and training diverges: the loss "
                                  "rises and the accuracy stays at chance (about 10%).")
                                   .arg(core::kMinLearningRate)
                                   .arg(core::kMaxLearningRate)
                                   .arg(core::kUsualLearningRateLow)
                                   .arg(core::kUsualLearningRateHigh));
    m_seed = new QSpinBox;
    m_seed->setRange(0, std::numeric_limits<int>::max());
    m_seed->setValue(1);
    m_seed->setToolTip(tr("Weights, shuffling and dropout all derive from it: same seed, same run."));
    m_threads = new QSpinBox;
    const int cores = std::max(1, QThread::idealThreadCount());
    m_threads->setRange(1, cores);
    // All cores: the trainer shares each batch out to whichever thread is free, so a thread that
    // waits for a core (the GUI's, another program's) costs little (docs/benchmarks.md, issue 12).
    m_threads->setValue(cores);
    m_threads->setToolTip(tr("Threads for training (%1 cores here).").arg(cores));
}

QGroupBox *TrainTab::createParameterBox()
{
    createParameterFields();
    const int cores = m_threads->maximum();
    auto *form = new QFormLayout;
    // What to train on (issue 20): the main window loads the choice (datasetChosen).
    m_datasetPicker = new DatasetPicker;
    connect(m_datasetPicker, &DatasetPicker::datasetChosen, this, &TrainTab::datasetChosen);
    form->addRow(tr("Dataset:"), m_datasetPicker);
    form->addRow(tr("&Epochs:"), m_epochs);
    form->addRow(tr("Batch si&ze:"), m_batchSize);
    form->addRow(tr("&Learning rate:"), m_learningRate);
    form->addRow(tr("&Seed:"), m_seed);
    form->addRow(tr("Th&reads:"), m_threads); // Alt+H is the Help menu's
    // Out-of-range text is not accepted and snaps back on leaving the field: say so while typing.
    m_rangeHint = new QLabel;
    m_rangeHint->setWordWrap(true);
    m_rangeHint->setObjectName(QStringLiteral("rangeHint"));
    m_rangeHint->setStyleSheet(QStringLiteral("color: #c07000"));
    m_rangeHint->hide();
    form->addRow(m_rangeHint);
    watchRange(m_epochs, tr("Epochs"), tr("%1 to %2").arg(core::kMinEpochs).arg(core::kMaxEpochs));
    watchRange(m_batchSize, tr("Batch size"), tr("%1 to %2").arg(core::kMinBatchSize).arg(core::kMaxBatchSize));
    watchRange(m_learningRate, tr("Learning rate"), tr("%1 to %2").arg(core::kMinLearningRate).arg(core::kMaxLearningRate));
    watchRange(m_threads, tr("Threads"), tr("1 to %1, the cores of this machine").arg(cores));
    // Every change of a field is one undo step (a held-down arrow merges into it).
    connect(m_epochs, &QSpinBox::valueChanged, this, [this] { recordEdit(tr("Change the epochs"), kEpochsKey); });
    connect(m_batchSize, &QSpinBox::valueChanged, this, [this] { recordEdit(tr("Change the batch size"), kBatchKey); });
    connect(m_learningRate, &QDoubleSpinBox::valueChanged, this, [this] { recordEdit(tr("Change the learning rate"), kRateKey); });
    connect(m_seed, &QSpinBox::valueChanged, this, [this] { recordEdit(tr("Change the seed"), kSeedKey); });
    connect(m_threads, &QSpinBox::valueChanged, this, [this] { recordEdit(tr("Change the threads"), kThreadsKey); });
    auto *params = new QGroupBox(tr("Hyper-parameters"));
    params->setLayout(form);
    return params;
}

QLayout *TrainTab::createRunControls()
{
    // "Continue" or "Start over": an explicit, visible choice (issue 9 item 6).
    m_continueChoice = new QRadioButton(tr("&Continue the current model"));
    m_continueChoice->setObjectName(QStringLiteral("continueChoice"));
    m_continueChoice->setToolTip(tr("Train the weights you have now (loaded, imported or stopped) up to the Epochs above."));
    m_startOverChoice = new QRadioButton(tr("Start o&ver from new weights"));
    m_startOverChoice->setObjectName(QStringLiteral("startOverChoice"));
    m_startOverChoice->setToolTip(tr("New random weights from the seed, an empty history, then train."));
    m_continueChoice->setChecked(true);
    auto *choiceGroup = new QButtonGroup(this);
    choiceGroup->addButton(m_continueChoice);
    choiceGroup->addButton(m_startOverChoice);
    connect(m_continueChoice, &QRadioButton::toggled, this, &TrainTab::updateButtons);

    m_startButton = new QPushButton(tr("Start"));
    m_startButton->setDefault(true);
    m_pauseButton = new QPushButton(tr("Pause"));
    m_stopButton = new QPushButton(tr("Stop"));
    m_resetButton = new QPushButton(tr("Reset weights"));
    m_resetButton->setToolTip(tr("New random weights from the seed; the history is cleared."));
    auto *buttons = new QGridLayout;
    buttons->addWidget(m_startButton, 0, 0);
    buttons->addWidget(m_pauseButton, 0, 1);
    buttons->addWidget(m_stopButton, 1, 0);
    buttons->addWidget(m_resetButton, 1, 1);
    connect(m_startButton, &QPushButton::clicked, this, [this] {
        m_runFromScratch = startsFromScratch();
        Q_EMIT startRequested();
    });
    connect(m_resetButton, &QPushButton::clicked, this, &TrainTab::resetRequested);
    connect(m_stopButton, &QPushButton::clicked, this, [this] {
        m_controller->stop();
        log(tr("Stopping…"));
    });
    connect(m_pauseButton, &QPushButton::clicked, this, [this] {
        if (m_controller->isPaused()) {
            m_controller->resume();
            if (m_pauseTimer.isValid())
                m_pausedMs += m_pauseTimer.elapsed();
            m_pauseTimer.invalidate();
            log(tr("Resumed."));
        } else {
            m_controller->pause();
            m_pauseTimer.start();
            log(tr("Paused."));
        }
        updateButtons();
    });
    connect(m_epochs, &QSpinBox::valueChanged, this, [this] {
        if (!m_controller->isRunning())
            m_charts->setPlannedEpochs(std::max(m_epochs->value(), m_document->epochsDone()));
        updateButtons();
    });
    return buttons;
}

void TrainTab::createDataPanel()
{
    m_dataPanel = new QFrame;
    m_dataPanel->setFrameShape(QFrame::StyledPanel);
    m_dataPanel->setObjectName(QStringLiteral("dataPanel"));
    m_dataMessage = new QLabel;
    m_dataMessage->setWordWrap(true);
    m_dataMessage->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_chooseDataButton = new QPushButton(tr("Choose folder…"));
    m_downloadPanel = new MnistDownloadPanel;
    auto *dataButtons = new QHBoxLayout;
    dataButtons->addWidget(m_chooseDataButton);
    dataButtons->addStretch(1);
    auto *dataLayout = new QVBoxLayout(m_dataPanel);
    dataLayout->addWidget(m_dataMessage);
    dataLayout->addLayout(dataButtons);
    dataLayout->addWidget(m_downloadPanel);
    m_dataPanel->hide();
    connect(m_chooseDataButton, &QPushButton::clicked, this, &TrainTab::chooseDataDir);
    // Whichever tab started the download, the Train tab loads the result.
    connect(m_downloadPanel, &MnistDownloadPanel::downloaded, this, [this](const QString &dir) {
        log(tr("MNIST downloaded and verified in %1.").arg(QDir::toNativeSeparators(dir)));
        m_controller->loadData(dir);
        updateButtons();
    });
}

void TrainTab::createDivergenceBanner()
{
    // A diverging run: said plainly, with the way out (issue 9 item 2).
    m_divergeBanner = new QFrame;
    m_divergeBanner->setObjectName(QStringLiteral("divergenceBanner"));
    m_divergeBanner->setFrameShape(QFrame::StyledPanel);
    m_divergeBanner->setStyleSheet(QStringLiteral("#divergenceBanner { border: 1px solid #c07000; border-radius: 3px; }"));
    m_divergeText = new QLabel;
    m_divergeText->setWordWrap(true);
    m_divergeText->setTextInteractionFlags(Qt::TextSelectableByMouse);
    auto *stopNow = new QPushButton(tr("Stop now"));
    stopNow->setObjectName(QStringLiteral("divergenceStop"));
    auto *keepGoing = new QPushButton(tr("Keep going"));
    auto *bannerLayout = new QHBoxLayout(m_divergeBanner);
    bannerLayout->addWidget(m_divergeText, 1);
    bannerLayout->addWidget(stopNow);
    bannerLayout->addWidget(keepGoing);
    m_divergeBanner->hide();
    connect(stopNow, &QPushButton::clicked, this, [this] {
        if (m_controller->isRunning() && m_controller->state() != TrainingController::State::Stopping) {
            m_controller->stop();
            log(tr("Stopping…"));
        }
        m_divergeBanner->hide();
    });
    connect(keepGoing, &QPushButton::clicked, m_divergeBanner, &QWidget::hide);
}

QWidget *TrainTab::createProgressSide()
{
    // --- right: charts, progress, log ---
    m_charts = new TrainingCharts;
    m_progress = new QProgressBar;
    m_progress->setRange(0, kProgressSteps);
    m_progress->setValue(0);
    m_progress->setTextVisible(true);
    m_progress->setFormat(tr("Idle"));
    m_progress->setAccessibleName(tr("Training progress"));
    m_progressDetails = new QLabel;
    m_progressDetails->setTextInteractionFlags(Qt::TextSelectableByMouse);
    // Digits that do not shift the label at every update.
    m_progressDetails->setFont(QFontDatabase::systemFont(QFontDatabase::FixedFont));
    m_log = new QPlainTextEdit;
    m_log->setReadOnly(true);
    m_log->setMaximumBlockCount(kMaxLogLines);
    m_log->setFont(QFontDatabase::systemFont(QFontDatabase::FixedFont));
    m_log->setPlaceholderText(tr("Per-epoch summaries appear here."));
    m_log->setAccessibleName(tr("Training log"));
    // The newest line stays in view unless the user scrolled up (issue 16 item 2). appendPlainText
    // only follows when the view is at the bottom at that moment, and a banner or a tab switch
    // that resizes the log leaves it above a bottom that has moved: follow the range instead.
    QScrollBar *logBar = m_log->verticalScrollBar();
    connect(logBar, &QScrollBar::valueChanged, this, [this, logBar](int value) { m_logFollows = value >= logBar->maximum(); });
    connect(logBar, &QScrollBar::rangeChanged, this, [this, logBar](int, int maximum) {
        if (m_logFollows)
            logBar->setValue(maximum);
    });

    auto *progressBox = new QWidget;
    auto *progressLayout = new QVBoxLayout(progressBox);
    progressLayout->setContentsMargins(0, 0, 0, 0);
    progressLayout->addWidget(m_progress);
    progressLayout->addWidget(m_progressDetails);
    progressLayout->addWidget(m_log, 1);

    m_splitter = new QSplitter(Qt::Vertical);
    m_splitter->addWidget(m_charts);
    m_splitter->addWidget(progressBox);
    m_splitter->setStretchFactor(0, 3);
    m_splitter->setStretchFactor(1, 1);
    m_splitter->setChildrenCollapsible(false);
    // The divergence banner above the splitter, not in its small bottom pane: there it squeezed
    // the log to two lines, and a splitter pane ignores a word-wrapped label's height for its
    // width, which clipped the banner's last line (issue 16 item 3). The charts give up the room.
    auto *side = new QWidget;
    auto *sideLayout = new QVBoxLayout(side);
    sideLayout->setContentsMargins(0, 0, 0, 0);
    sideLayout->addWidget(m_divergeBanner);
    sideLayout->addWidget(m_splitter, 1);
    return side;
}

core::TrainConfig TrainTab::config() const
{
    core::TrainConfig c;
    c.epochs = m_epochs->value();
    c.batchSize = m_batchSize->value();
    c.learningRate = m_learningRate->value();
    c.seed = std::uint64_t(m_seed->value());
    c.threads = m_threads->value();
    c.trainLimit = m_trainLimit;
    c.testLimit = m_testLimit;
    // The tutorial's network is written out too: a config says which network it trains.
    c.network = m_editor->network().text();
    m_recipe->applyTo(c);
    return c;
}

void TrainTab::setConfig(const core::TrainConfig &c)
{
    changeTo(c, tr("Apply settings"));
}

void TrainTab::setLimits(int trainLimit, int testLimit)
{
    m_trainLimit = trainLimit;
    m_testLimit = testLimit;
    m_lastConfig = config(); // not an edit of the user's: no undo step
    afterChange();
}

QString TrainTab::epochsDoneText(const core::CheckpointInfo &info)
{
    if (info.partialBatches <= 0)
        return epochsText(info.epochsDone);
    return tr("%1 + %2 batches of epoch %3 (stopped mid-epoch)")
        .arg(epochsText(info.epochsDone))
        .arg(info.partialBatches)
        .arg(info.epochsDone + 1);
}

QString TrainTab::epochsDoneText(const ModelDocument &document)
{
    const core::CheckpointInfo &info = document.info();
    if (document.isImported() && info.epochsDone == 0 && info.partialBatches == 0)
        return tr("trained elsewhere");
    return epochsDoneText(info);
}

QString TrainTab::accuracyText(const ModelDocument &document)
{
    if (document.testAccuracy() >= 0)
        return percent(document.testAccuracy());
    return document.isEvaluating() ? tr("being measured…") : tr("unknown");
}

bool TrainTab::startsFromScratch() const
{
    return m_document->epochsDone() >= m_epochs->value() || m_startOverChoice->isChecked() || !editorMatchesModel();
}

bool TrainTab::editorMatchesModel() const
{
    try {
        return core::Network::parse(m_document->info().config.networkText()) == m_editor->network();
    } catch (const core::NetworkError &) {
        return false;
    }
}

QString TrainTab::networkProblem() const
{
    return m_editor->problem();
}

QString TrainTab::startHint() const
{
    return m_startHint->isHidden() ? QString() : m_startHint->text();
}

void TrainTab::setStartOver(bool startOver)
{
    (startOver ? m_startOverChoice : m_continueChoice)->setChecked(true);
    updateButtons();
}

bool TrainTab::eventFilter(QObject *watched, QEvent *event)
{
    if (event->type() == QEvent::KeyPress && m_rangeFields.contains(watched)) {
        auto *edit = watched->findChild<QLineEdit *>();
        const QString typed = static_cast<QKeyEvent *>(event)->text();
        if (edit && !typed.isEmpty() && typed.at(0).isPrint()) {
            const QString before = edit->text();
            const int cursor = edit->cursorPosition();
            const bool selection = edit->hasSelectedText();
            const auto [name, range] = m_rangeFields.value(watched);
            // After the spin box has handled the key: nothing moved (text, cursor, selection)
            // means it was refused (retyping a selected "1" as "1" clears the selection).
            QTimer::singleShot(0, this, [this, edit = QPointer<QLineEdit>(edit), before, cursor, selection, typed, name, range] {
                if (edit && edit->text() == before && edit->cursorPosition() == cursor
                    && edit->hasSelectedText() == selection) {
                    m_rangeHint->setText(tr("%1 must be %2: \"%3\" cannot be typed here.").arg(name, range, typed));
                    m_rangeHint->show();
                }
            });
        }
    }
    return QWidget::eventFilter(watched, event);
}

QWidget *TrainTab::divergenceBanner() const
{
    return m_divergeBanner;
}

QString TrainTab::divergenceText() const
{
    return m_divergeText->text();
}

QString TrainTab::rangeHint() const
{
    return m_rangeHint->isVisible() || !m_rangeHint->isHidden() ? m_rangeHint->text() : QString();
}

void TrainTab::watchRange(QAbstractSpinBox *field, const QString &name, const QString &range)
{
    auto check = [this, field, name, range] {
        if (field->hasAcceptableInput()) {
            m_rangeHint->hide();
            m_rangeHint->clear();
        } else {
            m_rangeHint->setText(tr("%1 must be %2: \"%3\" is not accepted and goes back to the last valid value.")
                                     .arg(name, range, field->text()));
            m_rangeHint->show();
        }
    };
    // The spin boxes' own textChanged only fires for accepted values: watch their line edit.
    // A key the validator refuses outright (a 6 in a 1-2 field) changes nothing at all: the
    // event filter notices that and says so too.
    if (auto *edit = field->findChild<QLineEdit *>()) {
        connect(edit, &QLineEdit::textChanged, this, check);
        // Keys reach the spin box, which hands them to its line edit directly (no filter there).
        m_rangeFields.insert(field, {name, range});
        field->installEventFilter(this);
    }
    connect(field, &QAbstractSpinBox::editingFinished, this, [this] {
        m_rangeHint->hide();
        m_rangeHint->clear();
    });
}

QWidget *TrainTab::dataPanel() const
{
    return m_dataPanel;
}

void TrainTab::saveSettings(QSettings &settings) const
{
    settings.beginGroup(QStringLiteral("train"));
    settings.setValue(QStringLiteral("config"), config().toJson().toVariantMap());
    settings.setValue(QStringLiteral("splitter"), m_splitter->saveState());
    settings.setValue(QStringLiteral("editorSplitter"), m_editorSplitter->saveState());
    settings.setValue(QStringLiteral("recipeOpen"), m_recipe->isExpanded());
    settings.endGroup();
}

void TrainTab::restoreSettings(const QSettings &settings)
{
    const QString group = QStringLiteral("train/");
    const QVariant saved = settings.value(group + QStringLiteral("config"));
    if (saved.isValid()) {
        core::TrainConfig c = core::TrainConfig::fromJson(QJsonObject::fromVariantMap(saved.toMap()));
        // Limits are a test/demo device, not a preference.
        c.trainLimit = m_trainLimit;
        c.testLimit = m_testLimit;
        if (c.validate().isEmpty()) {
            applyConfig(c);
            m_undo->clear(); // the last session's edits are not this one's to undo
        }
    }
    m_splitter->restoreState(settings.value(group + QStringLiteral("splitter")).toByteArray());
    m_editorSplitter->restoreState(settings.value(group + QStringLiteral("editorSplitter")).toByteArray());
    m_recipe->setExpanded(settings.value(group + QStringLiteral("recipeOpen"), false).toBool());
}

void TrainTab::log(const QString &line)
{
    m_log->appendPlainText(QTime::currentTime().toString(QStringLiteral("HH:mm:ss  ")) + line);
}

QString TrainTab::progressText() const
{
    return m_progress->text() + QLatin1Char(' ') + m_progressDetails->text();
}

void TrainTab::updateButtons()
{
    const auto state = m_controller->state();
    const bool idle = state == TrainingController::State::Idle;
    const bool running = m_controller->isRunning();
    const bool stopping = state == TrainingController::State::Stopping;
    const bool dataReady = m_document->isDataReady();
    const int epochsDone = m_document->epochsDone();
    const QString problem = m_editor->problem();
    m_startButton->setEnabled(idle && dataReady && problem.isEmpty());
    m_resetButton->setEnabled(idle && problem.isEmpty());
    const bool targetReached = epochsDone >= m_epochs->value();
    // Continue only trains the model's own network: another network needs new weights.
    const bool matches = editorMatchesModel();
    const bool fresh = m_weightsAreNew && epochsDone == 0;
    if (!matches && !fresh && m_continueChoice->isChecked() && !m_applying)
        m_startOverChoice->setChecked(true);
    m_continueChoice->setEnabled(idle && !targetReached && (matches || fresh));
    m_startOverChoice->setEnabled(idle);
    // Imported weights have no epoch count here: say how many epochs Continue trains them for.
    const int more = m_epochs->value() - epochsDone;
    if (!matches && !fresh)
        m_continueChoice->setText(tr("&Continue: the model is another network"));
    else if (m_document->isImported() && epochsDone == 0)
        m_continueChoice->setText(more == 1 ? tr("&Continue the imported model for 1 more epoch")
                                            : tr("&Continue the imported model for %1 more epochs").arg(more));
    else
        m_continueChoice->setText(targetReached
                                      ? tr("&Continue: the model has %1; raise Epochs").arg(epochsText(epochsDone))
                                      : tr("&Continue the current model (%1 → %2)").arg(epochsDone).arg(m_epochs->value()));
    m_startOverChoice->setText(tr("Start o&ver from new weights (seed %1)").arg(m_seed->value()));
    if (running)
        m_startButton->setText(tr("Training…"));
    else
        m_startButton->setText(m_weightsAreNew && epochsDone == 0 ? tr("Start")
                               : startsFromScratch()                 ? tr("Start over")
                                                                     : tr("Continue"));
    m_continueChoice->setToolTip(matches ? tr("Train the weights you have now (loaded, imported or stopped) up to the Epochs above.")
                                         : tr("The current model is %1; the editor holds another network, which starts from new weights. "
                                              "Undo the edits (Ctrl+Z) or open the model again to continue it.")
                                               .arg(m_document->info().config.networkText()));
    m_startHint->setText(problem.isEmpty() ? QString() : tr("Cannot start: %1").arg(problem));
    m_startHint->setVisible(!problem.isEmpty());
    if (!problem.isEmpty())
        m_startButton->setToolTip(tr("Cannot start: %1").arg(problem));
    else if (!dataReady)
        m_startButton->setToolTip(m_document->dataState() == ModelDocument::DataState::Loading ? tr("Loading MNIST…") : tr("MNIST is missing: see the panel below."));
    else if (startsFromScratch())
        m_startButton->setToolTip(tr("Train a new model from the seed up to the epochs set above."));
    else
        m_startButton->setToolTip(tr("Train the current weights up to the epochs set above."));
    m_pauseButton->setEnabled(running && !stopping);
    m_pauseButton->setText(m_controller->isPaused() ? tr("Resume") : tr("Pause"));
    m_stopButton->setEnabled(running && !stopping);
    for (QWidget *w : {static_cast<QWidget *>(m_editor), static_cast<QWidget *>(m_recipe), static_cast<QWidget *>(m_epochs),
                       static_cast<QWidget *>(m_batchSize), static_cast<QWidget *>(m_learningRate),
                       static_cast<QWidget *>(m_seed), static_cast<QWidget *>(m_threads)})
        w->setEnabled(!running);
    m_estimator->setAllowed(idle);
    m_chooseDataButton->setEnabled(idle);
}

void TrainTab::onStarted(const core::TrainConfig &config, int epochsDone)
{
    m_runFirstEpoch = epochsDone + 1;
    m_runEpochs = config.epochs;
    m_runBatchSize = config.batchSize;
    m_lastBatchIndex = 0;
    if (epochsDone == 0) {
        m_charts->clear(config.epochs);
    } else {
        // A stopped run left part of this epoch on the chart; it is trained again from its start.
        m_charts->truncateAfterEpoch(epochsDone);
        m_charts->setPlannedEpochs(config.epochs);
    }
    // Say what happens: new weights only when the run really starts over; otherwise the current
    // weights (loaded, imported, or left by a stopped epoch) train on.
    QString how;
    if (m_runFromScratch || (m_weightsAreNew && epochsDone == 0))
        how = tr("of a new model from new weights (seed %1)").arg(config.seed);
    else if (epochsDone == 0)
        how = tr("continuing the current weights (no complete epoch recorded yet)");
    else
        how = tr("continuing the current model from epoch %1").arg(epochsDone + 1);
    m_weightsAreNew = false; // from the first batch on, the weights are trained ones
    shrinkEditorForRun(true);
    m_divergence.reset();
    m_divergeBanner->hide();
    m_divergeText->clear();
    m_pausedMs = 0;
    m_pauseTimer.invalidate();
    m_progress->setValue(0);
    m_progress->setFormat(tr("Epoch %1/%2").arg(m_runFirstEpoch).arg(m_runEpochs));
    m_progressDetails->setText(tr("starting…"));
    m_modelSummary->setText(m_runFromScratch ? tr("Current model: new model, training epoch %1 of %2.").arg(m_runFirstEpoch).arg(config.epochs)
                                             : m_modelSummary->text());
    log(tr("Training %1 %2: batch %3, learning rate %4, seed %5, %6 thread(s)%7.")
            .arg(epochsText(config.epochs - epochsDone))
            .arg(how)
            .arg(config.batchSize)
            .arg(config.learningRate)
            .arg(config.seed)
            .arg(config.effectiveThreads())
            .arg(config.trainLimit > 0 ? tr(", first %1 training images").arg(config.trainLimit) : QString()));
    log(tr("Network: %1. Recipe: %2.").arg(config.networkText(), m_recipe->summary()));
    updateButtons();
}

void TrainTab::onBatch(const core::BatchStats &s)
{
    ++m_batchUpdates;
    const int runEpochs = std::max(1, m_runEpochs - m_runFirstEpoch + 1);
    const qint64 totalBatches = qint64(runEpochs) * s.batchesPerEpoch;
    const qint64 doneBatches = qint64(s.epoch - m_runFirstEpoch) * s.batchesPerEpoch + s.batch;
    m_lastBatchIndex = doneBatches;
    m_progress->setValue(int(kProgressSteps * doneBatches / std::max<qint64>(1, totalBatches)));
    m_progress->setFormat(tr("Epoch %1/%2").arg(s.epoch).arg(s.epochs));
    // ETA from the run's training throughput; the per-epoch evaluation is not counted.
    const double remainingImages = double(totalBatches - doneBatches) * m_runBatchSize;
    const double eta = s.imagesPerSecond > 0 ? remainingImages / s.imagesPerSecond : -1;
    m_progressDetails->setText(tr("batch %1/%2   %3 images/s   loss %4   ETA %5%6")
                                   .arg(s.batch, QString::number(s.batchesPerEpoch).size())
                                   .arg(s.batchesPerEpoch)
                                   .arg(QLocale().toString(qint64(std::lround(s.imagesPerSecond))))
                                   .arg(s.loss, 0, 'f', 4)
                                   .arg(formatDuration(eta))
                                   .arg(m_controller->isPaused() ? tr("   (paused)") : QString()));
}

void TrainTab::onBatchLosses(const core::BatchLosses &losses)
{
    for (float loss : losses.losses) {
        const QString reason = m_divergence.addLoss(loss);
        if (!reason.isEmpty()) {
            reportDivergence(reason);
            break;
        }
    }
}

void TrainTab::reportDivergence(const QString &reason)
{
    const core::TrainConfig c = config();
    const double suggestion = std::max(core::kMinLearningRate, std::min(c.learningRate / 10, 1e-3));
    const QString text = tr("Training is diverging: %1. The learning rate %2 is probably too large; "
                            "try %3 (the usual range is %4-%5). Stop, then start over with the smaller rate.")
                             .arg(reason)
                             .arg(c.learningRate)
                             .arg(suggestion)
                             .arg(core::kUsualLearningRateLow)
                             .arg(core::kUsualLearningRateHigh);
    log(tr("Warning: %1").arg(text));
    m_divergeText->setText(QStringLiteral("<b>%1</b>").arg(text.toHtmlEscaped()));
    m_divergeBanner->setVisible(m_controller->isRunning());
    Q_EMIT statusMessage(tr("Training is diverging: %1; try a smaller learning rate.").arg(reason));
}

void TrainTab::onEpoch(const core::EpochStats &e)
{
    m_charts->addEpoch(e);
    log(tr("Epoch %1/%2  train loss %3 acc %4  test loss %5 acc %6  %7 s  %8 img/s")
            .arg(e.epoch, 2)
            .arg(e.epochs)
            .arg(e.trainLoss, 0, 'f', 4)
            .arg(percent(e.trainAccuracy))
            .arg(e.testLoss, 0, 'f', 4)
            .arg(percent(e.testAccuracy))
            .arg(e.seconds, 0, 'f', 1)
            .arg(qint64(std::lround(e.imagesPerSecond))));
    const QString reason = m_divergence.addEpoch(e);
    if (!reason.isEmpty())
        reportDivergence(reason);
}

void TrainTab::onFinished(const core::TrainingSummary &summary)
{
    if (m_pauseTimer.isValid())
        m_pausedMs += m_pauseTimer.elapsed();
    m_pauseTimer.invalidate();
    // The run's time without its pauses: what the training took.
    const double active = std::max(0.0, summary.seconds - m_pausedMs / 1000.0);
    const QString paused = m_pausedMs >= 1000 ? tr(" (plus %1 paused)").arg(formatDuration(m_pausedMs / 1000.0)) : QString();
    m_progressDetails->clear(); // no ETA for a run that is over
    m_divergeBanner->hide();
    if (summary.stopped) {
        m_progress->setFormat(tr("Stopped at epoch %1 (%2 complete)").arg(summary.epochsDone + 1).arg(summary.epochsDone));
        log(tr("Stopped after %1%2; %3 complete.").arg(formatDuration(active), paused, epochsText(summary.epochsDone)));
    } else {
        m_progress->setValue(kProgressSteps);
        m_progress->setFormat(tr("Done: %1").arg(epochsText(summary.epochsDone)));
        log(tr("Finished in %1%2: test accuracy %3.").arg(formatDuration(active), paused, percent(summary.lastTestAccuracy)));
    }
    // After a run, Start continues it by default.
    m_continueChoice->setChecked(true);
    shrinkEditorForRun(false);
    updateButtons();
}

void TrainTab::shrinkEditorForRun(bool shrink)
{
    const QList<int> sizes = m_editorSplitter->sizes();
    if (sizes.size() != 2)
        return;
    if (shrink) {
        if (!m_editorSizesBeforeRun.isEmpty())
            return;
        m_editorSizesBeforeRun = sizes;
        m_editor->setCompact(true);
        QWidget *pane = m_editorSplitter->widget(0);
        // The layouts set their widgets' minimum sizes when activated, else only at the next
        // event loop pass: the splitter would keep the editor's old minimum height.
        m_editor->layout()->activate();
        pane->layout()->activate();
        const int compact = pane->minimumSizeHint().height();
        m_editorSplitter->setSizes({compact, sizes[0] + sizes[1] - compact});
    } else if (!m_editorSizesBeforeRun.isEmpty()) {
        m_editor->setCompact(false);
        m_editorSplitter->setSizes(m_editorSizesBeforeRun);
        m_editorSizesBeforeRun.clear();
    }
}

void TrainTab::onFailed(const QString &message)
{
    shrinkEditorForRun(false);
    m_progress->setFormat(tr("Failed"));
    m_progressDetails->clear();
    log(tr("Error: %1").arg(message));
    if (message.contains(QStringLiteral("NaN")) || message.contains(QStringLiteral("infinite"))) {
        const QString reason = m_divergence.addLoss(std::numeric_limits<double>::quiet_NaN());
        if (!reason.isEmpty())
            reportDivergence(reason);
    }
    updateButtons();
}

void TrainTab::onModelInfo(bool replaceCharts)
{
    const core::CheckpointInfo &info = m_document->info();
    if (replaceCharts) {
        m_charts->setHistory(info.history, std::max(m_epochs->value(), info.epochsDone));
        m_progress->setValue(0);
        m_progress->setFormat(tr("Idle"));
        m_progressDetails->clear();
    }
    const bool accuracyKnown = m_document->testAccuracy() >= 0 || m_document->isEvaluating();
    m_modelSummary->setText(tr("Current model: %1, %2%3.")
                                .arg(info.architecture, epochsDoneText(*m_document),
                                     accuracyKnown ? tr(", test accuracy %1").arg(accuracyText(*m_document)) : QString()));
    updateButtons();
}

void TrainTab::onDataLoaded(const QString &dir, int trainCount, int testCount)
{
    m_dataPanel->hide();
    if (const auto set = m_document->testSet())
        m_datasetPicker->showDataset(set->dataset, QFileInfo(set->imagesPath).absolutePath());
    log(tr("%1: %2 training and %3 test images from %4.")
            .arg(m_document->testSet() ? m_document->testSet()->dataset.name : QStringLiteral("MNIST"))
            .arg(trainCount)
            .arg(testCount)
            .arg(QDir::toNativeSeparators(dir)));
    updateButtons();
}

void TrainTab::onDataFailed(const QString &dir, const QString &message)
{
    // The folder just tried first (a folder the user chose is not among the defaults).
    QStringList places{QDir::toNativeSeparators(dir)};
    for (const QString &candidate : core::mnist::candidateDataDirs())
        if (!places.contains(QDir::toNativeSeparators(candidate)))
            places << QDir::toNativeSeparators(candidate);
    m_dataMessage->setText(tr("<b>MNIST data not found.</b> Training needs it; drawing works with the bundled "
                              "model.<br><br>%1<br><br>Looked in:<br>%2")
                               .arg(message.toHtmlEscaped(), places.join(QStringLiteral("<br>")).toHtmlEscaped()
                                                                 .replace(QStringLiteral("&lt;br&gt;"), QStringLiteral("<br>"))));
    m_dataPanel->show();
    log(tr("MNIST not loaded from %1: %2").arg(QDir::toNativeSeparators(dir), message));
    updateButtons();
}

void TrainTab::chooseDataDir()
{
    const QString dir = QFileDialog::getExistingDirectory(this, tr("Folder with the four MNIST files"),
                                                          m_document->dataDir());
    if (dir.isEmpty())
        return;
    if (m_controller->loadData(dir))
        Q_EMIT dataDirChosen(dir);
}

QString TrainTab::exportCharts(const QString &path)
{
    try {
        core::safefile::writePng(path, m_charts->toImage()); // atomic, never over a device or FIFO
    } catch (const core::FileError &e) {
        return tr("Cannot write the PNG file %1: %2").arg(QDir::toNativeSeparators(path), e.message());
    }
    return {};
}

} // namespace ui
