#include "mainwindow.h"
#include "ui/datasetpicker.h"
#include "core/dataset.h"
#include "ui/browse/browsetab.h"
#include "ui/draw/drawtab.h"
#include "ui/runs/runstab.h"
#include "inside/insidetab.h"
#include "inside/modelexporter.h"
#include "historycsv.h"
#include "modeldocument.h"
#include "ui/train/traintab.h"
#include "trainingcontroller.h"
#include "userguide.h"
#include "core/classifier.h"
#include "core/metrics.h"
#include "core/mnist.h"
#include "core/version.h"
#include <QApplication>
#include <QCloseEvent>
#include <QComboBox>
#include <QDir>
#include <QDragEnterEvent>
#include <QDropEvent>
#include <QFileDialog>
#include <QFileInfo>
#include <QLabel>
#include <QMenu>
#include <QMenuBar>
#include <QMimeData>
#include <QSettings>
#include <QStandardPaths>
#include <QStatusBar>
#include <QTabBar>
#include <QTabWidget>
#include <QVBoxLayout>

namespace ui {

namespace {

// Entries of File > Open Recent: enough for a working set, short enough to scan.
constexpr int kMaxRecentFiles = 8;
// How long closing waits for a stopping run or a save before giving up on it.
constexpr int kShutdownWaitMs = 15000;
const QString kRecentKey = QStringLiteral("recentFiles");
// The saved model open at the end of the last session (empty: the bundled or an unsaved one).
const QString kLastModelKey = QStringLiteral("window/lastModel");
const QString kDataDirKey = QStringLiteral("data/dir");
// The dataset chosen last ("mnist", "fashion-mnist" or a folder; issue 20).
const QString kDatasetKey = QStringLiteral("data/dataset");
const QString kCheckpointFilter = QStringLiteral("DigitLab checkpoints (*.pt);;All files (*)");

// Shared with the Train tab and the CLI: one definition each in core/metrics.h.
using core::countText;
constexpr auto &percent = core::percentText;

} // namespace

MainWindow::MainWindow(QWidget *parent) : MainWindow(Options{}, parent) {}

MainWindow::MainWindow(const Options &options, QWidget *parent)
    : QMainWindow(parent), m_options(options)
{
    setObjectName(QStringLiteral("mainWindow"));
    setAcceptDrops(true);
    m_document = new ModelDocument(this);
    m_controller = new TrainingController(m_document, this);
    createTabs();
    createActions();
    createMenus();
    createStatusBar();
    connectController();
    if (m_options.restoreSettings)
        restoreWindowSettings();
    else
        resize(1200, 780);
    startUp();
    updateActions();
    updateStatus();
}

MainWindow::~MainWindow()
{
    // Join the worker before the tabs that listen to it go away.
    m_controller->shutdown(kShutdownWaitMs);
}

void MainWindow::createTabs()
{
    m_tabs = new QTabWidget(this);
    m_tabs->setDocumentMode(true);
    // Desktops that move Tab through text fields and lists only (GNOME's, macOS's setting) skip a
    // TabFocus tab bar: StrongFocus keeps the pages reachable from the keyboard (issue 16).
    m_tabs->tabBar()->setFocusPolicy(Qt::StrongFocus);
    m_trainTab = new TrainTab(m_controller, this);
    m_tabs->addTab(m_trainTab, tr("&Train"));
    m_tabs->addTab(new DrawTab(m_document, this), tr("&Draw"));
    auto *browseTab = new BrowseTab(m_document, this);
    m_tabs->addTab(browseTab, tr("&Browse"));
    connect(browseTab->datasetPicker(), &DatasetPicker::datasetChosen, this, &MainWindow::loadDataset);
    // The Inside tab asks for live weight snapshots while it is shown.
    m_insideTab = new InsideTab(m_document, this);
    m_tabs->addTab(m_insideTab, tr("&Inside"));
    connect(m_insideTab, &InsideTab::liveSnapshotsWanted, m_controller, &TrainingController::setLiveSnapshotInterval);
    connect(m_controller, &TrainingController::liveSnapshot, m_insideTab, &InsideTab::showTrainingSnapshot);
    // The Runs tab records every run of the controller (issue 19).
    m_runsTab = new RunsTab(m_controller, QString(), this);
    m_tabs->addTab(m_runsTab, tr("R&uns")); // Alt+R is Threads on the Train tab
    connect(m_runsTab, &RunsTab::statusMessage, this, [this](const QString &text) { statusBar()->showMessage(text, 30000); });
    connect(m_runsTab, &RunsTab::openCheckpointRequested, this, &MainWindow::openFile);
    connect(m_runsTab, &RunsTab::trainAgainRequested, this, [this](const core::TrainConfig &config) {
        m_trainTab->setConfig(config);
        m_trainTab->setStartOver(true);
        m_tabs->setCurrentWidget(m_trainTab);
        startTraining();
    });
    m_exporter = new ModelExporter(m_document, this);
    m_exporter->setErrorSink([this](const QString &message) { report(QMessageBox::Critical, tr("Export failed"), message); });
    connect(m_exporter, &ModelExporter::exported, this, [this](const QString &path) { exportedTo(tr("the model"), path); });
    setCentralWidget(m_tabs);

    connect(m_trainTab, &TrainTab::startRequested, this, &MainWindow::startTraining);
    connect(m_trainTab, &TrainTab::resetRequested, this, &MainWindow::resetWeights);
    connect(m_trainTab, &TrainTab::statusMessage, this, [this](const QString &text) { statusBar()->showMessage(text, 30000); });
    connect(m_trainTab, &TrainTab::dataDirChosen, this, [](const QString &dir) { QSettings().setValue(kDataDirKey, dir); });
    connect(m_trainTab, &TrainTab::datasetChosen, this, &MainWindow::loadDataset);
}

void MainWindow::loadDataset(const QString &spec)
{
    QSettings().setValue(kDatasetKey, spec);
    // The data folder chosen by hand is MNIST's; other datasets are found where they live.
    QString dir;
    if (spec == QLatin1String("mnist")) {
        dir = m_options.dataDir;
        const QString chosen = QSettings().value(kDataDirKey).toString();
        if (dir.isEmpty() && !chosen.isEmpty() && core::mnist::isPresent(chosen))
            dir = chosen;
    }
    m_controller->loadData(dir, spec);
    m_dataLabel->setText(tr("%1: loading…").arg(spec.contains(QLatin1Char('/')) ? QDir(spec).dirName() : spec));
}

void MainWindow::startUp()
{
    // Start-up requests run in order on the worker: fresh weights, the data, the bundled model.
    m_controller->initialize(m_trainTab->config());
    if (m_options.loadData) {
        // The dataset of the last session; an explicit data folder is MNIST's.
        const QString spec = m_options.dataDir.isEmpty() && m_options.restoreSettings
                                 ? QSettings().value(kDatasetKey, QStringLiteral("mnist")).toString()
                                 : QStringLiteral("mnist");
        loadDataset(spec.isEmpty() ? QStringLiteral("mnist") : spec);
    } else {
        m_dataLabel->setText(tr("MNIST: not loaded"));
    }
    if (m_options.loadBundledModel) {
        // Draw, Browse and Inside open on the best bundled model (issue 17); the Train tab's form
        // keeps its own network (the tutorial's at first).
        const QString bundled = m_options.bundledModel.isEmpty() ? core::Classifier::defaultBundledName() : m_options.bundledModel;
        m_controller->load(core::Classifier::bundledPath(bundled));
        // Reopen the model of the last session, as document applications do; should it fail,
        // the bundled model loaded first stays.
        const QString last = m_options.restoreSettings ? QSettings().value(kLastModelKey).toString() : QString();
        if (!last.isEmpty() && QFileInfo(last).isFile())
            m_controller->load(last);
    }
}

void MainWindow::createActions()
{
    m_openAction = new QAction(tr("&Open…"), this);
    m_openAction->setShortcuts(QKeySequence::Open);
    connect(m_openAction, &QAction::triggered, this, [this] {
        const QString current = currentPath();
        const QString dir = current.isEmpty() ? startFolder() : QFileInfo(current).absolutePath();
        const QString path = QFileDialog::getOpenFileName(this, tr("Open checkpoint"), dir, kCheckpointFilter);
        if (!path.isEmpty())
            openFile(path);
    });
    m_importAction = new QAction(tr("&Import PyTorch Weights…"), this);
    connect(m_importAction, &QAction::triggered, this, [this] {
        const QString path = QFileDialog::getOpenFileName(
            this, tr("Import PyTorch weights (a state_dict of the seed model)"), startFolder(),
            tr("PyTorch weights (*.pt *.pth);;All files (*)"));
        if (!path.isEmpty())
            importWeights(path);
    });
    m_saveAction = new QAction(tr("&Save"), this);
    m_saveAction->setShortcuts(QKeySequence::Save);
    connect(m_saveAction, &QAction::triggered, this, [this] { save(); });
    m_saveAsAction = new QAction(tr("Save &As…"), this);
    m_saveAsAction->setShortcut(QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_S));
    connect(m_saveAsAction, &QAction::triggered, this, [this] { saveAs(); });
    // File > Bundled Model: one entry per bundled model, each a "revert to" that model.
    QString mnemonics;
    for (const QString &name : core::Classifier::bundledNames()) {
        // The first letter of the name no other entry took.
        QString text = name;
        for (int i = 0; i < name.size(); ++i)
            if (name.at(i).isLetter() && !mnemonics.contains(name.at(i).toLower())) {
                mnemonics += name.at(i).toLower();
                text.insert(i, QLatin1Char('&'));
                break;
            }
        QAction *action = new QAction(text, this);
        action->setObjectName(QStringLiteral("bundledModel_%1").arg(name));
        action->setStatusTip(tr("Open the bundled %1 model (asks first if the current weights are not saved)").arg(name));
        connect(action, &QAction::triggered, this, [this, name] { revertToBundled(name); });
        m_bundledActions << action;
    }
    createExportActions();
    m_quitAction = new QAction(tr("&Quit"), this);
    m_quitAction->setShortcuts(QKeySequence::Quit);
    connect(m_quitAction, &QAction::triggered, this, &QWidget::close);

