// The Runs tab (issue 19): table, overlaid curves, axes, smoothing, hover, difference, delete,
// the live run; and the curve math it draws with.
#include "uitestsupport.h"
#include "../core/runstoretestsupport.h"
#include "core/runrecorder.h"
#include "core/runstore.h"
#include "ui/runs/runcharts.h"
#include "ui/runs/runcurves.h"
#include "ui/runs/runrecording.h"
#include "ui/runs/runsmodel.h"
#include "ui/runs/runstab.h"
#include "ui/trainingcontroller.h"
#include "ui/mainwindow.h"
#include "ui/modeldocument.h"
#include "ui/train/traintab.h"
#include <QMessageBox>
#include <QTabWidget>

#include <QAbstractSeries>
#include <QChart>
#include <QChartView>
#include <QLabel>
#include <QCheckBox>
#include <QComboBox>
#include <QElapsedTimer>
#include <QFile>
#include <QHeaderView>
#include <QLegendMarker>
#include <QLineEdit>
#include <QLineSeries>
#include <QLogValueAxis>
#include <QPushButton>
#include <QSignalSpy>
#include <QSlider>
#include <QSortFilterProxyModel>
#include <QTableView>
#include <QTableWidget>
#include <QTest>
#include <QValueAxis>
#include <catch2/catch.hpp>
#include <cmath>

using ui::RunAxis;
namespace rc = ui::runcurves;

namespace {

/// A database with `count` synthetic runs of `epochs` epochs (20 batches each unless given).
QString syntheticDatabase(int count, int epochs, int batches = 20)
{
    const QString path = uitest::tempDir() + QStringLiteral("/runs.db");
    core::RunRecorder recorder(path);
    for (int i = 0; i < count; ++i)
        runstoretest::recordSynthetic(recorder, runstoretest::spec(0.001 * (i + 1), i + 1), epochs, batches, 0.95 + 0.01 * i);
    REQUIRE(recorder.flush());
    REQUIRE(recorder.lastError().isEmpty());
    return path;
}

/// The named series of a chart: the legend's entries (one per run; the raw and train
/// curves are unnamed, their legend markers hidden).
QStringList legendNames(QChart *chart)
{
    QStringList names;
    for (auto *series : chart->series())
        if (!series->name().isEmpty())
            names << series->name();
    return names;
}

/// Clicks row `row` of the table as a user would (Ctrl adds to the selection).
void clickRow(QTableView *table, int row, Qt::KeyboardModifiers modifiers = Qt::NoModifier)
{
    const QRect rect = table->visualRect(table->model()->index(row, 1));
    REQUIRE(rect.isValid());
    QTest::mouseClick(table->viewport(), Qt::LeftButton, modifiers, rect.center());
}

int rowOfName(ui::RunsTab &tab, const QString &name)
{
    for (int r = 0; r < tab.proxy()->rowCount(); ++r)
        if (tab.proxy()->index(r, ui::RunsModel::Name).data().toString() == name)
            return r;
    return -1;
}

/// A Runs tab on a synthetic database, shown at a desktop size.
struct ShownTab {
    ui::TrainingController controller;
    ui::RunsTab tab;
    explicit ShownTab(const QString &db) : tab(&controller, db)
    {
        tab.resize(1200, 800);
        tab.show();
    }
};

core::RunCurves curvesOf(std::initializer_list<double> losses)
{
    core::RunCurves c;
    qint64 step = 0;
    for (double l : losses) {
        core::LossPoint p;
        p.step = ++step;
        p.epoch = 1;
        p.batch = int(step);
        p.batchesPerEpoch = int(losses.size());
        p.loss = p.lossMin = p.lossMax = l;
        p.imagesSeen = step * 100;
        p.wallSeconds = step * 0.5;
        c.losses.push_back(p);
    }
    return c;
}

} // namespace

