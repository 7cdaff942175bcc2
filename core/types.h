#pragma once
#include <QJsonObject>
#include <QList>
#include <QMetaType>
#include <QString>
#include <array>
#include <cstdint>
#include <vector>

namespace core {

/// Number of classes (digits 0-9).
inline constexpr int kClasses = 10;
/// MNIST's image side: the network input is kSide x kSide.
inline constexpr int kSide = 28;
inline constexpr int kPixels = kSide * kSide;

/// Hyper-parameter ranges, defined once: TrainConfig::validate(), the Train tab's fields and the
/// CLI all read these. The upper bounds catch typos (an extra zero) without limiting real use.
inline constexpr int kMinEpochs = 1;
inline constexpr int kMaxEpochs = 1000;
inline constexpr int kMinBatchSize = 1;
inline constexpr int kMaxBatchSize = 60000;   ///< the whole training set in one batch
/// Adam learns nothing measurable below this in 1000 epochs; above kMaxLearningRate it diverges
/// at once (issue 9: 1.0 froze the old charts; 0.1 ends at chance), so the range stops there.
inline constexpr double kMinLearningRate = 1e-6;
inline constexpr double kMaxLearningRate = 1.0;
/// Adam's usual learning rates, for tooltips and the divergence hint.
inline constexpr double kUsualLearningRateLow = 1e-4;
inline constexpr double kUsualLearningRateHigh = 1e-2;
inline constexpr int kMaxThreads = 256;       ///< 0 means all cores

/// Hyper-parameters of a training run. validate() before use; every field has a documented range.
struct TrainConfig {
    int epochs = 15;            ///< total epochs of the run (a resumed run continues up to this)
    int batchSize = 100;        ///< the seed recipe's batch
    double learningRate = 1e-3; ///< Adam's default, as the seed
    std::uint64_t seed = 1;     ///< weights init, shuffling and dropout all derive from it
    int threads = 0;            ///< intra-op threads; 0 = the machine's cores
    int trainLimit = 0;         ///< use only the first N training images (0 = all); for tests/demos
    int testLimit = 0;          ///< evaluate on the first N test images (0 = all)

    /// Empty when valid, else a message naming the field and its allowed range.
    QString validate() const;
    /// threads, or the machine's core count when threads == 0.
    int effectiveThreads() const;
    QJsonObject toJson() const;
    /// Reads what toJson() wrote; missing fields keep their defaults.
    static TrainConfig fromJson(const QJsonObject &json);
};

/// Throttled per-batch progress.
struct BatchStats {
    int epoch = 0;            ///< 1-based
    int epochs = 0;
    int batch = 0;            ///< 1-based within the epoch
    int batchesPerEpoch = 0;
    double loss = 0;          ///< this batch's mean training loss
    double accuracy = 0;      ///< this batch's training accuracy, 0..1
    std::int64_t imagesSeen = 0;  ///< in this run so far
    double imagesPerSecond = 0;   ///< over this run so far
};

/// One finished epoch (also the unit of a checkpoint's history).
struct EpochStats {
    int epoch = 0;             ///< 1-based, counts across resumes
    int epochs = 0;            ///< the run's target
    double trainLoss = 0;      ///< mean over the epoch's batches
    double trainAccuracy = 0;  ///< 0..1, in training mode (dropout on)
    double testLoss = 0;       ///< mean over the test set, eval mode
    double testAccuracy = 0;   ///< 0..1
    double seconds = 0;        ///< training time of the epoch (evaluation excluded)
    double imagesPerSecond = 0;
    QJsonObject toJson() const;
    static EpochStats fromJson(const QJsonObject &json);
};

/// How a run ended.
struct TrainingSummary {
    int epochsDone = 0;   ///< completed epochs of the model after the run (across resumes)
    bool stopped = false; ///< stopped by request before reaching the target
    double seconds = 0;
    double lastTestAccuracy = 0;
};

/// Result of evaluating a model on a test set.
struct EvalResult {
    double loss = 0;
    int correct = 0;
    int total = 0;
    std::array<std::array<int, kClasses>, kClasses> confusion{}; ///< [true][predicted]
    double accuracy() const { return total ? double(correct) / total : 0.0; }
};

/// A model's answer for one image.
struct Prediction {
    int digit = -1;           ///< argmax; -1 when there was nothing to classify
    float confidence = 0;     ///< probability of digit, 0..1
    std::array<float, kClasses> probabilities{};
    /// The runner-up class.
    int secondDigit() const;
    /// Top probability below kUnsureBelow, or the top two within kCloseMargin of each other.
    bool unsure() const;
    static constexpr float kUnsureBelow = 0.7f;  ///< below this a guess is shown as a guess
    static constexpr float kCloseMargin = 0.2f;  ///< top-2 this close means "could be either"
};

/// What a checkpoint says about itself, readable without touching a model.
struct CheckpointInfo {
    int formatVersion = 0;
    QString architecture;       ///< "seed"
    int epochsDone = 0;
    /// Batches trained after the last complete epoch (a run stopped mid-epoch): the weights
    /// have learnt from them although no epoch was recorded. 0 when none.
    int partialBatches = 0;
    TrainConfig config;
    std::vector<EpochStats> history;
    QString mnistTrainChecksum;
    QString mnistTestChecksum;
    QString created;            ///< ISO 8601 UTC
    QString appVersion;
    /// Last history entry's test accuracy, or -1 when there is none.
    double testAccuracy() const { return history.empty() ? -1.0 : history.back().testAccuracy; }
};

/// The losses of every batch since the previous batchFinished(), so that the loss chart can draw
/// every batch while the signal itself is throttled.
struct BatchLosses {
    int epoch = 0;           ///< 1-based epoch of the first loss
    int firstBatch = 0;      ///< 1-based batch index (within epoch) of the first loss
    int batchesPerEpoch = 0;
    QList<float> losses;     ///< consecutive batches; may run over an epoch boundary
};

} // namespace core

Q_DECLARE_METATYPE(core::BatchStats)
Q_DECLARE_METATYPE(core::EpochStats)
Q_DECLARE_METATYPE(core::TrainingSummary)
Q_DECLARE_METATYPE(core::EvalResult)
Q_DECLARE_METATYPE(core::Prediction)
Q_DECLARE_METATYPE(core::BatchLosses)
