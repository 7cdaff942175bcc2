#include "mainwindow.h"
#include "browsetab.h"
#include "drawtab.h"
#include "inside/insidetab.h"
#include "inside/modelexporter.h"
#include "modelstate.h"
#include "traintab.h"
#include "trainingcontroller.h"
#include "userguide.h"
#include "core/classifier.h"
#include "core/mnist.h"
#include "core/trainingworker.h"
#include "core/version.h"
#include <QApplication>
#include <QCloseEvent>
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
const QString kCheckpointFilter = QStringLiteral("DigitLab checkpoints (*.pt);;All files (*)");

// No translation catalogue ships yet, so tr()'s %n plural would print "epoch(s)": spell it out.
QString countText(int n, const char *one, const char *many)
{
    return n == 1 ? QObject::tr(one) : QObject::tr(many).arg(n);
}

QString percent(double fraction)
{
    return QString::number(100.0 * fraction, 'f', 2) + QLatin1Char('%');
}

} // namespace

MainWindow::MainWindow(QWidget *parent) : MainWindow(Options{}, parent) {}

MainWindow::MainWindow(const Options &options, QWidget *parent)
    : QMainWindow(parent), m_options(options)
{
    setObjectName(QStringLiteral("mainWindow"));
    setAcceptDrops(true);
    m_modelState = new ModelState(this);
    m_controller = new TrainingController(this);
    m_modelSource = tr("new model");

    m_tabs = new QTabWidget(this);
    m_tabs->setDocumentMode(true);
    m_trainTab = new TrainTab(m_controller, m_modelState, this);
    m_tabs->addTab(m_trainTab, tr("&Train"));
    {
        ModelState *modelState = m_modelState;
        // Draw and Browse tabs (issue 4)
        QWidget *drawTab = new ui::DrawTab(modelState, this);
        QWidget *browseTab = new ui::BrowseTab(modelState, this);
        // (end of the issue 4 spot)
        m_tabs->addTab(drawTab, tr("&Draw"));
        m_tabs->addTab(browseTab, tr("&Browse"));
    }
    {
        // Inside tab and File > Export Model (issue 11). The tab asks the worker for live weight
        // snapshots while it is shown (an atomic: safe from this thread).
        m_insideTab = new InsideTab(m_modelState, this);
        m_tabs->addTab(m_insideTab, tr("&Inside"));
        core::TrainingWorker *worker = m_controller->worker();
        // The worker as context, called directly: closing deletes the worker before the tab's
        // hideEvent asks for no more snapshots, and the connection must die with it (ASan, issue 8).
        connect(m_insideTab, &InsideTab::liveSnapshotsWanted, worker, [worker](int ms) { worker->setLiveSnapshotInterval(ms); },
                Qt::DirectConnection);
        connect(worker, &core::TrainingWorker::liveSnapshot, m_insideTab, &InsideTab::showTrainingSnapshot);
        m_exporter = new ModelExporter(m_modelState, this);
        m_exporter->setErrorSink([this](const QString &message) { report(QMessageBox::Critical, tr("Export failed"), message); });
    }
    setCentralWidget(m_tabs);

    buildMenus();
    buildStatusBar();
    connectWorker();
    connect(m_trainTab, &TrainTab::startRequested, this, &MainWindow::startTraining);
    connect(m_trainTab, &TrainTab::resetRequested, this, &MainWindow::resetWeights);
    connect(m_trainTab, &TrainTab::statusMessage, this, [this](const QString &text) { statusBar()->showMessage(text, 30000); });
    connect(m_trainTab, &TrainTab::dataDirChosen, this, [](const QString &dir) {
        QSettings().setValue(kDataDirKey, dir);
    });
    connect(m_controller, &TrainingController::stateChanged, this, &MainWindow::updateActions);

    if (m_options.restoreSettings)
        restoreWindowSettings();
    else
        resize(1200, 780);

    // Start-up requests run in order on the worker: fresh weights, the data, the bundled model.
    m_controller->initialize(m_trainTab->config());
    if (m_options.loadData) {
        QString dir = m_options.dataDir;
        if (dir.isEmpty()) {
            const QString chosen = QSettings().value(kDataDirKey).toString();
            if (!chosen.isEmpty() && core::mnist::isPresent(chosen))
                dir = chosen;
        }
        m_dataLabel->setText(tr("MNIST: loading…"));
        m_controller->loadData(dir);
    } else {
        m_dataLabel->setText(tr("MNIST: not loaded"));
    }
    if (m_options.loadBundledModel) {
        m_controller->load(core::Classifier::bundledPath());
        // Reopen the model of the last session, as document applications do; should it fail,
        // the bundled model loaded first stays.
        const QString last = m_options.restoreSettings ? QSettings().value(kLastModelKey).toString() : QString();
        if (!last.isEmpty() && QFileInfo(last).isFile())
            m_controller->load(last);
    }
    updateActions();
    updateStatus();
}

