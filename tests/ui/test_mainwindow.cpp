// The main window with its real Train tab and worker: buttons, charts, File menu actions.
#include "uitestsupport.h"
#include "ui/mainwindow.h"
#include "ui/modeldocument.h"
#include "ui/train/trainingcharts.h"
#include "ui/trainingcontroller.h"
#include "ui/train/traintab.h"
#include "ui/userguide.h"
#include "core/classifier.h"
#include "core/metrics.h"
#include "core/network.h"
#include "ui/inside/modelexporter.h"
#include "ui/inside/insidetab.h"
#include "ui/inside/layerview.h"
#include "ui/browse/browsetab.h"
#include "ui/browse/confusionmatrixview.h"
#include "ui/browse/testsetfilter.h"
#include "ui/historycsv.h"
#include <catch2/catch.hpp>
#include <QComboBox>
#include <QElapsedTimer>
#include <QFile>
#include <QFileInfo>
#include <QLabel>
#include <QMenu>
#include <QMenuBar>
#include <QMimeData>
#include <QUrl>
#include <QProgressBar>
#include <QPushButton>
#include <QRadioButton>
#include <QScrollArea>
#include <QScrollBar>
#include <QSettings>
#include <QSignalSpy>
#include <QTest>
#include <QDoubleSpinBox>
#include <QPlainTextEdit>
#include <QSpinBox>
#include <QStatusBar>
#include <QTemporaryDir>
#include <QTimer>

using ui::MainWindow;

namespace {

struct Message {
    QMessageBox::Icon icon;
    QString title;
    QString text;
};

/// A window that starts from fresh weights, ignores stored settings and records its messages.
struct Fixture {
    std::unique_ptr<MainWindow> window;
    std::vector<Message> messages;
    int prompts = 0;
    QMessageBox::StandardButton answer = QMessageBox::Discard;

    /// bundledName: the bundled model opened at start-up when `bundled` (empty: the default, best).
    explicit Fixture(bool needData = true, const QString &dataDir = QString(), bool bundled = false, const QString &bundledName = QString())
    {
        MainWindow::Options options;
        options.loadBundledModel = bundled;
        options.bundledModel = bundledName;
        options.restoreSettings = false;
        options.dataDir = needData ? uitest::requireMnistDir() : dataDir;
        window = std::make_unique<MainWindow>(options);
        window->setMessageSink([this](QMessageBox::Icon icon, const QString &title, const QString &text) {
            messages.push_back({icon, title, text});
        });
        window->setUnsavedPrompt([this](const QString &) {
            ++prompts;
            return answer;
        });
        window->setSavePathPrompt([](const QString &) { return QString(); });
        window->resize(1200, 800);
        window->show();
        REQUIRE(uitest::waitUntil([this] { return window->controller()->isIdle(); }, 30000));
    }
    ~Fixture()
    {
        answer = QMessageBox::Discard;
        if (window)
            window->close();
    }

    ui::TrainTab *tab() const { return window->trainTab(); }
    ui::TrainingController *controller() const { return window->controller(); }

    /// Sets a small, quick run in the form.
    void configure(int trainLimit, int epochs, int testLimit = 500)
    {
        core::TrainConfig c = tab()->config();
        c.epochs = epochs;
        c.batchSize = 100;
        c.threads = 1;
        c.seed = 7;
        c.trainLimit = trainLimit;
        c.testLimit = testLimit;
        tab()->setConfig(c);
    }

    void trainToEnd()
    {
        QSignalSpy finished(controller(), &ui::TrainingController::finished);
        QTest::mouseClick(tab()->startButton(), Qt::LeftButton);
        REQUIRE(uitest::waitUntil([&] { return finished.count() > 0; }, 120000));
        REQUIRE(uitest::waitUntil([this] { return window->controller()->isIdle(); }, 5000));
        QCoreApplication::processEvents();
    }
};

/// Predictions of the window's current snapshot on the first n test images.
std::vector<core::Prediction> predictions(const MainWindow &window, int n)
{
    const auto set = window.document()->testSet();
    const auto classifier = window.document()->classifier();
    REQUIRE(set);
    REQUIRE(classifier);
    return testsupport::predictFirst(*classifier, *set, n);
}

/// A saved and reloaded model predicts within float noise of the original.
bool samePredictions(const std::vector<core::Prediction> &a, const std::vector<core::Prediction> &b)
{
    return testsupport::samePredictions(a, b, 1e-6f);
}

QMenu *findMenu(MainWindow &window, const QString &title)
{
    for (QMenu *menu : window.menuBar()->findChildren<QMenu *>())
        if (menu->title() == title)
            return menu;
    return nullptr;
}

} // namespace

TEST_CASE("window: training from the Train tab fills the charts and progress and status", "[window]")
{
    Fixture f;
    f.configure(2000, 2);
    QSignalSpy epochs(f.controller(), &ui::TrainingController::epochFinished);
    const quint64 generation = f.window->document()->generation();
    CHECK(f.tab()->startButton()->isEnabled());
    CHECK_FALSE(f.tab()->pauseButton()->isEnabled());

    QTest::mouseClick(f.tab()->startButton(), Qt::LeftButton);
    CHECK(f.window->controller()->isRunning());
    CHECK_FALSE(f.tab()->startButton()->isEnabled());
    CHECK(f.tab()->stopButton()->isEnabled());
    // The first epoch is on the charts before the run ends.
    REQUIRE(uitest::waitUntil([&] { return f.tab()->charts()->epochPointCount() >= 1; }, 60000));
    CHECK(epochs.count() >= 1);
    CHECK(f.tab()->charts()->rawLossPointCount() >= 20);
    REQUIRE(uitest::waitUntil([&] { return f.window->controller()->isIdle(); }, 60000));
    QCoreApplication::processEvents();

    CHECK(epochs.count() == 2);
    CHECK(f.tab()->charts()->rawLossPointCount() == 40);  // every batch of 2 x 20
    CHECK(f.tab()->charts()->smoothedLossPointCount() == 40);
    CHECK(f.tab()->charts()->epochPointCount() == 2);
    CHECK(f.window->document()->history().size() == 2);
    CHECK(f.tab()->progressBar()->value() == f.tab()->progressBar()->maximum());
    CHECK(f.window->document()->generation() >= generation + 2);
    CHECK(f.window->isModified());
    CHECK(f.window->modelStatusText().contains(QStringLiteral("2 epochs")));
    CHECK(f.window->modelStatusText().contains(QStringLiteral("modified")));
    // The accuracy axis zooms to the values rather than showing 0-100%.
    const auto [lo, hi] = f.tab()->charts()->accuracyRange();
    CHECK(hi <= 100.0);
    CHECK(hi - lo < 60.0);
    CHECK(f.messages.empty());

    // Both follow-ups on this one trained window (sections would train it twice): the exports
    // only read it, then the run continues.
    {
        INFO("exports the charts and the history");
        const QString dir = uitest::tempDir();
        CHECK(f.tab()->exportCharts(dir + QStringLiteral("/charts.png")).isEmpty());
        QImage png(dir + QStringLiteral("/charts.png"));
        CHECK(png.width() > 300);
        CHECK(ui::writeHistoryCsv(dir + QStringLiteral("/history.csv"), f.window->document()->history()).isEmpty());
        QFile csv(dir + QStringLiteral("/history.csv"));
        REQUIRE(csv.open(QIODevice::ReadOnly));
        const auto lines = QString::fromUtf8(csv.readAll()).split(QLatin1Char('\n'), Qt::SkipEmptyParts);
        REQUIRE(lines.size() == 3);
        CHECK(lines[0].startsWith(QStringLiteral("epoch,train_loss")));
        CHECK(lines[2].startsWith(QStringLiteral("2,")));
    }
    {
        INFO("continuing to more epochs extends the same charts");
        f.configure(2000, 3);
        CHECK(f.tab()->startButton()->text().contains(QStringLiteral("Continue")));
        f.trainToEnd();
        CHECK(f.window->document()->history().size() == 3);
        CHECK(f.tab()->charts()->rawLossPointCount() == 60);
        CHECK(f.tab()->charts()->epochPointCount() == 3);
    }
}