TEST_CASE("run curves: axes, debiased smoothing, envelope, interpolation, differences", "[runs]")
{
    auto c = curvesOf({4, 2, 4, 2});
    CHECK(rc::rawLoss(c, RunAxis::Epoch).last().x() == Approx(1.0));
    CHECK(rc::rawLoss(c, RunAxis::Images).last().x() == Approx(400));
    CHECK(rc::rawLoss(c, RunAxis::WallTime).last().x() == Approx(2.0));
    // Debiased: the first smoothed value is the first raw value, whatever the weight.
    const auto s = rc::smooth(rc::rawLoss(c, RunAxis::Epoch), 0.9);
    CHECK(s.first().y() == Approx(4.0));
    CHECK(s.last().y() > 2.0);
    CHECK(s.last().y() < 4.0);
    CHECK(rc::smooth(rc::rawLoss(c, RunAxis::Epoch), 0) == rc::rawLoss(c, RunAxis::Epoch));
    // A bucket is drawn as its min and max at one x.
    c.losses[1].count = 5;
    c.losses[1].lossMin = 1;
    c.losses[1].lossMax = 3;
    const auto env = rc::rawEnvelope(c, RunAxis::Epoch);
    REQUIRE(env.size() == 5);
    CHECK(env[1].y() == 1);
    CHECK(env[2].y() == 3);
    CHECK(env[1].x() == env[2].x());
    const QList<QPointF> line{{0, 0}, {2, 10}};
    CHECK(rc::valueAt(line, 0.5) == Approx(2.5));
    CHECK(std::isnan(rc::valueAt(line, 3)));
    CHECK(rc::runColor(1) != rc::runColor(2));

    core::RunRecord a, b;
    a.recipe = QJsonObject{{QStringLiteral("learning_rate"), 0.001}, {QStringLiteral("batch_size"), 100}};
    b.recipe = QJsonObject{{QStringLiteral("learning_rate"), 0.003}, {QStringLiteral("batch_size"), 100},
                           {QStringLiteral("optimizer"), QStringLiteral("sgd")}};
    QStringList differing;
    for (const auto &d : ui::runDifferences(a, b))
        if (d.differs)
            differing << d.name;
    CHECK(differing == QStringList{QStringLiteral("learning_rate"), QStringLiteral("optimizer")});
}

