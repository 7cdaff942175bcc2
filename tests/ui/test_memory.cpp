// Memory of the GUI across training runs (issue 16 section 2 item 10: 252 MB after start, 298 MB
// after 2 epochs, 440 MB after a longer session). Hidden [.benchmark]: it measures, and prints a
// table for docs/benchmarks.md; run it with
//   build/tests/ui/digitlab_ui_tests "[memory]"
#include "uitestsupport.h"
#include "ui/mainwindow.h"
#include "ui/modeldocument.h"
#include "ui/train/trainingcharts.h"
#include "ui/train/traintab.h"
#include "ui/trainingcontroller.h"
#include <QFile>
#include <QPushButton>
#include <QSignalSpy>
#include <QTabWidget>
#include <QTest>
#include <catch2/catch.hpp>
#include <cstdio>
#include <malloc.h>

namespace {

/// Resident set size of this process in MB (/proc/self/status VmRSS).
double rssMb()
{
    QFile status(QStringLiteral("/proc/self/status"));
    if (!status.open(QIODevice::ReadOnly))
        return -1;
    for (const QByteArray &line : status.readAll().split('\n'))
        if (line.startsWith("VmRSS:"))
            return line.mid(6).trimmed().split(' ').value(0).toDouble() / 1024.0;
    return -1;
}

} // namespace

TEST_CASE("window: resident memory across training runs", "[.benchmark][memory]")
{
    const int runs = qEnvironmentVariableIntValue("DIGITLAB_MEMORY_RUNS") > 0 ? qEnvironmentVariableIntValue("DIGITLAB_MEMORY_RUNS") : 8;
    const int trainLimit = qEnvironmentVariableIntValue("DIGITLAB_MEMORY_TRAIN") > 0 ? qEnvironmentVariableIntValue("DIGITLAB_MEMORY_TRAIN") : 60000;
    ui::MainWindow::Options options;
    options.restoreSettings = false;
    options.dataDir = uitest::requireMnistDir();
    ui::MainWindow window(options);
    window.setMessageSink([](QMessageBox::Icon, const QString &, const QString &) {});
    window.setUnsavedPrompt([](const QString &) { return QMessageBox::Discard; });
    window.resize(1200, 800);
    window.show();
    REQUIRE(uitest::waitUntil([&] { return window.controller()->isIdle() && window.document()->isDataReady(); }, 60000));
    std::printf("start: %.1f MB\n", rssMb());
    auto *tab = window.trainTab();
    double first = 0;
    for (int run = 1; run <= runs; ++run) {
        // Each run starts over (one epoch, the whole training set unless told), visiting every
        // tab on the way as a user would.
        core::TrainConfig c = tab->config();
        c.epochs = 1;
        c.trainLimit = trainLimit;
        tab->setConfig(c);
        tab->setStartOver(true);
        QSignalSpy finished(window.controller(), &ui::TrainingController::finished);
        QTest::mouseClick(tab->startButton(), Qt::LeftButton);
        REQUIRE(uitest::waitUntil([&] { return finished.count() > 0 && window.controller()->isIdle(); }, 600000));
        for (int i = window.tabs()->count() - 1; i >= 0; --i) {
            window.tabs()->setCurrentIndex(i);
            uitest::waitUntil([] { return false; }, 500);
        }
        // RSS, and what glibc says: memory in use vs the heaps that hold it (what grew before).
        const double rss = rssMb();
        if (run == 1)
            first = rss;
        const struct mallinfo2 mi = mallinfo2();
        std::printf("run %d: %.1f MB; malloc: %.1f MB in use, heaps %.1f MB, mmapped %.1f MB; %d raw loss points, %zu epochs\n",
                    run, rss, mi.uordblks / 1048576.0, mi.arena / 1048576.0, mi.hblkhd / 1048576.0,
                    tab->findChild<ui::TrainingCharts *>()->rawLossPointCount(), window.document()->history().size());
        std::fflush(stdout);
    }
    std::printf("growth per run after the first: %.1f MB\n", (rssMb() - first) / std::max(1, runs - 1));
}