    m_guideAction = new QAction(tr("DigitLab &User Guide"), this);
    m_guideAction->setShortcuts(QKeySequence::HelpContents);
    connect(m_guideAction, &QAction::triggered, this, [this] { showUserGuide(this); });
    m_aboutQtAction = new QAction(tr("About &Qt"), this);
    connect(m_aboutQtAction, &QAction::triggered, qApp, &QApplication::aboutQt);
    m_aboutAction = new QAction(tr("&About DigitLab"), this);
    connect(m_aboutAction, &QAction::triggered, this, [this] {
        QMessageBox::about(this, tr("About DigitLab"),
                           tr("<b>DigitLab %1</b><br>Train, draw and browse an MNIST digit classifier.<br>"
                              "Qt %2, LibTorch.")
                               .arg(core::version(), QString::fromLatin1(qVersion())));
    });
}

void MainWindow::createExportActions()
{
    m_exportPathPrompt = [this](const QString &title, const QString &suggestion, const QString &filter) {
        return QFileDialog::getSaveFileName(this, title, suggestion, filter);
    };
    m_exportChartsAction = new QAction(tr("Export &Charts as PNG…"), this);
    connect(m_exportChartsAction, &QAction::triggered, this, [this] {
        const QString path = m_exportPathPrompt(tr("Export charts"), QStringLiteral("digitlab-charts.png"), tr("PNG images (*.png)"));
        if (path.isEmpty())
            return;
        const QString error = m_trainTab->exportCharts(path);
        if (!error.isEmpty())
            report(QMessageBox::Critical, tr("Export failed"), error);
        else
            exportedTo(tr("the charts"), path);
    });
    m_exportHistoryAction = new QAction(tr("Export &History as CSV…"), this);
    connect(m_exportHistoryAction, &QAction::triggered, this, [this] {
        const QString path = m_exportPathPrompt(tr("Export history"), QStringLiteral("digitlab-history.csv"), tr("CSV files (*.csv)"));
        if (path.isEmpty())
            return;
        const QString error = writeHistoryCsv(path, m_document->history());
        if (!error.isEmpty())
            report(QMessageBox::Critical, tr("Export failed"), error);
        else
            exportedTo(tr("the history"), path);
    });
}

