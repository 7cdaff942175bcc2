#include "classifier.h"
#include "error.h"
#include "mnist.h"
#include "model_p.h"
#include "workteam.h"

#include <QFile>
#include <QMutex>
#include <map>
#include <ATen/Parallel.h>

namespace core {

namespace F = torch::nn::functional;

namespace {

std::shared_ptr<const Classifier> fromData(detail::CheckpointData data, const QString &source)
{
    auto impl = std::make_unique<Classifier::Impl>();
    impl->net = detail::buildNet(data.network);
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
    const auto classes = probs.size(1);
    const float *p = probs.data_ptr<float>();
    std::vector<Prediction> out(n);
    for (int i = 0; i < n; ++i) {
        auto &pr = out[i];
        pr.probabilities.assign(p + i * classes, p + (i + 1) * classes);
        pr.digit = int(std::max_element(pr.probabilities.begin(), pr.probabilities.end()) - pr.probabilities.begin());
        pr.confidence = pr.probabilities[pr.digit];
    }
    return out;
}

} // namespace

Classifier::Classifier(std::unique_ptr<Impl> impl) : d(std::move(impl)) {}
Classifier::~Classifier() = default;

std::shared_ptr<const Classifier> Classifier::fromFile(const QString &path, const Network *network)
{
    return fromData(detail::readCheckpoint(path, network), path);
}

const Network &Classifier::network() const { return d->net->network; }

namespace {
// name -> resource; the order is the order the model pickers offer them.
constexpr std::pair<const char *, const char *> kBundled[] = {
    {"tutorial", ":/digitlab/models/seed.pt"},
    {"best", ":/digitlab/models/best.pt"},
};
} // namespace

QString Classifier::bundledPath(const QString &name)
{
    for (const auto &[n, path] : kBundled)
        if (name == QLatin1String(n))
            return QString::fromLatin1(path);
    return {};
}

QStringList Classifier::bundledNames()
{
    QStringList names;
    for (const auto &[n, path] : kBundled)
        if (QFile::exists(QString::fromLatin1(path)))
            names << QString::fromLatin1(n);
    return names;
}

QString Classifier::bundledName(const QString &path)
{
    for (const auto &[n, p] : kBundled)
        if (path == QLatin1String(p))
            return QString::fromLatin1(n);
    return {};
}

QString Classifier::defaultBundledName()
{
    return bundledNames().contains(QStringLiteral("best")) ? QStringLiteral("best") : QStringLiteral("tutorial");
}

std::shared_ptr<const Classifier> Classifier::bundled(const QString &name)
{
    // Parsed once per name: every caller shares the same immutable model.
    static QMutex mutex;
    static std::map<QString, std::shared_ptr<const Classifier>> cache;
    const QString path = bundledPath(name);
    if (path.isEmpty())
        throw CheckpointError(CheckpointError::Kind::Unreadable, name, QStringLiteral("there is no bundled model of that name (there are: %1)")
                                        .arg(bundledNames().join(QStringLiteral(", "))));
    QMutexLocker lock(&mutex);
    auto &model = cache[name];
    if (!model)
        model = fromData(detail::readCheckpoint(path), name == QLatin1String("tutorial") ? QStringLiteral("bundled model") : QStringLiteral("bundled model (%1)").arg(name));
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
    detail::SetTeam team;
    std::vector<Prediction> out(static_cast<std::size_t>(set.count));
    batchSize = std::clamp(batchSize, 1, detail::kMaxInferencePiece);
    const int pieces = (set.count + batchSize - 1) / batchSize;
    // A round of one piece per member, then progress and cancellation on the calling thread.
    const int perRound = team.team().size();
    int done = 0;
    for (int round = 0; round * perRound < pieces; ++round) {
        if (cancelled && cancelled())
            break;
        const int first = round * perRound, count = std::min(perRound, pieces - first);
        team.team().run(count, [&](int task, int) {
            c10::InferenceMode inference;
            const int at = (first + task) * batchSize;
            const int n = std::min(batchSize, set.count - at);
            const auto batch = toPredictions(d->net->forward(detail::imagesTensor(set, at, n)));
            std::copy(batch.begin(), batch.end(), out.begin() + at);
        });
        done = std::min(set.count, (first + count) * batchSize);
        if (progress)
            progress(done, set.count);
    }
    out.resize(static_cast<std::size_t>(done));
    return out;
}

EvalResult Classifier::evaluate(const MnistSet &set, int batchSize) const
{
    detail::SetTeam team;
    return detail::evaluateNet(d->net, set, batchSize, team.team());
}

const CheckpointInfo &Classifier::info() const { return d->info; }
const QString &Classifier::source() const { return d->source; }

} // namespace core
