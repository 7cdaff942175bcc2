// The Inside tab (issue 11) with real widgets: layers for a drawing and a Browse selection,
// "why not" classes, the conv2 kernel view, live training snapshots, hiding, File > Export.
// Hidden cases: [.benchmark] (update cost, training throughput with the view shown vs hidden)
// and [.screenshots] (docs/screenshot-inside-*.png).
#include "core/classifier.h"
#include "core/export.h"
#include "core/mnist.h"
#include "drawbrowsesupport.h"
#include "uitestsupport.h"
#include "ui/browse/browsetab.h"
#include "ui/draw/drawcanvas.h"
#include "ui/draw/drawtab.h"
#include "ui/inside/insidetab.h"
#include "ui/inside/kernelview.h"
#include "ui/inside/layerview.h"
#include "ui/inside/modelexporter.h"
#include "ui/inside/saliencyview.h"
#include "ui/mainwindow.h"
#include "ui/modeldocument.h"
#include "ui/trainingcontroller.h"
#include <QAbstractButton>
#include <QComboBox>
#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QLabel>
#include <QRegularExpression>
#include <QSignalSpy>
#include <QTabWidget>
#include <QTest>
#include <catch2/catch.hpp>
#include <iostream>
#include <memory>
#include <numeric>
#include <ctime>

using Row = ui::LayerView::Row;

namespace {

struct InsideFixture {
    ui::ModelDocument state;
    ui::InsideTab tab{&state};

    InsideFixture()
    {
        state.setClassifier(drawbrowse::bundled());
        tab.resize(1280, 860);
        tab.show();
        REQUIRE(QTest::qWaitForWindowExposed(&tab));
    }
    /// Shows test image i (as the Browse tab does) and waits for both maps.
    void showTestImage(int i)
    {
        state.setTestSet(drawbrowse::testSet(), QString());
        const int saliency = tab.saliencyCount();
        state.setCurrentTestImage(i);
        REQUIRE(uitest::waitUntil([&] { return tab.saliencyCount() > saliency; }, 30000));
    }
    /// Readies `controller` (config, MNIST loaded, idle) and sends its live snapshots to the tab,
    /// as MainWindow wires them.
    void connectTraining(ui::TrainingController &controller, const core::TrainConfig &config)
    {
        REQUIRE(controller.initialize(config));
        REQUIRE(controller.loadData(uitest::requireMnistDir()));
        REQUIRE(uitest::waitUntil([&] { return controller.isIdle(); }, 30000));
        QObject::connect(&controller, &ui::TrainingController::liveSnapshot, &tab, &ui::InsideTab::showTrainingSnapshot);
    }
};

float mapTotal(const core::TensorData &t)
{
    float s = 0;
    for (float v : t.values)
        s += v;
    return s;
}

} // namespace

TEST_CASE("Inside: drawing on its canvas shows every layer and explains the prediction", "[inside]")
{
    InsideFixture f;
    CHECK_FALSE(f.tab.layerView()->hasActivations());
    CHECK(f.tab.explainedClass() == -1);
    const auto set = drawbrowse::testSet();
    drawbrowse::traceDigit(f.tab.canvas(), *set, 0, 0.6); // a 7
    REQUIRE(uitest::waitUntil([&] { return f.tab.layerView()->hasActivations() && f.tab.saliencyCount() > 0; }, 30000));
    CHECK(f.state.currentInput().size() == std::size_t(core::kPixels));
    CHECK(f.tab.predictedClass() == 7);
    CHECK(f.tab.explainedClass() == 7);
    CHECK(f.tab.questionText() == QStringLiteral("Why 7?"));
    CHECK(f.tab.findChild<QAbstractButton *>(QStringLiteral("explainClass7"))->isChecked());
    // The maps are for the input shown, and say something.
    REQUIRE(uitest::waitUntil([&] { return f.tab.saliencyView()->map().values.size() == std::size_t(core::kPixels); }, 30000));
    CHECK(mapTotal(f.tab.saliencyView()->map()) > 0);
    CHECK(f.tab.occlusionView()->map().values.size() == std::size_t(core::kPixels));
    // Clearing the canvas leaves nothing to explain.
    f.tab.canvas()->clear();
    REQUIRE(uitest::waitUntil([&] { return !f.tab.layerView()->hasActivations(); }, 30000));
    CHECK(f.tab.explainedClass() == -1);
    CHECK(f.tab.questionText() == QStringLiteral("Nothing to explain"));
}

