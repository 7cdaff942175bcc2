// Screenshots of the Draw and Browse tabs for docs/ (hidden: run on request with
//   QT_QPA_PLATFORM=offscreen digitlab_ui_tests "[.screenshots]"
// ). DIGITLAB_SHOTS_DIR overrides the folder. The third case writes a sheet comparing drawn
// network inputs with MNIST digits (to the temp folder unless DIGITLAB_SHOTS_DIR is set), for
// checking the pen width by eye.
#include "core/classifier.h"
#include "core/dataset.h"
#include "ui/inside/insidetab.h"
#include "core/mnist.h"
#include "drawbrowsesupport.h"
#include "uitestsupport.h"
#include "ui/browse/browsetab.h"
#include "ui/mainwindow.h"
#include "ui/trainingcontroller.h"
#include "ui/train/traintab.h"
#include "ui/train/augmentationpreview.h"
#include "ui/train/networkeditor.h"
#include "ui/train/recipesection.h"
#include <QListWidget>
#include "ui/draw/drawcanvas.h"
#include "ui/draw/drawtab.h"
#include "ui/modeldocument.h"
#include "ui/browse/testsetmodel.h"
#include <QDir>
#include <QListView>
#include <QMessageBox>
#include <QPushButton>
#include <QPainter>
#include <QPlainTextEdit>
#include <QTabWidget>
#include <iostream>
#include <memory>
#include <QSignalSpy>
#include <QTest>
#include <catch2/catch.hpp>

namespace {

using uitest::shotsDir;

} // namespace

TEST_CASE("Screenshot of the Draw tab", "[.screenshots]")
{
    const auto set = drawbrowse::testSet();
    drawbrowse::DrawTabFixture f({980, 620});
    auto &tab = f.tab;
    drawbrowse::traceDigit(tab.canvas(), *set, 1, 0.62); // a 2
    QTest::qWait(50);
    REQUIRE(tab.prediction().digit >= 0);
    REQUIRE(tab.grab().save(shotsDir() + QStringLiteral("/screenshot-draw.png")));
}

TEST_CASE("Screenshot of the Browse tab filtered to mistakes", "[.screenshots]")
{
    const auto set = drawbrowse::testSet();
    ui::ModelDocument state;
    state.setTestSet(set, QStringLiteral("data/mnist"));
    state.setClassifier(drawbrowse::bundled());
    ui::BrowseTab tab(&state);
    tab.resize(1280, 800);
    tab.show();
    REQUIRE(QTest::qWaitForWindowExposed(&tab));
    QSignalSpy updated(&tab, &ui::BrowseTab::predictionsUpdated);
    REQUIRE(updated.wait(120000));
    tab.setCriteria({-1, -1, true});
    tab.setSortKey(ui::TestSetFilter::SortKey::ConfidentlyWrongFirst);
    tab.selectTestIndex(tab.filter()->index(0, 0).data(ui::TestSetModel::IndexRole).toInt());
    QTest::qWait(100);
    REQUIRE(tab.grab().save(shotsDir() + QStringLiteral("/screenshot-browse.png")));
}

TEST_CASE("Drawn network inputs next to MNIST digits (pen width check)", "[.screenshots]")
{
    // Top row: MNIST test digits as the network sees them; rows below: the same digits traced on
    // the canvas at three sizes, as normalised by the Draw tab. Strokes should look alike.
    const auto set = drawbrowse::testSet();
    drawbrowse::DrawTabFixture f({900, 620});
    auto &tab = f.tab;
    const int indices[] = {3, 2, 1, 18, 4, 8, 11, 0, 61, 7}; // 0..9
    const double sizes[] = {0.45, 0.65, 0.85};
    constexpr int kCell = 28 * 4;
    QImage sheet(kCell * 10, kCell * 4, QImage::Format_RGB32);
    sheet.fill(Qt::darkGray);
    QPainter p(&sheet);
    for (int c = 0; c < 10; ++c) {
        const QImage mnist(set->image(indices[c]), 28, 28, 28, QImage::Format_Grayscale8);
        p.drawImage(QRect(c * kCell + 2, 2, kCell - 4, kCell - 4), mnist);
        for (int r = 0; r < 3; ++r) {
            tab.canvas()->clear();
            drawbrowse::traceDigit(tab.canvas(), *set, indices[c], sizes[r]);
            p.drawImage(QRect(c * kCell + 2, (r + 1) * kCell + 2, kCell - 4, kCell - 4), tab.networkInput());
        }
    }
    p.end();
    const QString dir = qEnvironmentVariable("DIGITLAB_SHOTS_DIR", QDir::tempPath());
    REQUIRE(sheet.save(dir + QStringLiteral("/drawn-vs-mnist.png")));
}

