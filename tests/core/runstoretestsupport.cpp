#include "runstoretestsupport.h"
#include "core/runrecorder.h"
#include <QCoreApplication>
#include <QJsonObject>
#include <QThread>
#include <cmath>
#include <cstdio>

namespace runstoretest {

core::RunSpec spec(double learningRate, int seed)
{
    core::TrainConfig config;
    config.learningRate = learningRate;
    config.seed = std::uint64_t(seed);
    config.trainLimit = 2000;
    config.testLimit = 500;
    return core::runSpecFor(config, QStringLiteral("0123456789abcdef"), 60000, 10000, 0, QStringLiteral("test"));
}

float syntheticLoss(qint64 b, double learningRate)
{
    const double speed = std::sqrt(learningRate / 0.001);
    return float(2.3 * std::exp(-double(b) * speed / 300.0) + 0.05 / speed + 0.1 * speed * std::abs(std::sin(double(b) * 1.7)));
}

void recordSynthetic(core::RunRecorder &recorder, core::RunSpec s, int epochs, int batchesPerEpoch, double finalAccuracy)
{
    s.recipe[QStringLiteral("epochs")] = epochs;
    const double lr = s.recipe.value(QStringLiteral("learning_rate")).toDouble(0.001);
    recorder.begin(s);
    for (int e = 1; e <= epochs; ++e) {
        for (int b = 1; b <= batchesPerEpoch; b += 10) {
            core::BatchLosses l{e, b, batchesPerEpoch, {}};
            for (int i = b; i < b + 10 && i <= batchesPerEpoch; ++i)
                l.losses.append(syntheticLoss(qint64(e - 1) * batchesPerEpoch + i, lr));
            recorder.addLosses(l);
            core::BatchStats stats;
            stats.epoch = e;
            stats.batch = std::min(b + 9, batchesPerEpoch);
            stats.batchesPerEpoch = batchesPerEpoch;
            stats.imagesSeen = (qint64(e - 1) * batchesPerEpoch + stats.batch) * 100;
            stats.imagesPerSecond = 5000;
            recorder.addProgress(stats);
        }
        core::EpochStats stats;
        stats.epoch = e;
        stats.epochs = epochs;
        stats.trainLoss = syntheticLoss(qint64(e) * batchesPerEpoch, lr);
        stats.testLoss = stats.trainLoss * 0.9;
        const double left = 1.0 - double(e) / epochs;
        stats.testAccuracy = finalAccuracy - 0.2 * left * left;
        stats.trainAccuracy = stats.testAccuracy - 0.01;
        stats.seconds = 1.5;
        stats.imagesPerSecond = 5000;
        recorder.addEpoch(stats);
    }
    recorder.end({core::RunStatus::Finished, {}, {}});
}

int childMain(int argc, char **argv)
{
    if (argc < 6)
        return 2;
    const QString db = QString::fromLocal8Bit(argv[2]);
    const int runs = std::atoi(argv[3]);
    const int epochs = std::atoi(argv[4]);
    const bool forever = std::string(argv[5]) == "forever";
    core::RunRecorder recorder(db);
    recorder.setFlushInterval(10); // many small transactions: the worst case for contention
    constexpr int kBatches = 50;
    for (int r = 0; r < runs; ++r) {
        auto s = spec(0.001, r);
        s.recipe[QStringLiteral("epochs")] = epochs;
        recorder.begin(s);
        if (recorder.waitForRunId() < 0)
            break;
        for (int e = 1; e <= epochs; ++e) {
            for (int b = 1; b <= kBatches; b += 5) {
                core::BatchLosses l{e, b, kBatches, {}};
                for (int i = b; i < b + 5; ++i)
                    l.losses.append(syntheticLoss(i));
                recorder.addLosses(l);
                QThread::msleep(2);
                if (forever && e == 1 && b == 1) {
                    recorder.flush();
                    std::puts("committed");
                    std::fflush(stdout);
                }
            }
            core::EpochStats stats;
            stats.epoch = e;
            stats.epochs = epochs;
            stats.testAccuracy = 0.5;
            recorder.addEpoch(stats);
        }
        recorder.end({core::RunStatus::Finished, {}, {}});
    }
    recorder.flush();
    if (!recorder.lastError().isEmpty()) {
        std::fprintf(stderr, "%s\n", qPrintable(recorder.lastError()));
        return 1;
    }
    return 0;
}

} // namespace runstoretest