TEST_CASE("Runs tab: select runs to overlay them, axes, log scale, smoothing and hover", "[runs]")
{
    ShownTab shown(syntheticDatabase(3, 3));
    auto &tab = shown.tab;
    REQUIRE(tab.errorText().isEmpty());
    REQUIRE(tab.proxy()->rowCount() == 3);
    auto *charts = tab.charts();
    CHECK(legendNames(charts->lossChart()).isEmpty());

    // Click one run, then Ctrl+click another: both overlaid, one legend entry each.
    const int first = rowOfName(tab, QStringLiteral("run 1"));
    const int third = rowOfName(tab, QStringLiteral("run 3"));
    clickRow(tab.table(), first);
    CHECK(tab.selectedRunIds() == QList<qint64>{1});
    clickRow(tab.table(), third, Qt::ControlModifier);
    CHECK(tab.selectedRunIds() == QList<qint64>({1, 3}));
    CHECK(legendNames(charts->lossChart()) == QStringList({QStringLiteral("run 1"), QStringLiteral("run 3")}));
    CHECK(legendNames(charts->accuracyChart()) == QStringList({QStringLiteral("run 1"), QStringLiteral("run 3")}));
    CHECK(charts->legendLabel()->text().contains(QStringLiteral("run 1")));
    CHECK(charts->legendLabel()->text().contains(ui::runcurves::runColor(3).name()));
    // Smoothed curve + faint raw envelope per run.
    CHECK(charts->lossChart()->series().size() == 4);
    CHECK(charts->xRange().second == Approx(3.0));

    // x by images seen and by wall time.
    charts->axisBox()->setCurrentIndex(charts->axisBox()->findData(int(RunAxis::Images)));
    CHECK(charts->axis() == RunAxis::Images);
    CHECK(charts->xRange().second >= 3 * 2000);
    CHECK(charts->lossChart()->axes(Qt::Horizontal).first()->titleText() == QStringLiteral("images seen"));
    charts->axisBox()->setCurrentIndex(charts->axisBox()->findData(int(RunAxis::WallTime)));
    CHECK(charts->axis() == RunAxis::WallTime);
    CHECK(charts->lossChart()->axes(Qt::Horizontal).first()->titleText() == QStringLiteral("wall time (s)"));
    charts->axisBox()->setCurrentIndex(charts->axisBox()->findData(int(RunAxis::Epoch)));

    // Log y for the loss.
    QTest::mouseClick(charts->logBox(), Qt::LeftButton, {}, QPoint(5, charts->logBox()->height() / 2));
    CHECK(charts->logScale());
    const auto lossYAxis = [&] { return charts->lossChart()->axes(Qt::Vertical, charts->lossChart()->series().first()).first(); };
    CHECK(qobject_cast<QLogValueAxis *>(lossYAxis()) != nullptr);
    CHECK(lossYAxis()->isVisible());
    charts->logBox()->setChecked(false);
    CHECK(qobject_cast<QValueAxis *>(lossYAxis()) != nullptr);

    // Smoothing: 0 draws the raw curves alone; more smoothing flattens the named curve while
    // the raw envelope stays.
    charts->smoothingSlider()->setValue(0);
    CHECK(charts->smoothing() == 0);
    CHECK(charts->lossChart()->series().size() == 2);
    const QString rawHover = charts->valuesAt(1.55);
    charts->smoothingSlider()->setValue(95);
    CHECK(charts->smoothing() == Approx(0.95));
    CHECK(charts->lossChart()->series().size() == 4);
    const QString smoothHover = charts->valuesAt(1.55);
    CHECK(rawHover != smoothHover);

    // Hover: one value per run at the mouse's x.
    CHECK(smoothHover.startsWith(QStringLiteral("epoch 1.55")));
    CHECK(smoothHover.contains(QStringLiteral("run 1: loss ")));
    CHECK(smoothHover.contains(QStringLiteral("run 3: loss ")));
    auto *view = charts->findChildren<QChartView *>().first();
    const QPointF inPlot = charts->lossChart()->mapToPosition(QPointF(2.0, 0.5), charts->lossChart()->series().first());
    QTest::mouseMove(view->viewport(), view->mapFromScene(charts->lossChart()->mapToScene(inPlot)));
    CHECK(charts->hoverLabel()->text().startsWith(QStringLiteral("epoch 2.0")));
    CHECK(charts->hoverLabel()->text().contains(QStringLiteral("test ")));
}