MainWindow::~MainWindow()
{
    // Join the worker before the tabs that listen to it go away.
    m_controller->shutdown(kShutdownWaitMs);
}

void MainWindow::buildMenus()
{
    QMenu *file = menuBar()->addMenu(tr("&File"));
    m_openAction = file->addAction(tr("&Open…"), QKeySequence::Open, this, [this] {
        const QString dir = m_currentPath.isEmpty() ? startFolder() : QFileInfo(m_currentPath).absolutePath();
        const QString path = QFileDialog::getOpenFileName(this, tr("Open checkpoint"), dir, kCheckpointFilter);
        if (!path.isEmpty())
            openFile(path);
    });
    m_importAction = file->addAction(tr("&Import PyTorch Weights…"), this, [this] {
        const QString path = QFileDialog::getOpenFileName(
            this, tr("Import PyTorch weights (a state_dict of the seed model)"), startFolder(),
            tr("PyTorch weights (*.pt *.pth);;All files (*)"));
        if (!path.isEmpty())
            importWeights(path);
    });
    m_recentMenu = file->addMenu(tr("Open &Recent"));
    connect(m_recentMenu, &QMenu::aboutToShow, this, &MainWindow::rebuildRecentMenu);
    file->addSeparator();
    m_saveAction = file->addAction(tr("&Save"), QKeySequence::Save, this, [this] { save(); });
    m_saveAsAction = file->addAction(tr("Save &As…"), QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_S), this,
                                     [this] { saveAs(); });
    m_revertAction = file->addAction(tr("Re&vert to Bundled Model"), this, &MainWindow::revertToBundled);
    file->addSeparator();
    m_exportChartsAction = file->addAction(tr("Export &Charts as PNG…"), this, [this] {
        const QString path = QFileDialog::getSaveFileName(this, tr("Export charts"), QStringLiteral("digitlab-charts.png"),
                                                          tr("PNG images (*.png)"));
        if (path.isEmpty())
            return;
        const QString error = m_trainTab->exportCharts(path);
        if (!error.isEmpty())
            report(QMessageBox::Critical, tr("Export failed"), error);
    });
    m_exportHistoryAction = file->addAction(tr("Export &History as CSV…"), this, [this] {
        const QString path = QFileDialog::getSaveFileName(this, tr("Export history"), QStringLiteral("digitlab-history.csv"),
                                                          tr("CSV files (*.csv)"));
        if (path.isEmpty())
            return;
        const QString error = m_trainTab->exportHistory(path);
        if (!error.isEmpty())
            report(QMessageBox::Critical, tr("Export failed"), error);
    });
    m_exporter->addTo(file); // issue 11
    file->addSeparator();
    file->addAction(tr("&Quit"), QKeySequence::Quit, this, &QWidget::close);

    QMenu *help = menuBar()->addMenu(tr("&Help"));
    // Issue 9: a short user guide and About Qt.
    help->addAction(tr("DigitLab &User Guide"), QKeySequence::HelpContents, this, [this] { showUserGuide(this); });
    help->addAction(tr("About &Qt"), qApp, &QApplication::aboutQt);
    help->addSeparator();
    help->addAction(tr("&About DigitLab"), this, [this] {
        QMessageBox::about(this, tr("About DigitLab"),
                           tr("<b>DigitLab %1</b><br>Train, draw and browse an MNIST digit classifier.<br>"
                              "Qt %2, LibTorch.")
                               .arg(core::version(), QString::fromLatin1(qVersion())));
    });
}