TEST_CASE("window: Pause holds the batch counter and Resume continues and Stop ends the run", "[window]")
{
    Fixture f;
    f.configure(20000, 5);
    auto *controller = f.window->controller();
    QTest::mouseClick(f.tab()->startButton(), Qt::LeftButton);
    REQUIRE(uitest::waitUntil([&] { return f.tab()->lastBatchIndex() >= 3; }, 60000));

    QTest::mouseClick(f.tab()->pauseButton(), Qt::LeftButton);
    CHECK(f.tab()->pauseButton()->text() == QStringLiteral("Resume"));
    // Once the run has come to rest and the signals already sent have arrived, nothing moves.
    REQUIRE(uitest::waitUntil([&] { return controller->isPauseHeld(); }, 60000));
    uitest::waitUntil([] { return false; }, 100);
    const qint64 pausedAt = f.tab()->lastBatchIndex();
    const int updates = f.tab()->batchUpdates();
    const qint64 steps = controller->batchesTrained();
    uitest::waitUntil([] { return false; }, 500);
    CHECK(controller->batchesTrained() == steps);
    CHECK(f.tab()->lastBatchIndex() == pausedAt);
    CHECK(f.tab()->batchUpdates() == updates);

    QTest::mouseClick(f.tab()->pauseButton(), Qt::LeftButton);
    CHECK(f.tab()->pauseButton()->text() == QStringLiteral("Pause"));
    REQUIRE(uitest::waitUntil([&] { return f.tab()->lastBatchIndex() > pausedAt; }, 60000));

    QSignalSpy finished(f.controller(), &ui::TrainingController::finished);
    QTest::mouseClick(f.tab()->stopButton(), Qt::LeftButton);
    // The click set the stop flag; read the counter after it, not before: a loaded machine may
    // run several batches between a read before the click and the click itself. From here at
    // most the batch in flight when the flag was set can still finish.
    const qint64 stepsAtStop = controller->batchesTrained();
    REQUIRE(uitest::waitUntil([&] { return controller->isIdle(); }, 60000));
    CHECK(controller->batchesTrained() <= stepsAtStop + 1);
    REQUIRE(finished.count() == 1);
    CHECK(finished.first().first().value<core::TrainingSummary>().stopped);
    CHECK(f.tab()->startButton()->isEnabled());
    CHECK(f.tab()->progressBar()->text().startsWith(QStringLiteral("Stopped")));
    CHECK(f.window->isModified());
}

TEST_CASE("window: save then open restores the weights and the history", "[window]")
{
    Fixture f;
    f.configure(500, 2, 100); // two short epochs: what is checked is that they come back, not how good they are
    f.trainToEnd();
    const auto trained = predictions(*f.window, 50);
    const auto history = f.window->document()->history();
    REQUIRE(history.size() == 2);

    const QString path = uitest::tempDir() + QStringLiteral("/two-epochs.pt");
    QSignalSpy saved(f.controller(), &ui::TrainingController::saved);
    REQUIRE(f.window->saveTo(path));
    REQUIRE(uitest::waitUntil([&] { return saved.count() == 1 && f.window->controller()->isIdle(); }, 20000));
    QCoreApplication::processEvents();
    CHECK(QFileInfo::exists(path));
    CHECK_FALSE(f.window->isModified());
    CHECK(f.window->currentPath() == QFileInfo(path).absoluteFilePath());
    CHECK(f.window->recentFiles().value(0) == QFileInfo(path).absoluteFilePath());

    // Reset: new weights, empty history, nothing to save (no prompt).
    QSignalSpy resets(f.controller(), &ui::TrainingController::resetDone);
    QTest::mouseClick(f.tab()->resetButton(), Qt::LeftButton);
    REQUIRE(uitest::waitUntil([&] { return resets.count() == 1 && f.window->controller()->isIdle(); }, 20000));
    QCoreApplication::processEvents();
    CHECK(f.prompts == 0);
    CHECK(f.window->document()->history().empty());
    CHECK(f.tab()->charts()->epochPointCount() == 0);
    CHECK_FALSE(samePredictions(predictions(*f.window, 50), trained));

    QSignalSpy loaded(f.controller(), &ui::TrainingController::loaded);
    REQUIRE(f.window->openFile(path));
    REQUIRE(uitest::waitUntil([&] { return loaded.count() == 1 && f.window->controller()->isIdle(); }, 20000));
    QCoreApplication::processEvents();
    CHECK(samePredictions(predictions(*f.window, 50), trained));
    REQUIRE(f.window->document()->history().size() == 2);
    for (std::size_t i = 0; i < 2; ++i) {
        CHECK(f.window->document()->history()[i].testAccuracy == Approx(history[i].testAccuracy));
        CHECK(f.window->document()->history()[i].trainLoss == Approx(history[i].trainLoss));
    }
    CHECK(f.tab()->charts()->epochPointCount() == 2);
    CHECK(f.window->document()->epochsDone() == 2);
    CHECK_FALSE(f.window->isModified());
    CHECK(f.messages.empty());

    // Training resumes from the opened checkpoint: one more epoch on top of its history.
    f.configure(500, 3, 100);
    CHECK(f.tab()->startButton()->text().contains(QStringLiteral("Continue")));
    f.trainToEnd();
    REQUIRE(f.window->document()->history().size() == 3);
    CHECK(f.window->document()->history()[1].testAccuracy == Approx(history[1].testAccuracy));
    CHECK(f.window->document()->history()[2].epoch == 3);
    CHECK(f.tab()->charts()->epochPointCount() == 3);
    CHECK(f.window->isModified());
    CHECK(f.messages.empty());
}

TEST_CASE("window: a corrupt checkpoint reports an error and changes nothing", "[window]")
{
    Fixture f;
    f.configure(1000, 1);
    f.trainToEnd();
    const auto before = f.window->document()->classifier();
    const quint64 generation = f.window->document()->generation();
    const auto trained = predictions(*f.window, 20);
    const QString pathBefore = f.window->currentPath();
    f.answer = QMessageBox::Discard;  // the trained model is unsaved, but a bad file is refused before asking

    const QString path = uitest::tempDir() + QStringLiteral("/corrupt.pt");
    {
        QFile file(path);
        REQUIRE(file.open(QIODevice::WriteOnly));
        file.write(QByteArray(4096, '\x5a'));
    }
    // Issue 9 item 11: the file is checked before the Save/Discard prompt.
    CHECK_FALSE(f.window->openFile(path));
    CHECK(f.prompts == 0);
    QCoreApplication::processEvents();

    REQUIRE(f.messages.size() == 1);
    CHECK(f.messages[0].icon == QMessageBox::Critical);
    CHECK(f.messages[0].text.contains(QStringLiteral("corrupt.pt")));
    CHECK(f.window->document()->classifier() == before);
    CHECK(f.window->document()->generation() == generation);
    CHECK(samePredictions(predictions(*f.window, 20), trained));
    CHECK(f.window->document()->history().size() == 1);
    CHECK(f.window->currentPath() == pathBefore);
    CHECK(f.window->isModified());
    // The failed file is not remembered.
    CHECK_FALSE(f.window->recentFiles().contains(QFileInfo(path).absoluteFilePath()));
}