TEST_CASE("Runs tab: filter, rename, note, difference, delete with undo, exports", "[runs]")
{
    const QString db = syntheticDatabase(3, 2);
    ShownTab shown(db);
    auto &tab = shown.tab;
    REQUIRE(tab.proxy()->rowCount() == 3);

    QTest::keyClicks(tab.filterEdit(), QStringLiteral("0.003"));
    CHECK(tab.proxy()->rowCount() == 1);
    tab.filterEdit()->clear();
    CHECK(tab.proxy()->rowCount() == 3);

    // Rename (the Name column) and a note: written to the database.
    const int row = rowOfName(tab, QStringLiteral("run 2"));
    REQUIRE(tab.proxy()->setData(tab.proxy()->index(row, ui::RunsModel::Name), QStringLiteral("lr 2e-3"), Qt::EditRole));
    tab.selectRuns({2});
    tab.noteEdit()->setText(QStringLiteral("the better one"));
    QTest::keyClick(tab.noteEdit(), Qt::Key_Return);
    {
        core::RunStore store(db);
        CHECK(store.run(2)->name == QStringLiteral("lr 2e-3"));
        CHECK(store.run(2)->note == QStringLiteral("the better one"));
    }

    // Difference of two runs: the learning rate and the seed differ, highlighted.
    tab.selectRuns({1, 2});
    REQUIRE(tab.differenceButton()->isEnabled());
    QTest::mouseClick(tab.differenceButton(), Qt::LeftButton);
    auto *dialog = tab.findChild<QWidget *>(QStringLiteral("runDifference"));
    REQUIRE(dialog);
    auto *table = dialog->findChild<QTableWidget *>(QStringLiteral("differenceTable"));
    REQUIRE(table);
    QStringList highlighted;
    for (int r = 0; r < table->rowCount(); ++r)
        if (table->item(r, 0)->font().bold())
            highlighted << table->item(r, 0)->text();
    CHECK(highlighted == QStringList({QStringLiteral("learning_rate"), QStringLiteral("seed")}));
    dialog->close();

    // Exports.
    const QString dir = uitest::tempDir();
    CHECK(tab.exportTable(dir + QStringLiteral("/runs.csv")).isEmpty());
    CHECK(tab.exportCurves(dir + QStringLiteral("/curves.csv")).isEmpty());
    CHECK(tab.exportCharts(dir + QStringLiteral("/charts.png")).isEmpty());
    QFile csv(dir + QStringLiteral("/runs.csv"));
    REQUIRE(csv.open(QIODevice::ReadOnly));
    CHECK(csv.readAll().count('\n') == 4);
    QFile curves(dir + QStringLiteral("/curves.csv"));
    REQUIRE(curves.open(QIODevice::ReadOnly));
    CHECK(curves.readAll().count('\n') == 1 + 2 * (2 * 20 + 2)); // header + 2 runs x (40 losses + 2 epochs)
    CHECK(QImage(dir + QStringLiteral("/charts.png")).width() > 400);

    // Delete (the button) and undo; a delete is final at the next start.
    tab.selectRuns({3});
    QTest::mouseClick(tab.deleteButton(), Qt::LeftButton);
    CHECK(tab.proxy()->rowCount() == 2);
    CHECK(tab.charts()->runs().empty());
    REQUIRE(tab.undoButton()->isVisible());
    QTest::mouseClick(tab.undoButton(), Qt::LeftButton);
    CHECK(tab.proxy()->rowCount() == 3);
    CHECK(tab.selectedRunIds() == QList<qint64>{3});
    tab.selectRuns({1});
    QTest::keyClick(tab.table(), Qt::Key_Delete);
    CHECK(tab.proxy()->rowCount() == 2);
    ui::RunsTab next(&shown.controller, db);
    CHECK(next.proxy()->rowCount() == 2);
    core::RunStore store(db);
    CHECK_FALSE(store.run(1).has_value());
}

TEST_CASE("Runs tab: the Train tab's run appears as it trains and ends finished", "[runs][data]")
{
    uitest::requireMnistDir();
    const QString db = uitest::tempDir() + QStringLiteral("/runs.db");
    ui::TrainingController controller;
    ui::RunsTab tab(&controller, db);
    tab.setLiveRefreshInterval(20); // the chart below follows the commits without a 1 s wait
    REQUIRE(controller.loadData(uitest::requireMnistDir()));
    REQUIRE(uitest::waitUntil([&] { return controller.isIdle(); }, 120000));
    QSignalSpy started(tab.recording()->recorder(), &core::RunRecorder::runStarted);
    auto config = testsupport::smallConfig(400, 100, 3);
    REQUIRE(controller.start(config, true));
    // The row is there while the run goes on.
    REQUIRE(uitest::waitUntil([&] { return !started.isEmpty(); }, 60000));
    const qint64 id = started.first().first().toLongLong();
    // The spy hears the recorder's thread; the tab hears it queued.
    REQUIRE(uitest::waitUntil([&] { return tab.model()->rowOf(id) >= 0; }, 10000));
    tab.selectRuns({id});
    REQUIRE(uitest::waitUntil([&] { return controller.isIdle(); }, 300000));
    const bool ended = uitest::waitUntil([&] {
        const int row = tab.model()->rowOf(id);
        return row >= 0 && tab.model()->run(row).status == core::RunStatus::Finished;
    }, 60000);
    INFO("status " << core::runStatusText(tab.model()->run(tab.model()->rowOf(id)).status).toStdString() << " error "
                   << tab.recording()->recorder()->lastError().toStdString());
    REQUIRE(ended);
    const auto &run = tab.model()->run(tab.model()->rowOf(id));
    CHECK(run.epochsDone == 3);
    CHECK(run.source == QStringLiteral("gui"));
    CHECK(run.trainImages == 400);
    CHECK(run.finalTestAccuracy > 0);
    // The selected live run's chart follows its commits.
    REQUIRE(uitest::waitUntil([&] { return !tab.charts()->runs().empty() && tab.charts()->runs().front().curves.epochs.size() == 3; }, 10000));
    CHECK(tab.charts()->runs().front().curves.losses.size() == 3 * 4);

    // Saved right after the run: that is the run's checkpoint, and Open Checkpoint asks for it.
    const QString checkpoint = uitest::tempDir() + QStringLiteral("/after-run.pt");
    REQUIRE(controller.save(checkpoint));
    REQUIRE(uitest::waitUntil([&] { return tab.model()->run(tab.model()->rowOf(id)).checkpoint == checkpoint; }, 30000));
    tab.selectRuns({id});
    REQUIRE(tab.openButton()->isEnabled());
    QSignalSpy open(&tab, &ui::RunsTab::openCheckpointRequested);
    QTest::mouseClick(tab.openButton(), Qt::LeftButton);
    REQUIRE(open.size() == 1);
    CHECK(open.first().first().toString() == checkpoint);
}