namespace {
/// The window with the bundled model and MNIST, idle, at the given size.
std::unique_ptr<ui::MainWindow> shotWindow(QSize size, bool bundled = true)
{
    ui::MainWindow::Options options;
    options.loadBundledModel = bundled;
    options.restoreSettings = false;
    options.dataDir = uitest::requireMnistDir();
    auto window = std::make_unique<ui::MainWindow>(options);
    window->setMessageSink([](QMessageBox::Icon, const QString &, const QString &) {});
    window->setUnsavedPrompt([](const QString &) { return QMessageBox::Discard; });
    window->resize(size);
    window->show();
    REQUIRE(uitest::waitUntil([&] { return window->controller()->isIdle() && window->document()->isDataReady(); }, 60000));
    return window;
}

/// The window's form with a short run of the seed recipe changed as given.
core::TrainConfig shotConfig(const ui::MainWindow &window, int epochs, double learningRate, int trainLimit, int testLimit)
{
    core::TrainConfig c = window.trainTab()->config();
    c.epochs = epochs;
    c.batchSize = 100;
    c.learningRate = learningRate;
    c.seed = 1;
    c.trainLimit = trainLimit;
    c.testLimit = testLimit;
    return c;
}
} // namespace

// Issue 9: the Train tab after a divergent run (learning rate 1.0), and a small digit read right.
TEST_CASE("Screenshot of the Train tab after a divergent run", "[.screenshots]")
{
    auto owned = shotWindow({1200, 780}, false);
    ui::MainWindow &window = *owned;
    window.trainTab()->setConfig(shotConfig(window, 3, 0.1, 12000, 2000));
    QSignalSpy finished(window.controller(), &ui::TrainingController::finished);
    QSignalSpy failed(window.controller(), &ui::TrainingController::failed);
    QTest::mouseClick(window.trainTab()->startButton(), Qt::LeftButton);
    REQUIRE(uitest::waitUntil([&] { return finished.count() + failed.count() > 0 && window.controller()->isIdle(); }, 600000));
    REQUIRE(!window.trainTab()->divergenceText().isEmpty());
    window.trainTab()->divergenceBanner()->show(); // as it was during the run
    QTest::qWait(300);
    REQUIRE(window.grab().save(shotsDir() + QStringLiteral("/screenshot-divergent.png")));
}

TEST_CASE("Screenshot of a small digit read correctly", "[.screenshots]")
{
    const auto set = drawbrowse::testSet();
    drawbrowse::DrawTabFixture f({980, 620});
    auto &tab = f.tab;
    drawbrowse::traceDigit(tab.canvas(), *set, 0, 0.15, QPointF(-0.3, 0.3)); // a 7, 15% of the canvas, bottom left
    QTest::qWait(50);
    REQUIRE(tab.prediction().digit == 7);
    REQUIRE(tab.grab().save(shotsDir() + QStringLiteral("/screenshot-small-digit.png")));
}

TEST_CASE("The main window at its minimum size (for checking clipping by eye)", "[.screenshots]")
{
    ui::MainWindow::Options options;
    options.loadBundledModel = true;
    options.restoreSettings = false;
    options.dataDir = uitest::requireMnistDir();
    ui::MainWindow window(options);
    window.setUnsavedPrompt([](const QString &) { return QMessageBox::Discard; });
    window.show();
    REQUIRE(uitest::waitUntil([&] { return window.controller()->isIdle() && window.document()->isDataReady(); }, 60000));
    window.resize(window.minimumSizeHint());
    QTest::qWait(200);
    const QString dir = qEnvironmentVariable("DIGITLAB_SHOTS_DIR", QDir::tempPath());
    std::cout << "minimum window size " << window.width() << "x" << window.height() << std::endl;
    for (int tab = 0; tab < window.tabs()->count(); ++tab) {
        window.tabs()->setCurrentIndex(tab);
        QTest::qWait(tab == 2 ? 3000 : 300);
        REQUIRE(window.grab().save(dir + QStringLiteral("/minimum-%1.png").arg(tab)));
    }
}


