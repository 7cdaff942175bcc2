#include "traintab.h"
#include "modelstate.h"
#include "trainingcharts.h"
#include "trainingcontroller.h"
#include "core/mnist.h"
#include "core/trainingworker.h"
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
#include <QPlainTextEdit>
#include <QProcess>
#include <QProgressBar>
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

// No translation catalogue ships yet, so tr()'s %n plural would print "epoch(s)": spell it out.
QString epochsText(int n)
{
    return n == 1 ? TrainTab::tr("1 epoch") : TrainTab::tr("%1 epochs").arg(n);
}

QString percent(double fraction)
{
    return QString::number(100.0 * fraction, 'f', 2) + QLatin1Char('%');
}

/// The fetch script: the source tree's when running from a build, else the installed copy.
QString fetchScriptPath()
{
    const QString inSource = QStringLiteral(DIGITLAB_SOURCE_DIR "/packaging/fetch-mnist.sh");
    if (QFileInfo::exists(inSource))
        return inSource;
    const QString installed = QCoreApplication::applicationDirPath() + QStringLiteral("/../share/digitlab/fetch-mnist.sh");
    return QFileInfo::exists(installed) ? QFileInfo(installed).canonicalFilePath() : QString();
}

} // namespace

TrainTab::TrainTab(TrainingController *controller, ModelState *modelState, QWidget *parent)
    : QWidget(parent), m_controller(controller), m_modelState(modelState)
{
    buildUi();

    auto *w = m_controller->worker();
    connect(w, &core::TrainingWorker::started, this, &TrainTab::onStarted);
    connect(w, &core::TrainingWorker::batchLosses, m_charts, &TrainingCharts::addBatchLosses);
    connect(w, &core::TrainingWorker::batchFinished, this, &TrainTab::onBatch);
    connect(w, &core::TrainingWorker::epochFinished, this, &TrainTab::onEpoch);
    connect(w, &core::TrainingWorker::finished, this, &TrainTab::onFinished);
    connect(w, &core::TrainingWorker::failed, this, &TrainTab::onFailed);
    connect(w, &core::TrainingWorker::initialized, this,
            [this](const core::CheckpointInfo &info) { onModelInfo(info, true); });
    connect(w, &core::TrainingWorker::resetDone, this, [this](const core::CheckpointInfo &info) {
        onModelInfo(info, true);
        log(tr("Weights reset (seed %1).").arg(info.config.seed));
    });
    connect(w, &core::TrainingWorker::loaded, this, [this](const QString &path, const core::CheckpointInfo &info) {
        onModelInfo(info, true);
        log(tr("Loaded %1: %2, %3, test accuracy %4.")
                .arg(path.startsWith(QLatin1Char(':')) ? tr("the bundled model") : QDir::toNativeSeparators(path),
                     info.architecture, epochsText(info.epochsDone),
                     info.testAccuracy() < 0 ? tr("unknown") : percent(info.testAccuracy())));
    });
    connect(w, &core::TrainingWorker::snapshotReady, this,
            [this](const std::shared_ptr<const core::Classifier> &, const core::CheckpointInfo &info) {
                onModelInfo(info, false);
            });
    connect(w, &core::TrainingWorker::dataLoaded, this,
            [this](const std::shared_ptr<const core::MnistSet> &train, const std::shared_ptr<const core::MnistSet> &test,
                   const QString &dir) { onDataLoaded(dir, train->count, test->count); });
    connect(w, &core::TrainingWorker::dataFailed, this, &TrainTab::onDataFailed);
    connect(m_controller, &TrainingController::stateChanged, this, &TrainTab::updateButtons);
    updateButtons();
}

TrainTab::~TrainTab()
{
    if (m_fetch && m_fetch->state() != QProcess::NotRunning) {
        m_fetch->kill();
        m_fetch->waitForFinished(2000);
    }
}