TEST_CASE("Inside: a Browse selection is shown and a clicked softmax bar asks why not", "[inside]")
{
    InsideFixture f;
    f.showTestImage(0);
    const QString origin = f.tab.findChild<QLabel *>(QStringLiteral("insideOrigin"))->text();
    CHECK(origin.contains(QStringLiteral("test image 0")));
    REQUIRE(f.tab.predictedClass() == 7);

    // Click class 1's softmax bar: "why not 1?", explained with its own maps.
    const int before = f.tab.saliencyCount();
    QTest::mouseClick(f.tab.layerView(), Qt::LeftButton, {}, f.tab.layerView()->cellRect(Row::Softmax, 1).center());
    CHECK(f.tab.explainedClass() == 1);
    CHECK(f.tab.questionText().startsWith(QStringLiteral("Why not 1?")));
    CHECK(f.tab.layerView()->selectedClass() == 1);
    REQUIRE(uitest::waitUntil([&] { return f.tab.saliencyCount() > before; }, 30000));
    // For a confident 7, the evidence for 1 is far smaller than for 7 (integrated gradients sum
    // to the logit's rise from a blank image).
    const float whyNot = mapTotal(f.tab.saliencyView()->map());
    auto *seven = f.tab.findChild<QAbstractButton *>(QStringLiteral("explainClass7"));
    const int again = f.tab.saliencyCount();
    QTest::mouseClick(seven, Qt::LeftButton);
    CHECK(f.tab.explainedClass() == 7);
    CHECK(f.tab.questionText() == QStringLiteral("Why 7?"));
    REQUIRE(uitest::waitUntil([&] { return f.tab.saliencyCount() > again; }, 30000));
    CHECK(mapTotal(f.tab.saliencyView()->map()) > whyNot + 1.0f);

    // The other saliency method recomputes.
    const int method = f.tab.saliencyCount();
    f.tab.methodCombo()->setCurrentIndex(1);
    REQUIRE(uitest::waitUntil([&] { return f.tab.saliencyCount() > method; }, 30000));
    CHECK(f.tab.saliencyView()->accessibleName().contains(QStringLiteral("Gradient")));
}

TEST_CASE("Inside: hovering a conv2 map shows the kernels that feed it", "[inside]")
{
    InsideFixture f;
    f.showTestImage(1);
    CHECK(f.tab.kernelView()->unitMap() == -1);
    CHECK(f.tab.kernelView()->caption().isEmpty());
    const QRect cell = f.tab.layerView()->cellRect(Row::Conv2, 5);
    // (y, x) = (2, 6) of the 8x8 map: each map pixel is cell.width() / 8 screen pixels.
    const int s = cell.width() / 8;
    QTest::mouseMove(f.tab.layerView(), cell.topLeft() + QPoint(6 * s + s / 2, 2 * s + s / 2));
    REQUIRE(uitest::waitUntil([&] { return f.tab.kernelView()->unitMap() == 5; }, 5000));
    CHECK(f.tab.layerView()->hoveredUnit() == std::array<int, 3>{5, 2, 6});
    CHECK(f.tab.kernelView()->caption().startsWith(QStringLiteral("conv2 map 5 at (2, 6)")));
}