void MainWindow::exportedTo(const QString &what, const QString &path)
{
    // Exports gave no sign of success (issue 16 item 9): name the file written.
    const QString text = tr("Exported %1 to %2.").arg(what, QDir::toNativeSeparators(QFileInfo(path).absoluteFilePath()));
    statusBar()->showMessage(text, 10000);
    m_trainTab->log(text);
}

void MainWindow::createMenus()
{
    QMenu *file = menuBar()->addMenu(tr("&File"));
    file->addAction(m_openAction);
    file->addAction(m_importAction);
    m_recentMenu = file->addMenu(tr("Open &Recent"));
    connect(m_recentMenu, &QMenu::aboutToShow, this, &MainWindow::rebuildRecentMenu);
    file->addSeparator();
    file->addAction(m_saveAction);
    file->addAction(m_saveAsAction);
    QMenu *bundled = file->addMenu(tr("&Bundled Model"));
    bundled->setObjectName(QStringLiteral("bundledModelMenu"));
    bundled->addActions(m_bundledActions);
    file->addSeparator();
    file->addAction(m_exportChartsAction);
    file->addAction(m_exportHistoryAction);
    m_exporter->addTo(file); // File > Export Model (issue 11)
    file->addSeparator();
    file->addAction(m_quitAction);

    QMenu *help = menuBar()->addMenu(tr("&Help"));
    help->addAction(m_guideAction);
    help->addAction(m_aboutQtAction);
    help->addSeparator();
    help->addAction(m_aboutAction);
}