void TrainTab::buildUi()
{
    // --- left column: hyper-parameters, run controls, data status ---
    m_model = new QComboBox;
    m_model->addItem(tr("seed (2 conv + 2 fc, 21,840 weights)"), QStringLiteral("seed"));
    m_model->setToolTip(tr("The network architecture. The seed recipe: conv 10 → conv 20 → fc 50 → fc 10."));
    m_epochs = new QSpinBox;
    m_epochs->setRange(1, 1000);
    m_epochs->setValue(15);
    m_epochs->setToolTip(tr("Total epochs of the model: a loaded or stopped model continues up to this."));
    m_batchSize = new QSpinBox;
    m_batchSize->setRange(1, 60000);
    m_batchSize->setValue(100);
    m_learningRate = new QDoubleSpinBox;
    m_learningRate->setDecimals(5);
    m_learningRate->setRange(0.00001, 1.0);
    m_learningRate->setSingleStep(0.0001);
    m_learningRate->setValue(0.001);
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

    auto *form = new QFormLayout;
    form->addRow(tr("&Model:"), m_model);
    form->addRow(tr("&Epochs:"), m_epochs);
    form->addRow(tr("Batch si&ze:"), m_batchSize);
    form->addRow(tr("&Learning rate:"), m_learningRate);
    form->addRow(tr("&Seed:"), m_seed);
    form->addRow(tr("T&hreads:"), m_threads);
    auto *params = new QGroupBox(tr("Hyper-parameters"));
    params->setLayout(form);

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
    connect(m_startButton, &QPushButton::clicked, this, &TrainTab::startRequested);
    connect(m_resetButton, &QPushButton::clicked, this, &TrainTab::resetRequested);
    connect(m_stopButton, &QPushButton::clicked, this, [this] {
        m_controller->stop();
        log(tr("Stopping…"));
    });
    connect(m_pauseButton, &QPushButton::clicked, this, [this] {
        if (m_controller->isPaused()) {
            m_controller->resume();
            log(tr("Resumed."));
        } else {
            m_controller->pause();
            log(tr("Paused."));
        }
        updateButtons();
    });
    connect(m_epochs, &QSpinBox::valueChanged, this, [this] {
        if (!m_controller->isRunning())
            m_charts->setPlannedEpochs(std::max(m_epochs->value(), m_epochsDone));
        updateButtons();
    });

    m_modelSummary = new QLabel;
    m_modelSummary->setWordWrap(true);
    m_modelSummary->setTextInteractionFlags(Qt::TextSelectableByMouse);

    m_dataPanel = new QFrame;
    m_dataPanel->setFrameShape(QFrame::StyledPanel);
    m_dataPanel->setObjectName(QStringLiteral("dataPanel"));
    m_dataMessage = new QLabel;
    m_dataMessage->setWordWrap(true);
    m_dataMessage->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_chooseDataButton = new QPushButton(tr("Choose folder…"));
    m_fetchDataButton = new QPushButton(tr("Download MNIST"));
    m_fetchDataButton->setToolTip(tr("Runs packaging/fetch-mnist.sh (checks every file's MD5)."));
    auto *dataButtons = new QHBoxLayout;
    dataButtons->addWidget(m_chooseDataButton);
    dataButtons->addWidget(m_fetchDataButton);
    auto *dataLayout = new QVBoxLayout(m_dataPanel);
    dataLayout->addWidget(m_dataMessage);
    dataLayout->addLayout(dataButtons);
    m_dataPanel->hide();
    connect(m_chooseDataButton, &QPushButton::clicked, this, &TrainTab::chooseDataDir);
    connect(m_fetchDataButton, &QPushButton::clicked, this, &TrainTab::fetchData);

    auto *left = new QWidget;
    auto *leftLayout = new QVBoxLayout(left);
    leftLayout->setContentsMargins(0, 0, 0, 0);
    leftLayout->addWidget(params);
    leftLayout->addLayout(buttons);
    leftLayout->addWidget(m_dataPanel);
    leftLayout->addWidget(m_modelSummary);
    leftLayout->addStretch(1);
    left->setMinimumWidth(left->sizeHint().width());
    left->setMaximumWidth(std::max(320, left->sizeHint().width()));

    // --- right: charts, progress, log ---
    m_charts = new TrainingCharts;
    m_progress = new QProgressBar;
    m_progress->setRange(0, kProgressSteps);
    m_progress->setValue(0);
    m_progress->setTextVisible(true);
    m_progress->setFormat(tr("Idle"));
    m_progressDetails = new QLabel;
    m_progressDetails->setTextInteractionFlags(Qt::TextSelectableByMouse);
    // Digits that do not shift the label at every update.
    m_progressDetails->setFont(QFontDatabase::systemFont(QFontDatabase::FixedFont));
    m_log = new QPlainTextEdit;
    m_log->setReadOnly(true);
    m_log->setMaximumBlockCount(kMaxLogLines);
    m_log->setFont(QFontDatabase::systemFont(QFontDatabase::FixedFont));
    m_log->setPlaceholderText(tr("Per-epoch summaries appear here."));

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

    auto *layout = new QHBoxLayout(this);
    layout->addWidget(left);
    layout->addWidget(m_splitter, 1);
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
    return c;
}