TEST_CASE("window: with unsaved training Cancel keeps the window and Discard closes it", "[window]")
{
    Fixture f;
    f.configure(1000, 1);
    f.trainToEnd();
    REQUIRE(f.window->isModified());
    f.answer = QMessageBox::Cancel;
    CHECK_FALSE(f.window->close());
    CHECK(f.prompts == 1);
    CHECK(f.window->isVisible());
    CHECK(f.window->controller()->hasWorker());
    f.answer = QMessageBox::Discard;
    CHECK(f.window->close());
    CHECK(f.prompts == 2);
    CHECK_FALSE(f.window->controller()->hasWorker());
}

TEST_CASE("window: with unsaved training Save on close writes the checkpoint first", "[window]")
{
    Fixture f;
    f.configure(1000, 1);
    f.trainToEnd();
    const QString path = uitest::tempDir() + QStringLiteral("/on-close.pt");
    f.window->setSavePathPrompt([path](const QString &) { return path; });
    f.answer = QMessageBox::Save;
    CHECK(f.window->close());
    CHECK(QFileInfo(path).size() > 1000);
}

TEST_CASE("window: closing the window during training stops the worker cleanly", "[window]")
{
    Fixture f;
    f.configure(20000, 5);
    QTest::mouseClick(f.tab()->startButton(), Qt::LeftButton);
    REQUIRE(uitest::waitUntil([&] { return f.tab()->batchUpdates() >= 2; }, 30000));
    f.answer = QMessageBox::Discard;
    CHECK(f.window->close());
    CHECK(f.prompts == 1);
    CHECK_FALSE(f.window->controller()->hasWorker());
    // Events still queued from the worker are harmless once it is gone.
    uitest::waitUntil([] { return false; }, 200);
    f.window.reset();
}

TEST_CASE("window: Open Recent drops files that no longer exist", "[window]")
{
    Fixture f(false, uitest::tempDir());
    const QString gone = uitest::tempDir() + QStringLiteral("/gone.pt");
    QSettings().setValue(QStringLiteral("recentFiles"), QStringList{gone});
    QMenu *recent = findMenu(*f.window, QStringLiteral("Open &Recent"));
    REQUIRE(recent);
    Q_EMIT recent->aboutToShow();
    CHECK(f.window->recentFiles().isEmpty());
    for (QAction *action : recent->actions())
        CHECK_FALSE(action->text().contains(QStringLiteral("gone.pt")));
}

TEST_CASE("window: without MNIST the Train tab says so and cannot start", "[window]")
{
    const QString empty = uitest::tempDir();
    Fixture f(false, empty);
    QCoreApplication::processEvents();
    CHECK(f.tab()->dataPanel()->isVisible());
    CHECK_FALSE(f.window->document()->isDataReady());
    CHECK_FALSE(f.tab()->startButton()->isEnabled());
    CHECK_FALSE(f.window->document()->dataError().isEmpty());
    CHECK(f.window->document()->testSet() == nullptr);
    // The model is still there for drawing.
    CHECK(f.window->document()->classifier() != nullptr);
}

TEST_CASE("window: first launch opens the bundled best model; the Train tab starts on the tutorial", "[window]")
{
    // Issue 18: Draw, Browse and Inside start on `best` (Classifier::defaultBundledName()); the
    // Train tab's form on the tutorial's preset.
    Fixture f(true, QString(), true);
    REQUIRE(core::Classifier::defaultBundledName() == QStringLiteral("best"));
    const auto best = core::Classifier::bundled(QStringLiteral("best"));
    ui::ModelDocument *doc = f.window->document();
    REQUIRE(doc->classifier());
    CHECK(doc->bundledName() == QStringLiteral("best"));
    CHECK(doc->classifier()->network() == best->network());
    CHECK(doc->epochsDone() == best->info().epochsDone);
    CHECK(doc->source() == QStringLiteral("bundled model (best)"));
    CHECK(f.window->currentPath().isEmpty());
    CHECK_FALSE(f.window->isModified());
    CHECK(f.tab()->config().networkText() == core::Network::preset(QStringLiteral("tutorial")).text());
    // Start trains the form's network from new weights: best cannot be continued as the tutorial's.
    if (best->network() != core::Network::preset(QStringLiteral("tutorial"))) {
        CHECK(f.tab()->startsFromScratch());
        CHECK(f.tab()->startButton()->text() == QStringLiteral("Start over"));
    }
    // The status bar names the model and its network: "best: 3 conv + 1 linear, 145k weights · ...".
    const auto report = best->network().analyze();
    const QString status = f.window->modelStatusText();
    INFO(status.toStdString());
    CHECK(status.startsWith(QStringLiteral("best: ") + best->network().summary(report.parameters)));
    // The Inside tab draws that network: a row per layer.
    f.window->tabs()->setCurrentWidget(f.window->insideTab());
    QCoreApplication::processEvents();
    ui::LayerView *layers = f.window->insideTab()->layerView();
    const int last = int(report.layers.size()) - 1;
    REQUIRE(layers->rowOfLayer(last) >= 0);
    CHECK(layers->rowTitle(layers->rowOfLayer(last)) == report.layers.back().name());
    CHECK(layers->rowTitle(layers->rowOfLayer(0)) == report.layers.front().name());
    // The picker offers the bundled models and shows best.
    QComboBox *picker = f.window->modelPicker();
    REQUIRE(picker->count() == 2);
    CHECK(picker->itemText(0) == QStringLiteral("tutorial (bundled)"));
    CHECK(picker->currentText() == QStringLiteral("best (bundled)"));
    CHECK(f.messages.empty());
}

