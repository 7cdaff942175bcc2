// Issue 20 in the window: class names in Browse (filters, details, confusion matrix), in the
// probability bars and Draw's prompt; the dataset picker on the Train and Browse tabs.
#include "core/dataset.h"
#include "core/trainer.h"
#include "drawbrowsesupport.h"
#include "../core/testsupport.h"
#include "../core/datasettestsupport.h"
#include "ui/mainwindow.h"
#include "ui/trainingcontroller.h"
#include "ui/train/traintab.h"
#include <QSettings>
#include <QTemporaryDir>
#include "uitestsupport.h"
#include "ui/browse/browsetab.h"
#include "ui/browse/confusionmatrixview.h"
#include "ui/browse/testsetmodel.h"
#include "ui/datasetpicker.h"
#include "ui/draw/drawcanvas.h"
#include "ui/draw/drawtab.h"
#include "ui/draw/probabilitybars.h"
#include "ui/modeldocument.h"
#include <QComboBox>
#include <QLabel>
#include <QSignalSpy>
#include <QTest>
#include <catch2/catch.hpp>

namespace {
/// A small model tagged Fashion-MNIST (trained on MNIST images: only the tag matters here).
std::shared_ptr<const core::Classifier> fashionModel()
{
    auto train = testsupport::trainSet().head(200);
    auto test = testsupport::testSet().head(100);
    train.dataset = test.dataset = core::Dataset::builtin(QStringLiteral("fashion-mnist")).tag();
    core::Trainer trainer(testsupport::smallConfig(200, 100));
    core::RunControl control;
    trainer.run(train, test, control);
    return trainer.snapshot();
}

std::shared_ptr<const core::MnistSet> fashionSet()
{
    auto set = std::make_shared<core::MnistSet>(testsupport::testSet().head(300));
    set->dataset = core::Dataset::builtin(QStringLiteral("fashion-mnist")).tag();
    return set;
}
} // namespace

TEST_CASE("Browse names Fashion-MNIST's classes in filters, details, bars and matrix", "[dataset][browse]")
{
    ui::ModelDocument state;
    state.setTestSet(fashionSet(), QStringLiteral("/usr/share/datasets/fashion-mnist"));
    state.setClassifier(fashionModel());
    ui::BrowseTab tab(&state);
    tab.resize(1200, 800);
    tab.show();
    REQUIRE(QTest::qWaitForWindowExposed(&tab));
    QSignalSpy updated(&tab, &ui::BrowseTab::predictionsUpdated);
    REQUIRE(updated.wait(60000));
    // The filters: the number beside the name.
    bool trouser = false;
    for (auto *combo : tab.findChildren<QComboBox *>())
        trouser = trouser || combo->findText(QStringLiteral("1 Trouser")) >= 0;
    CHECK(trouser);
    CHECK(tab.datasetPicker()->currentText() == QStringLiteral("Fashion-MNIST"));
    CHECK(tab.matrixView()->classes() == 10);
    CHECK(tab.matrixView()->classLabel(9) == QStringLiteral("Ankle boot (9)"));
    // The details of a selected image name its true class.
    const int index = tab.filter()->index(0, 0).data(ui::TestSetModel::IndexRole).toInt();
    tab.selectTestIndex(index);
    QTest::qWait(50);
    const QString truth = core::Dataset::builtin(QStringLiteral("fashion-mnist")).classText(testsupport::testSet().labels[std::size_t(index)]);
    bool named = false;
    for (auto *label : tab.findChildren<QLabel *>())
        named = named || label->text().contains(QStringLiteral("true class: <b>%1</b>").arg(truth.toHtmlEscaped()));
    CHECK(named);
    auto *bars = tab.findChild<ui::ProbabilityBars *>();
    REQUIRE(bars);
    CHECK(bars->classLabels().value(1) == QStringLiteral("1 Trouser"));
    CHECK(bars->accessibleDescription().contains(QStringLiteral("1 Trouser: ")));
}