TEST_CASE("Runs tab: a run whose loss becomes NaN is recorded as diverged, a stopped one as stopped", "[runs][data]")
{
    const QString db = uitest::tempDir() + QStringLiteral("/runs.db");
    ui::TrainingController controller;
    ui::RunsTab tab(&controller, db);
    REQUIRE(controller.loadData(uitest::requireMnistDir()));
    REQUIRE(uitest::waitUntil([&] { return controller.isIdle(); }, 120000));
    const auto statusOfLast = [&] { return tab.model()->runs().empty() ? core::RunStatus::Running : tab.model()->runs().back().status; };

    // A trainer to inject into (the window makes one at start-up).
    REQUIRE(controller.initialize(testsupport::smallConfig(300, 100, 2)));
    REQUIRE(uitest::waitUntil([&] { return controller.isIdle(); }, 60000));
    controller.injectNanForTesting();
    REQUIRE(controller.start(testsupport::smallConfig(300, 100, 2), false));
    REQUIRE(uitest::waitUntil([&] { return controller.isIdle(); }, 300000));
    const bool diverged = uitest::waitUntil([&] { return statusOfLast() == core::RunStatus::Diverged; }, 30000);
    INFO("runs " << tab.model()->runs().size() << " status " << core::runStatusText(statusOfLast()).toStdString());
    REQUIRE(diverged);
    CHECK(tab.model()->runs().back().message.contains(QStringLiteral("NaN")));

    // Stop as soon as the run has started: "stopped".
    QObject context;
    QObject::connect(&controller, &ui::TrainingController::started, &context, [&] { controller.stop(); });
    REQUIRE(controller.start(testsupport::smallConfig(3000, 100, 50), true));
    REQUIRE(uitest::waitUntil([&] { return controller.isIdle(); }, 300000));
    REQUIRE(uitest::waitUntil([&] { return tab.model()->runs().size() == 2 && statusOfLast() == core::RunStatus::Stopped; }, 30000));
}

TEST_CASE("Runs tab: a database that is not one is said once and the tab stays usable", "[runs]")
{
    const QString path = uitest::tempDir() + QStringLiteral("/runs.db");
    {
        QFile f(path);
        REQUIRE(f.open(QIODevice::WriteOnly));
        f.write(QByteArray(4096, 'z'));
    }
    ui::TrainingController controller;
    ui::RunsTab tab(&controller, path);
    CHECK(tab.errorText().contains(path));
    CHECK(tab.errorText().contains(QStringLiteral("not a SQLite database")));
    CHECK(tab.proxy()->rowCount() == 0);
    CHECK_FALSE(tab.deleteButton()->isEnabled());
}

