// The Train tab's charts on their own, fed synthetic data.
#include "ui/train/trainingcharts.h"
#include "ui/train/chartaxes.h"
#include "core/types.h"
#include <QChartView>
#include <QCheckBox>
#include <QLogValueAxis>
#include <QPointer>
#include <QTest>
#include <QValueAxis>
#include <QTimer>
#include <catch2/catch.hpp>
#include <algorithm>
#include <cmath>
#include <limits>
#include <memory>

namespace {

core::EpochStats epoch(int e, double trainAcc, double testAcc)
{
    core::EpochStats s;
    s.epoch = e;
    s.epochs = 15;
    s.trainLoss = 1.0 / e;
    s.trainAccuracy = trainAcc;
    s.testAccuracy = testAcc;
    return s;
}

} // namespace

TEST_CASE("charts: the loss chart keeps every batch but draws a bounded envelope", "[charts]")
{
    ui::TrainingCharts charts;
    charts.resize(900, 400);
    charts.clear(15);
    constexpr int kBatches = 600;
    float lowest = 10, highest = 0;
    for (int e = 1; e <= 15; ++e) {
        core::BatchLosses chunk;
        chunk.epoch = e;
        chunk.firstBatch = 1;
        chunk.batchesPerEpoch = kBatches;
        for (int b = 1; b <= kBatches; ++b) {
            const float loss = float(2.0 / (1 + e) + 0.2 * std::sin(b * 0.7) + (b == 300 && e == 9 ? 1.5 : 0));
            chunk.losses.append(loss);
            lowest = std::min(lowest, loss);
            highest = std::max(highest, loss);
        }
        charts.addBatchLosses(chunk);
    }
    CHECK(charts.rawLossPointCount() == 15 * kBatches);
    CHECK(charts.smoothedLossPointCount() == 15 * kBatches);
    const QList<QPointF> shown = charts.shownRawLoss();
    CHECK(shown.size() <= ui::TrainingCharts::kMaxShownPoints + 2);
    CHECK(shown.size() >= ui::TrainingCharts::kMaxShownPoints / 2);
    CHECK(std::is_sorted(shown.begin(), shown.end(), [](const QPointF &a, const QPointF &b) { return a.x() < b.x(); }));

    // The spike and the extremes survive the decimation.
    double shownMax = 0, shownMin = 10;
    for (const QPointF &p : shown) {
        shownMax = std::max(shownMax, p.y());
        shownMin = std::min(shownMin, p.y());
    }
    CHECK(shownMax == Approx(highest));
    CHECK(shownMin == Approx(lowest));
}

TEST_CASE("charts: the accuracy axis zooms to the recent epochs", "[charts]")
{
    ui::TrainingCharts charts;
    charts.clear(15);
    charts.addEpoch(epoch(1, 0.78, 0.95));
    auto [lo, hi] = charts.accuracyRange();
    CHECK(lo <= 78.0);
    CHECK(hi >= 95.0);
    charts.addEpoch(epoch(2, 0.90, 0.97));
    for (int e = 3; e <= 10; ++e)
        charts.addEpoch(epoch(e, 0.95 + e * 0.002, 0.98 + e * 0.0008));
    std::tie(lo, hi) = charts.accuracyRange();
    // 97-99.5% fills most of the axis instead of a sliver of 0-100.
    CHECK(lo >= 90.0);
    CHECK(lo <= 95.6);
    CHECK(hi <= 100.0);
    CHECK(hi >= 98.8);
    CHECK(charts.epochPointCount() == 10);
}

TEST_CASE("charts: follow a dark palette", "[charts]")
{
    ui::TrainingCharts charts;
    charts.resize(800, 360);
    charts.clear(3);
    charts.addEpoch(epoch(1, 0.9, 0.95));
    QPalette dark;
    dark.setColor(QPalette::Window, QColor(0x20, 0x22, 0x25));
    dark.setColor(QPalette::WindowText, QColor(0xe8, 0xe8, 0xe8));
    dark.setColor(QPalette::Base, QColor(0x18, 0x1a, 0x1c));
    dark.setColor(QPalette::Text, QColor(0xe8, 0xe8, 0xe8));
    charts.setPalette(dark);
    const QImage image = charts.toImage();
    REQUIRE(!image.isNull());
    // Background of both charts (corners) is the palette's dark window colour.
    CHECK(QColor(image.pixel(3, 3)).lightness() < 60);
    CHECK(QColor(image.pixel(image.width() - 4, image.height() - 4)).lightness() < 60);
    // ... and there is light text on it somewhere (titles, labels).
    int light = 0;
    for (int y = 0; y < image.height(); y += 2)
        for (int x = 0; x < image.width(); x += 2)
            light += QColor(image.pixel(x, y)).lightness() > 180;
    CHECK(light > 50);
    if (qEnvironmentVariableIsSet("DIGITLAB_SCREENSHOT_DIR"))
        image.save(qEnvironmentVariable("DIGITLAB_SCREENSHOT_DIR") + QStringLiteral("/charts-dark.png"));
}