TEST_CASE("window: File > Bundled Model and the status bar's picker switch models; back to a file and to best", "[window]")
{
    Fixture f(true, QString(), true);
    QSignalSpy loaded(f.controller(), &ui::TrainingController::loaded);
    QComboBox *picker = f.window->modelPicker();
    const auto tutorial = core::Classifier::bundled(QStringLiteral("tutorial"));

    // File > Bundled Model > tutorial.
    const QList<QAction *> actions = f.window->bundledModelActions();
    REQUIRE(actions.size() == 2);
    CHECK(actions[0]->text() == QStringLiteral("&tutorial"));
    CHECK(actions[1]->text() == QStringLiteral("&best"));
    QMenu *file = findMenu(*f.window, QStringLiteral("&File"));
    REQUIRE(file);
    bool inMenu = false;
    for (QAction *a : file->actions())
        inMenu = inMenu || (a->menu() && a->menu()->title() == QStringLiteral("&Bundled Model") && a->menu()->actions() == actions);
    CHECK(inMenu);
    actions[0]->trigger();
    REQUIRE(uitest::waitUntil([&] { return loaded.count() == 1 && f.controller()->isIdle(); }, 30000));
    QCoreApplication::processEvents();
    CHECK(f.window->document()->bundledName() == QStringLiteral("tutorial"));
    CHECK(f.window->document()->classifier()->network().isTutorial());
    CHECK(f.window->modelStatusText().startsWith(QStringLiteral("tutorial: 2 conv + 2 linear, 21.8k weights · ")));
    CHECK(picker->currentText() == QStringLiteral("tutorial (bundled)"));
    // Choosing the model in use again does nothing.
    actions[0]->trigger();
    QTest::qWait(50);
    CHECK(loaded.count() == 1);

    // Train a new model (the Train tab's tutorial network) and save it: the picker shows it.
    f.configure(300, 1, 100);
    f.trainToEnd();
    CHECK(picker->currentText() == QStringLiteral("new model (unsaved)"));
    const QString path = uitest::tempDir() + QStringLiteral("/mine.pt");
    QSignalSpy saved(f.controller(), &ui::TrainingController::saved);
    REQUIRE(f.window->saveTo(path));
    REQUIRE(uitest::waitUntil([&] { return saved.count() == 1 && f.controller()->isIdle(); }, 20000));
    QCoreApplication::processEvents();
    CHECK(picker->currentText() == QStringLiteral("mine.pt"));
    CHECK(f.window->modelStatusText().startsWith(QStringLiteral("mine.pt: 2 conv + 2 linear")));

    // The picker, as a user picks from it: best, then back to the file.
    const int bestItem = picker->findText(QStringLiteral("best (bundled)"));
    REQUIRE(bestItem >= 0);
    picker->setCurrentIndex(bestItem);
    Q_EMIT picker->activated(bestItem);
    CHECK(f.prompts == 0); // saved: nothing to ask
    REQUIRE(uitest::waitUntil([&] { return loaded.count() == 2 && f.controller()->isIdle(); }, 30000));
    QCoreApplication::processEvents();
    CHECK(f.window->document()->bundledName() == QStringLiteral("best"));
    CHECK(picker->currentText() == QStringLiteral("best (bundled)"));
    const int fileItem = picker->findText(QStringLiteral("mine.pt"));
    REQUIRE(fileItem >= 0);
    CHECK(picker->itemData(fileItem, Qt::ToolTipRole).toString() == QDir::toNativeSeparators(path));
    picker->setCurrentIndex(fileItem);
    Q_EMIT picker->activated(fileItem);
    REQUIRE(uitest::waitUntil([&] { return loaded.count() == 3 && f.controller()->isIdle(); }, 30000));
    QCoreApplication::processEvents();
    CHECK(f.window->currentPath() == QFileInfo(path).absoluteFilePath());
    CHECK(picker->currentText() == QStringLiteral("mine.pt"));

    // Unsaved training, then best: asked first; Cancel keeps the model and the picker on it.
    f.configure(300, 2, 100);
    f.trainToEnd();
    REQUIRE(f.window->isModified());
    f.answer = QMessageBox::Cancel;
    picker->setCurrentIndex(picker->findText(QStringLiteral("best (bundled)")));
    Q_EMIT picker->activated(picker->currentIndex());
    CHECK(f.prompts == 1);
    CHECK(picker->currentText() == QStringLiteral("mine.pt (unsaved)"));
    f.answer = QMessageBox::Discard;
    f.window->revertToBundled(); // the default: best
    CHECK(f.prompts == 2);
    REQUIRE(uitest::waitUntil([&] { return loaded.count() == 4 && f.controller()->isIdle(); }, 30000));
    QCoreApplication::processEvents();
    CHECK(f.window->document()->bundledName() == QStringLiteral("best"));
    CHECK_FALSE(f.window->isModified());
    // While training, no switching.
    f.configure(3000, 1);
    f.tab()->setStartOver(true);
    QSignalSpy started(f.controller(), &ui::TrainingController::started);
    QTest::mouseClick(f.tab()->startButton(), Qt::LeftButton);
    REQUIRE(uitest::waitUntil([&] { return started.count() == 1; }, 30000));
    QCoreApplication::processEvents();
    CHECK_FALSE(picker->isEnabled());
    CHECK_FALSE(actions[0]->isEnabled());
    f.controller()->stop();
    REQUIRE(uitest::waitUntil([&] { return f.controller()->isIdle(); }, 60000));
    QCoreApplication::processEvents();
    CHECK(picker->isEnabled());
    CHECK(f.messages.empty());
}

TEST_CASE("window: Revert goes back to the bundled model after training", "[window]")
{
    Fixture f(true, QString(), true, QStringLiteral("tutorial"));
    const auto bundled = core::Classifier::bundled(QStringLiteral("tutorial"));
    REQUIRE(bundled);
    const int bundledEpochs = bundled->info().epochsDone;
    CHECK(bundledEpochs > 0);
    CHECK(f.window->modelStatusText().startsWith(QStringLiteral("tutorial: ")));
    CHECK(f.window->document()->epochsDone() == bundledEpochs);
    CHECK(f.window->currentPath().isEmpty());
    CHECK_FALSE(f.window->isModified());

    // The bundled model has reached the target: Start trains a new model (nothing to save first).
    f.configure(1000, 1);
    CHECK(f.tab()->startsFromScratch());
    f.trainToEnd();
    CHECK(f.prompts == 0);
    CHECK(f.window->document()->epochsDone() == 1);
    CHECK(f.window->isModified());

    QSignalSpy loaded(f.controller(), &ui::TrainingController::loaded);
    f.window->revertToBundled(QStringLiteral("tutorial"));
    CHECK(f.prompts == 1);
    REQUIRE(uitest::waitUntil([&] { return loaded.count() == 1 && f.window->controller()->isIdle(); }, 20000));
    QCoreApplication::processEvents();
    CHECK(f.window->document()->epochsDone() == bundledEpochs);
    CHECK(f.window->modelStatusText().startsWith(QStringLiteral("tutorial: ")));
    CHECK_FALSE(f.window->isModified());
    CHECK(f.messages.empty());
}

TEST_CASE("window: dropping a checkpoint file on the window opens it", "[window]")
{
    Fixture f;
    f.configure(1000, 1);
    f.trainToEnd();
    const QString path = uitest::tempDir() + QStringLiteral("/dropped.pt");
    QSignalSpy saved(f.controller(), &ui::TrainingController::saved);
    REQUIRE(f.window->saveTo(path));
    REQUIRE(uitest::waitUntil([&] { return saved.count() == 1 && f.window->controller()->isIdle(); }, 20000));
    const auto trained = predictions(*f.window, 20);
    QSignalSpy resets(f.controller(), &ui::TrainingController::resetDone);
    f.window->resetWeights();
    REQUIRE(uitest::waitUntil([&] { return resets.count() == 1 && f.window->controller()->isIdle(); }, 20000));
    QCoreApplication::processEvents();
    REQUIRE(f.window->document()->epochsDone() == 0);

    QMimeData mime;
    mime.setUrls({QUrl::fromLocalFile(path)});
    const QPoint pos = f.window->rect().center();
    QDragEnterEvent enter(pos, Qt::CopyAction, &mime, Qt::LeftButton, Qt::NoModifier);
    QCoreApplication::sendEvent(f.window.get(), &enter);
    CHECK(enter.isAccepted());
    QSignalSpy loaded(f.controller(), &ui::TrainingController::loaded);
    QDropEvent drop(pos, Qt::CopyAction, &mime, Qt::LeftButton, Qt::NoModifier);
    QCoreApplication::sendEvent(f.window.get(), &drop);
    REQUIRE(uitest::waitUntil([&] { return loaded.count() == 1 && f.window->controller()->isIdle(); }, 20000));
    QCoreApplication::processEvents();
    CHECK(f.window->document()->epochsDone() == 1);
    CHECK(samePredictions(predictions(*f.window, 20), trained));
    CHECK(f.window->currentPath() == QFileInfo(path).absoluteFilePath());
}