TEST_CASE("Inside: hidden it computes nothing and asks for no live snapshots", "[inside]")
{
    InsideFixture f;
    QSignalSpy wanted(&f.tab, &ui::InsideTab::liveSnapshotsWanted);
    f.tab.hide();
    REQUIRE(wanted.count() >= 1);
    CHECK(wanted.last().first().toInt() == 0);
    const int updates = f.tab.updateCount();
    f.state.setTestSet(drawbrowse::testSet(), QString());
    f.state.setCurrentTestImage(3);
    f.state.setClassifier(drawbrowse::untrained());
    QTest::qWait(50);
    CHECK(f.tab.updateCount() == updates);
    f.tab.show();
    CHECK(wanted.last().first().toInt() == ui::InsideTab::kLiveSnapshotMs);
    CHECK(f.tab.updateCount() == updates + 1);
    CHECK(f.tab.layerView()->hasActivations());
}

TEST_CASE("Inside: live training snapshots drive the view with an epoch and batch stamp", "[inside]")
{
    InsideFixture f;
    f.showTestImage(0);
    ui::TrainingController controller;
    core::TrainConfig config = testsupport::smallConfig(3000, 200);
    f.connectTraining(controller, config);
    auto *worker = &controller;
    QObject::connect(&f.tab, &ui::InsideTab::liveSnapshotsWanted, worker, [worker](int ms) { worker->setLiveSnapshotInterval(ms); });
    QSignalSpy live(worker, &ui::TrainingController::liveSnapshot);
    // Every batch for the test (the tab's own interval is a few per second).
    worker->setLiveSnapshotInterval(1);
    const int updates = f.tab.updateCount();
    REQUIRE(controller.start(config));
    REQUIRE(uitest::waitUntil([&] { return controller.isIdle() && live.count() > 0; }, 120000));
    CHECK(live.count() >= 25); // 30 batches, one snapshot after each
    const auto at = live.last().at(1).value<core::BatchStats>();
    CHECK(at.epoch == 1);
    QCoreApplication::processEvents();
    CHECK(f.tab.updateCount() > updates);
    // The stamp said which weights were shown; without live snapshots requested none are sent.
    worker->setLiveSnapshotInterval(0);
    const int sent = live.count();
    config.epochs = 2;
    REQUIRE(controller.start(config));
    REQUIRE(uitest::waitUntil([&] { return controller.isIdle(); }, 120000));
    CHECK(live.count() == sent);
    controller.shutdown(30000);
}

TEST_CASE("Inside: the stamp names the epoch and batch of a live snapshot", "[inside]")
{
    InsideFixture f;
    f.showTestImage(0);
    core::BatchStats at;
    at.epoch = 2;
    at.epochs = 15;
    at.batch = 300;
    at.batchesPerEpoch = 600;
    f.tab.showTrainingSnapshot(drawbrowse::untrained(), at);
    CHECK(f.tab.stampText().contains(QStringLiteral("epoch 2/15")));
    CHECK(f.tab.stampText().contains(QStringLiteral("batch 300/600")));
    // A published snapshot (epoch end, load) replaces it.
    f.state.setClassifier(drawbrowse::bundled());
    CHECK(f.tab.stampText().contains(QStringLiteral("epoch")));
    CHECK_FALSE(f.tab.stampText().contains(QStringLiteral("batch")));
}

TEST_CASE("Inside: File > Export Model writes ONNX and a state_dict", "[inside][window]")
{
    ui::MainWindow::Options options;
    options.loadData = false;
    options.restoreSettings = false;
    ui::MainWindow window(options);
    window.setMessageSink([](QMessageBox::Icon, const QString &, const QString &) {});
    window.show();
    REQUIRE(uitest::waitUntil([&] { return window.controller()->isIdle() && window.document()->classifier(); }, 30000));
    // The tab is there, after Browse.
    CHECK(window.tabs()->indexOf(window.insideTab()) == 3);
    auto *exporter = window.modelExporter();
    QStringList errors;
    exporter->setErrorSink([&](const QString &m) { errors << m; });
    const QString dir = uitest::tempDir();
    QString asked;
    exporter->setPathPrompt([&](ui::ModelExporter::Format format, const QString &suggestion) {
        asked = suggestion;
        return QDir(dir).filePath(format == ui::ModelExporter::Format::Onnx ? QStringLiteral("m.onnx") : QStringLiteral("m.pt"));
    });
    exporter->onnxAction()->trigger();
    CHECK(asked == QStringLiteral("digitlab.onnx"));
    CHECK(QFile(QDir(dir).filePath(QStringLiteral("m.onnx"))).size() > 80000);
    exporter->pytorchAction()->trigger();
    const auto back = core::Classifier::fromFile(QDir(dir).filePath(QStringLiteral("m.pt")));
    CHECK(back->info().architecture == QStringLiteral("seed"));
    CHECK(errors.isEmpty());
    // A failure is reported, naming the file.
    CHECK(exporter->exportTo(ui::ModelExporter::Format::Onnx, QStringLiteral("/nonexistent-dir/x.onnx")).contains(QStringLiteral("/nonexistent-dir/x.onnx")));
    CHECK(errors.size() == 1);
    window.close();
}

