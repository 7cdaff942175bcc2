// The Train tab's charts on their own, fed synthetic data.
#include "ui/trainingcharts.h"
#include "core/trainingworker.h"
#include <catch2/catch.hpp>
#include <algorithm>
#include <cmath>

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