void TrainTab::setConfig(const core::TrainConfig &c)
{
    m_epochs->setValue(c.epochs);
    m_batchSize->setValue(c.batchSize);
    m_learningRate->setValue(c.learningRate);
    m_seed->setValue(int(std::min<std::uint64_t>(c.seed, std::uint64_t(m_seed->maximum()))));
    m_threads->setValue(c.threads > 0 ? c.threads : m_threads->maximum());
    m_trainLimit = c.trainLimit;
    m_testLimit = c.testLimit;
}

void TrainTab::setLimits(int trainLimit, int testLimit)
{
    m_trainLimit = trainLimit;
    m_testLimit = testLimit;
}

bool TrainTab::startsFromScratch() const
{
    return m_epochsDone >= m_epochs->value();
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
        if (c.validate().isEmpty())
            setConfig(c);
    }
    m_splitter->restoreState(settings.value(group + QStringLiteral("splitter")).toByteArray());
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
    m_startButton->setEnabled(idle && m_dataReady);
    if (running)
        m_startButton->setText(tr("Training…"));
    else
        m_startButton->setText(startsFromScratch() || m_epochsDone == 0
                                   ? tr("Start")
                                   : tr("Continue (%1 → %2)").arg(m_epochsDone).arg(m_epochs->value()));
    if (!m_dataReady)
        m_startButton->setToolTip(m_dataLoading ? tr("Loading MNIST…") : tr("MNIST is missing: see the panel below."));
    else if (startsFromScratch() && m_epochsDone > 0)
        m_startButton->setToolTip(tr("The model has done %1 epochs: Start trains a new one from the seed.").arg(m_epochsDone));
    else
        m_startButton->setToolTip(tr("Train up to the number of epochs set above."));
    m_pauseButton->setEnabled(running && !stopping);
    m_pauseButton->setText(m_controller->isPaused() ? tr("Resume") : tr("Pause"));
    m_stopButton->setEnabled(running && !stopping);
    m_resetButton->setEnabled(idle);
    for (QWidget *w : {static_cast<QWidget *>(m_model), static_cast<QWidget *>(m_epochs),
                       static_cast<QWidget *>(m_batchSize), static_cast<QWidget *>(m_learningRate),
                       static_cast<QWidget *>(m_seed), static_cast<QWidget *>(m_threads)})
        w->setEnabled(!running);
    m_chooseDataButton->setEnabled(idle && !(m_fetch && m_fetch->state() != QProcess::NotRunning));
    m_fetchDataButton->setEnabled(m_chooseDataButton->isEnabled() && !fetchScriptPath().isEmpty());
}