void MainWindow::buildStatusBar()
{
    m_modelLabel = new QLabel(this);
    m_dataLabel = new QLabel(this);
    m_deviceLabel = new QLabel(this);
    statusBar()->addPermanentWidget(m_modelLabel, 1);
    statusBar()->addPermanentWidget(m_dataLabel);
    statusBar()->addPermanentWidget(m_deviceLabel);
}

void MainWindow::connectWorker()
{
    auto *w = m_controller->worker();
    connect(w, &core::TrainingWorker::snapshotReady, this,
            [this](const std::shared_ptr<const core::Classifier> &classifier, const core::CheckpointInfo &info) {
                m_info = info;
                m_modelState->setClassifier(classifier);
                updateStatus();
            });
    connect(w, &core::TrainingWorker::initialized, this, [this](const core::CheckpointInfo &info) {
        m_info = info;
        m_currentPath.clear();
        m_modelSource = tr("new model");
        setModified(false);
    });
    connect(w, &core::TrainingWorker::started, this, [this](const core::TrainConfig &config, int epochsDone) {
        m_deviceLabel->setText(tr("CPU · %1").arg(countText(config.effectiveThreads(), "1 training thread", "%1 training threads")));
        if (epochsDone == 0 && m_trainTab->startsFromScratch()) {
            // A new model: the status must not show the old one's epochs and accuracy.
            m_info.epochsDone = 0;
            m_info.partialBatches = 0;
            m_info.history.clear();
        }
        setModified(true);
    });
    connect(w, &core::TrainingWorker::epochFinished, this, [this](const core::EpochStats &) { updateStatus(); });
    connect(w, &core::TrainingWorker::finished, this, [this](const core::TrainingSummary &summary) {
        if (m_trainTab->divergenceText().isEmpty()) // else the divergence warning stays up
            statusBar()->showMessage(summary.stopped ? tr("Training stopped.") : tr("Training finished."), 5000);
    });
    connect(w, &core::TrainingWorker::failed, this, [this](const QString &message) {
        report(QMessageBox::Critical, tr("Training failed"), message);
    });
    connect(w, &core::TrainingWorker::resetDone, this, [this](const core::CheckpointInfo &info) {
        m_info = info;
        m_currentPath.clear();
        m_modelSource = tr("new model");
        setModified(false);
    });
    connect(w, &core::TrainingWorker::loaded, this, [this](const QString &path, const core::CheckpointInfo &info) {
        m_info = info;
        if (path == core::Classifier::bundledPath()) {
            m_currentPath.clear();
            m_modelSource = tr("bundled model");
        } else if (path == m_importPath) {
            m_importPath.clear();
            m_currentPath.clear();
            m_modelSource = tr("imported %1").arg(QFileInfo(path).fileName());
            setModified(true);
            statusBar()->showMessage(tr("Imported %1.").arg(QFileInfo(path).fileName()), 5000);
            return;
        } else {
            m_currentPath = QFileInfo(path).absoluteFilePath();
            m_modelSource = QFileInfo(path).fileName();
            addRecentFile(m_currentPath);
        }
        setModified(false);
        statusBar()->showMessage(tr("Opened %1.").arg(m_modelSource), 5000);
    });
    connect(w, &core::TrainingWorker::loadFailed, this, [this](const QString &path, const QString &message) {
        if (path == m_importPath)
            m_importPath.clear();
        if (path == core::Classifier::bundledPath()) {
            // An installation problem, not the user's doing: log it and go on with fresh weights.
            m_trainTab->log(tr("The bundled model could not be loaded: %1").arg(message));
            return;
        }
        report(QMessageBox::Critical, tr("Cannot open checkpoint"),
               tr("%1\n\nThe current model is unchanged.").arg(message));
    });
    connect(w, &core::TrainingWorker::saved, this, [this](const QString &path, const core::CheckpointInfo &info) {
        m_info = info;
        m_currentPath = QFileInfo(path).absoluteFilePath();
        m_modelSource = QFileInfo(path).fileName();
        addRecentFile(m_currentPath);
        setModified(false);
        m_trainTab->log(tr("Saved %1.").arg(QDir::toNativeSeparators(m_currentPath)));
        statusBar()->showMessage(tr("Saved %1.").arg(m_modelSource), 5000);
    });
    connect(w, &core::TrainingWorker::saveFailed, this, [this](const QString &, const QString &message) {
        report(QMessageBox::Critical, tr("Cannot save checkpoint"), message);
    });
    connect(w, &core::TrainingWorker::dataLoaded, this,
            [this](const std::shared_ptr<const core::MnistSet> &train, const std::shared_ptr<const core::MnistSet> &test,
                   const QString &dir) {
                m_modelState->setTestSet(test, dir);
                m_dataLabel->setText(tr("MNIST: %1 + %2 images").arg(QLocale().toString(train->count),
                                                                        QLocale().toString(test->count)));
                m_dataLabel->setToolTip(QDir::toNativeSeparators(dir));
            });
    connect(w, &core::TrainingWorker::dataFailed, this, [this](const QString &dir, const QString &message) {
        m_modelState->setDataError(dir, message);
        m_dataLabel->setText(tr("MNIST: missing"));
        m_dataLabel->setToolTip(message);
    });
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
    QString text = tr("Model: %1 · %2 · %3")
                       .arg(m_modelSource, m_info.architecture.isEmpty() ? QStringLiteral("seed") : m_info.architecture,
                            TrainTab::epochsDoneText(m_info));
    if (m_info.testAccuracy() >= 0)
        text += tr(" · test %1").arg(percent(m_info.testAccuracy()));
    text += m_modified ? tr(" · modified") : (m_currentPath.isEmpty() ? QString() : tr(" · saved"));
    m_modelLabel->setText(text);
    if (!m_controller->isRunning())
        m_deviceLabel->setText(tr("CPU · %1").arg(countText(m_trainTab->config().effectiveThreads(), "1 training thread", "%1 training threads")));
    updateTitle();
}