TEST_CASE("Runs tab benchmark: 20 runs of 15 epochs selected", "[.benchmark]")
{
    // 15 epochs of 600 batches each: the seed recipe's run, kept whole (9,000 losses).
    const QString db = syntheticDatabase(20, 15, 600);
    ui::TrainingController controller;
    ui::RunsTab tab(&controller, db);
    tab.resize(1400, 900);
    tab.show();
    QList<qint64> all;
    for (qint64 id = 1; id <= 20; ++id)
        all << id;
    const auto timeIt = [&](const char *what, const std::function<void()> &f) {
        QElapsedTimer t;
        t.start();
        f();
        QCoreApplication::processEvents(); // Qt Charts' posted layout, as the event loop would
        (void)tab.grab(); // the paint the user waits for
        const double ms = t.nsecsElapsed() / 1e6;
        WARN(what << ": " << ms << " ms");
        return ms;
    };
    {
        core::RunStore store(db);
        QElapsedTimer read;
        read.start();
        std::size_t points = 0;
        for (qint64 id : all)
            points += store.curves(id).losses.size();
        WARN("read the curves of 20 runs (" << points << " losses): " << read.nsecsElapsed() / 1e6 << " ms");
    }
    timeIt("select 20 runs (read 180,000 losses, build series, paint)", [&] { tab.selectRuns(all); });
    timeIt("select 20 runs again (curves cached)", [&] { tab.selectRuns({}); tab.selectRuns(all); });
    timeIt("smoothing 0.6 -> 0.9", [&] { tab.charts()->setSmoothing(0.9); });
    timeIt("x axis -> images seen", [&] { tab.charts()->setAxis(RunAxis::Images); });
    timeIt("x axis -> wall time", [&] { tab.charts()->setAxis(RunAxis::WallTime); });
    timeIt("repaint only", [] {});
    timeIt("log loss on", [&] { tab.charts()->setLogScale(true); });
    timeIt("repaint only (log)", [] {});
    timeIt("log loss off", [&] { tab.charts()->setLogScale(false); });
    QElapsedTimer t;
    t.start();
    for (int i = 0; i < 100; ++i)
        (void)tab.charts()->valuesAt(i * 0.15);
    WARN("hover text for 20 runs: " << t.nsecsElapsed() / 1e6 / 100 << " ms each");
    WARN("loss points drawn: " << tab.charts()->lossPointsShown());
}

TEST_CASE("Screenshot of the Runs tab with runs overlaid", "[.screenshots]")
{
    const QString db = uitest::tempDir() + QStringLiteral("/runs.db");
    {
        // Five runs that differ as a learner's would: learning rates and seeds.
        core::RunRecorder recorder(db);
        const double rates[] = {0.0003, 0.001, 0.001, 0.003, 0.01};
        for (int i = 0; i < 5; ++i) {
            auto spec = runstoretest::spec(rates[i], i == 2 ? 7 : 1);
            runstoretest::recordSynthetic(recorder, spec, 8, 120, 0.93 + 0.01 * i - (i == 4 ? 0.06 : 0));
        }
        REQUIRE(recorder.flush());
    }
    ui::TrainingController controller;
    ui::RunsTab tab(&controller, db);
    tab.resize(1300, 860);
    tab.show();
    tab.selectRuns({1, 2, 4, 5});
    tab.charts()->setSmoothing(0.8);
    QTest::qWait(200); // Qt Charts lays its axis labels out in posted events
    REQUIRE(tab.grab().save(uitest::shotsDir() + QStringLiteral("/screenshot-runs.png")));
    // The difference of two runs: what differs is highlighted.
    tab.selectRuns({3, 4});
    auto *dialog = tab.showDifference();
    REQUIRE(dialog);
    QTest::qWait(100);
    REQUIRE(dialog->grab().save(uitest::shotsDir() + QStringLiteral("/screenshot-runs-difference.png")));
    dialog->close();
}