TEST_CASE("charts: a stopped epoch trained again replaces its partial points", "[charts]")
{
    ui::TrainingCharts charts;
    charts.clear(3);
    core::BatchLosses first;
    first.epoch = 1;
    first.firstBatch = 1;
    first.batchesPerEpoch = 10;
    for (int b = 0; b < 10; ++b)
        first.losses.append(1.0f);
    charts.addBatchLosses(first);
    charts.addEpoch(epoch(1, 0.9, 0.95));
    core::BatchLosses partial = first;
    partial.epoch = 2;
    partial.losses = QList<float>(4, 0.5f);
    charts.addBatchLosses(partial);
    REQUIRE(charts.rawLossPointCount() == 14);

    charts.truncateAfterEpoch(1);
    CHECK(charts.rawLossPointCount() == 10);
    CHECK(charts.smoothedLossPointCount() == 10);
    core::BatchLosses again = first;
    again.epoch = 2;
    charts.addBatchLosses(again);
    const QList<QPointF> shown = charts.shownRawLoss();
    CHECK(shown.size() == 20);
    CHECK(std::is_sorted(shown.begin(), shown.end(), [](const QPointF &a, const QPointF &b) { return a.x() < b.x(); }));
}

// Issue 9, item 1: a loss of N used to ask Qt Charts for ~N tick labels (a step capped at 1.0),
// which froze the window for good at learning rate 1.0. Every axis must stay a handful of labels
// for any value, and the event loop must keep turning while such values arrive.
TEST_CASE("chart axes: a handful of ticks for any range", "[charts][axes]")
{
    const double inf = std::numeric_limits<double>::infinity();
    const double nan = std::numeric_limits<double>::quiet_NaN();
    const std::vector<std::pair<double, double>> ranges = {
        {0, 2.5}, {0, 1e6}, {0, 1e30}, {0, 1e300}, {0, inf}, {0, nan}, {nan, nan}, {-inf, inf}, {0, -0.0},
        {-0.0, -0.0}, {0, 1e-30}, {1e-30, 2e-30}, {1e30, 1e30}, {5, 5}, {97.2, 98.9}, {100, 0}, {-1e200, 1e200}};
    for (const auto &[lo, hi] : ranges) {
        INFO("range " << lo << " .. " << hi);
        const ui::LinearTicks t = ui::chartaxes::linear(lo, hi, 6);
        CHECK(std::isfinite(t.min));
        CHECK(std::isfinite(t.max));
        CHECK(t.max > t.min);
        CHECK(t.count() >= 2);
        CHECK(t.count() <= 8);
        if (std::isfinite(lo) && std::isfinite(hi) && std::abs(lo) < 1e150 && std::abs(hi) < 1e150) {
            CHECK(t.min <= std::min(lo, hi));
            CHECK(t.max >= std::max(lo, hi));
        }
        // Each tick differs from the next: Qt Charts' loop from min to max by step terminates.
        CHECK(t.min + t.step > t.min);
        CHECK(t.max - t.step < t.max);
        const ui::LogTicks l = ui::chartaxes::logarithmic(lo, hi, 6);
        CHECK(l.min > 0);
        CHECK(l.max > l.min);
        CHECK(std::isfinite(l.max));
        CHECK(l.count() >= 2);
        CHECK(l.count() <= 7);
    }
    // Everyday losses keep readable labels.
    const ui::LinearTicks loss = ui::chartaxes::linear(0, 2.4, 6);
    CHECK(loss.step == Approx(0.5));
    CHECK(loss.labelFormat == QStringLiteral("%.1f"));
    CHECK(ui::chartaxes::linear(0, 1e30, 6).labelFormat == QStringLiteral("%.3g"));
}