// Issue 16: the README's first picture, the Train tab after a short run of the seed recipe.
TEST_CASE("Screenshot of the Train tab after a short run", "[.screenshots]")
{
    auto window = shotWindow({1200, 780}, false);
    window->trainTab()->setConfig(shotConfig(*window, 3, 0.001, 0, 0)); // the seed recipe, 3 of its 15 epochs
    // The log starts with this run, not with the folder MNIST was read from on this machine.
    window->trainTab()->findChild<QPlainTextEdit *>()->clear();
    QSignalSpy finished(window->controller(), &ui::TrainingController::finished);
    QTest::mouseClick(window->trainTab()->startButton(), Qt::LeftButton);
    REQUIRE(uitest::waitUntil([&] { return finished.count() > 0 && window->controller()->isIdle(); }, 900000));
    // The editor's estimate is measured again once the run is over.
    ui::NetworkEditor *editor = window->trainTab()->networkEditor();
    REQUIRE(uitest::waitUntil([&] { return editor->estimateText().contains(QStringLiteral("About")); }, 300000));
    QTest::qWait(300);
    REQUIRE(window->grab().save(shotsDir() + QStringLiteral("/screenshot-train.png")));
}

// Issue 16 item 9: every tab at 1024x640, for checking clipping by eye (to the temp folder).
TEST_CASE("The main window at 1024x640 (for checking clipping by eye)", "[.screenshots]")
{
    auto window = shotWindow({1024, 640});
    const QString dir = qEnvironmentVariable("DIGITLAB_SHOTS_DIR", QDir::tempPath());
    for (int tab = 0; tab < window->tabs()->count(); ++tab) {
        window->tabs()->setCurrentIndex(tab);
        QTest::qWait(tab == 2 ? 4000 : 300);
        REQUIRE(window->grab().save(dir + QStringLiteral("/small-%1.png").arg(tab)));
    }
    window->resize(1200, 780);
    window->tabs()->setCurrentIndex(2);
    QTest::qWait(500);
    REQUIRE(window->grab().save(dir + QStringLiteral("/default-browse.png")));
}

// Issue 20: Browse, Draw and Inside on Fashion-MNIST (docs/screenshot-fashion-*.png), with a model
// trained there by digitlab-cli (DIGITLAB_FASHION_MODEL names its checkpoint) and Debian's copy
// of the data (dataset-fashion-mnist):
//   DIGITLAB_FASHION_MODEL=f.pt QT_QPA_PLATFORM=offscreen digitlab_ui_tests "[.screenshots-fashion]"
TEST_CASE("Screenshots of Browse, Draw and Inside on Fashion-MNIST", "[.screenshots-fashion]")
{
    const QString modelPath = qEnvironmentVariable("DIGITLAB_FASHION_MODEL");
    REQUIRE(!modelPath.isEmpty());
    const auto model = core::Classifier::fromFile(modelPath);
    REQUIRE(model->info().dataset.id == QStringLiteral("fashion-mnist"));
    const core::Dataset fashion = core::Dataset::builtin(QStringLiteral("fashion-mnist"));
    const auto set = std::make_shared<const core::MnistSet>(fashion.load(core::Split::Test));
    {
        ui::ModelDocument state;
        state.setTestSet(set, fashion.resolveDir());
        state.setClassifier(model);
        ui::BrowseTab tab(&state);
        tab.resize(1280, 800);
        tab.show();
        REQUIRE(QTest::qWaitForWindowExposed(&tab));
        QSignalSpy updated(&tab, &ui::BrowseTab::predictionsUpdated);
        REQUIRE(updated.wait(120000));
        tab.setCriteria({6, -1, true}); // shirts taken for something else: the hard class
        tab.setSortKey(ui::TestSetFilter::SortKey::ConfidentlyWrongFirst);
        tab.selectTestIndex(tab.filter()->index(0, 0).data(ui::TestSetModel::IndexRole).toInt());
        QTest::qWait(100);
        REQUIRE(tab.grab().save(shotsDir() + QStringLiteral("/screenshot-fashion-browse.png")));
    }
    {
        drawbrowse::DrawTabFixture f({980, 620});
        f.state.setClassifier(model);
        int trouser = 0;
        while (set->labels[std::size_t(trouser)] != 1)
            ++trouser;
        drawbrowse::traceDigit(f.canvas, *set, trouser, 0.8); // draw a trouser
        QTest::qWait(50);
        REQUIRE(f.tab.prediction().digit >= 0);
        REQUIRE(f.tab.grab().save(shotsDir() + QStringLiteral("/screenshot-fashion-draw.png")));
    }
    {
        ui::ModelDocument state;
        ui::InsideTab tab(&state);
        state.setClassifier(model);
        tab.resize(1280, 860);
        tab.show();
        REQUIRE(QTest::qWaitForWindowExposed(&tab));
        state.setTestSet(set, QString());
        int bag = 0;
        while (set->labels[std::size_t(bag)] != 8)
            ++bag;
        const int before = tab.saliencyCount();
        state.setCurrentTestImage(bag);
        REQUIRE(uitest::waitUntil([&] { return tab.saliencyCount() > before; }, 30000));
        tab.explainClass(0); // why not a T-shirt?
        QTest::qWait(300);
        REQUIRE(tab.grab().save(shotsDir() + QStringLiteral("/screenshot-fashion-inside.png")));
    }
}