TEST_CASE("window: hyper-parameters and the last tab persist across sessions", "[window]")
{
    const QString dataDir = uitest::tempDir();  // no MNIST needed here
    MainWindow::Options options;
    options.loadBundledModel = false;
    options.dataDir = dataDir;
    core::TrainConfig wanted;
    wanted.epochs = 7;
    wanted.batchSize = 64;
    wanted.learningRate = 0.0005;
    wanted.seed = 42;
    wanted.threads = 1;
    {
        MainWindow first(options);
        first.setMessageSink([](QMessageBox::Icon, const QString &, const QString &) {});
        REQUIRE(uitest::waitUntil([&] { return first.controller()->isIdle(); }, 20000));
        first.trainTab()->setConfig(wanted);
        first.tabs()->setCurrentIndex(2);
        REQUIRE(first.close());
    }
    MainWindow second(options);
    second.setMessageSink([](QMessageBox::Icon, const QString &, const QString &) {});
    const core::TrainConfig restored = second.trainTab()->config();
    CHECK(restored.epochs == 7);
    CHECK(restored.batchSize == 64);
    CHECK(restored.learningRate == Approx(0.0005));
    CHECK(restored.seed == 42);
    CHECK(restored.threads == 1);
    CHECK(second.tabs()->currentIndex() == 2);
    REQUIRE(uitest::waitUntil([&] { return second.controller()->isIdle(); }, 20000));
    second.close();
}

TEST_CASE("window: a diverging run is reported and leaves the window usable", "[window]")
{
    Fixture f;
    f.configure(1000, 2);
    f.controller()->injectNanForTesting();
    QSignalSpy failed(f.controller(), &ui::TrainingController::failed);
    QTest::mouseClick(f.tab()->startButton(), Qt::LeftButton);
    REQUIRE(uitest::waitUntil([&] { return failed.count() == 1 && f.window->controller()->isIdle(); }, 30000));
    QCoreApplication::processEvents();
    REQUIRE(f.messages.size() == 1);
    CHECK(f.messages[0].icon == QMessageBox::Critical);
    CHECK(f.messages[0].text.contains(QStringLiteral("NaN")));
    CHECK(f.tab()->progressBar()->text() == QStringLiteral("Failed"));
    CHECK(f.tab()->startButton()->isEnabled());
    CHECK(f.window->document()->epochsDone() == 0);
    // The next run works.
    f.trainToEnd();
    CHECK(f.window->document()->epochsDone() == 2);
}

TEST_CASE("window: importing PyTorch weights makes a new unsaved model", "[window]")
{
    Fixture f;
    const QString path = QStringLiteral(DIGITLAB_SOURCE_DIR "/tests/data/seed_state_dict.pt");
    REQUIRE(QFileInfo::exists(path));
    QSignalSpy loaded(f.controller(), &ui::TrainingController::loaded);
    REQUIRE(f.window->importWeights(path));
    REQUIRE(uitest::waitUntil([&] { return loaded.count() == 1 && f.window->controller()->isIdle(); }, 20000));
    QCoreApplication::processEvents();
    CHECK(f.messages.empty());
    CHECK(f.window->currentPath().isEmpty());
    CHECK(f.window->isModified());
    CHECK(f.window->modelStatusText().contains(QStringLiteral("imported seed_state_dict.pt")));
    CHECK_FALSE(f.window->recentFiles().contains(QFileInfo(path).absoluteFilePath()));
    // The window's snapshot predicts exactly as the weights read directly.
    const auto direct = core::Classifier::fromFile(path);
    const auto set = f.window->document()->testSet();
    REQUIRE(set);
    std::vector<float> pixels(std::size_t(20) * core::kPixels);
    for (std::size_t i = 0; i < pixels.size(); ++i)
        pixels[i] = set->images[i] / 255.0f;
    CHECK(samePredictions(predictions(*f.window, 20), direct->predictBatch(pixels.data(), 20)));
}

// ---- Issue 9: what a new user hit ----

namespace {
QString logText(const MainWindow &window)
{
    auto *log = window.trainTab()->findChild<QPlainTextEdit *>();
    return log ? log->toPlainText() : QString();
}
} // namespace

TEST_CASE("window: learning rate 1.0 is reported as diverging and the window keeps turning", "[window][divergence]")
{
    Fixture f;
    f.configure(3000, 1);
    f.tab()->learningRateField()->setValue(1.0);
    REQUIRE(f.tab()->config().learningRate == Approx(1.0));
    QSignalSpy finished(f.controller(), &ui::TrainingController::finished);
    QSignalSpy failed(f.controller(), &ui::TrainingController::failed);
    QTest::mouseClick(f.tab()->startButton(), Qt::LeftButton);
    // The event loop keeps turning (a zero timer fires again and again) while the run diverges,
    // and the charts' axes stay a handful of ticks whatever the loss does.
    int ticks = 0;
    QTimer ticker;
    QObject::connect(&ticker, &QTimer::timeout, [&ticks] { ++ticks; });
    ticker.start(0);
    REQUIRE(uitest::waitUntil([&] { return !f.tab()->divergenceText().isEmpty() || finished.count() + failed.count() > 0; }, 120000));
    CHECK(ticks > 0);
    CHECK(f.tab()->charts()->lossTickCount() <= 8);
    REQUIRE(uitest::waitUntil([&] { return !f.tab()->divergenceText().isEmpty(); }, 120000));
    CHECK(f.tab()->divergenceText().contains(QStringLiteral("diverging")));
    CHECK(f.tab()->divergenceText().contains(QStringLiteral("learning rate")));
    CHECK(logText(*f.window).contains(QStringLiteral("Training is diverging")));
    CHECK(f.window->statusBar()->currentMessage().contains(QStringLiteral("diverging")));
    // Offered: stop. The banner's Stop ends a run still going.
    if (f.window->controller()->isRunning()) {
        CHECK(f.tab()->divergenceBanner()->isVisible());
        auto *stop = f.tab()->divergenceBanner()->findChild<QPushButton *>(QStringLiteral("divergenceStop"));
        REQUIRE(stop);
        QTest::mouseClick(stop, Qt::LeftButton);
    }
    REQUIRE(uitest::waitUntil([&] { return f.window->controller()->isIdle(); }, 60000));
    ticker.stop();
    CHECK(f.tab()->charts()->lossTickCount() <= 8);
    CHECK(f.tab()->charts()->accuracyTickCount() <= 10);
    CHECK(f.tab()->startButton()->isEnabled());
}