void MainWindow::createStatusBar()
{
    // The model picker: the bundled models, the current model, and the last file after a switch.
    m_modelPicker = new QComboBox(this);
    m_modelPicker->setObjectName(QStringLiteral("modelPicker"));
    m_modelPicker->setAccessibleName(tr("Model in use"));
    m_modelPicker->setToolTip(tr("The model the Draw, Browse and Inside tabs use: a bundled model, or yours"));
    m_modelPicker->setSizeAdjustPolicy(QComboBox::AdjustToContents);
    connect(m_modelPicker, &QComboBox::activated, this, &MainWindow::onModelPicked);
    statusBar()->addPermanentWidget(m_modelPicker);
    m_modelLabel = new QLabel(this);
    m_modelLabel->setObjectName(QStringLiteral("modelStatus"));
    m_dataLabel = new QLabel(this);
    m_deviceLabel = new QLabel(this);
    statusBar()->addPermanentWidget(m_modelLabel, 1);
    statusBar()->addPermanentWidget(m_dataLabel);
    statusBar()->addPermanentWidget(m_deviceLabel);
}

void MainWindow::connectController()
{
    connect(m_document, &ModelDocument::infoChanged, this, &MainWindow::updateStatus);
    connect(m_document, &ModelDocument::fileChanged, this, &MainWindow::updateStatus);
    connect(m_document, &ModelDocument::evaluationChanged, this, &MainWindow::updateStatus);
    connect(m_document, &ModelDocument::testSetChanged, this, &MainWindow::updateDataLabel);
    const TrainingController *c = m_controller;
    connect(c, &TrainingController::stateChanged, this, &MainWindow::updateActions);
    connect(c, &TrainingController::started, this, [this](const core::TrainConfig &config) {
        m_deviceLabel->setText(tr("CPU · %1").arg(countText(config.effectiveThreads(), "1 training thread", "%1 training threads")));
    });
    connect(c, &TrainingController::finished, this, [this](const core::TrainingSummary &summary) {
        if (m_trainTab->divergenceText().isEmpty()) // else the divergence warning stays up
            statusBar()->showMessage(summary.stopped ? tr("Training stopped.") : tr("Training finished."), 5000);
    });
    connect(c, &TrainingController::failed, this, [this](const QString &message) {
        report(QMessageBox::Critical, tr("Training failed"), message);
    });
    connect(c, &TrainingController::loaded, this, &MainWindow::onLoaded);
    connect(c, &TrainingController::evaluated, this, [this](double accuracy, int, const QString &) {
        if (accuracy >= 0)
            statusBar()->showMessage(tr("%1: test accuracy %2.").arg(m_document->source(), percent(accuracy)), 10000);
    });
    connect(c, &TrainingController::loadFailed, this, &MainWindow::onLoadFailed);
    connect(c, &TrainingController::saved, this, &MainWindow::onSaved);
    connect(c, &TrainingController::saveFailed, this, [this](const QString &, const QString &message) {
        report(QMessageBox::Critical, tr("Cannot save checkpoint"), message);
    });
}