TEST_CASE("Inside: in the window it shows what was drawn or selected last and keeps it across snapshots", "[inside][window]")
{
    ui::MainWindow::Options options;
    options.restoreSettings = false;
    options.dataDir = uitest::requireMnistDir();
    ui::MainWindow window(options);
    window.setMessageSink([](QMessageBox::Icon, const QString &, const QString &) {});
    window.resize(1280, 860);
    window.show();
    REQUIRE(QTest::qWaitForWindowExposed(&window));
    ui::ModelDocument *state = window.document();
    REQUIRE(uitest::waitUntil([&] { return window.controller()->isIdle() && state->classifier() && state->testSet(); }, 60000));
    auto *draw = window.findChild<ui::DrawTab *>();
    auto *browse = window.findChild<ui::BrowseTab *>();
    REQUIRE(draw);
    REQUIRE(browse);

    // Draw a 7 on the Draw tab: it becomes the current input.
    window.tabs()->setCurrentWidget(draw);
    drawbrowse::traceDigit(draw->canvas(), *state->testSet(), 0, 0.6);
    REQUIRE(uitest::waitUntil([&] { return state->currentInput().size() == std::size_t(core::kPixels); }, 30000));
    CHECK(state->currentInputOrigin() == QStringLiteral("your drawing"));

    // Select test image 42 in Browse: now that is.
    window.tabs()->setCurrentWidget(browse);
    REQUIRE(uitest::waitUntil([&] { return !browse->isPredicting() && browse->correctCount() >= 0; }, 60000));
    browse->selectTestIndex(42);
    CHECK(state->currentInputOrigin().startsWith(QStringLiteral("test image 42")));

    // The Inside tab explains it, and a new model does not bring the (hidden) drawing back.
    window.tabs()->setCurrentWidget(window.insideTab());
    REQUIRE(uitest::waitUntil([&] { return window.insideTab()->layerView()->hasActivations(); }, 30000));
    CHECK(window.insideTab()->predictedClass() == state->testSet()->labels[42]);
    state->setClassifier(drawbrowse::untrained());
    QCoreApplication::processEvents();
    CHECK(state->currentInputOrigin().startsWith(QStringLiteral("test image 42")));
    CHECK(window.insideTab()->stampText().contains(QStringLiteral("epoch")));
    window.close();
}

// Issue 8 (ASan, heap-use-after-free): closing the window deleted the training worker, then the
// shown Inside tab's hideEvent called that worker to stop the live snapshots.
TEST_CASE("Inside: closing the window while the Inside tab is shown", "[inside][window]")
{
    ui::MainWindow::Options options;
    options.restoreSettings = false;
    options.loadData = false;
    auto window = std::make_unique<ui::MainWindow>(options);
    window->setMessageSink([](QMessageBox::Icon, const QString &, const QString &) {});
    window->show();
    REQUIRE(QTest::qWaitForWindowExposed(window.get()));
    window->tabs()->setCurrentWidget(window->insideTab());
    REQUIRE(uitest::waitUntil([&] { return window->controller()->isIdle() && window->insideTab()->isVisible(); }, 60000));
    QSignalSpy wanted(window->insideTab(), &ui::InsideTab::liveSnapshotsWanted);
    CHECK(window->close());
    CHECK(wanted.count() >= 1); // the tab asked to stop after the worker was gone
    window.reset();
}