TEST_CASE("window: hyper-parameter fields use core's ranges and say why a value is refused", "[window]")
{
    Fixture f(false, QStringLiteral("/nonexistent-mnist"));
    CHECK(f.tab()->epochsField()->minimum() == core::kMinEpochs);
    CHECK(f.tab()->epochsField()->maximum() == core::kMaxEpochs);
    CHECK(f.tab()->batchSizeField()->minimum() == core::kMinBatchSize);
    CHECK(f.tab()->batchSizeField()->maximum() == core::kMaxBatchSize);
    CHECK(f.tab()->learningRateField()->minimum() == Approx(core::kMinLearningRate));
    CHECK(f.tab()->learningRateField()->maximum() == Approx(core::kMaxLearningRate));
    CHECK(f.tab()->learningRateField()->toolTip().contains(QStringLiteral("Usual range")));
    CHECK(f.tab()->batchSizeField()->toolTip().contains(QStringLiteral("Usual range")));
    // Every value the form can hold is one training accepts.
    core::TrainConfig c = f.tab()->config();
    c.learningRate = f.tab()->learningRateField()->maximum();
    c.batchSize = f.tab()->batchSizeField()->minimum();
    CHECK(c.validate().isEmpty());
    c.learningRate = core::kMaxLearningRate * 2;
    CHECK_FALSE(c.validate().isEmpty());

    QSpinBox *epochs = f.tab()->epochsField();
    epochs->setFocus();
    epochs->selectAll();
    QTest::keyClicks(epochs, QStringLiteral("0"));
    // "0" is either refused as typed or flagged at once; never a silent snap-back.
    INFO("field text " << epochs->text().toStdString());
    CHECK((epochs->text() != QStringLiteral("0") || f.tab()->rangeHint().contains(QStringLiteral("Epochs must be 1 to 1000"))));
    // An emptied field (on its way to another value) says what it takes.
    epochs->selectAll();
    QTest::keyClick(epochs, Qt::Key_Backspace);
    CHECK(f.tab()->rangeHint().contains(QStringLiteral("Epochs must be 1 to 1000")));
    QTest::keyClicks(epochs, QStringLiteral("5"));
    CHECK(f.tab()->rangeHint().isEmpty());
    CHECK(epochs->value() == 5);

    // A digit the field refuses outright (Threads above this machine's cores) is not silent.
    QSpinBox *threads = f.tab()->threadsField();
    threads->setFocus();
    threads->selectAll();
    QTest::keyClicks(threads, QStringLiteral("9"));
    QCoreApplication::processEvents();
    INFO("threads text " << threads->text().toStdString() << ", hint " << f.tab()->rangeHint().toStdString());
    if (threads->maximum() < 9)
        CHECK(f.tab()->rangeHint().contains(QStringLiteral("Threads must be 1 to")));
}

TEST_CASE("window: continue and start over are explicit and the log says which happened", "[window]")
{
    Fixture f(true, QString(), true, QStringLiteral("tutorial")); // the bundled tutorial model: 15 trained epochs
    f.configure(1000, 16);
    REQUIRE(f.window->document()->epochsDone() == 15);
    CHECK_FALSE(f.tab()->startsFromScratch());
    CHECK(f.tab()->startButton()->text() == QStringLiteral("Continue"));
    f.trainToEnd();
    CHECK(logText(*f.window).contains(QStringLiteral("continuing the current model from epoch 16")));
    CHECK_FALSE(logText(*f.window).contains(QStringLiteral("new weights")));
    CHECK(f.window->document()->epochsDone() == 16);

    // Start over, chosen explicitly although the model could continue: 17 epochs of 2 batches
    // (what is checked is which model trains and what the log and status say, not how well).
    f.configure(200, 17, 100);
    f.tab()->setStartOver(true);
    CHECK(f.tab()->startsFromScratch());
    CHECK(f.tab()->startButton()->text() == QStringLiteral("Start over"));
    QSignalSpy started(f.controller(), &ui::TrainingController::started);
    QSignalSpy finished(f.controller(), &ui::TrainingController::finished);
    // The status as the first batch of the first epoch is shown (the first batch always goes
    // out): read then, not after an event loop turn that may already hold the epoch's end.
    QString statusInFirstEpoch;
    QObject::connect(f.controller(), &ui::TrainingController::batchFinished, f.window.get(), [&](const core::BatchStats &b) {
        if (b.epoch == 1 && statusInFirstEpoch.isEmpty())
            statusInFirstEpoch = f.window->modelStatusText();
    });
    QTest::mouseClick(f.tab()->startButton(), Qt::LeftButton);
    REQUIRE(uitest::waitUntil([&] { return started.count() > 0; }, 30000));
    REQUIRE(uitest::waitUntil([&] { return finished.count() > 0 && f.window->controller()->isIdle(); }, 120000));
    // During the new model's first epoch the status shows the new model, not the old one's 16 epochs.
    INFO(statusInFirstEpoch.toStdString());
    CHECK(statusInFirstEpoch.contains(QStringLiteral("0 epochs")));
    CHECK(logText(*f.window).contains(QStringLiteral("new model from new weights")));
    CHECK(f.window->document()->epochsDone() == 17);
    CHECK(f.window->document()->history().size() == 17);
    // Cosmetics of a finished run: no ETA left, "Done: 17 epochs".
    CHECK_FALSE(f.tab()->progressText().contains(QStringLiteral("ETA")));
    CHECK(f.tab()->progressBar()->text() == QStringLiteral("Done: 17 epochs"));
}

TEST_CASE("window: a bad file is refused before the unsaved prompt", "[window]")
{
    Fixture f;
    f.configure(1000, 1);
    f.trainToEnd();
    REQUIRE(f.window->isWindowModified());
    QTemporaryDir dir;
    const QString bad = dir.filePath(QStringLiteral("notes.pt"));
    QFile file(bad);
    REQUIRE(file.open(QIODevice::WriteOnly));
    file.write("not a checkpoint");
    file.close();
    CHECK_FALSE(f.window->openFile(bad));
    CHECK(f.prompts == 0); // the unsaved work was never put at risk
    REQUIRE(f.messages.size() == 1);
    CHECK(f.messages[0].text.contains(QStringLiteral("notes.pt")));
    CHECK(f.window->isWindowModified());
}

TEST_CASE("window: Help has a user guide and About Qt", "[window]")
{
    Fixture f(false, QStringLiteral("/nonexistent-mnist"));
    QMenu *help = findMenu(*f.window, QStringLiteral("&Help"));
    REQUIRE(help);
    QStringList texts;
    for (QAction *a : help->actions())
        texts << a->text();
    CHECK(texts.contains(QStringLiteral("DigitLab &User Guide")));
    CHECK(texts.contains(QStringLiteral("About &Qt")));
    const QString guide = ui::userGuideHtml();
    for (const char *word : {"Train tab", "Draw tab", "Browse tab", "Training loss", "Accuracy", "Shortcuts", "Ctrl+Z",
                             "Inside tab", "Export Model", "Alt+I"}) // issue 16 item 7: the last three
        CHECK(guide.contains(QString::fromLatin1(word)));
}

TEST_CASE("window: a model stopped mid-epoch is saved and reopened with its batches", "[window]")
{
    // Issue 9 item 7: closing mid-epoch and saving recorded "0 epochs" for trained weights.
    Fixture f;
    f.configure(20000, 1); // 200 batches
    f.controller()->setBatchInterval(0);
    QSignalSpy batches(f.controller(), &ui::TrainingController::batchFinished);
    QSignalSpy finished(f.controller(), &ui::TrainingController::finished);
    QTest::mouseClick(f.tab()->startButton(), Qt::LeftButton);
    REQUIRE(uitest::waitUntil([&] { return batches.count() >= 5; }, 60000));
    QTest::mouseClick(f.tab()->stopButton(), Qt::LeftButton);
    REQUIRE(uitest::waitUntil([&] { return finished.count() == 1 && f.window->controller()->isIdle(); }, 30000));
    QCoreApplication::processEvents();
    REQUIRE(f.window->document()->epochsDone() == 0);

    const QString path = uitest::tempDir() + QStringLiteral("/partial.pt");
    QSignalSpy saved(f.controller(), &ui::TrainingController::saved);
    REQUIRE(f.window->saveTo(path));
    REQUIRE(uitest::waitUntil([&] { return saved.count() == 1 && f.window->controller()->isIdle(); }, 20000));
    const int partial = saved.takeFirst().at(1).value<core::CheckpointInfo>().partialBatches;
    CHECK(partial >= 5);
    CHECK(partial < 200);

    QSignalSpy resets(f.controller(), &ui::TrainingController::resetDone);
    QTest::mouseClick(f.tab()->resetButton(), Qt::LeftButton);
    REQUIRE(uitest::waitUntil([&] { return resets.count() == 1 && f.window->controller()->isIdle(); }, 20000));
    QSignalSpy loaded(f.controller(), &ui::TrainingController::loaded);
    REQUIRE(f.window->openFile(path));
    REQUIRE(uitest::waitUntil([&] { return loaded.count() == 1 && f.window->controller()->isIdle(); }, 20000));
    QCoreApplication::processEvents();
    CHECK(loaded.takeFirst().at(1).value<core::CheckpointInfo>().partialBatches == partial);
    const QString batchesText = QStringLiteral("0 epochs + %1 batches of epoch 1").arg(partial);
    CHECK(f.window->modelStatusText().contains(batchesText));
    CHECK(logText(*f.window).contains(batchesText));
}