void MainWindow::onLoaded(const QString &path)
{
    const QString name = QFileInfo(path).fileName();
    if (core::Classifier::bundledName(path).isEmpty() && currentPath().isEmpty()) {
        // An import: a new model that belongs to no file yet, measured on the test set now.
        statusBar()->showMessage(m_document->isEvaluating() ? tr("Imported %1; measuring its accuracy on the test set…").arg(name)
                                                            : tr("Imported %1.").arg(name),
                                 10000);
        return;
    }
    // The file a next launch reopens (item 8 of issue 16): the bundled model is none.
    m_lastFile = currentPath();
    if (!currentPath().isEmpty())
        addRecentFile(currentPath());
    statusBar()->showMessage(tr("Opened %1.").arg(m_document->source()), 5000);
}

void MainWindow::onLoadFailed(const QString &path, const QString &message)
{
    if (!core::Classifier::bundledName(path).isEmpty()) {
        // An installation problem, not the user's doing: log it and go on with fresh weights.
        m_trainTab->log(tr("The bundled model could not be loaded: %1").arg(message));
        return;
    }
    report(QMessageBox::Critical, tr("Cannot open checkpoint"), tr("%1\n\nThe current model is unchanged.").arg(message));
}

void MainWindow::onSaved()
{
    m_lastFile = currentPath();
    addRecentFile(currentPath());
    m_trainTab->log(tr("Saved %1.").arg(QDir::toNativeSeparators(currentPath())));
    statusBar()->showMessage(tr("Saved %1.").arg(m_document->source()), 5000);
}

void MainWindow::updateDataLabel()
{
    if (m_document->isDataReady()) {
        m_dataLabel->setText(tr("%1: %2 + %3 images")
                                 .arg(m_document->testSet()->dataset.name, QLocale().toString(m_document->trainCount()),
                                      QLocale().toString(m_document->testSet()->count)));
        m_dataLabel->setToolTip(QDir::toNativeSeparators(m_document->dataDir()));
    } else {
        m_dataLabel->setText(tr("Data: missing"));
        m_dataLabel->setToolTip(m_document->dataError());
    }
}

QString MainWindow::currentPath() const
{
    return m_document->path();
}

bool MainWindow::isModified() const
{
    return m_document->isModified();
}

void MainWindow::report(QMessageBox::Icon icon, const QString &title, const QString &text)
{
    if (m_messageSink) {
        m_messageSink(icon, title, text);
        return;
    }
    // Window-modal but not blocking: the training signals keep flowing behind it.
    auto *box = new QMessageBox(icon, title, text, QMessageBox::Ok, this);
    box->setAttribute(Qt::WA_DeleteOnClose);
    box->open();
}

QString MainWindow::modelStatusText() const
{
    return m_modelLabel->text();
}

void MainWindow::updateStatus()
{
    // "tutorial: 2 conv + 2 linear, 21.8k weights · 15 epochs · test 99.01%": which model,
    // which network, how trained, how good.
    const core::CheckpointInfo &info = m_document->info();
    const QString name = m_document->bundledName().isEmpty() ? m_document->source() : m_document->bundledName();
    QString network;
    try {
        const core::Network net = core::Network::parse(info.config.networkText());
        network = net.summary(net.analyze().parameters);
    } catch (const core::Error &) {
        network = info.architecture; // a network this build cannot read: its name at least
    }
    QString text = tr("%1: %2 · %3").arg(name, network, TrainTab::epochsDoneText(*m_document));
    if (m_document->testAccuracy() >= 0 || m_document->isEvaluating())
        text += tr(" · test %1").arg(TrainTab::accuracyText(*m_document));
    text += tr(" · %1").arg(info.dataset.name); // the model's dataset (issue 20)
    text += isModified() ? tr(" · modified") : (currentPath().isEmpty() ? QString() : tr(" · saved"));
    m_modelLabel->setText(text);
    if (!m_controller->isRunning())
        m_deviceLabel->setText(tr("CPU · %1").arg(countText(m_trainTab->config().effectiveThreads(), "1 training thread", "%1 training threads")));
    updateModelPicker();
    updateTitle();
}