TEST_CASE("Runs tab: every control has an accessible name and its own mnemonic", "[runs]")
{
    ui::TrainingController controller;
    ui::RunsTab tab(&controller, uitest::tempDir() + QStringLiteral("/runs.db"));
    // The main window's tabs are Alt+T, D, B, I and R (this tab): none of those here.
    QString used = QStringLiteral("tdbir");
    const auto mnemonic = [](const QString &text) {
        const auto at = text.indexOf(QLatin1Char('&'));
        return at >= 0 && at + 1 < text.size() ? text[at + 1].toLower() : QChar();
    };
    int controls = 0;
    for (auto *w : tab.findChildren<QWidget *>()) {
        QString text;
        // Our buttons, not the line edit's clear button or the table's corner button.
        if (auto *b = qobject_cast<QAbstractButton *>(w); b && (qobject_cast<QPushButton *>(w) || qobject_cast<QCheckBox *>(w)))
            text = b->text();
        else if (auto *l = qobject_cast<QLabel *>(w); l && l->buddy())
            text = l->text();
        else if (!qobject_cast<QLineEdit *>(w) && !qobject_cast<QComboBox *>(w) && !qobject_cast<QSlider *>(w)
                 && !qobject_cast<QTableView *>(w))
            continue;
        if (!text.isNull()) {
            const QChar m = mnemonic(text);
            INFO(text.toStdString());
            REQUIRE(!m.isNull());
            CHECK_FALSE(used.contains(m));
            used += m;
        }
        if (!qobject_cast<QLabel *>(w)) {
            INFO(w->metaObject()->className());
            CHECK_FALSE(w->accessibleName().isEmpty());
            ++controls;
        }
    }
    CHECK(controls >= 14);
}

TEST_CASE("Runs tab in the window: Train Again starts a run with the selected run settings and it is recorded", "[runs][window][data]")
{
    ui::MainWindow::Options options;
    options.loadBundledModel = false;
    options.restoreSettings = false;
    options.dataDir = uitest::requireMnistDir();
    ui::MainWindow window(options);
    window.setUnsavedPrompt([](const QString &) { return QMessageBox::Discard; });
    window.setMessageSink([](QMessageBox::Icon, const QString &, const QString &) {});
    window.show();
    REQUIRE(uitest::waitUntil([&] { return window.controller()->isIdle() && window.document()->isDataReady(); }, 60000));
    auto *tab = window.runsTab();
    REQUIRE(tab);
    CHECK(window.tabs()->tabText(window.tabs()->indexOf(tab)) == QStringLiteral("R&uns"));
    {
        core::RunRecorder recorder(tab->databasePath());
        auto spec = runstoretest::spec(0.0042, 9);
        spec.recipe[QStringLiteral("train_limit")] = 300;
        spec.recipe[QStringLiteral("test_limit")] = 100;
        runstoretest::recordSynthetic(recorder, spec, 2, 3, 0.5);
    }
    tab->reload();
    const qint64 source = tab->model()->runs().back().id;
    tab->selectRuns({source});
    window.tabs()->setCurrentWidget(tab);
    REQUIRE(tab->trainAgainButton()->isEnabled());
    QTest::mouseClick(tab->trainAgainButton(), Qt::LeftButton);
    CHECK(window.tabs()->currentWidget() == window.trainTab());
    CHECK(window.trainTab()->config().learningRate == Approx(0.0042));
    CHECK(window.trainTab()->config().seed == 9);
    CHECK(window.trainTab()->config().trainLimit == 300);
    REQUIRE(uitest::waitUntil([&] { return !window.controller()->isRunning() && window.controller()->isIdle(); }, 300000));
    // The new run is in the table, with the same settings, finished.
    REQUIRE(uitest::waitUntil([&] {
        const auto &runs = tab->model()->runs();
        return !runs.empty() && runs.back().id > source && runs.back().status == core::RunStatus::Finished;
    }, 30000));
    const auto &again = tab->model()->runs().back();
    CHECK(again.learningRate == Approx(0.0042));
    CHECK(again.seed == QStringLiteral("9"));
    CHECK(again.epochsDone == 2);
    CHECK(again.source == QStringLiteral("gui"));
}
