// The Inside tab (issues 11 and 18) with real widgets: layers for a drawing and a Browse
// selection, "why not" classes, the kernel view, live training snapshots, hiding, File > Export;
// any network: a row per layer, paging, the keyboard, saliency and occlusion, live snapshots.
// Hidden cases: [.benchmark] (update cost per preset, training throughput with the view shown
// vs hidden) and [.screenshots] (docs/screenshot-inside-*.png).
#include "core/classifier.h"
#include "core/export.h"
#include "core/inspect.h"
#include "core/mnist.h"
#include "core/trainer.h"
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
#include <QAccessible>
#include <QComboBox>
#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QLabel>
#include <QRegularExpression>
#include <QScrollArea>
#include <QSignalSpy>
#include <QTabWidget>
#include <QTest>
#include <catch2/catch.hpp>
#include <iostream>
#include <memory>
#include <numeric>
#include <ctime>

namespace {

/// Not the tutorial: BatchNorm in both forms, LeakyReLU, Tanh, strides, padding, an average pool,
/// two linear layers (14 layers).
const QString kMixed = QStringLiteral("Conv2d(6,3,padding=1) BatchNorm2d LeakyReLU(0.1) Conv2d(16,3,stride=2) Tanh "
                                      "AvgPool2d(2) Conv2d(12,3,padding=2) ReLU MaxPool2d(3,stride=2,padding=1) Flatten "
                                      "Linear(24) BatchNorm1d ReLU Linear(10)");

/// A model of `text` with fresh random weights.
std::shared_ptr<const core::Classifier> randomModel(const QString &text, std::uint64_t seed = 5)
{
    core::TrainConfig config = testsupport::smallConfig(600, 300, 1, 1, seed);
    config.network = text;
    return core::Trainer(config).snapshot();
}

/// The tutorial's conv2 (layer 4) in the layer view.
int conv2Row(const ui::LayerView &view)
{
    return view.rowOfLayer(3);
}

struct InsideFixture {
    ui::ModelDocument state;
    ui::InsideTab tab{&state};