TEST_CASE("Inside: cost of an update and of the maps", "[.benchmark][inside]")
{
    InsideFixture f;
    f.state.setTestSet(drawbrowse::testSet(), QString());
    double total = 0, saliency = 0, compute = 0, paint = 0;
    constexpr int kImages = 50;
    for (int i = 0; i < kImages; ++i) {
        const int before = f.tab.saliencyCount();
        QElapsedTimer t;
        t.start();
        f.state.setCurrentTestImage(i);
        QCoreApplication::processEvents(); // includes the repaint
        total += double(t.nsecsElapsed()) / 1e6;
        compute += f.tab.lastUpdateMs();
        REQUIRE(uitest::waitUntil([&] { return f.tab.saliencyCount() > before; }, 30000));
        saliency += f.tab.lastSaliencyMs();
        QElapsedTimer p;
        p.start();
        f.tab.layerView()->repaint();
        f.tab.kernelView()->repaint();
        paint += double(p.nsecsElapsed()) / 1e6;
    }
    std::cout << "Inside update, GUI thread: " << total / kImages << " ms in all (activations + images: " << compute / kImages
              << " ms; repainting the layer and kernel views: " << paint / kImages << " ms); "
              << "saliency + occlusion (pool thread): " << saliency / kImages << " ms" << std::endl;
}

using uitest::shotsDir;

TEST_CASE("Screenshots of the Inside tab", "[.screenshots][inside]")
{
    const auto set = drawbrowse::testSet();
    {
        // A drawn digit, a conv2 unit hovered.
        InsideFixture f;
        drawbrowse::traceDigit(f.tab.canvas(), *set, 3, 0.6); // a 0
        REQUIRE(uitest::waitUntil([&] { return f.tab.saliencyCount() > 0 && f.tab.layerView()->hasActivations(); }, 30000));
        const QRect cell = f.tab.layerView()->cellRect(Row::Conv2, 4);
        QTest::mouseMove(f.tab.layerView(), cell.topLeft() + QPoint(cell.width() / 2, cell.height() / 3));
        REQUIRE(uitest::waitUntil([&] { return f.tab.kernelView()->unitMap() == 4; }, 5000));
        QTest::qWait(100);
        REQUIRE(f.tab.grab().save(shotsDir() + QStringLiteral("/screenshot-inside-drawn.png")));
    }
    {
        // "Why not": a test digit the bundled model gets wrong, explained for its true class.
        InsideFixture f;
        const auto model = drawbrowse::bundled();
        int wrong = -1;
        for (int i = 0; i < set->count && wrong < 0; ++i) {
            std::vector<float> px(core::kPixels);
            for (int k = 0; k < core::kPixels; ++k)
                px[k] = set->image(i)[k] / 255.0f;
            const auto p = model->predict(px.data());
            if (p.digit != set->labels[i] && p.confidence > 0.6f)
                wrong = i;
        }
        REQUIRE(wrong >= 0);
        f.showTestImage(wrong);
        const int before = f.tab.saliencyCount();
        f.tab.explainClass(set->labels[wrong]);
        REQUIRE(uitest::waitUntil([&] { return f.tab.saliencyCount() > before; }, 30000));
        QTest::qWait(100);
        REQUIRE(f.tab.grab().save(shotsDir() + QStringLiteral("/screenshot-inside-whynot.png")));
    }
    {
        // The filters mid-training: fresh weights, grabbed while the first epoch runs.
        InsideFixture f;
        f.showTestImage(0);
        ui::TrainingController controller;
        const core::TrainConfig config = testsupport::smallConfig(30000, 200);
        f.connectTraining(controller, config);
        auto *worker = &controller;
        QObject::connect(worker, &ui::TrainingController::snapshotReady, &f.state,
                         [&](std::shared_ptr<const core::Classifier> c, const core::CheckpointInfo &) { f.state.setClassifier(c); });
        QCoreApplication::processEvents();
        worker->setLiveSnapshotInterval(ui::InsideTab::kLiveSnapshotMs);
        REQUIRE(controller.start(config));
        REQUIRE(uitest::waitUntil([&] { return f.tab.stampText().contains(QStringLiteral("batch 1")); }, 120000));
        REQUIRE(uitest::waitUntil([&] { return f.tab.stampText().contains(QRegularExpression(QStringLiteral("batch 1[2-9][0-9]/"))); }, 120000));
        QTest::qWait(50);
        REQUIRE(f.tab.grab().save(shotsDir() + QStringLiteral("/screenshot-inside-training.png")));
        controller.stop();
        REQUIRE(uitest::waitUntil([&] { return controller.isIdle(); }, 60000));
        controller.shutdown(30000);
    }
}