void TrainTab::onStarted(const core::TrainConfig &config, int epochsDone)
{
    m_runFirstEpoch = epochsDone + 1;
    m_runEpochs = config.epochs;
    m_runBatchSize = config.batchSize;
    m_lastBatchIndex = 0;
    if (epochsDone == 0) {
        m_charts->clear(config.epochs);
        m_history.clear();
    } else {
        // A stopped run left part of this epoch on the chart; it is trained again from its start.
        m_charts->truncateAfterEpoch(epochsDone);
        m_charts->setPlannedEpochs(config.epochs);
    }
    m_epochsDone = epochsDone;
    m_progress->setValue(0);
    m_progress->setFormat(tr("Epoch %1/%2").arg(m_runFirstEpoch).arg(m_runEpochs));
    m_progressDetails->setText(tr("starting…"));
    log(tr("Training %1 %2: batch %3, learning rate %4, seed %5, %6 thread(s)%7.")
            .arg(epochsText(config.epochs - epochsDone))
            .arg(epochsDone == 0 ? tr("from new weights") : tr("from epoch %1").arg(epochsDone + 1))
            .arg(config.batchSize)
            .arg(config.learningRate)
            .arg(config.seed)
            .arg(config.effectiveThreads())
            .arg(config.trainLimit > 0 ? tr(", first %1 training images").arg(config.trainLimit) : QString()));
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

void TrainTab::onEpoch(const core::EpochStats &e)
{
    m_charts->addEpoch(e);
    m_history.push_back(e);
    m_epochsDone = e.epoch;
    log(tr("Epoch %1/%2  train loss %3 acc %4  test loss %5 acc %6  %7 s  %8 img/s")
            .arg(e.epoch, 2)
            .arg(e.epochs)
            .arg(e.trainLoss, 0, 'f', 4)
            .arg(percent(e.trainAccuracy))
            .arg(e.testLoss, 0, 'f', 4)
            .arg(percent(e.testAccuracy))
            .arg(e.seconds, 0, 'f', 1)
            .arg(qint64(std::lround(e.imagesPerSecond))));
}

void TrainTab::onFinished(const core::TrainingSummary &summary)
{
    m_epochsDone = summary.epochsDone;
    if (summary.stopped) {
        m_progress->setFormat(tr("Stopped at epoch %1 (%2 complete)").arg(summary.epochsDone + 1).arg(summary.epochsDone));
        log(tr("Stopped after %1 s; %2 complete.").arg(summary.seconds, 0, 'f', 1).arg(epochsText(summary.epochsDone)));
    } else {
        m_progress->setValue(kProgressSteps);
        m_progress->setFormat(tr("Done: %1 epochs").arg(summary.epochsDone));
        log(tr("Finished in %1: test accuracy %2.").arg(formatDuration(summary.seconds), percent(summary.lastTestAccuracy)));
    }
    updateButtons();
}

void TrainTab::onFailed(const QString &message)
{
    m_progress->setFormat(tr("Failed"));
    log(tr("Error: %1").arg(message));
    updateButtons();
}

void TrainTab::onModelInfo(const core::CheckpointInfo &info, bool replaceCharts)
{
    m_epochsDone = info.epochsDone;
    if (replaceCharts) {
        m_history = info.history;
        m_charts->setHistory(info.history, std::max(m_epochs->value(), info.epochsDone));
        m_progress->setValue(0);
        m_progress->setFormat(tr("Idle"));
        m_progressDetails->clear();
    }
    m_modelSummary->setText(tr("Current model: %1, %2%3.")
                                .arg(info.architecture, epochsText(info.epochsDone),
                                     info.testAccuracy() < 0 ? QString() : tr(", test accuracy %1").arg(percent(info.testAccuracy()))));
    updateButtons();
}

void TrainTab::onDataLoaded(const QString &dir, int trainCount, int testCount)
{
    m_dataReady = true;
    m_dataLoading = false;
    m_dataPanel->hide();
    log(tr("MNIST: %1 training and %2 test images from %3.")
            .arg(trainCount)
            .arg(testCount)
            .arg(QDir::toNativeSeparators(dir)));
    updateButtons();
}

void TrainTab::onDataFailed(const QString &dir, const QString &message)
{
    m_dataReady = false;
    m_dataLoading = false;
    QStringList places;
    for (const QString &candidate : core::mnist::candidateDataDirs())
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
                                                          m_modelState->dataDir());
    if (dir.isEmpty())
        return;
    if (m_controller->loadData(dir)) {
        m_dataLoading = true;
        Q_EMIT dataDirChosen(dir);
    }
}