TEST_CASE("charts: huge and non-finite losses keep the axes small and the event loop turning", "[charts][axes]")
{
    ui::TrainingCharts charts;
    charts.resize(900, 400);
    charts.clear(1);
    const float inf = std::numeric_limits<float>::infinity();
    const float nan = std::numeric_limits<float>::quiet_NaN();
    const std::vector<float> losses = {2.3f, 1e6f, 3e38f, inf, nan, -0.0f, 1e-30f, 4.2e7f, 0.5f};
    for (bool logScale : {false, true}) {
        charts.clear(1);
        charts.setLogScale(logScale);
        core::BatchLosses chunk;
        chunk.epoch = 1;
        chunk.firstBatch = 1;
        chunk.batchesPerEpoch = 600;
        int batch = 1;
        for (float loss : losses) {
            chunk.firstBatch = batch++;
            chunk.losses = {loss};
            charts.addBatchLosses(chunk);
            INFO("log " << logScale << " after a loss of " << loss);
            REQUIRE(charts.lossTickCount() >= 2);
            REQUIRE(charts.lossTickCount() <= 8);
            const auto [lo, hi] = charts.lossRange();
            CHECK(std::isfinite(lo));
            CHECK(std::isfinite(hi));
        }
        CHECK(charts.nonFiniteLossCount() == 2);
        core::EpochStats e;
        e.epoch = 1;
        e.epochs = 1;
        e.trainLoss = std::numeric_limits<double>::quiet_NaN();
        e.trainAccuracy = std::numeric_limits<double>::quiet_NaN();
        e.testAccuracy = 0.1135;
        charts.addEpoch(e);
        REQUIRE(charts.lossTickCount() <= 8);
        REQUIRE(charts.accuracyTickCount() >= 2);
        REQUIRE(charts.accuracyTickCount() <= 10);
        e.epoch = 2;
        e.trainLoss = 1e30;
        e.trainAccuracy = 0.0;
        e.testAccuracy = 1.0;
        charts.addEpoch(e);
        REQUIRE(charts.lossTickCount() <= 8);
        REQUIRE(charts.accuracyTickCount() <= 10);
    }

    // The window paints these axes and its event loop keeps turning: a zero timer fires and a
    // grab (a full paint of both charts) returns.
    charts.show();
    bool fired = false;
    QTimer::singleShot(0, &charts, [&fired] { fired = true; });
    QTRY_VERIFY_WITH_TIMEOUT(fired, 30000);
    const QImage image = charts.toImage();
    CHECK(!image.isNull());
    fired = false;
    QTimer::singleShot(0, &charts, [&fired] { fired = true; });
    QTRY_VERIFY_WITH_TIMEOUT(fired, 30000);
    if (qEnvironmentVariableIsSet("DIGITLAB_SCREENSHOT_DIR"))
        image.save(qEnvironmentVariable("DIGITLAB_SCREENSHOT_DIR") + QStringLiteral("/charts-extreme.png"));
}

TEST_CASE("charts: show all epochs widens the accuracy axis to every point", "[charts]")
{
    ui::TrainingCharts charts;
    charts.clear(10);
    for (int e = 1; e <= 10; ++e)
        charts.addEpoch(epoch(e, e == 1 ? 0.80 : 0.97, 0.985));
    CHECK(charts.accuracyRange().first > 80.0);
    charts.setShowAllEpochs(true);
    CHECK(charts.accuracyRange().first <= 80.0);
    CHECK(charts.accuracyRange().second >= 98.5);
    charts.setShowAllEpochs(false);
    CHECK(charts.accuracyRange().first > 80.0);
}

TEST_CASE("charts: decimateMinMax keeps short curves and each bucket's extremes", "[charts]")
{
    QList<QPointF> few;
    for (int i = 0; i < 10; ++i)
        few.append(QPointF(i, i % 3));
    CHECK(ui::decimateMinMax(few, 10) == few);

    // 1000 points, at most 100 drawn: buckets of 20, each shown as its min and max in x order.
    QList<QPointF> many;
    for (int i = 0; i < 1000; ++i)
        many.append(QPointF(i, (i * 37) % 101));
    many[503].setY(-5);  // a dip and a spike inside one bucket must both survive
    many[517].setY(500);
    const QList<QPointF> shown = ui::decimateMinMax(many, 100);
    CHECK(shown.size() <= 100);
    CHECK(shown.size() >= 50);
    CHECK(shown.contains(many[503]));
    CHECK(shown.contains(many[517]));
    for (qsizetype i = 1; i < shown.size(); ++i)
        CHECK(shown[i].x() > shown[i - 1].x());
    double lo = 1e9, hi = -1e9;
    for (const QPointF &p : shown) {
        lo = std::min(lo, p.y());
        hi = std::max(hi, p.y());
    }
    CHECK(lo == -5);
    CHECK(hi == 500);
}