TEST_CASE("window: without MNIST the panels name the folder tried and the files each tab needs", "[window]")
{
    // Issue 9 item 9.
    Fixture f(false, QStringLiteral("/nonexistent-mnist-folder"));
    REQUIRE(uitest::waitUntil([&] { return f.tab()->dataPanel()->isVisibleTo(f.window.get()); }, 30000));
    QCoreApplication::processEvents();
    QStringList texts;
    for (QLabel *label : f.window->findChildren<QLabel *>())
        texts << label->text();
    const QString all = texts.join(QLatin1Char('\n'));
    CHECK(all.contains(QStringLiteral("Looked in:<br>/nonexistent-mnist-folder")));
    CHECK(all.contains(QStringLiteral("t10k-images-idx3-ubyte")));        // Browse names the test files
    CHECK(all.contains(QStringLiteral("Accuracy: no test set loaded")));  // not "waiting" forever
}

// ---- Issue 16: what a new user hit, round two ----

namespace {
QPlainTextEdit *logView(const MainWindow &window)
{
    return window.trainTab()->findChild<QPlainTextEdit *>();
}

bool logAtBottom(const MainWindow &window)
{
    const QScrollBar *bar = logView(window)->verticalScrollBar();
    return bar->value() == bar->maximum();
}

/// Starts a run at learning rate 1 on the first trainLimit images and waits for the divergence
/// warning; false when the run ended without one.
bool startDivergentRun(Fixture &f, int trainLimit, int epochs)
{
    f.configure(trainLimit, epochs);
    f.tab()->learningRateField()->setValue(1.0);
    QSignalSpy finished(f.controller(), &ui::TrainingController::finished);
    QSignalSpy failed(f.controller(), &ui::TrainingController::failed);
    QTest::mouseClick(f.tab()->startButton(), Qt::LeftButton);
    uitest::waitUntil([&] { return !f.tab()->divergenceText().isEmpty() || finished.count() + failed.count() > 0; }, 180000);
    return !f.tab()->divergenceText().isEmpty();
}
} // namespace

TEST_CASE("window: an imported model is evaluated and its accuracy shown everywhere", "[window][import]")
{
    // Issue 16 item 1: the status bar, the log and the Train tab said "0 epochs, accuracy
    // unknown" while Browse showed 97.48%.
    Fixture f;
    const QString path = QStringLiteral(DIGITLAB_SOURCE_DIR "/tests/data/seed_state_dict.pt");
    QSignalSpy loaded(f.controller(), &ui::TrainingController::loaded);
    REQUIRE(f.window->importWeights(path));
    REQUIRE(uitest::waitUntil([&] { return loaded.count() == 1; }, 20000));
    // Said while it runs (the evaluation is off the GUI thread: the window keeps turning).
    QCoreApplication::processEvents();
    const QString expected = core::percentText(core::Classifier::fromFile(path)->evaluate(*f.window->document()->testSet()).accuracy());
    REQUIRE(uitest::waitUntil([&] { return f.window->modelStatusText().contains(expected); }, 60000));
    INFO(f.window->modelStatusText().toStdString());
    CHECK_FALSE(f.window->modelStatusText().contains(QStringLiteral("0 epochs")));
    CHECK(logText(*f.window).contains(expected));
    auto *summary = f.tab()->findChild<QLabel *>(QStringLiteral("modelSummary"));
    REQUIRE(summary);
    CHECK(summary->text().contains(expected));
    // Continue trains the imported weights for as many epochs as the field says.
    f.tab()->epochsField()->setValue(3);
    auto *continueChoice = f.tab()->findChild<QRadioButton *>(QStringLiteral("continueChoice"));
    REQUIRE(continueChoice);
    CHECK(continueChoice->isEnabled());
    CHECK(continueChoice->text().contains(QStringLiteral("3 more epochs")));
}

TEST_CASE("window: the log keeps following new lines after Stop now and after tab switches", "[window][divergence][log]")
{
    // Issue 16 items 2 and 3.
    Fixture f;
    for (int i = 0; i < 120; ++i)
        f.tab()->log(QStringLiteral("line %1").arg(i));
    QCoreApplication::processEvents();
    REQUIRE(logAtBottom(*f.window));
    REQUIRE(startDivergentRun(f, 60000, 1));
    QCoreApplication::processEvents();
    QWidget *banner = f.tab()->divergenceBanner();
    REQUIRE(banner->isVisible());
    // The banner's text is not clipped, and the log keeps room for several lines beside it.
    auto *bannerText = banner->findChild<QLabel *>();
    REQUIRE(bannerText);
    CHECK(bannerText->height() >= bannerText->heightForWidth(bannerText->width()));
    const int logLines = logView(*f.window)->viewport()->height() / logView(*f.window)->fontMetrics().lineSpacing();
    INFO("log lines visible beside the banner: " << logLines);
    CHECK(logLines >= 5);
    CHECK(logAtBottom(*f.window));

    QSignalSpy finished(f.controller(), &ui::TrainingController::finished);
    QTest::mouseClick(banner->findChild<QPushButton *>(QStringLiteral("divergenceStop")), Qt::LeftButton);
    REQUIRE(uitest::waitUntil([&] { return finished.count() == 1 && f.controller()->isIdle(); }, 60000));
    QCoreApplication::processEvents();
    CHECK(logText(*f.window).contains(QStringLiteral("Stopped")));
    CHECK(logAtBottom(*f.window));

    // Lines logged while another tab is shown are followed too.
    f.window->tabs()->setCurrentIndex(1);
    QCoreApplication::processEvents();
    for (int i = 0; i < 30; ++i)
        f.tab()->log(QStringLiteral("hidden line %1").arg(i));
    f.window->tabs()->setCurrentIndex(0);
    QCoreApplication::processEvents();
    CHECK(logAtBottom(*f.window));

    // Scrolled up by the user: stays where the user put it.
    QScrollBar *bar = logView(*f.window)->verticalScrollBar();
    bar->triggerAction(QAbstractSlider::SliderToMinimum);
    const int held = bar->value();
    REQUIRE(held < bar->maximum());
    f.tab()->log(QStringLiteral("one more"));
    QCoreApplication::processEvents();
    CHECK(bar->value() == held);
}

TEST_CASE("window: a loss that explodes is reported within the first epoch", "[window][divergence]")
{
    // Issue 16 item 4: learning rate 1 was flagged only at the end of the epoch.
    Fixture f;
    QSignalSpy epochs(f.controller(), &ui::TrainingController::epochFinished);
    REQUIRE(startDivergentRun(f, 60000, 1));
    CHECK(epochs.count() == 0);
    CHECK(f.tab()->divergenceText().contains(QStringLiteral("rose")));
    f.controller()->stop();
    REQUIRE(uitest::waitUntil([&] { return f.controller()->isIdle(); }, 60000));
}

