#pragma once
#include "network.h"
#include "types.h"
#include <QByteArray>
#include <QString>
#include <QStringList>
#include <functional>
#include <memory>
#include <vector>

namespace core {

struct MnistSet;

/// An immutable, thread-safe copy of a trained model for inference (the "snapshot" of DESIGN.md).
/// const methods may be called from any thread at once; it never shares tensors with a Trainer.
class Classifier {
public:
    ~Classifier();
    Classifier(const Classifier &) = delete;
    Classifier &operator=(const Classifier &) = delete;

    /// Reads a checkpoint file (validated as Trainer::load does); a plain PyTorch state_dict is
    /// read as `network` when given, else as the tutorial's. Throws CheckpointError.
    static std::shared_ptr<const Classifier> fromFile(const QString &path, const Network *network = nullptr);
    /// A pretrained model shipped in the binary's resources: "tutorial" (the PyTorch tutorial's
    /// network, resources/models/seed.pt) or "best" (the `best` preset, resources/models/best.pt).
    /// Parsed once and shared. Throws CheckpointError for an unknown name or a missing resource.
    static std::shared_ptr<const Classifier> bundled(const QString &name = QStringLiteral("tutorial"));
    /// Resource path of a bundled checkpoint (for "Revert to bundled model"); empty for an unknown name.
    static QString bundledPath(const QString &name = QStringLiteral("tutorial"));
    /// The bundled models present in this binary, in the order to offer them ("tutorial", "best").
    static QStringList bundledNames();
    /// The bundled model's name when `path` is one of the bundled resources, else empty.
    static QString bundledName(const QString &path);
    /// The bundled model a fresh window opens for Draw, Browse and Inside: "best" when present.
    static QString defaultBundledName();

    /// One image: kPixels floats in 0..1, white ink on black (a NormalisedDigit's pixels).
    Prediction predict(const float *pixels) const;
    /// n images, n * kPixels floats.
    std::vector<Prediction> predictBatch(const float *pixels, int n) const;
    /// Every image of a set, in pieces of batchSize (at most 250) shared out to one thread per
    /// core; progress(done, total) and cancelled() are called on the calling thread between
    /// rounds of one piece per thread; stops early (and returns what it has) when cancelled().
    std::vector<Prediction> predictSet(const MnistSet &set, int batchSize = 1000,
                                       const std::function<void(int, int)> &progress = {},
                                       const std::function<bool()> &cancelled = {}) const;
    /// Loss, accuracy and confusion matrix on a set.
    EvalResult evaluate(const MnistSet &set, int batchSize = 1000) const;

    const CheckpointInfo &info() const;
    /// The network the weights belong to.
    const Network &network() const;
    /// Where it came from: a file path, the bundled resource, or "training snapshot".
    const QString &source() const;

    struct Impl;
    explicit Classifier(std::unique_ptr<Impl> impl);
    /// The network, for core's LibTorch translation units (inspect.cpp); Impl is opaque elsewhere.
    const Impl &impl() const { return *d; }

private:
    std::unique_ptr<Impl> d;
};

} // namespace core