TEST_CASE("charts: decimateLast thins a smooth curve in step with the raw one", "[charts]")
{
    QList<QPointF> smooth;
    for (int i = 0; i < 1000; ++i)
        smooth.append(QPointF(i, 1.0 / (i + 1)));
    const QList<QPointF> shown = ui::decimateLast(smooth, smooth.size(), 100);
    REQUIRE(shown.size() == 51); // the first point, then the last of each of 50 buckets
    CHECK(shown.first() == smooth.first());
    CHECK(shown.last() == smooth.last());
    CHECK(ui::decimateLast(smooth.mid(0, 50), 50, 100) == smooth.mid(0, 50));
}

// Issue 8 (LeakSanitizer): the log axis is off the chart until the log scale is first shown, and
// the axis not on show has no chart: the charts must own both whatever was shown.
TEST_CASE("charts: both loss axes are freed whichever one is on show", "[charts]")
{
    {
        auto charts = std::make_unique<ui::TrainingCharts>();
        const auto logAxes = charts->findChildren<QLogValueAxis *>();
        REQUIRE(logAxes.size() == 1); // owned before the log scale is ever shown
        QPointer<QLogValueAxis> log = logAxes.front();
        charts.reset();
        CHECK(log.isNull());
    }
    for (const bool logScale : {false, true}) {
        auto charts = std::make_unique<ui::TrainingCharts>();
        QPointer<QValueAxis> linear;
        QPointer<QLogValueAxis> log;
        // Both axes are on the loss chart at some point; record them while attached.
        for (const bool on : {true, false}) {
            charts->setLogScale(on);
            for (auto *view : charts->findChildren<QChartView *>())
                for (QAbstractAxis *axis : view->chart()->axes(Qt::Vertical)) {
                    if (auto *l = qobject_cast<QLogValueAxis *>(axis))
                        log = l;
                    else if (auto *v = qobject_cast<QValueAxis *>(axis); v && v->titleText().contains(QStringLiteral("cross-entropy")))
                        linear = v;
                }
        }
        charts->setLogScale(logScale);
        REQUIRE(linear);
        REQUIRE(log);
        charts.reset();
        CHECK(linear.isNull());
        CHECK(log.isNull());
    }
}

TEST_CASE("charts: after a loss spike the linear axis fits the recent curve, not the spike", "[charts][axes]")
{
    // Issue 16 item 4: at learning rate 1 the axis ran to 250,000 and the curve was a flat line.
    ui::TrainingCharts charts;
    charts.resize(900, 400);
    charts.clear(1);
    core::BatchLosses chunk;
    chunk.epoch = 1;
    chunk.firstBatch = 1;
    chunk.batchesPerEpoch = 600;
    chunk.losses = {2.31f, 2.9f, 250000.0f, 31000.0f, 900.0f, 12.0f};
    for (int b = 0; b < 300; ++b)
        chunk.losses.append(2.30f + 0.02f * float(std::sin(b)));
    charts.addBatchLosses(chunk);
    const auto [lo, hi] = charts.lossRange();
    INFO("range " << lo << " .. " << hi);
    CHECK(hi >= 2.32);
    CHECK(hi < 10);
    // The points left above the view are said, and the log scale still shows them all.
    auto *logBox = charts.findChild<QCheckBox *>();
    REQUIRE(logBox);
    CHECK(logBox->text().contains(QStringLiteral("above")));
    charts.setLogScale(true);
    CHECK(charts.lossRange().second >= 250000);

    // A normal run keeps its whole curve, from the first batch's 2.3 down.
    charts.setLogScale(false);
    charts.clear(5);
    chunk.losses.clear();
    for (int b = 0; b < 3000; ++b)
        chunk.losses.append(float(0.1 + 2.2 * std::exp(-b / 200.0) + 0.05 * std::sin(b)));
    charts.addBatchLosses(chunk);
    CHECK(charts.lossRange().second >= 2.3);
    CHECK_FALSE(charts.findChild<QCheckBox *>()->text().contains(QStringLiteral("above")));
}