TEST_CASE("Draw follows the model's dataset: prompt, help and bars", "[dataset][draw]")
{
    drawbrowse::DrawTabFixture f({900, 600});
    CHECK(f.tab.verdictText() == QStringLiteral("draw a digit"));
    CHECK(f.tab.bars()->classLabels().value(1) == QStringLiteral("1"));
    f.state.setClassifier(fashionModel());
    QTest::qWait(50);
    const core::Dataset fashion = core::Dataset::builtin(QStringLiteral("fashion-mnist"));
    CHECK(f.tab.verdictText() == fashion.drawPrompt);
    CHECK(f.tab.bars()->classLabels().value(9) == QStringLiteral("9 Ankle boot"));
    CHECK(f.canvas->toolTip().contains(fashion.drawHelp));
    // A drawing's verdict is a class name.
    drawbrowse::traceDigit(f.canvas, testsupport::testSet(), 2, 0.7);
    QTest::qWait(50);
    REQUIRE(f.tab.prediction().digit >= 0);
    CHECK(f.tab.verdictText().startsWith(fashion.classLabel(f.tab.prediction().digit)));
}

TEST_CASE("Probability bars and the confusion matrix take any class count", "[dataset]")
{
    ui::ProbabilityBars bars;
    bars.setClassLabels({QStringLiteral("0 zero"), QStringLiteral("1 one"), QStringLiteral("2 a very long class name indeed")});
    bars.setProbabilities({0.2f, 0.7f, 0.1f});
    CHECK(bars.topClass() == 1);
    CHECK(bars.probabilities().size() == 3);
    bars.resize(200, 90);
    CHECK(!bars.grab().isNull());
    ui::ConfusionMatrixView matrix;
    matrix.setClassLabels({QStringLiteral("a"), QStringLiteral("b"), QStringLiteral("c")});
    matrix.setMatrix(core::emptyConfusion(3));
    CHECK(matrix.classes() == 3);
    CHECK(matrix.matrix().size() == 3);
    CHECK(matrix.classLabel(2) == QStringLiteral("c (2)"));
}

TEST_CASE("The dataset picker offers the table and a folder", "[dataset]")
{
    ui::DatasetPicker picker;
    CHECK(picker.findData(QStringLiteral("mnist")) >= 0);
    CHECK(picker.findData(QStringLiteral("fashion-mnist")) >= 0);
    CHECK(picker.accessibleName() == QStringLiteral("Dataset"));
    QSignalSpy chosen(&picker, &ui::DatasetPicker::datasetChosen);
    picker.chooseFolder(QStringLiteral("/data/kmnist"));
    REQUIRE(chosen.count() == 1);
    CHECK(chosen.at(0).at(0).toString() == QStringLiteral("/data/kmnist"));
    CHECK(picker.currentText() == QStringLiteral("kmnist"));
    CHECK(picker.currentSpec() == QStringLiteral("/data/kmnist"));
}

TEST_CASE("The main window loads the chosen dataset, remembers it, and names it in the status bar", "[dataset][mainwindow]")
{
    QTemporaryDir dir;
    const QString folder = dir.filePath(QStringLiteral("threes"));
    datasettest::writeFolder(folder, 60, 40, [](int i) { return std::min(int(testsupport::testSet().labels[std::size_t(i)]), 2); },
                             false, "zero\none\nmany\n");
    ui::MainWindow::Options options;
    options.loadBundledModel = true;
    options.restoreSettings = false;
    options.dataDir = uitest::requireMnistDir();
    ui::MainWindow window(options);
    window.show();
    REQUIRE(uitest::waitUntil([&] { return window.controller()->isIdle() && window.document()->isDataReady(); }, 60000));
    CHECK(window.modelStatusText().contains(QStringLiteral("MNIST")));
    window.trainTab()->datasetPicker()->chooseFolder(folder);
    REQUIRE(uitest::waitUntil([&] {
        return window.controller()->isIdle() && window.document()->testSet() &&
               window.document()->testSet()->dataset.id == QStringLiteral("idx:threes");
    }, 60000));
    CHECK(window.document()->testSet()->count == 40);
    CHECK(QSettings().value(QStringLiteral("data/dataset")).toString() == folder);
    bool named = false;
    for (auto *label : window.findChildren<QLabel *>())
        named = named || label->text() == QStringLiteral("threes: 60 + 40 images");
    CHECK(named);
    QSettings().remove(QStringLiteral("data/dataset"));
}