void MainWindow::updateTitle()
{
    setWindowTitle(tr("%1[*] — DigitLab").arg(m_currentPath.isEmpty() ? m_modelSource : QFileInfo(m_currentPath).fileName()));
    setWindowModified(m_modified);
}

void MainWindow::setModified(bool modified)
{
    m_modified = modified;
    updateStatus();
}

void MainWindow::updateActions()
{
    const bool running = m_controller->isRunning();
    for (QAction *a : {m_openAction, m_importAction, m_saveAction, m_saveAsAction, m_revertAction})
        a->setEnabled(!running);
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
    if (!m_modified)
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
    const QString suggestion = m_currentPath.isEmpty()
                                   ? startFolder() + QStringLiteral("/digitlab-seed-%1ep.pt").arg(m_info.epochsDone)
                                   : m_currentPath;
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
    const QString path = m_currentPath.isEmpty() ? askSavePath() : m_currentPath;
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
    if (!m_controller->load(path))
        return false;
    m_importPath = path;
    return true;
}

bool MainWindow::saveTo(const QString &path)
{
    if (path.isEmpty())
        return false;
    return m_controller->save(path);
}

bool MainWindow::save()
{
    if (m_currentPath.isEmpty())
        return saveAs();
    return saveTo(m_currentPath);
}

bool MainWindow::saveAs()
{
    return saveTo(askSavePath());
}

void MainWindow::revertToBundled()
{
    if (m_controller->isRunning())
        return;
    if (!maybeSave(tr("Revert to the bundled model without saving the current one?")))
        return;
    m_controller->load(core::Classifier::bundledPath());
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
    if (m_controller->start(config, fromScratch) && fromScratch) {
        m_currentPath.clear();
        m_modelSource = tr("new model");
    }
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
    settings.setValue(kLastModelKey, m_currentPath);
    m_trainTab->saveSettings(settings);
}

} // namespace ui
