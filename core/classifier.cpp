#include "classifier.h"
#include "error.h"
#include "mnist.h"
#include "model_p.h"

#include <QFile>
#include <thread>

namespace core {

namespace F = torch::nn::functional;

namespace {

std::shared_ptr<const Classifier> fromData(detail::CheckpointData data, const QString &source)
{
    auto impl = std::make_unique<Classifier::Impl>();
    detail::assignWeights(impl->net, data.weights);
    impl->net->eval();
    impl->info = std::move(data.info);
    impl->source = source;
    return std::make_shared<const Classifier>(std::move(impl));
}

std::vector<Prediction> toPredictions(const torch::Tensor &logits)
{
    const auto probs = torch::softmax(logits, 1).contiguous();
    const int n = int(probs.size(0));
    const float *p = probs.data_ptr<float>();
    std::vector<Prediction> out(n);
    for (int i = 0; i < n; ++i) {
        auto &pr = out[i];
        std::copy(p + i * kClasses, p + (i + 1) * kClasses, pr.probabilities.begin());
        pr.digit = int(std::max_element(pr.probabilities.begin(), pr.probabilities.end()) - pr.probabilities.begin());
        pr.confidence = pr.probabilities[pr.digit];
    }
    return out;
}

} // namespace

Classifier::Classifier(std::unique_ptr<Impl> impl) : d(std::move(impl)) {}
Classifier::~Classifier() = default;

std::shared_ptr<const Classifier> Classifier::fromFile(const QString &path)
{
    return fromData(detail::readCheckpoint(path), path);
}

QString Classifier::bundledPath() { return QStringLiteral(":/digitlab/models/seed.pt"); }

std::shared_ptr<const Classifier> Classifier::bundled()
{
    // Parsed once: every caller shares the same immutable model.
    static const std::shared_ptr<const Classifier> model = fromData(detail::readCheckpoint(bundledPath()), QStringLiteral("bundled model"));
    return model;
}

Prediction Classifier::predict(const float *pixels) const { return predictBatch(pixels, 1).front(); }

namespace {
/// Up to this many images, a forward pass is too small to split across threads: one thread is
/// fastest, and an OpenMP team on a busy machine (training next door) would spin for a core.
constexpr int kSingleThreadBelow = 64;

/// Sets this thread's intra-op thread count for a scope (OpenMP counts are per thread).
class ThreadCountScope {
public:
    explicit ThreadCountScope(int threads) : m_saved(at::get_num_threads()) { at::set_num_threads(threads); }
    ~ThreadCountScope() { at::set_num_threads(m_saved); }

private:
    int m_saved;
};
} // namespace

std::vector<Prediction> Classifier::predictBatch(const float *pixels, int n) const
{
    if (n <= 0)
        return {};
    const ThreadCountScope threads(n < kSingleThreadBelow ? 1 : at::get_num_threads());
    c10::InferenceMode inference;
    const auto x = torch::from_blob(const_cast<float *>(pixels), {n, 1, kSide, kSide}, torch::kFloat32);
    return toPredictions(d->net->forward(x));
}

std::vector<Prediction> Classifier::predictSet(const MnistSet &set, int batchSize, const std::function<void(int, int)> &progress,
                                               const std::function<bool()> &cancelled) const
{
    // OpenMP thread counts are per calling thread; a pool thread starts at 1 here.
    at::set_num_threads(int(std::max(1u, std::thread::hardware_concurrency())));
    c10::InferenceMode inference;
    std::vector<Prediction> out;
    out.reserve(set.count);
    batchSize = std::max(1, batchSize);
    for (int first = 0; first < set.count; first += batchSize) {
        if (cancelled && cancelled())
            break;
        const int n = std::min(batchSize, set.count - first);
        auto batch = toPredictions(d->net->forward(detail::imagesTensor(set, first, n)));
        out.insert(out.end(), batch.begin(), batch.end());
        if (progress)
            progress(int(out.size()), set.count);
    }
    return out;
}

EvalResult Classifier::evaluate(const MnistSet &set, int batchSize) const
{
    at::set_num_threads(int(std::max(1u, std::thread::hardware_concurrency())));
    return detail::evaluateNet(d->net, set, batchSize);
}

const CheckpointInfo &Classifier::info() const { return d->info; }
const QString &Classifier::source() const { return d->source; }

} // namespace core