void MainWindow::updateModelPicker()
{
    const QSignalBlocker block(m_modelPicker);
    m_modelPicker->clear();
    if (!currentPath().isEmpty())
        m_pickerFile = currentPath();
    // A bundled model trained further is the user's own model now.
    const QString bundled = isModified() ? QString() : m_document->bundledName();
    int current = -1;
    for (const QString &name : core::Classifier::bundledNames()) {
        if (name == bundled)
            current = m_modelPicker->count();
        m_modelPicker->addItem(tr("%1 (bundled)").arg(name), QStringList{QStringLiteral("bundled"), name});
    }
    if (bundled.isEmpty()) {
        current = m_modelPicker->count();
        const QString own = currentPath().isEmpty() ? m_document->source() : QFileInfo(currentPath()).fileName();
        m_modelPicker->addItem(isModified() ? tr("%1 (unsaved)").arg(own) : own, QStringList{QStringLiteral("current")});
    }
    // The model with a file the user switched away from: one click to go back.
    if (!m_pickerFile.isEmpty() && m_pickerFile != currentPath() && QFileInfo(m_pickerFile).isFile()) {
        m_modelPicker->addItem(QFileInfo(m_pickerFile).fileName(), QStringList{QStringLiteral("file"), m_pickerFile});
        m_modelPicker->setItemData(m_modelPicker->count() - 1, QDir::toNativeSeparators(m_pickerFile), Qt::ToolTipRole);
    }
    m_modelPicker->setCurrentIndex(current);
}

void MainWindow::onModelPicked(int index)
{
    const QStringList what = m_modelPicker->itemData(index).toStringList();
    if (what.value(0) == QLatin1String("bundled"))
        revertToBundled(what.value(1));
    else if (what.value(0) == QLatin1String("file"))
        openFile(what.value(1));
    // Until the model is loaded (or when it was refused or cancelled) the picker shows the
    // model in use.
    updateModelPicker();
}

void MainWindow::updateTitle()
{
    setWindowTitle(tr("%1[*] — DigitLab").arg(currentPath().isEmpty() ? m_document->source() : QFileInfo(currentPath()).fileName()));
    setWindowModified(isModified());
}

void MainWindow::updateActions()
{
    const bool running = m_controller->isRunning();
    for (QAction *a : {m_openAction, m_importAction, m_saveAction, m_saveAsAction})
        a->setEnabled(!running);
    for (QAction *a : std::as_const(m_bundledActions))
        a->setEnabled(!running);
    m_modelPicker->setEnabled(!running);
    m_recentMenu->setEnabled(!running);
    if (!running)
        updateStatus();
}

QStringList MainWindow::recentFiles() const
{
    return QSettings().value(kRecentKey).toStringList();
}

void MainWindow::addRecentFile(const QString &path)
{
    QStringList files = recentFiles();
    files.removeAll(path);
    files.prepend(path);
    while (files.size() > kMaxRecentFiles)
        files.removeLast();
    QSettings().setValue(kRecentKey, files);
}

void MainWindow::rebuildRecentMenu()
{
    m_recentMenu->clear();
    QStringList files = recentFiles();
    // Files deleted or moved since are dropped for good.
    const auto missing = std::remove_if(files.begin(), files.end(), [](const QString &f) { return !QFileInfo::exists(f); });
    if (missing != files.end()) {
        files.erase(missing, files.end());
        QSettings().setValue(kRecentKey, files);
    }
    int number = 1;
    for (const QString &file : std::as_const(files)) {
        const QString text = QStringLiteral("&%1 %2").arg(number++).arg(QFileInfo(file).fileName());
        QAction *action = m_recentMenu->addAction(text, this, [this, file] { openFile(file); });
        action->setToolTip(QDir::toNativeSeparators(file));
        action->setStatusTip(QDir::toNativeSeparators(file));
    }
    if (files.isEmpty()) {
        m_recentMenu->addAction(tr("(none)"))->setEnabled(false);
        return;
    }
    m_recentMenu->addSeparator();
    m_recentMenu->addAction(tr("&Clear Menu"), this, [] { QSettings().remove(kRecentKey); });
}

