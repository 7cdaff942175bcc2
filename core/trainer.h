#pragma once
#include "network.h"
#include "types.h"
#include <QString>
#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace core {

struct MnistSet;
class Classifier;

/// Flags a running Trainer::run() checks before every batch. Set them from any thread.
struct RunControl {
    std::atomic<bool> stop{false};   ///< finish the current batch, then return
    std::atomic<bool> pause{false};  ///< wait (sleeping) before the next batch until cleared
    // Set by run(), read by anyone: they let callers (and tests) see what the loop has done
    // instead of guessing it from elapsed time, which a loaded machine makes meaningless.
    std::atomic<bool> holding{false};           ///< run() is waiting in a pause right now
    std::atomic<std::int64_t> batchesDone{0};   ///< optimizer steps taken by run() (never reset)
};

/// Where run() reports. Called on the training thread; keep them cheap.
struct ProgressSink {
    std::function<void(const BatchStats &)> batch;  ///< after every batch
    std::function<void(const EpochStats &)> epoch;  ///< after every epoch's evaluation
};

/// The training loop for any network and recipe (TrainConfig: optimizer, schedule, augmentation;
/// the seed recipe by default): cross-entropy, shuffled batches, evaluation after each epoch. Plain C++: no QObject, no event loop. Not thread-safe:
/// one thread drives it; snapshot() hands other threads an independent copy.
class Trainer {
public:
    /// Fresh weights initialised from config.seed. Throws ConfigError on an invalid config.
    explicit Trainer(const TrainConfig &config = {});
    ~Trainer();
    Trainer(const Trainer &) = delete;
    Trainer &operator=(const Trainer &) = delete;

    /// Architecture name written into checkpoints.
    static QString architecture();
    /// The network of the current weights (config().network applies at the next resetWeights()).
    Network network() const;

    const TrainConfig &config() const;
    /// Changes hyper-parameters for the next run (the learning rate applies to the existing
    /// optimizer). Throws ConfigError.
    void setConfig(const TrainConfig &config);
    /// New random weights from config().seed, a new optimizer, empty history.
    void resetWeights();
    /// The dataset the weights learnt from (MNIST for older checkpoints and fresh weights).
    const DatasetTag &dataset() const;
    /// Lets the next run() continue these weights on another dataset than theirs (the user asked:
    /// a confirmation, a command-line flag). Without it run() refuses, naming both. The class
    /// counts must still agree.
    void acceptDataset();

    /// Trains from epochsDone()+1 up to config().epochs. Sets the intra-op thread count on the
    /// calling thread. The network must end with the training set's class count; trained weights
    /// continue only on their own dataset unless acceptDataset() (ConfigError naming both).
    /// Returns early (within one batch) when control.stop is set; a stopped
    /// epoch is not counted. Throws TrainingError on a NaN/inf loss (the model is left as it was
    /// before the bad batch's step), MnistError-free: the sets are already loaded.
    TrainingSummary run(const MnistSet &train, const MnistSet &test, RunControl &control,
                        const ProgressSink &sink = {});

    /// Loss, accuracy and confusion on a set, in eval mode.
    EvalResult evaluate(const MnistSet &set) const;

    int epochsDone() const;
    const std::vector<EpochStats> &history() const;
    /// Metadata as it would be written by save().
    CheckpointInfo info() const;

    /// Writes weights, optimizer state and metadata atomically (temp file + rename).
    /// Throws CheckpointError(WriteFailed) naming the file; the old file is then intact.
    void save(const QString &path) const;
    /// Reads and validates a checkpoint completely before touching the model; on any error
    /// throws CheckpointError and leaves this Trainer unchanged. Restores weights, optimizer
    /// moments, epochs done, config and history.
    void load(const QString &path);
    /// Same as load() but from bytes (e.g. the bundled resource); name is used in messages.
    void loadBytes(const QByteArray &bytes, const QString &name);
    /// load() for a plain PyTorch state_dict of `network` (import of another network's weights).
    void load(const QString &path, const Network &network);

    /// A deep copy of the current weights for inference on other threads.
    std::shared_ptr<const Classifier> snapshot() const;

    /// Parameter names (PyTorch state_dict keys) and shapes, in registration order.
    std::vector<std::pair<std::string, std::vector<std::int64_t>>> parameterShapes() const;
    std::int64_t parameterCount() const;

    /// Test hook: make the next batch's loss NaN (to exercise divergence handling).
    void injectNanForTesting();
    /// Test hook: the gradient of the mean loss over the first n images of set taken as one
    /// batch (dropout masks of epoch 1, batch 1), flattened in parameter order. stockOps false:
    /// the training loop's chunked path on `threads` threads; true: one pass through LibTorch's
    /// own operators without the fused nodes.
    std::vector<float> batchGradientForTesting(const MnistSet &set, int n, int threads, bool stockOps) const;

    struct Impl;

private:
    std::unique_ptr<Impl> d;
};

/// `count` copies of one rows x cols image (bytes, as MNIST stores them), each warped by its own
/// random affine under `augment` by the very code that warps a training image, as pixel/255
/// floats (count * rows * cols). Copy i draws from stream i of `seed`, so the same settings show
/// the same copies; without augmentation the copies are the image itself. For the Train tab's
/// preview: what the network will see of one digit.
std::vector<float> augmentedCopies(const std::uint8_t *pixels, int rows, int cols, const Augmentation &augment,
                                   int count, std::uint64_t seed);

/// Training images per second of config's network and recipe (batch size, threads, augmentation)
/// on this machine: a few batches of synthetic images, timed on a second pass after a warm-up
/// (the first batches pay for oneDNN's primitives). About a second of work whatever the network
/// (fewer images for a costly one); the Train tab's "seconds per epoch" estimate. Runs on the
/// calling thread; returns early with what it has (or 0) when control.stop is set. Throws
/// ConfigError for an invalid config.
double measureTrainingSpeed(const TrainConfig &config, RunControl &control);

} // namespace core