    explicit InsideFixture(std::shared_ptr<const core::Classifier> model = drawbrowse::bundled())
    {
        state.setClassifier(std::move(model));
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
    QTest::mouseClick(f.tab.layerView(), Qt::LeftButton, {}, f.tab.layerView()->cellRect(f.tab.layerView()->softmaxRow(), 1).center());
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
    CHECK(f.tab.kernelView()->unitLayer() == -1);
    CHECK(f.tab.kernelView()->caption().isEmpty());
    // With nothing hovered the grid shows conv2's kernels, as before issue 18.
    CHECK(f.tab.kernelView()->convolution() == 3);
    const int row = conv2Row(*f.tab.layerView());
    const QRect cell = f.tab.layerView()->cellRect(row, 5);
    // (y, x) = (2, 6) of the 8x8 map: each map pixel is cell.width() / 8 screen pixels.
    const int s = cell.width() / 8;
    QTest::mouseMove(f.tab.layerView(), cell.topLeft() + QPoint(6 * s + s / 2, 2 * s + s / 2));
    REQUIRE(uitest::waitUntil([&] { return f.tab.kernelView()->unitChannel() == 5; }, 5000));
    CHECK(f.tab.kernelView()->unitLayer() == 3);
    CHECK(f.tab.layerView()->hoveredUnit() == std::array<int, 4>{row, 5, 2, 6});
    CHECK(f.tab.kernelView()->caption().startsWith(QStringLiteral("4 Conv2d(20,5) 20x8x8: channel 5 at (2, 6)")));
    // All ten input channels, in order; the 14x14 receptive field of the tutorial's conv2.
    CHECK(f.tab.kernelView()->shownChannels() == std::vector<int>{0, 1, 2, 3, 4, 5, 6, 7, 8, 9});
    CHECK(f.tab.kernelView()->field() == core::InputPatch{12, 4, 14, 14});
    // A pooled map further down: the kernels of conv2 that make its channel, and a wider field.
    const int pool = f.tab.layerView()->rowOfLayer(5);
    QTest::mouseMove(f.tab.layerView(), f.tab.layerView()->cellRect(pool, 7).topLeft() + QPoint(1, 1));
    REQUIRE(uitest::waitUntil([&] { return f.tab.kernelView()->unitLayer() == 5; }, 5000));
    CHECK(f.tab.kernelView()->unitChannel() == 7);
    CHECK(f.tab.kernelView()->convolution() == 3);
    CHECK(f.tab.kernelView()->field() == core::InputPatch{0, 0, 16, 16});
    // A click keeps the unit while the pointer moves on (down to the kernel view).
    QTest::mouseClick(f.tab.layerView(), Qt::LeftButton, {}, f.tab.layerView()->cellRect(row, 2).center());
    QTest::mouseMove(f.tab.layerView(), f.tab.layerView()->cellRect(pool, 9).center());
    QCoreApplication::processEvents();
    CHECK(f.tab.kernelView()->unitLayer() == 3);
    CHECK(f.tab.kernelView()->unitChannel() == 2);
}

TEST_CASE("Inside: a network other than the tutorial's has a row per layer and is explained", "[inside]")
{
    // Issue 18: before it the tab drew the tutorial's network only and said so for any other.
    InsideFixture f(randomModel(kMixed));
    const auto report = core::Network::parse(kMixed).analyze();
    REQUIRE(report.layers.size() == 14);
    ui::LayerView *view = f.tab.layerView();
    // The input, the first convolution's kernels, 14 layers, the softmax.
    REQUIRE(view->rowCount() == 17);
    CHECK(view->rowTitle(0) == QStringLiteral("input 1x28x28"));
    CHECK(view->rowKind(1) == ui::LayerView::RowKind::Kernels);
    for (int i = 0; i < 14; ++i) {
        const int row = view->rowOfLayer(i);
        REQUIRE(row >= 0);
        CHECK(view->rowTitle(row) == report.layers[std::size_t(i)].name());
        CHECK(view->channelCount(row) == report.layers[std::size_t(i)].out.channels);
    }
    CHECK(view->rowTitle(view->rowOfLayer(1)) == QStringLiteral("2 BatchNorm2d 6x28x28"));
    CHECK(view->rowTitle(view->softmaxRow()) == QStringLiteral("softmax 10"));
    f.showTestImage(4);
    CHECK(view->hasActivations());
    CHECK(f.tab.predictedClass() >= 0);
    CHECK(f.tab.questionText().startsWith(QStringLiteral("Why")));
    // Saliency and occlusion for this network.
    REQUIRE(f.tab.saliencyView()->map().values.size() == std::size_t(core::kPixels));
    REQUIRE(f.tab.occlusionView()->map().values.size() == std::size_t(core::kPixels));
    CHECK(mapTotal(f.tab.saliencyView()->map()) != 0.0f);
    // A unit of the third convolution (layer 7, after a stride-2 convolution and a pool): of its
    // sixteen input channels the ten that add the most are shown, and its receptive field.
    const int conv3 = view->rowOfLayer(6);
    QTest::mouseMove(view, view->cellRect(conv3, 4).center());
    REQUIRE(uitest::waitUntil([&] { return f.tab.kernelView()->unitLayer() == 6; }, 5000));
    const auto [row, channel, y, x] = view->hoveredUnit();
    CHECK(row == conv3);
    CHECK(channel == 4);
    CHECK(f.tab.kernelView()->caption().startsWith(QStringLiteral("7 Conv2d(12,3,padding=2) 12x8x8: channel 4")));
    CHECK(f.tab.kernelView()->caption().contains(QStringLiteral("the 10 that add the most")));
    CHECK(f.tab.kernelView()->shownChannels().size() == 10);
    CHECK(f.tab.kernelView()->field() == core::receptiveField(report, 6, y, x));
    // Clicking a class of the last layer asks why (not).
    const int other = (f.tab.predictedClass() + 1) % 10;
    QTest::mouseClick(view, Qt::LeftButton, {}, view->cellRect(view->rowOfLayer(13), other).center());
    CHECK(f.tab.explainedClass() == other);
    CHECK(f.tab.questionText().startsWith(QStringLiteral("Why not %1?").arg(other)));
}

TEST_CASE("Inside: a layer of many channels pages, and the keyboard walks rows, channels and pages", "[inside]")
{
    InsideFixture f(randomModel(QStringLiteral("Conv2d(200,3) ReLU MaxPool2d(2) Flatten Linear(10)")));
    f.showTestImage(0);
    ui::LayerView *view = f.tab.layerView();
    const int conv = view->rowOfLayer(0);
    // 200 maps of 26x26: shown a page at a time, at one screen pixel per value.
    REQUIRE(view->pageCount(conv) > 1);
    CHECK(view->pageText(conv).startsWith(QStringLiteral("1–")));
    CHECK(view->pageText(conv).endsWith(QStringLiteral("of 200")));
    CHECK(view->cellRect(conv, 0).width() == 26);
    const int perPage = view->pageText(conv).section(QLatin1Char(' '), 0, 0).section(QStringLiteral("–"), 1).toInt();
    CHECK(view->cellRect(conv, perPage).isEmpty());
    // The next-page arrow.
    QTest::mouseClick(view, Qt::LeftButton, {}, view->pageButtonRect(conv, true).center());
    CHECK(view->page(conv) == 1);
    CHECK_FALSE(view->cellRect(conv, perPage).isEmpty());
    CHECK(view->cellRect(conv, 0).isEmpty());
    // The keyboard: to the row, a page back, along the channels.
    view->setFocus();
    view->setCurrentRow(0);
    QSignalSpy hovered(view, &ui::LayerView::unitHovered);
    QTest::keyClick(view, Qt::Key_Down); // the kernels of the convolution on the image
    QTest::keyClick(view, Qt::Key_Down);
    CHECK(view->currentRow() == conv);
    QTest::keyClick(view, Qt::Key_PageUp);
    CHECK(view->page(conv) == 0);
    QTest::keyClick(view, Qt::Key_Right);
    QTest::keyClick(view, Qt::Key_Right);
    REQUIRE(hovered.count() == 2);
    CHECK(hovered.last().at(0).toInt() == 0);
    CHECK(hovered.last().at(1).toInt() == 1);
    CHECK(f.tab.kernelView()->unitChannel() == 1);
    // End goes to the last channel, on the last page.
    QTest::keyClick(view, Qt::Key_End);
    CHECK(view->hoveredUnit()[1] == 199);
    CHECK(view->page(conv) == view->pageCount(conv) - 1);
    CHECK(view->unitText(conv, 199, 13, 13).startsWith(QStringLiteral("1 Conv2d(200,3) 200x26x26: channel 199 at (13, 13) = ")));
    // Enter on a class explains it.
    const int last = view->rowOfLayer(4);
    while (view->currentRow() < last)
        QTest::keyClick(view, Qt::Key_Down);
    QTest::keyClick(view, Qt::Key_Home);
    QTest::keyClick(view, Qt::Key_Right);
    QTest::keyClick(view, Qt::Key_Right);
    QTest::keyClick(view, Qt::Key_Return);
    CHECK(f.tab.explainedClass() == 2);
}

TEST_CASE("Inside: a screen reader walks the layer rows by name", "[inside][a11y]")
{
    InsideFixture f(randomModel(kMixed));
    f.showTestImage(2);
    QAccessibleInterface *iface = QAccessible::queryAccessibleInterface(f.tab.layerView());
    REQUIRE(iface);
    CHECK(iface->role() == QAccessible::List);
    REQUIRE(iface->childCount() == f.tab.layerView()->rowCount());
    for (int i = 0; i < iface->childCount(); ++i) {
        QAccessibleInterface *row = iface->child(i);
        REQUIRE(row);
        CHECK(row->role() == QAccessible::ListItem);
        CHECK(row->text(QAccessible::Name) == f.tab.layerView()->rowTitle(i));
        CHECK_FALSE(row->text(QAccessible::Description).isEmpty());
        CHECK(iface->indexOfChild(row) == i);
    }
    CHECK(iface->child(f.tab.layerView()->rowOfLayer(1))->text(QAccessible::Description).startsWith(QStringLiteral("6 maps of 28×28")));
    CHECK(iface->child(f.tab.layerView()->softmaxRow())->text(QAccessible::Description).contains(QStringLiteral("most likely class")));
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

TEST_CASE("Inside: live snapshots of another network's training show that network", "[inside]")
{
    InsideFixture f; // the tutorial's network until the run's first snapshot
    f.showTestImage(0);
    const int tutorialRows = f.tab.layerView()->rowCount();
    ui::TrainingController controller;
    core::TrainConfig config = testsupport::smallConfig(1000, 100);
    config.network = QStringLiteral("Conv2d(8,3) BatchNorm2d ReLU MaxPool2d(2) Flatten Dropout(0.2) Linear(10)");
    f.connectTraining(controller, config);
    controller.setLiveSnapshotInterval(1);
    QSignalSpy live(&controller, &ui::TrainingController::liveSnapshot);
    REQUIRE(controller.start(config, /*fromScratch=*/true));
    REQUIRE(uitest::waitUntil([&] { return live.count() > 0; }, 120000));
    QCoreApplication::processEvents();
    // Input, kernels, 7 layers, softmax: the network being trained, not the model shown before.
    CHECK(f.tab.layerView()->rowCount() == 10);
    CHECK(f.tab.layerView()->rowCount() != tutorialRows);
    CHECK(f.tab.layerView()->rowTitle(f.tab.layerView()->rowOfLayer(1)) == QStringLiteral("2 BatchNorm2d 8x26x26"));
    CHECK(f.tab.layerView()->hasActivations());
    CHECK(f.tab.stampText().contains(QStringLiteral("batch")));
    REQUIRE(uitest::waitUntil([&] { return controller.isIdle(); }, 120000));
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
    // The model of a first launch (the bundled `best`, whatever its network): its state_dict
    // and the Python module that builds its network, which reads back to the same predictions.
    const auto model = window.document()->classifier();
    const core::Network network = model->network();
    const auto back = core::Classifier::fromFile(QDir(dir).filePath(QStringLiteral("m.pt")), &network);
    CHECK(QFile::exists(QDir(dir).filePath(QStringLiteral("m.py"))));
    const auto set = drawbrowse::testSet();
    CHECK(testsupport::samePredictions(testsupport::predictFirst(*back, *set, 50), testsupport::predictFirst(*model, *set, 50)));
    CHECK(errors.isEmpty());
    // A failure is reported, naming the file.
    CHECK(exporter->exportTo(ui::ModelExporter::Format::Onnx, QStringLiteral("/nonexistent-dir/x.onnx")).contains(QStringLiteral("/nonexistent-dir/x.onnx")));
    CHECK(errors.size() == 1);
    window.close();
}

TEST_CASE("Inside: in the window it shows what was drawn or selected last and keeps it across snapshots", "[inside][window]")
{
    ui::MainWindow::Options options;
    // The bundled tutorial model: Browse predicts the 10,000 test images in a tenth of best's time.
    options.bundledModel = QStringLiteral("tutorial");
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

TEST_CASE("Inside: cost of an update and of the maps, per preset", "[.benchmark][inside]")
{
    // A full update on the GUI thread: a new input, every layer's output, the views' images and
    // the repaint Qt then does (the shown part of the layers, the kernel view, the labels). The tutorial is the bundled model;
    // the other presets have random weights (the cost does not depend on their values).
    for (const QString &preset : core::Network::presetNames()) {
        InsideFixture f(preset == QLatin1String("tutorial") ? drawbrowse::bundled() : randomModel(core::Network::preset(preset).text()));
        f.state.setTestSet(drawbrowse::testSet(), QString());
        std::vector<double> total, compute, saliency, paint, outputs;
        constexpr int kImages = 31;
        for (int i = 0; i < kImages; ++i) {
            const int before = f.tab.saliencyCount();
            QElapsedTimer t;
            t.start();
            f.state.setCurrentTestImage(i);
            QCoreApplication::processEvents(); // the repaint Qt does for the update
            total.push_back(double(t.nsecsElapsed()) / 1e6);
            compute.push_back(f.tab.lastUpdateMs());
            t.restart();
            f.tab.layerView()->repaint();
            f.tab.kernelView()->repaint();
            paint.push_back(double(t.nsecsElapsed()) / 1e6);
            std::vector<float> px(core::kPixels);
            for (int k = 0; k < core::kPixels; ++k)
                px[std::size_t(k)] = f.state.testSet()->image(i)[k] / 255.0f;
            t.restart();
            (void)core::layerOutputs(*f.state.classifier(), px.data());
            outputs.push_back(double(t.nsecsElapsed()) / 1e6);
            // The maps run on the pool: wait, so that they do not share the cores with the next update.
            REQUIRE(uitest::waitUntil([&] { return f.tab.saliencyCount() > before; }, 60000));
            saliency.push_back(f.tab.lastSaliencyMs());
        }
        const auto median = [](std::vector<double> v) {
            std::sort(v.begin(), v.end());
            return v[v.size() / 2];
        };
        std::cout << "Inside update, " << preset.toStdString() << " (" << f.tab.layerView()->rowCount() << " rows): "
                  << median(total) << " ms median on the GUI thread, drawing to repaint done (layer outputs + images: " << median(compute)
                  << " ms, of which core::layerOutputs " << median(outputs) << " ms; repainting the shown layers and the kernel view: "
                  << median(paint) << " ms); saliency + occlusion on the pool: " << median(saliency) << " ms" << std::endl;
    }
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
        const QRect cell = f.tab.layerView()->cellRect(conv2Row(*f.tab.layerView()), 4);
        QTest::mouseMove(f.tab.layerView(), cell.topLeft() + QPoint(cell.width() / 2, cell.height() / 3));
        REQUIRE(uitest::waitUntil([&] { return f.tab.kernelView()->unitChannel() == 4; }, 5000));
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

namespace {

/// A model of the preset to show: the bundled model when it is that network, else one epoch of
/// the preset's recipe on the first `images` training images (a picture of a trained network
/// reads better than random weights).
std::shared_ptr<const core::Classifier> presetModel(const QString &preset, int images)
{
    const core::Network network = core::Network::preset(preset);
    for (const QString &name : core::Classifier::bundledNames())
        if (core::Classifier::bundled(name)->network() == network)
            return core::Classifier::bundled(name);
    core::TrainConfig config = core::TrainConfig::preset(preset);
    config.trainLimit = images;
    config.testLimit = 500;
    config.epochs = 1;
    config.threads = 2;
    core::Trainer trainer(config);
    core::RunControl control;
    trainer.run(testsupport::trainSet(), testsupport::testSet(), control);
    return trainer.snapshot();
}

} // namespace

TEST_CASE("Screenshots of the Inside tab for each preset", "[.screenshots][inside]")
{
    // docs/screenshot-inside-tutorial.png, -fast.png, -best.png: a test digit, a unit of the last
    // convolution kept (clicked), the tab tall enough for every row.
    const auto set = drawbrowse::testSet();
    for (const QString &preset : core::Network::presetNames()) {
        InsideFixture f(presetModel(preset, preset == QLatin1String("best") ? 4000 : 20000));
        // Tall enough for every row and the kernel view below them.
        f.tab.resize(1280, f.tab.layerView()->sizeHint().height() + f.tab.kernelView()->sizeHint().height() + 40);
        f.showTestImage(8); // a 5
        ui::LayerView *view = f.tab.layerView();
        const auto report = core::networkReport(*f.state.classifier());
        int lastConv = -1;
        for (int i = 0; i < int(report.layers.size()); ++i)
            if (report.layers[std::size_t(i)].layer.kind == core::LayerKind::Conv2d)
                lastConv = i;
        REQUIRE(lastConv >= 0);
        const QRect cell = view->cellRect(view->rowOfLayer(lastConv), 3);
        QTest::mouseClick(view, Qt::LeftButton, {}, cell.center());
        REQUIRE(uitest::waitUntil([&] { return f.tab.kernelView()->unitLayer() == lastConv; }, 5000));
        QTest::qWait(100);
        REQUIRE(f.tab.grab().save(shotsDir() + QStringLiteral("/screenshot-inside-%1.png").arg(preset)));
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