bool MainWindow::maybeSave(const QString &question)
{
    if (!isModified())
        return true;
    QMessageBox::StandardButton answer;
    if (m_unsavedPrompt) {
        answer = m_unsavedPrompt(question);
    } else {
        answer = QMessageBox::warning(this, tr("Unsaved training"),
                                      question + QStringLiteral("\n\n") +
                                          tr("The weights trained since the last save will be lost otherwise."),
                                      QMessageBox::Save | QMessageBox::Discard | QMessageBox::Cancel, QMessageBox::Save);
    }
    if (answer == QMessageBox::Save)
        return saveNow();
    return answer == QMessageBox::Discard;
}

QString MainWindow::askSavePath()
{
    const QString suggestion = currentPath().isEmpty()
                                   ? startFolder() + QStringLiteral("/digitlab-seed-%1ep.pt").arg(m_document->epochsDone())
                                   : currentPath();
    if (m_savePathPrompt)
        return m_savePathPrompt(suggestion);
    QString path = QFileDialog::getSaveFileName(this, tr("Save checkpoint"), suggestion, kCheckpointFilter);
    if (!path.isEmpty() && QFileInfo(path).suffix().isEmpty())
        path += QStringLiteral(".pt");
    return path;
}

bool MainWindow::saveNow()
{
    if (m_controller->isRunning()) {
        m_controller->stop();
        if (!m_controller->waitForIdle(kShutdownWaitMs))
            return false;
    }
    const QString path = currentPath().isEmpty() ? askSavePath() : currentPath();
    if (path.isEmpty() || !m_controller->waitForIdle(kShutdownWaitMs) || !m_controller->save(path))
        return false;
    if (!m_controller->waitForIdle(kShutdownWaitMs))
        return false;
    // The saveFailed signal shows its own message when it is delivered.
    return m_controller->lastSaveError().isEmpty();
}

QString MainWindow::startFolder()
{
    // ~/Documents need not exist (issue 9 item 12): a dialog should start in a real folder.
    const QString documents = QStandardPaths::writableLocation(QStandardPaths::DocumentsLocation);
    return QFileInfo(documents).isDir() ? documents : QDir::homePath();
}

bool MainWindow::checkModelFile(const QString &path)
{
    // Read and validate the file before asking to discard the current model: a bad file is
    // refused with its reason and the unsaved work is never put at risk (issue 9 item 11). The
    // reader is bounded in memory and time, and a checkpoint is a few hundred kB.
    try {
        core::Classifier::fromFile(path);
    } catch (const std::exception &e) {
        report(QMessageBox::Critical, tr("Cannot open the file"), QString::fromUtf8(e.what()));
        return false;
    }
    return true;
}

bool MainWindow::openFile(const QString &path)
{
    if (m_controller->isRunning()) {
        report(QMessageBox::Information, tr("Training is running"), tr("Stop the training before opening a checkpoint."));
        return false;
    }
    if (!checkModelFile(path))
        return false;
    if (!maybeSave(tr("Open %1 without saving the current model?").arg(QFileInfo(path).fileName())))
        return false;
    return m_controller->load(path);
}

bool MainWindow::importWeights(const QString &path)
{
    if (m_controller->isRunning()) {
        report(QMessageBox::Information, tr("Training is running"), tr("Stop the training before importing weights."));
        return false;
    }
    if (!checkModelFile(path))
        return false;
    if (!maybeSave(tr("Import %1 without saving the current model?").arg(QFileInfo(path).fileName())))
        return false;
    return m_controller->importWeights(path);
}

bool MainWindow::saveTo(const QString &path)
{
    if (path.isEmpty())
        return false;
    return m_controller->save(path);
}

bool MainWindow::save()
{
    if (currentPath().isEmpty())
        return saveAs();
    return saveTo(currentPath());
}

bool MainWindow::saveAs()
{
    return saveTo(askSavePath());
}