void TrainTab::fetchData()
{
    const QString script = fetchScriptPath();
    if (script.isEmpty() || (m_fetch && m_fetch->state() != QProcess::NotRunning))
        return;
    // Into the source tree when running from it (where resolveDataDir() looks first), else into
    // the per-user data folder, resolveDataDir()'s last resort.
    const QString target = script.startsWith(QStringLiteral(DIGITLAB_SOURCE_DIR))
                               ? QStringLiteral(DIGITLAB_SOURCE_DIR "/data/mnist")
                               : QStandardPaths::writableLocation(QStandardPaths::AppDataLocation) + QStringLiteral("/mnist");
    if (!m_fetch) {
        m_fetch = new QProcess(this);
        m_fetch->setProcessChannelMode(QProcess::MergedChannels);
        connect(m_fetch, &QProcess::readyRead, this, [this] {
            const QString text = QString::fromLocal8Bit(m_fetch->readAll()).trimmed();
            for (const QString &line : text.split(QLatin1Char('\n'), Qt::SkipEmptyParts))
                log(line);
        });
    }
    disconnect(m_fetch, &QProcess::finished, this, nullptr);
    connect(m_fetch, &QProcess::finished, this, [this, target](int code, QProcess::ExitStatus status) {
        if (status == QProcess::NormalExit && code == 0) {
            log(tr("Download finished."));
            if (m_controller->loadData(target))
                m_dataLoading = true;
        } else {
            log(tr("Download failed (exit code %1); see the lines above.").arg(code));
        }
        updateButtons();
    });
    log(tr("Running %1 %2").arg(QDir::toNativeSeparators(script), QDir::toNativeSeparators(target)));
    m_fetch->start(QStringLiteral("bash"), {script, target});
    updateButtons();
}

QString TrainTab::exportCharts(const QString &path)
{
    const QImage image = m_charts->toImage();
    if (image.isNull() || !image.save(path, "PNG"))
        return tr("Cannot write the PNG file %1.").arg(QDir::toNativeSeparators(path));
    return {};
}

QString TrainTab::exportHistory(const QString &path) const
{
    QSaveFile file(path);
    if (!file.open(QIODevice::WriteOnly | QIODevice::Text))
        return tr("Cannot write %1: %2").arg(QDir::toNativeSeparators(path), file.errorString());
    QTextStream out(&file);
    out << "epoch,train_loss,train_accuracy,test_loss,test_accuracy,seconds,images_per_second\n";
    for (const auto &e : m_history) {
        out << e.epoch << ',' << QString::number(e.trainLoss, 'g', 8) << ',' << QString::number(e.trainAccuracy, 'g', 8)
            << ',' << QString::number(e.testLoss, 'g', 8) << ',' << QString::number(e.testAccuracy, 'g', 8) << ','
            << QString::number(e.seconds, 'f', 3) << ',' << QString::number(e.imagesPerSecond, 'f', 1) << '\n';
    }
    out.flush();
    if (!file.commit())
        return tr("Cannot write %1: %2").arg(QDir::toNativeSeparators(path), file.errorString());
    return {};
}

} // namespace ui
