#pragma once
#include <QJsonObject>
#include <QList>
#include <QMetaType>
#include <QString>
#include <QStringList>
#include <array>
#include <cstdint>
#include <vector>

namespace core {

/// Number of classes of MNIST (digits 0-9), the default dataset; a model's own count is its
/// network's last layer, a dataset's is Dataset::classes().
inline constexpr int kClasses = 10;
/// The most classes a dataset (and so a network's output) may have.
inline constexpr int kMaxClassCount = 1000;
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

/// The optimizers a recipe can name (PyTorch's torch.optim classes).
enum class OptimizerKind { Adam, AdamW, Sgd };
/// Learning-rate schedules: constant; step decay (times stepGamma every stepEvery epochs);
/// one-cycle (PyTorch's OneCycleLR: cosine warm-up over the first 30% from lr/25 to lr, then
/// cosine annealing to lr/25e4), computed per batch from the position in the run.
enum class ScheduleKind { Constant, Step, OneCycle };

/// Random affine augmentation per training sample (never applied to evaluation): rotation in
/// +-rotation degrees, shift in +-translate of the side in x and y, scale in 1 +- scale.
struct Augmentation {
    double rotation = 0;
    double translate = 0;
    double scale = 0;
    bool active() const { return rotation > 0 || translate > 0 || scale > 0; }
};

inline constexpr double kMaxRotation = 45;   ///< degrees; beyond it a 6 and a 9 trade places
inline constexpr double kMaxTranslate = 0.3; ///< of the side: a digit 20 px wide still fits
inline constexpr double kMaxScale = 0.5;
inline constexpr double kMaxWeightDecay = 1.0;
inline constexpr int kMaxHoldout = 30000;    ///< half the training set

/// Which dataset a model was trained on, or a loaded set belongs to (issue 20): what checkpoints
/// and run records name. Default-constructed it is MNIST, what every file from before names.
struct DatasetTag {
    QString id = QStringLiteral("mnist");  ///< Dataset::id
    QString name = QStringLiteral("MNIST"); ///< for messages and the status bar
    QStringList classNames{QStringLiteral("0"), QStringLiteral("1"), QStringLiteral("2"), QStringLiteral("3"),
                           QStringLiteral("4"), QStringLiteral("5"), QStringLiteral("6"), QStringLiteral("7"),
                           QStringLiteral("8"), QStringLiteral("9")};
    /// MnistSet::checksum of the training files (MD5 of the uncompressed images and labels).
    QString trainChecksum;
    int classes() const { return int(classNames.size()); }
    bool isMnist() const { return id == QLatin1String("mnist"); }
};

/// Hyper-parameters of a training run: the recipe (issue 17) and the network it trains.
/// validate() before use; every field has a documented range.
struct TrainConfig {
    /// The network as layer text (core/network.h); empty means the tutorial's (files from
    /// before issue 17 have none).
    QString network;
    /// Outputs the network must end with: the dataset's class count (10 for MNIST).
    int classes = kClasses;
    int epochs = 15;            ///< total epochs of the run (a resumed run continues up to this)
    int batchSize = 100;        ///< the seed recipe's batch
    double learningRate = 1e-3; ///< Adam's default, as the seed; the peak for one-cycle
    OptimizerKind optimizer = OptimizerKind::Adam;
    double momentum = 0.9;      ///< SGD's momentum
    double weightDecay = 0;     ///< L2 for Adam and SGD, decoupled for AdamW
    ScheduleKind schedule = ScheduleKind::Constant;
    int stepEvery = 5;          ///< Step: epochs between decays
    double stepGamma = 0.1;     ///< Step: factor per decay
    Augmentation augment;
    /// The last N training images are held out as a validation set (evaluated each epoch, never
    /// trained on): what chooses epochs and hyper-parameters, so the test set never does.
    int holdout = 0;
    std::uint64_t seed = 1;     ///< weights init, shuffling and dropout all derive from it
    int threads = 0;            ///< intra-op threads; 0 = the machine's cores
    int trainLimit = 0;         ///< use only the first N training images (0 = all); for tests/demos
    int testLimit = 0;          ///< evaluate on the first N test images (0 = all)

    /// The recipe of a preset ("tutorial", "fast", "best"): its network and hyper-parameters.
    /// Throws ConfigError for an unknown name.
    static TrainConfig preset(const QString &name);
    /// The network text in effect (the tutorial's when network is empty).
    QString networkText() const;
    /// Sets the class count of the dataset to train on. A preset's network (or the default)
    /// ends with Linear(10): its last Linear takes the count; a network of one's own is left as
    /// written, for validate() to say that its outputs and the dataset's classes differ.
    void fitClasses(int count);
    /// "adam", "adamw", "sgd" / "constant", "step", "onecycle": the names the CLI and files use.
    static QString optimizerName(OptimizerKind kind);
    static QString scheduleName(ScheduleKind kind);
    /// Parses those names; false when unknown.
    static bool parseOptimizer(const QString &name, OptimizerKind *kind);
    static bool parseSchedule(const QString &name, ScheduleKind *kind);
    /// The learning rate for batch `batch` (0-based) of epoch `epoch` (1-based) of batchesPerEpoch.
    double learningRateAt(int epoch, int batch, int batchesPerEpoch) const;

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
    double validationAccuracy = -1; ///< 0..1 on the held-out images; -1 when none were held out
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
    /// [true][predicted], classes x classes (the model's outputs).
    std::vector<std::vector<int>> confusion = std::vector<std::vector<int>>(kClasses, std::vector<int>(kClasses, 0));
    double accuracy() const { return total ? double(correct) / total : 0.0; }
};

/// A model's answer for one image.
struct Prediction {
    int digit = -1;           ///< argmax; -1 when there was nothing to classify
    float confidence = 0;     ///< probability of digit, 0..1
    std::vector<float> probabilities = std::vector<float>(kClasses, 0.f); ///< one per class of the model
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
    /// The dataset it was trained on (MNIST for files from before issue 20).
    DatasetTag dataset;
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