TEST_CASE("Inside: training throughput with the view shown vs hidden", "[.benchmark][inside]")
{
    // Alternating runs of the same epoch: the tab hidden (no live snapshots: training as without
    // the tab) and shown (live snapshots every kLiveSnapshotMs, each redrawing every layer and
    // recomputing saliency and occlusion of a test image on the pool).
    InsideFixture f;
    f.showTestImage(0);
    ui::TrainingController controller;
    const int threads = qEnvironmentVariableIntValue("DIGITLAB_BENCH_THREADS");
    const core::TrainConfig config = testsupport::smallConfig(15000, 100, 1, threads > 0 ? threads : 1);
    f.connectTraining(controller, config);
    auto *worker = &controller;
    QObject::connect(&f.tab, &ui::InsideTab::liveSnapshotsWanted, worker, [worker](int ms) { worker->setLiveSnapshotInterval(ms); });
    QSignalSpy epochs(worker, &ui::TrainingController::epochFinished);
    std::vector<double> shown, hidden, cpuShown, cpuHidden;
    const auto processCpuMs = [] {
        timespec ts{};
        clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
        return double(ts.tv_sec) * 1e3 + double(ts.tv_nsec) / 1e6;
    };
    for (int run = 0; run < 8; ++run) {
        const bool show = run % 2 == 1;
        if (show)
            f.tab.show();
        else
            f.tab.hide();
        const int updates = f.tab.updateCount();
        const double cpu0 = processCpuMs();
        REQUIRE(controller.start(config, /*fromScratch=*/true));
        REQUIRE(uitest::waitUntil([&] { return controller.isIdle() && epochs.count() == run + 1; }, 300000));
        // Whole-process CPU per 1000 trained images (the test-set pass is 100 images): unlike
        // wall time it hardly depends on what else the machine runs.
        const double cpu = (processCpuMs() - cpu0) / (config.trainLimit / 1000.0);
        const double ips = epochs.last().first().value<core::EpochStats>().imagesPerSecond;
        (show ? shown : hidden).push_back(ips);
        (show ? cpuShown : cpuHidden).push_back(cpu);
        std::cout << (show ? "shown " : "hidden") << ": " << ips << " images/s, " << cpu << " CPU ms per 1000 images, "
                  << f.tab.updateCount() - updates << " view updates" << std::endl;
    }
    const auto median = [](std::vector<double> v) {
        std::sort(v.begin(), v.end());
        return v.size() % 2 ? v[v.size() / 2] : (v[v.size() / 2 - 1] + v[v.size() / 2]) / 2;
    };
    std::cout << "training with the Inside view shown vs hidden (medians, " << config.threads << " thread(s)): throughput "
              << 100.0 * (median(shown) / median(hidden) - 1) << "% (" << median(shown) << " vs " << median(hidden)
              << " images/s); process CPU per image " << 100.0 * (median(cpuShown) / median(cpuHidden) - 1) << "%" << std::endl;
    controller.shutdown(30000);
}
