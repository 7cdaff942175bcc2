// Issue 9 item 2: a diverging run is detected (ui::DivergenceMonitor) from its losses and epochs.
#include "ui/train/divergencemonitor.h"
#include "core/types.h"
#include <catch2/catch.hpp>
#include <cmath>
#include <limits>
#include <vector>

TEST_CASE("divergence: a normal run is never flagged", "[divergence]")
{
    ui::DivergenceMonitor m;
    // New weights: 2.3 falling towards 0.1, with batch noise.
    for (int b = 0; b < 3000; ++b)
        CHECK(m.addLoss(0.1 + 2.2 * std::exp(-b / 200.0) + 0.05 * std::sin(b)).isEmpty());
    core::EpochStats e;
    e.epoch = 1;
    e.trainLoss = 0.3;
    e.testAccuracy = 0.97;
    CHECK(m.addEpoch(e).isEmpty());
    CHECK_FALSE(m.diverged());
    // A trained model continuing: small losses that wobble up by a few times stay fine.
    m.reset();
    for (int b = 0; b < 600; ++b)
        CHECK(m.addLoss(0.03 + (b % 50 == 0 ? 0.5 : 0.02)).isEmpty());
}

TEST_CASE("divergence: a loss rising far above its start is flagged once", "[divergence]")
{
    ui::DivergenceMonitor m;
    QString first;
    int flagged = 0;
    for (int b = 0; b < 200; ++b) {
        const QString r = m.addLoss(2.3 * std::pow(1.05, b)); // learning rate 1.0: the loss explodes
        if (!r.isEmpty()) {
            ++flagged;
            first = r;
        }
    }
    CHECK(flagged == 1);
    CHECK(m.diverged());
    CHECK(first.contains(QStringLiteral("rose from")));
}

TEST_CASE("divergence: NaN and infinite losses and chance accuracy are flagged", "[divergence]")
{
    ui::DivergenceMonitor nan;
    nan.addLoss(2.3);
    CHECK(nan.addLoss(std::numeric_limits<double>::quiet_NaN()).contains(QStringLiteral("NaN")));
    ui::DivergenceMonitor inf;
    CHECK(inf.addLoss(std::numeric_limits<double>::infinity()).contains(QStringLiteral("infinite")));
    // Learning rate 0.1: the loss stays at ~2.3 (no rise) and the model guesses "1" everywhere.
    ui::DivergenceMonitor chance;
    for (int b = 0; b < 600; ++b)
        CHECK(chance.addLoss(2.30 + 0.01 * std::sin(b)).isEmpty());
    core::EpochStats e;
    e.epoch = 1;
    e.trainLoss = 2.3;
    e.testAccuracy = 0.1135;
    const QString r = chance.addEpoch(e);
    CHECK(r.contains(QStringLiteral("11.35%")));
    CHECK(chance.addEpoch(e).isEmpty()); // said once
}

TEST_CASE("divergence: a loss that explodes in the first batches is flagged within the epoch", "[divergence]")
{
    // Issue 16 item 4: at learning rate 1 the loss jumps to thousands within a few batches and
    // falls back to chance level (2.3). The mean of the first batches then included the spike,
    // so nothing ever rose "far above the start" and the warning waited for the epoch's end.
    ui::DivergenceMonitor m;
    const std::vector<double> start{2.31, 2.9, 250000, 31000, 900, 12, 2.5, 2.4, 2.35, 2.33};
    int flaggedAt = -1;
    for (int b = 0; b < 600 && flaggedAt < 0; ++b) {
        const double loss = b < int(start.size()) ? start[std::size_t(b)] : 2.30 + 0.01 * std::sin(b);
        if (!m.addLoss(loss).isEmpty())
            flaggedAt = b;
    }
    INFO("flagged at batch " << flaggedAt);
    CHECK(flaggedAt >= 0);
    CHECK(flaggedAt < 100);
}