TEST_CASE("window: Import then Quit with Discard keeps the last saved model for the next launch", "[window][settings]")
{
    // Issue 16 item 8.
    QSettings().remove(QStringLiteral("window/lastModel"));
    MainWindow::Options options;
    options.loadBundledModel = false;
    options.restoreSettings = true;
    options.loadData = false;
    auto window = std::make_unique<MainWindow>(options);
    window->setMessageSink([](QMessageBox::Icon, const QString &, const QString &) {});
    window->setUnsavedPrompt([](const QString &) { return QMessageBox::Discard; });
    window->show();
    REQUIRE(uitest::waitUntil([&] { return window->controller()->isIdle(); }, 30000));
    const QString saved = uitest::tempDir() + QStringLiteral("/kept.pt");
    REQUIRE(window->saveTo(saved));
    REQUIRE(uitest::waitUntil([&] { return window->controller()->isIdle() && window->currentPath() == saved; }, 20000));
    REQUIRE(window->importWeights(QStringLiteral(DIGITLAB_SOURCE_DIR "/tests/data/seed_state_dict.pt")));
    REQUIRE(uitest::waitUntil([&] { return window->controller()->isIdle() && window->currentPath().isEmpty(); }, 20000));
    REQUIRE(window->isModified());
    REQUIRE(window->close()); // the prompt answers Discard
    CHECK(QSettings().value(QStringLiteral("window/lastModel")).toString() == saved);
    window.reset();
    QSettings().remove(QStringLiteral("window/lastModel"));
}

TEST_CASE("window: exports say in the status bar which file they wrote", "[window][export]")
{
    // Issue 16 item 9: the exports gave no confirmation.
    Fixture f(false, QStringLiteral("/nonexistent-mnist"), true);
    const QString dir = uitest::tempDir();
    f.window->setExportPathPrompt([dir](const QString &, const QString &suggestion, const QString &) -> QString {
        return dir + QLatin1Char('/') + QFileInfo(suggestion).fileName();
    });
    QMenu *file = findMenu(*f.window, QStringLiteral("&File"));
    REQUIRE(file);
    for (QAction *a : file->actions())
        if (a->text().startsWith(QStringLiteral("Export &History"))) {
            a->trigger();
            CHECK(QFileInfo::exists(dir + QStringLiteral("/digitlab-history.csv")));
            CHECK(f.window->statusBar()->currentMessage().contains(QStringLiteral("digitlab-history.csv")));
        } else if (a->text().startsWith(QStringLiteral("Export &Charts"))) {
            a->trigger();
            CHECK(QFileInfo::exists(dir + QStringLiteral("/digitlab-charts.png")));
            CHECK(f.window->statusBar()->currentMessage().contains(QStringLiteral("digitlab-charts.png")));
        }
    const QString onnx = dir + QStringLiteral("/model.onnx");
    REQUIRE(uitest::waitUntil([&] { return f.window->document()->classifier() != nullptr; }, 20000));
    REQUIRE(f.window->modelExporter()->exportTo(ui::ModelExporter::Format::Onnx, onnx).isEmpty());
    CHECK(f.window->statusBar()->currentMessage().contains(QStringLiteral("model.onnx")));
}

TEST_CASE("window: epochs typed as 1e3 become 1000, never 13", "[window][fields]")
{
    // Issue 16 item 9.
    Fixture f(false, QStringLiteral("/nonexistent-mnist"));
    QSpinBox *epochs = f.tab()->epochsField();
    epochs->setFocus();
    epochs->selectAll();
    QTest::keyClicks(epochs, QStringLiteral("1e3"));
    QTest::keyClick(epochs, Qt::Key_Return);
    CHECK(epochs->value() == 1000);
    // Beyond the range it is refused, never read as another number.
    epochs->setValue(15);
    epochs->selectAll();
    QTest::keyClicks(epochs, QStringLiteral("1e4"));
    QTest::keyClick(epochs, Qt::Key_Return);
    CHECK(epochs->value() != 14);
    CHECK(epochs->value() != 104);
}

TEST_CASE("window: Browse shows the whole confusion matrix at the default size and explains an empty cell", "[window][browse]")
{
    // Issue 16 item 9: row 9 hid behind a scroll bar; an empty cell gave a blank grid. The
    // tutorial model: the layout does not depend on the model, and best's 10,000 predictions
    // cost 3 s of CPU, the tutorial's 0.3 s (it still leaves cells empty: 99% right).
    Fixture f(true, QString(), true, QStringLiteral("tutorial"));
    f.window->resize(1200, 780);
    f.window->tabs()->setCurrentIndex(2);
    auto *browse = f.window->findChild<ui::BrowseTab *>();
    REQUIRE(browse);
    REQUIRE(uitest::waitUntil([&] { return browse->correctCount() >= 0; }, 120000));
    QCoreApplication::processEvents();
    ui::ConfusionMatrixView *matrix = browse->matrixView();
    auto *scroll = qobject_cast<QScrollArea *>(matrix->parentWidget()->parentWidget()->parentWidget()->parentWidget());
    REQUIRE(scroll);
    const QRect lastRow = matrix->cellRect(9, 0).united(matrix->cellRect(9, 9));
    const QPoint bottom = matrix->mapTo(scroll->viewport(), lastRow.bottomRight());
    INFO("row 9 ends at " << bottom.y() << " of a viewport " << scroll->viewport()->height() << " high");
    CHECK(bottom.y() < scroll->viewport()->height());
    CHECK(bottom.x() < scroll->viewport()->width());

    // A cell with no image: the grid says why it is empty.
    int t = -1, p = -1;
    for (int i = 0; i < 10 && t < 0; ++i)
        for (int j = 0; j < 10 && t < 0; ++j)
            if (matrix->matrix()[std::size_t(i)][std::size_t(j)] == 0) {
                t = i;
                p = j;
            }
    REQUIRE(t >= 0);
    QTest::mouseClick(matrix, Qt::LeftButton, {}, matrix->cellRect(t, p).center());
    QCoreApplication::processEvents();
    REQUIRE(browse->filter()->rowCount() == 0);
    auto *note = browse->findChild<QLabel *>(QStringLiteral("emptyFilterNote"));
    REQUIRE(note);
    CHECK(note->isVisible());
    CHECK(note->text().contains(QStringLiteral("No %1 of the test set is predicted as %2").arg(t).arg(p)));
}

TEST_CASE("window: the Inside tab's prompt is shown whole at 1024x640", "[window][inside]")
{
    // Issue 16 item 9: the prompt was centred on rows wider than the view and cut mid-word.
    Fixture f(false, QStringLiteral("/nonexistent-mnist"), true);
    f.window->resize(1024, 640);
    f.window->tabs()->setCurrentIndex(3);
    QCoreApplication::processEvents();
    auto *layers = f.window->insideTab()->findChild<ui::LayerView *>();
    REQUIRE(layers);
    REQUIRE_FALSE(layers->hasActivations());
    auto *scroll = qobject_cast<QScrollArea *>(layers->parentWidget()->parentWidget()->parentWidget());
    REQUIRE(scroll);
    const QRect prompt = layers->promptRect();
    const QRect shown(layers->mapTo(scroll->viewport(), prompt.topLeft()), prompt.size());
    CHECK(scroll->viewport()->rect().contains(shown));
    const QRect text = layers->fontMetrics().boundingRect(prompt, Qt::AlignCenter | Qt::TextWordWrap,
                                                          QStringLiteral("Draw a digit, or select a test image in Browse"));
    CHECK(prompt.contains(text));
}