// Issue 18: the network editor (valid, invalid, ten layers) and the augmentation preview.
namespace {
/// The window on its Train tab with `network` in the editor, selected row `row`, estimate shown.
std::unique_ptr<ui::MainWindow> editorWindow(const QString &network, int row)
{
    auto window = shotWindow({1200, 780}, false);
    ui::NetworkEditor *editor = window->trainTab()->networkEditor();
    core::TrainConfig c = window->trainTab()->config();
    c.network = network;
    window->trainTab()->setConfig(c);
    editor->layerList()->setCurrentRow(row);
    editor->layerList()->setFocus();
    window->trainTab()->findChild<QPlainTextEdit *>()->clear();
    // The estimate is measured on this machine; wait for it (or its failure) for the picture.
    REQUIRE(uitest::waitUntil([&] { return editor->estimateText().contains(QStringLiteral("epoch"))
                                           && !editor->estimateText().contains(QStringLiteral("measuring")); }, 300000));
    QTest::qWait(300);
    return window;
}
} // namespace

TEST_CASE("Screenshot of the network editor", "[.screenshots]")
{
    const QString withBatchNorm = QStringLiteral("Conv2d(10,5) BatchNorm2d MaxPool2d(2) ReLU Conv2d(20,5) Dropout2d "
                                                 "MaxPool2d(2) ReLU Flatten Linear(50) ReLU Dropout Linear(10)");
    auto window = editorWindow(withBatchNorm, 1);
    REQUIRE(window->grab().save(shotsDir() + QStringLiteral("/screenshot-editor.png")));
}

TEST_CASE("Screenshot of the network editor with an invalid layer", "[.screenshots]")
{
    auto window = editorWindow(QStringLiteral("Conv2d(10,5) MaxPool2d(2) ReLU Conv2d(20,5) MaxPool2d(2) ReLU "
                                              "Conv2d(40,5) Flatten Linear(10)"), 6);
    REQUIRE(!window->trainTab()->networkProblem().isEmpty());
    REQUIRE(window->grab().save(shotsDir() + QStringLiteral("/screenshot-editor-invalid.png")));
}

TEST_CASE("Screenshot of the network editor with ten layers", "[.screenshots]")
{
    auto window = editorWindow(QStringLiteral("Conv2d(16,3,padding=1) BatchNorm2d ReLU MaxPool2d(2) Conv2d(32,3) "
                                              "LeakyReLU MaxPool2d(2) Flatten Dropout(0.3) Linear(10)"), 4);
    REQUIRE(window->trainTab()->networkEditor()->layerList()->count() == 10);
    REQUIRE(window->grab().save(shotsDir() + QStringLiteral("/screenshot-editor-10layers.png")));
}

TEST_CASE("Screenshot of the augmentation preview", "[.screenshots]")
{
    auto window = shotWindow({1200, 780}, false);
    core::TrainConfig c = core::TrainConfig::preset(QStringLiteral("best"));
    c.threads = window->trainTab()->config().threads;
    window->trainTab()->setConfig(c);
    ui::RecipeSection *recipe = window->trainTab()->recipeSection();
    recipe->setExpanded(true);
    QTest::qWait(300);
    REQUIRE(recipe->preview()->copies().size() == std::size_t(16 * 784));
    QWidget *column = recipe->parentWidget();
    REQUIRE(column);
    REQUIRE(column->grab().save(shotsDir() + QStringLiteral("/screenshot-augmentation.png")));
}