void MainWindow::revertToBundled(const QString &name)
{
    const QString bundled = name.isEmpty() ? core::Classifier::defaultBundledName() : name;
    if (m_controller->isRunning() || core::Classifier::bundledPath(bundled).isEmpty())
        return;
    if (bundled == m_document->bundledName() && !isModified())
        return; // already in use, unchanged
    if (!maybeSave(tr("Open the bundled %1 model without saving the current one?").arg(bundled)))
        return;
    m_controller->load(core::Classifier::bundledPath(bundled));
}

void MainWindow::startTraining()
{
    const core::TrainConfig config = m_trainTab->config();
    const QString invalid = config.validate();
    if (!invalid.isEmpty()) {
        report(QMessageBox::Warning, tr("Invalid hyper-parameters"), invalid);
        return;
    }
    const bool fromScratch = m_trainTab->startsFromScratch();
    if (fromScratch && !maybeSave(tr("Start a new model without saving the current one?")))
        return;
    // Weights that learnt another dataset continue on this one only when the user says so.
    if (const auto set = m_document->testSet(); !fromScratch && set && m_document->info().epochsDone > 0) {
        if (const QString why = core::datasetMismatch(m_document->info().dataset, set->dataset); !why.isEmpty()) {
            if (QMessageBox::question(this, tr("Continue on another dataset?"),
                                      tr("%1.\n\nContinue training this model on %2 anyway?").arg(why, set->dataset.name))
                != QMessageBox::Yes)
                return;
            m_controller->acceptDataset();
        }
    }
    // The document becomes a new, unsaved model when the run starts (TrainingController).
    m_controller->start(config, fromScratch);
}

void MainWindow::resetWeights()
{
    if (!maybeSave(tr("Reset the weights without saving the current model?")))
        return;
    m_controller->reset(m_trainTab->config());
}

void MainWindow::closeEvent(QCloseEvent *event)
{
    if (m_shutDown) {
        event->accept();
        return;
    }
    if (!maybeSave(tr("Save the trained weights before closing?"))) {
        event->ignore();
        return;
    }
    saveWindowSettings();
    // Stops a run within one batch and joins the thread: no half-written file (saves are atomic
    // and finish before the thread sees quit()), no worker left touching a deleted window.
    m_controller->shutdown(kShutdownWaitMs);
    m_shutDown = true;
    event->accept();
}

void MainWindow::dragEnterEvent(QDragEnterEvent *event)
{
    const auto urls = event->mimeData()->urls();
    if (urls.size() == 1 && urls.first().isLocalFile() && !m_controller->isRunning())
        event->acceptProposedAction();
}

void MainWindow::dropEvent(QDropEvent *event)
{
    const auto urls = event->mimeData()->urls();
    if (urls.size() != 1 || !urls.first().isLocalFile())
        return;
    event->acceptProposedAction();
    const QString path = urls.first().toLocalFile();
    // Open after the drop returns: the unsaved prompt must not run inside the drag's event.
    QMetaObject::invokeMethod(this, [this, path] { openFile(path); }, Qt::QueuedConnection);
}

void MainWindow::restoreWindowSettings()
{
    QSettings settings;
    if (!restoreGeometry(settings.value(QStringLiteral("window/geometry")).toByteArray()))
        resize(1200, 780);
    restoreState(settings.value(QStringLiteral("window/state")).toByteArray());
    m_trainTab->restoreSettings(settings);
    m_tabs->setCurrentIndex(std::clamp(settings.value(QStringLiteral("window/tab"), 0).toInt(), 0, m_tabs->count() - 1));
}

void MainWindow::saveWindowSettings()
{
    if (!m_options.restoreSettings)
        return;
    QSettings settings;
    settings.setValue(QStringLiteral("window/geometry"), saveGeometry());
    settings.setValue(QStringLiteral("window/state"), saveState());
    settings.setValue(QStringLiteral("window/tab"), m_tabs->currentIndex());
    // The model of this session if it has a file; else the last file saved or opened (issue 16
    // item 8: an import discarded at Quit must not make the next launch forget that file).
    settings.setValue(kLastModelKey, currentPath().isEmpty() ? m_lastFile : currentPath());
    m_trainTab->saveSettings(settings);
}

} // namespace ui
