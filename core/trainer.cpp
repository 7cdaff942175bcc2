#include "trainer.h"
#include "dataset.h"
#include "error.h"
#include "mnist.h"
#include "model_p.h"
#include "version.h"

#include "workteam.h"

#include <ATen/Parallel.h>
#include <torch/autograd.h>
#include <QDateTime>
#include <chrono>
#include <algorithm>
#include <cmath>
#include <numbers>
#include <cstring>
#include <thread>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace core {

namespace F = torch::nn::functional;
using Clock = std::chrono::steady_clock;

namespace {

/// A per-epoch seed: an epoch's shuffle and dropout masks depend only on (seed, epoch), so a run
/// resumed from a checkpoint continues exactly as the uninterrupted run would have.
std::uint64_t epochSeed(std::uint64_t seed, int epoch)
{
    return seed * 0x9E3779B97F4A7C15ull + std::uint64_t(epoch) * 0xBF58476D1CE4E5B9ull + 1;
}

double seconds(Clock::duration d) { return std::chrono::duration<double>(d).count(); }

/// Chunks per team member and batch. Chunks are taken, not assigned: a member that is slow to
/// wake or slowed by another process leaves its chunk to the others. One per member measured
/// best on 2 cores, loaded or not (two per member: +8% CPU per image, slower; docs/benchmarks.md).
constexpr int kChunksPerThread = 1;
/// Smallest chunk: each chunk costs ~0.2 ms of LibTorch per-operator overhead (measured,
/// docs/benchmarks.md), which must stay small against ~60 us of work per image.
constexpr int kMinChunk = 8;

/// Images per chunk, the unit of work a team member takes (docs/architecture.md, "Parallel
/// training"). One thread takes the whole batch as one chunk (no overhead to pay). The chunking
/// depends only on the batch size and the thread count, so the same seed and thread count give
/// the same numbers; a different thread count sums the gradients in a different grouping.
int chunkSize(int batchSize, int threads)
{
    if (threads <= 1)
        return batchSize;
    const int wanted = threads * kChunksPerThread;
    return std::min(batchSize, std::max(kMinChunk, (batchSize + wanted - 1) / wanted));
}

std::uint64_t splitmix64(std::uint64_t &state)
{
    std::uint64_t z = (state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

/// The generator state of sample `position` of batch `batch` in an epoch, for a purpose (`salt`):
/// a sample's random draws depend neither on which thread or chunk runs it nor on anything
/// before this batch, so chunks draw their own in parallel and a resumed run gets the same ones.
std::uint64_t sampleState(std::uint64_t epochSeedValue, int batch, int position, std::uint64_t salt)
{
    std::uint64_t batchState = (epochSeedValue ^ salt) ^ (static_cast<std::uint64_t>(batch + 1) * 0xD1B54A32D192ED03ull);
    const std::uint64_t batchHash = splitmix64(batchState);
    return batchHash + static_cast<std::uint64_t>(position) * 0x8CB92BA72F3D8DD7ull;
}

/// A uniform double in [0, 1) from a splitmix64 stream.
double uniform(std::uint64_t &state) { return static_cast<double>(splitmix64(state) >> 11) * 0x1.0p-53; }

/// Dropout masks (values 0 or 1/(1-p), as LibTorch's dropout scales) for samples [at, at+m) of
/// one batch, one tensor [m, units] per dropout layer of the network, each sample drawing from
/// its own stream, layer after layer (the tutorial: Dropout2d's 20 channels, then dropout's 50
/// units, as before issue 17).
std::vector<torch::Tensor> dropoutMasks(const detail::NetImpl &net, std::uint64_t epochSeedValue, int batch, int at, int m)
{
    std::vector<torch::Tensor> masks;
    std::vector<float *> out;
    for (const auto &[units, p] : net.dropoutUnits) {
        masks.push_back(torch::empty({m, units}));
        out.push_back(masks.back().data_ptr<float>());
    }
    for (int i = 0; i < m; ++i) {
        std::uint64_t state = sampleState(epochSeedValue, batch, at + i, 0);
        for (std::size_t k = 0; k < masks.size(); ++k) {
            const auto [units, p] = net.dropoutUnits[k];
            const float keep = static_cast<float>(1.0 / (1.0 - p));
            float *dst = out[k] + static_cast<std::int64_t>(i) * units;
            for (std::int64_t u = 0; u < units; ++u)
                dst[u] = uniform(state) < p ? 0.0f : keep;
        }
    }
    return masks;
}

/// One sample's random affine warp (augmentation), drawn from its own stream: rotation, scale and
/// shift about the image centre, applied by inverse mapping with bilinear interpolation; what
/// falls outside the image is background (0).
void augmentImage(const std::uint8_t *src, float *dst, int rows, int cols, const Augmentation &a, std::uint64_t state)
{
    const double angle = (2 * uniform(state) - 1) * a.rotation * std::numbers::pi / 180.0;
    const double scale = 1 + (2 * uniform(state) - 1) * a.scale;
    const double tx = (2 * uniform(state) - 1) * a.translate * cols;
    const double ty = (2 * uniform(state) - 1) * a.translate * rows;
    // Inverse map: source = R(-angle) (dest - centre - shift) / scale + centre.
    const double c = std::cos(angle) / scale, s = std::sin(angle) / scale;
    const double cx = (cols - 1) / 2.0, cy = (rows - 1) / 2.0;
    for (int y = 0; y < rows; ++y) {
        for (int x = 0; x < cols; ++x) {
            const double dx = x - cx - tx, dy = y - cy - ty;
            const double sx = c * dx + s * dy + cx, sy = -s * dx + c * dy + cy;
            const int x0 = static_cast<int>(std::floor(sx)), y0 = static_cast<int>(std::floor(sy));
            const double fx = sx - x0, fy = sy - y0;
            auto at = [&](int yy, int xx) -> double {
                return yy < 0 || yy >= rows || xx < 0 || xx >= cols ? 0.0 : src[yy * cols + xx];
            };
            const double v = (at(y0, x0) * (1 - fx) + at(y0, x0 + 1) * fx) * (1 - fy) + (at(y0 + 1, x0) * (1 - fx) + at(y0 + 1, x0 + 1) * fx) * fy;
            dst[y * cols + x] = static_cast<float>(v / 255.0);
        }
    }
}

/// Salt of the augmentation streams, apart from the dropout masks' (salt 0).
constexpr std::uint64_t kAugmentSalt = 0xA5A5F00DBEEF1234ull;

/// Images order[0..m) of set as a float tensor [m,1,rows,cols] (ToTensor: pixel/255) and their
/// labels: a chunk gathers its own, in parallel with the others.
/// With augmentation, sample i (position at + i of the batch) is warped by its own random affine.
void gather(const MnistSet &set, const std::int64_t *order, int m, torch::Tensor &x, torch::Tensor &y,
            const Augmentation *augment = nullptr, std::uint64_t epochSeedValue = 0, int batch = 0, int at = 0)
{
    const int imageSize = set.rows * set.cols;
    x = torch::empty({m, 1, set.rows, set.cols});
    y = torch::empty({m}, torch::kInt64);
    float *xp = x.data_ptr<float>();
    std::int64_t *yp = y.data_ptr<std::int64_t>();
    for (int i = 0; i < m; ++i) {
        const std::uint8_t *src = set.image(static_cast<int>(order[i]));
        float *dst = xp + static_cast<std::int64_t>(i) * imageSize;
        if (augment && augment->active())
            augmentImage(src, dst, set.rows, set.cols, *augment, sampleState(epochSeedValue, batch, at + i, kAugmentSalt));
        else
            for (int k = 0; k < imageSize; ++k)
                dst[k] = static_cast<float>(src[k]) / 255.0f;
        yp[i] = set.labels[static_cast<std::size_t>(order[i])];
    }
}

/// How many rows of logits [m,10] have their first maximum at the label (argmax's choice).
std::int64_t hits(const torch::Tensor &logits, const torch::Tensor &labels)
{
    const auto l = logits.contiguous();
    const float *p = l.data_ptr<float>();
    const std::int64_t *y = labels.data_ptr<std::int64_t>();
    const std::int64_t rows = l.size(0), cols = l.size(1);
    std::int64_t n = 0;
    for (std::int64_t i = 0; i < rows; ++i, p += cols)
        n += std::max_element(p, p + cols) - p == y[i];
    return n;
}

/// One batch of an epoch: images order[first .. first+n) of set, batch number `index` (for its
/// dropout masks and augmentation).
struct Batch {
    const MnistSet *set = nullptr;
    const std::int64_t *order = nullptr;
    int first = 0;
    int n = 0;
    std::uint64_t epochSeed = 0;
    int index = 0;
    const Augmentation *augment = nullptr;
    bool stockOps = false; ///< the unfused reference forward (tests)
};

/// One batch's gradient, shared out to a team in chunks: each chunk is a single-threaded
/// forward/backward on the shared weights (torch::autograd::grad, so nothing accumulates into
/// the parameters concurrently) with the loss summed over the chunk and divided by the batch
/// size; the chunk gradients land in their own slots and are summed in chunk order, so the
/// result does not depend on which member ran which chunk. A network with BatchNorm normalises
/// each chunk by its own statistics (ghost batches) and returns them for the running statistics.
class BatchStep {
public:
    BatchStep(detail::Net &net, WorkTeam &team, int chunk, int batchSize)
        : m_net(net), m_team(team), m_chunk(chunk), m_params(net->parameters())
    {
        m_offsets.push_back(0);
        for (const auto &p : m_params)
            m_offsets.push_back(m_offsets.back() + p.numel());
        const int chunks = (batchSize + chunk - 1) / chunk;
        m_grads.resize(static_cast<std::size_t>(chunks) * m_offsets.back());
        m_loss.resize(chunks);
        m_correct.resize(chunks);
        m_bnStats.resize(chunks);
    }

    std::int64_t parameterCount() const { return m_offsets.back(); }
    const std::vector<torch::Tensor> &parameters() const { return m_params; }
    const std::vector<std::int64_t> &offsets() const { return m_offsets; }
    /// Chunks of the last compute() and their gradient slots (parameterCount() floats each).
    int chunks() const { return m_chunks; }
    const float *slot(int c) const { return m_grads.data() + static_cast<std::size_t>(c) * parameterCount(); }
    /// The BatchNorm statistics chunk c measured (one per BatchNorm layer, in layer order).
    const std::vector<detail::BatchNormStats> &batchNormStats(int c) const { return m_bnStats[static_cast<std::size_t>(c)]; }

    /// The batch's gradient into the slots; returns the summed loss and hits.
    std::pair<double, std::int64_t> compute(const Batch &batch)
    {
        m_chunks = (batch.n + m_chunk - 1) / m_chunk;
        // BatchNorm needs two samples per chunk to have a variance: the chunks of such a
        // network split the batch evenly instead of leaving a short last chunk.
        m_even = !m_net->batchNormLayers.empty();
        if (m_even)
            m_chunks = std::max(1, std::min(m_chunks, batch.n / 2));
        m_team.run(m_chunks, [&](int c, int) { computeChunk(batch, c); });
        double loss = 0;
        std::int64_t correct = 0;
        for (int c = 0; c < m_chunks; ++c) {
            loss += m_loss[c];
            correct += m_correct[c];
        }
        return {loss, correct};
    }

    /// The batch gradient of parameter j: its chunk slots summed in chunk order into dest.
    void sum(std::size_t j, float *dest) const
    {
        const std::int64_t len = m_offsets[j + 1] - m_offsets[j];
        std::memcpy(dest, slot(0) + m_offsets[j], sizeof(float) * len);
        for (int c = 1; c < m_chunks; ++c) {
            const float *src = slot(c) + m_offsets[j];
            for (std::int64_t e = 0; e < len; ++e)
                dest[e] += src[e];
        }
    }

private:
    void computeChunk(const Batch &batch, int c)
    {
        const int at = m_even ? static_cast<int>(static_cast<std::int64_t>(batch.n) * c / m_chunks) : c * m_chunk;
        const int end = m_even ? static_cast<int>(static_cast<std::int64_t>(batch.n) * (c + 1) / m_chunks) : std::min(batch.n, at + m_chunk);
        const int m = end - at;
        torch::Tensor x, y;
        gather(*batch.set, batch.order + batch.first + at, m, x, y, batch.augment, batch.epochSeed, batch.index, at);
        const auto masks = dropoutMasks(*m_net, batch.epochSeed, batch.index, at, m);
        auto &stats = m_bnStats[static_cast<std::size_t>(c)];
        stats.clear();
        const auto out = batch.stockOps ? m_net->forwardUnfused(x, masks) : m_net->forward(x, masks, &stats);
        const auto loss = F::cross_entropy(out, y, F::CrossEntropyFuncOptions().reduction(torch::kSum));
        // Gradient of (chunk sum / batch size), seeded with 1/n instead of dividing the loss
        // (one operator less each way): the chunks' gradients add up to the gradient of the
        // batch's mean loss, as in the seed.
        const auto grads = torch::autograd::grad({loss}, m_params, {torch::full({}, 1.0f / static_cast<float>(batch.n))});
        float *dest = m_grads.data() + static_cast<std::size_t>(c) * parameterCount();
        for (std::size_t j = 0; j < grads.size(); ++j) {
            const auto g = grads[j].contiguous();
            std::memcpy(dest + m_offsets[j], g.data_ptr<float>(), sizeof(float) * g.numel());
        }
        m_loss[c] = loss.item<double>();
        m_correct[c] = hits(out, y);
    }

    detail::Net &m_net;
    WorkTeam &m_team;
    int m_chunk;
    int m_chunks = 0;
    bool m_even = false;
    std::vector<torch::Tensor> m_params;
    std::vector<std::int64_t> m_offsets;
    std::vector<float> m_grads;          ///< one parameter-sized slot per chunk
    std::vector<double> m_loss;
    std::vector<std::int64_t> m_correct;
    std::vector<std::vector<detail::BatchNormStats>> m_bnStats;
};

/// Adam's update of one parameter's elements [0, n) as LibTorch 1.13's step() computes it, with
/// the gradient summed from the chunk slots on the way (in chunk order, as BatchStep::sum): one
/// pass over memory instead of a sum into .grad and ~60 small operators reading it back.
struct AdamUpdate {
    float stepSize, correction2Sqrt, b1, b2, a1, a2, eps;

    void apply(float *w, float *m, float *v, const float *const *slots, int chunks, std::int64_t n) const
    {
        std::int64_t e = 0;
#if defined(__SSE2__)
        // Four at a time: SSE's add, mul, div and sqrt round exactly as the scalar ones below, so
        // the result is bit-identical to the scalar loop.
        const __m128 vb1 = _mm_set1_ps(b1), vb2 = _mm_set1_ps(b2), va1 = _mm_set1_ps(a1), va2 = _mm_set1_ps(a2);
        const __m128 vStep = _mm_set1_ps(stepSize), vC2 = _mm_set1_ps(correction2Sqrt), vEps = _mm_set1_ps(eps);
        for (; e + 4 <= n; e += 4) {
            __m128 g = _mm_loadu_ps(slots[0] + e);
            for (int c = 1; c < chunks; ++c)
                g = _mm_add_ps(g, _mm_loadu_ps(slots[c] + e));
            const __m128 mv = _mm_add_ps(_mm_mul_ps(_mm_loadu_ps(m + e), vb1), _mm_mul_ps(g, va1));
            const __m128 vv = _mm_add_ps(_mm_mul_ps(_mm_loadu_ps(v + e), vb2), _mm_mul_ps(_mm_mul_ps(g, g), va2));
            const __m128 denom = _mm_add_ps(_mm_div_ps(_mm_sqrt_ps(vv), vC2), vEps);
            _mm_storeu_ps(m + e, mv);
            _mm_storeu_ps(v + e, vv);
            _mm_storeu_ps(w + e, _mm_sub_ps(_mm_loadu_ps(w + e), _mm_div_ps(_mm_mul_ps(vStep, mv), denom)));
        }
#endif
        for (; e < n; ++e) {
            float g = slots[0][e];
            for (int c = 1; c < chunks; ++c)
                g += slots[c][e];
            m[e] = m[e] * b1 + g * a1;
            v[e] = v[e] * b2 + g * g * a2;
            w[e] -= stepSize * m[e] / (std::sqrt(v[e]) / correction2Sqrt + eps);
        }
    }
};

/// The batch gradient of one parameter's element e, summed from the chunk slots in chunk order.
inline float slotSum(const float *const *slots, int chunks, std::int64_t e)
{
    float g = slots[0][e];
    for (int c = 1; c < chunks; ++c)
        g += slots[c][e];
    return g;
}

/// The optimizer's state of each parameter, in parameter order, keyed as the state_dict.
struct OptimizerState {
    std::vector<std::string> names;
    std::vector<detail::OptimizerSlot> slots;
};

/// One optimizer step over every parameter, reading the batch gradient from step's chunk slots:
/// Adam as LibTorch 1.13 computes it (the seed's formula; weight decay as L2), AdamW (decoupled
/// decay, as torch.optim.AdamW), SGD with momentum (torch.optim.SGD: the first step's buffer is
/// the gradient). The state lives in `state`, saved and restored with checkpoints.
void optimizerStep(const TrainConfig &cfg, double lr, OptimizerState &state, const BatchStep &step)
{
    constexpr double beta1 = 0.9, beta2 = 0.999, eps = 1e-8; // PyTorch's defaults, the seed's
    const auto &params = step.parameters();
    TORCH_CHECK(state.slots.size() == params.size(), "optimizerStep: one state per parameter");
    std::vector<const float *> slots(static_cast<std::size_t>(step.chunks()));
    const float wd = static_cast<float>(cfg.weightDecay);
    for (std::size_t j = 0; j < params.size(); ++j) {
        auto &p = params[j];
        auto &st = state.slots[j];
        TORCH_CHECK(p.is_contiguous(), "optimizerStep: contiguous parameters");
        for (int c = 0; c < step.chunks(); ++c)
            slots[static_cast<std::size_t>(c)] = step.slot(c) + step.offsets()[j];
        const int chunks = step.chunks();
        const std::int64_t n = p.numel();
        float *w = p.data_ptr<float>();
        st.step += 1;
        if (cfg.optimizer == OptimizerKind::Sgd) {
            if (!st.momentum.defined()) {
                st.momentum = torch::zeros_like(p, torch::MemoryFormat::Contiguous);
                st.step = 1;
            }
            float *buf = st.momentum.data_ptr<float>();
            const float mu = static_cast<float>(cfg.momentum), rate = static_cast<float>(lr);
            const bool first = st.step == 1;
            for (std::int64_t e = 0; e < n; ++e) {
                const float g = slotSum(slots.data(), chunks, e) + wd * w[e];
                buf[e] = first ? g : mu * buf[e] + g;
                w[e] -= rate * buf[e];
            }
            continue;
        }
        if (!st.expAvg.defined()) {
            st.expAvg = torch::zeros_like(p, torch::MemoryFormat::Contiguous);
            st.expAvgSq = torch::zeros_like(p, torch::MemoryFormat::Contiguous);
            st.step = 1;
        }
        const double correction1 = 1 - std::pow(beta1, static_cast<double>(st.step));
        const double correction2 = 1 - std::pow(beta2, static_cast<double>(st.step));
        const AdamUpdate update{static_cast<float>(lr / correction1), static_cast<float>(std::sqrt(correction2)),
                                static_cast<float>(beta1), static_cast<float>(beta2), static_cast<float>(1 - beta1),
                                static_cast<float>(1 - beta2), static_cast<float>(eps)};
        float *m = st.expAvg.data_ptr<float>(), *v = st.expAvgSq.data_ptr<float>();
        if (wd == 0.0f) {
            update.apply(w, m, v, slots.data(), chunks, n); // the seed's path, bit for bit
            continue;
        }
        const bool decoupled = cfg.optimizer == OptimizerKind::AdamW;
        const float shrink = static_cast<float>(1 - lr * cfg.weightDecay);
        for (std::int64_t e = 0; e < n; ++e) {
            float g = slotSum(slots.data(), chunks, e);
            if (decoupled)
                w[e] *= shrink;
            else
                g += wd * w[e];
            m[e] = m[e] * update.b1 + g * update.a1;
            v[e] = v[e] * update.b2 + g * g * update.a2;
            w[e] -= update.stepSize * m[e] / (std::sqrt(v[e]) / update.correction2Sqrt + update.eps);
        }
    }
}

/// Folds each chunk's BatchNorm statistics into the running ones, in chunk order, as PyTorch
/// would after running the chunks one after another (momentum 0.1).
void foldBatchNormStats(detail::Net &net, const BatchStep &step)
{
    if (net->batchNormLayers.empty())
        return;
    torch::NoGradGuard noGrad;
    constexpr double kMomentum = 0.1; // PyTorch's default
    for (int c = 0; c < step.chunks(); ++c) {
        const auto &stats = step.batchNormStats(c);
        for (std::size_t k = 0; k < stats.size() && k < net->batchNormLayers.size(); ++k) {
            const int layer = net->batchNormLayers[k];
            const bool is2d = !net->norms2d[static_cast<std::size_t>(layer)].is_empty();
            auto &mean = is2d ? net->norms2d[static_cast<std::size_t>(layer)]->running_mean : net->norms1d[static_cast<std::size_t>(layer)]->running_mean;
            auto &var = is2d ? net->norms2d[static_cast<std::size_t>(layer)]->running_var : net->norms1d[static_cast<std::size_t>(layer)]->running_var;
            auto &count = is2d ? net->norms2d[static_cast<std::size_t>(layer)]->num_batches_tracked : net->norms1d[static_cast<std::size_t>(layer)]->num_batches_tracked;
            mean.mul_(1 - kMomentum).add_(stats[k].mean, kMomentum);
            var.mul_(1 - kMomentum).add_(stats[k].var, kMomentum);
            count.add_(1);
        }
    }
}

/// Training time (pauses and evaluation excluded) and images of one run(), for the rates reported.
struct RunClock {
    Clock::duration busy{};
    std::int64_t imagesSeen = 0;
};

/// One epoch's running sums.
struct EpochTally {
    double lossSum = 0;
    std::int64_t correct = 0;
    std::int64_t seen = 0;
    Clock::duration busy{}; ///< training time only
};

/// The last n images of a set (the held-out validation images), copied.
MnistSet tailOf(const MnistSet &set, int n)
{
    MnistSet t;
    t.rows = set.rows;
    t.cols = set.cols;
    t.count = n;
    const auto first = static_cast<std::size_t>(set.count - n);
    t.images.assign(set.images.begin() + static_cast<std::ptrdiff_t>(first * set.pixelsPerImage()), set.images.end());
    t.labels.assign(set.labels.begin() + static_cast<std::ptrdiff_t>(first), set.labels.end());
    t.imagesPath = set.imagesPath;
    t.labelsPath = set.labelsPath;
    t.checksum = set.checksum;
    t.dataset = set.dataset;
    return t;
}

/// A fresh optimizer state (no step taken) for every parameter of net.
OptimizerState freshOptimizer(detail::Net &net)
{
    OptimizerState s;
    for (const auto &p : net->named_parameters()) {
        s.names.push_back(p.key());
        s.slots.emplace_back();
    }
    return s;
}

} // namespace

struct Trainer::Impl {
    TrainConfig config;
    detail::Net net{nullptr};
    OptimizerState optimizer;
    std::vector<EpochStats> history;
    int epochsDone = 0;
    int partialBatches = 0; ///< trained after the last complete epoch (stopped runs)
    QString trainChecksum;
    QString testChecksum;
    /// What the weights learnt from; set by run(), read from checkpoints (MNIST before issue 20).
    DatasetTag dataset;
    /// The next run may continue on another dataset (acceptDataset(): the user asked for it).
    bool datasetAccepted = false;
    bool injectNan = false;

    void fresh()
    {
        const Network network = Network::parse(config.networkText());
        torch::manual_seed(config.seed);
        net = detail::buildNet(network);
        net->train();
        optimizer = freshOptimizer(net);
        history.clear();
        epochsDone = 0;
        partialBatches = 0;
        trainChecksum.clear();
        testChecksum.clear();
        dataset = DatasetTag();
        datasetAccepted = false;
    }

    CheckpointInfo info() const
    {
        CheckpointInfo i;
        i.formatVersion = detail::kFormatVersion;
        i.architecture = QString::fromLatin1(checkpoint::kNetworkArchitecture);
        i.epochsDone = epochsDone;
        i.partialBatches = partialBatches;
        i.config = config;
        i.config.network = net->network.text(); // the model's, whatever the next run asks for
        i.history = history;
        i.mnistTrainChecksum = trainChecksum;
        i.mnistTestChecksum = testChecksum;
        i.dataset = dataset;
        i.dataset.trainChecksum = trainChecksum;
        i.appVersion = core::version();
        return i;
    }

    EvalResult evaluate(const MnistSet &set, WorkTeam &team)
    {
        const bool wasTraining = net->is_training();
        net->eval();
        auto result = detail::evaluateNet(net, set, detail::kMaxInferencePiece, team);
        if (wasTraining)
            net->train();
        return result;
    }

    bool trainEpoch(const MnistSet &set, int epoch, BatchStep &step, RunControl &control, const ProgressSink &sink,
                    RunClock &clock, EpochTally &tally);
    void trainBatch(BatchStep &step, const Batch &batch, int batches, RunControl &control, const ProgressSink &sink,
                    RunClock &clock, EpochTally &tally);
    EpochStats finishEpoch(int epoch, const EpochTally &tally, const MnistSet &test, const MnistSet *validation, WorkTeam &team);
};

namespace {
/// Sleeps while control.pause is set; false when control.stop is set.
bool waitWhilePaused(RunControl &control)
{
    while (control.pause.load() && !control.stop.load()) {
        control.holding.store(true);
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    control.holding.store(false);
    return !control.stop.load();
}
} // namespace

/// One epoch in shuffled batches (the seed's DataLoader(shuffle=True)); false when stopped
/// before its end (the batches trained so far are counted in partialBatches).
bool Trainer::Impl::trainEpoch(const MnistSet &set, int epoch, BatchStep &step, RunControl &control,
                               const ProgressSink &sink, RunClock &clock, EpochTally &tally)
{
    const int batchSize = config.batchSize;
    int batches = (set.count + batchSize - 1) / batchSize;
    // BatchNorm cannot normalise a batch of one image: a last batch of one is dropped, as
    // PyTorch's DataLoader(drop_last) would (the next epoch's shuffle puts the image elsewhere).
    if (!net->batchNormLayers.empty() && batches > 1 && set.count - (batches - 1) * batchSize < 2)
        --batches;
    const auto seed = epochSeed(config.seed, epoch);
    auto gen = at::detail::createCPUGenerator(seed + 1);
    const auto perm = torch::randperm(set.count, gen, torch::TensorOptions().dtype(torch::kInt64));
    for (int b = 0; b < batches; ++b) {
        if (!waitWhilePaused(control)) {
            // The weights keep what these batches taught them: say so in the checkpoint.
            partialBatches += b;
            return false;
        }
        Batch batch;
        batch.set = &set;
        batch.order = perm.data_ptr<std::int64_t>();
        batch.first = b * batchSize;
        batch.n = std::min(batchSize, set.count - batch.first);
        batch.epochSeed = seed;
        batch.index = b;
        batch.augment = &config.augment;
        trainBatch(step, batch, batches, control, sink, clock, tally);
    }
    return true;
}

/// One optimizer step: the batch's gradient on the team, then Adam; reports the batch.
void Trainer::Impl::trainBatch(BatchStep &step, const Batch &batch, int batches, RunControl &control,
                               const ProgressSink &sink, RunClock &clock, EpochTally &tally)
{
    const auto t0 = Clock::now();
    const auto [batchLoss, batchCorrect] = step.compute(batch);
    double lossValue = batchLoss / batch.n;
    if (injectNan) {
        injectNan = false;
        lossValue = std::numeric_limits<double>::quiet_NaN();
    }
    if (!std::isfinite(lossValue))
        throw TrainingError(QStringLiteral("the loss became %1 at epoch %2, batch %3 (learning rate %4 too high?); "
                                           "training stopped, the weights are those before this batch")
                                .arg(std::isnan(lossValue) ? QStringLiteral("NaN") : QStringLiteral("infinite"))
                                .arg(epochsDone + 1).arg(batch.index + 1).arg(config.learningRate));
    {
        torch::NoGradGuard noGrad;
        optimizerStep(config, config.learningRateAt(epochsDone + 1, batch.index, batches), optimizer, step);
        foldBatchNormStats(net, step);
    }
    control.batchesDone.fetch_add(1);
    const auto dt = Clock::now() - t0;
    clock.busy += dt;
    clock.imagesSeen += batch.n;
    tally.busy += dt;
    tally.lossSum += lossValue * batch.n;
    tally.correct += batchCorrect;
    tally.seen += batch.n;
    if (sink.batch) {
        BatchStats s;
        s.epoch = epochsDone + 1;
        s.epochs = config.epochs;
        s.batch = batch.index + 1;
        s.batchesPerEpoch = batches;
        s.loss = lossValue;
        s.accuracy = static_cast<double>(batchCorrect) / batch.n;
        s.imagesSeen = clock.imagesSeen;
        s.imagesPerSecond = static_cast<double>(clock.imagesSeen) / std::max(1e-9, seconds(clock.busy));
        sink.batch(s);
    }
}

/// Evaluates on the test set after a complete epoch and records the epoch in the history.
EpochStats Trainer::Impl::finishEpoch(int epoch, const EpochTally &tally, const MnistSet &test, const MnistSet *validation,
                                      WorkTeam &team)
{
    const auto result = evaluate(test, team);
    EpochStats e;
    e.epoch = epoch;
    e.epochs = config.epochs;
    e.trainLoss = tally.lossSum / std::max<std::int64_t>(1, tally.seen);
    e.trainAccuracy = static_cast<double>(tally.correct) / std::max<std::int64_t>(1, tally.seen);
    e.testLoss = result.loss;
    e.testAccuracy = result.accuracy();
    if (validation)
        e.validationAccuracy = evaluate(*validation, team).accuracy();
    e.seconds = seconds(tally.busy);
    e.imagesPerSecond = static_cast<double>(tally.seen) / std::max(1e-9, e.seconds);
    history.push_back(e);
    epochsDone = epoch;
    partialBatches = 0;
    return e;
}

Trainer::Trainer(const TrainConfig &config) : d(std::make_unique<Impl>())
{
    if (auto why = config.validate(); !why.isEmpty())
        throw ConfigError(why);
    d->config = config;
    d->fresh();
}

Trainer::~Trainer() = default;

QString Trainer::architecture() { return QString::fromLatin1(checkpoint::kNetworkArchitecture); }
Network Trainer::network() const { return d->net->network; }
const TrainConfig &Trainer::config() const { return d->config; }

void Trainer::setConfig(const TrainConfig &config)
{
    if (auto why = config.validate(); !why.isEmpty())
        throw ConfigError(why);
    // The learning rate, schedule and optimizer apply from the next batch; a different network
    // applies at resetWeights() (run() refuses to continue a model with another network).
    d->config = config;
}

void Trainer::resetWeights() { d->fresh(); }

void Trainer::acceptDataset() { d->datasetAccepted = true; }

const DatasetTag &Trainer::dataset() const { return d->dataset; }

TrainingSummary Trainer::run(const MnistSet &trainSet, const MnistSet &testSet, RunControl &control, const ProgressSink &sink)
{
    const auto &cfg = d->config;
    const MnistSet train = cfg.trainLimit > 0 && cfg.trainLimit < trainSet.count ? trainSet.head(cfg.trainLimit) : MnistSet();
    const MnistSet test = cfg.testLimit > 0 && cfg.testLimit < testSet.count ? testSet.head(cfg.testLimit) : MnistSet();
    const MnistSet &limited = train.count ? train : trainSet;
    const MnistSet &te = test.count ? test : testSet;
    if (Network::parse(cfg.networkText()) != d->net->network)
        throw ConfigError(QStringLiteral("the model is the network '%1' but the settings ask for '%2': start over from new weights to train it")
                              .arg(d->net->network.text(), cfg.networkText()));
    // Held-out images: the last ones of the (limited) training set, never trained on.
    if (cfg.holdout > 0 && cfg.holdout >= limited.count)
        throw ConfigError(QStringLiteral("holding out %1 images leaves none of the %2 training images to train on").arg(cfg.holdout).arg(limited.count));
    const MnistSet validation = cfg.holdout > 0 ? tailOf(limited, cfg.holdout) : MnistSet();
    const MnistSet trainPart = cfg.holdout > 0 ? limited.head(limited.count - cfg.holdout) : MnistSet();
    const MnistSet &tr = cfg.holdout > 0 ? trainPart : limited;
    if (tr.count == 0)
        throw TrainingError(QStringLiteral("the training set is empty"));
    if (te.count == 0)
        throw TrainingError(QStringLiteral("the test set is empty: nothing to evaluate the model on"));
    if (!d->net->batchNormLayers.empty() && cfg.batchSize < 2)
        throw ConfigError(QStringLiteral("batch size must be at least 2 for a network with BatchNorm (it normalises by the batch's statistics)"));
    // The network's outputs must be the dataset's classes, and weights that learnt one dataset
    // continue on another only when asked (acceptDataset()).
    if (const QString why = classCountMismatch(int(d->net->report.layers.back().out.numel()), trainSet.dataset); !why.isEmpty())
        throw ConfigError(why);
    if (d->epochsDone > 0 || d->partialBatches > 0)
        if (const QString why = datasetMismatch(d->dataset, trainSet.dataset); !why.isEmpty() && !d->datasetAccepted)
            throw ConfigError(why);
    d->dataset = trainSet.dataset;
    d->datasetAccepted = false;
    d->trainChecksum = trainSet.checksum;
    d->testChecksum = testSet.checksum;

    const int threads = cfg.effectiveThreads();
    const int chunk = chunkSize(cfg.batchSize, threads);
    // Data parallelism inside each batch (docs/architecture.md, "Parallel training"): the team's
    // members take chunks of the batch, each a single-threaded forward/backward on the shared
    // weights; the driving thread sums the chunk gradients in chunk order and takes one Adam step.
    detail::singleThreadedTorch();
    WorkTeam team(std::min(threads, (cfg.batchSize + chunk - 1) / chunk), [](int) { detail::singleThreadedTorch(); });
    BatchStep step(d->net, team, chunk, cfg.batchSize);

    TrainingSummary summary;
    const auto runStart = Clock::now();
    RunClock clock;
    d->net->train();
    while (d->epochsDone < cfg.epochs) {
        const int epoch = d->epochsDone + 1;
        EpochTally tally;
        if (!d->trainEpoch(tr, epoch, step, control, sink, clock, tally)) {
            summary.stopped = true;
            break;
        }
        const auto e = d->finishEpoch(epoch, tally, te, cfg.holdout > 0 ? &validation : nullptr, team);
        if (sink.epoch)
            sink.epoch(e);
    }
    summary.epochsDone = d->epochsDone;
    summary.seconds = seconds(Clock::now() - runStart);
    summary.lastTestAccuracy = d->history.empty() ? 0.0 : d->history.back().testAccuracy;
    return summary;
}

EvalResult Trainer::evaluate(const MnistSet &set) const
{
    detail::singleThreadedTorch();
    WorkTeam team(d->config.effectiveThreads(), [](int) { detail::singleThreadedTorch(); });
    return d->evaluate(set, team);
}
int Trainer::epochsDone() const { return d->epochsDone; }
const std::vector<EpochStats> &Trainer::history() const { return d->history; }
CheckpointInfo Trainer::info() const { return d->info(); }

void Trainer::save(const QString &path) const
{
    auto info = d->info();
    info.created = QDateTime::currentDateTimeUtc().toString(Qt::ISODate);
    detail::OptimizerSlots slots;
    for (std::size_t j = 0; j < d->optimizer.names.size(); ++j)
        if (d->optimizer.slots[j].step > 0)
            slots[d->optimizer.names[j]] = d->optimizer.slots[j];
    detail::writeFileAtomically(path, detail::serializeCheckpoint(d->net, &slots, info));
}

namespace {
/// Builds the whole new state first; the Trainer is swapped only when nothing can throw any more.
void adopt(Trainer::Impl &d, detail::CheckpointData data)
{
    auto net = detail::buildNet(data.network);
    detail::assignWeights(net, data.weights);
    net->train();
    auto optimizer = freshOptimizer(net);
    TrainConfig config = d.config;
    if (data.info.formatVersion >= 1) {
        const int threads = config.threads; // a machine setting, not the model's
        config = data.info.config;
        config.threads = threads;
        if (!config.validate().isEmpty())
            config = d.config;
    }
    config.network = data.network.text();
    for (std::size_t j = 0; j < optimizer.names.size(); ++j) {
        auto it = data.optimizer.find(optimizer.names[j]);
        if (it != data.optimizer.end())
            optimizer.slots[j] = std::move(it->second);
    }
    d.net = net;
    d.optimizer = std::move(optimizer);
    d.config = config;
    d.history = std::move(data.info.history);
    d.epochsDone = data.info.epochsDone;
    d.partialBatches = data.info.partialBatches;
    d.trainChecksum = data.info.mnistTrainChecksum;
    d.testChecksum = data.info.mnistTestChecksum;
    d.dataset = data.info.dataset;
    d.datasetAccepted = false;
}
} // namespace

void Trainer::load(const QString &path) { adopt(*d, detail::readCheckpoint(path)); }
void Trainer::load(const QString &path, const Network &network) { adopt(*d, detail::readCheckpoint(path, &network)); }

void Trainer::loadBytes(const QByteArray &bytes, const QString &name)
{
    adopt(*d, detail::parseCheckpoint(std::vector<char>(bytes.begin(), bytes.end()), name));
}

std::shared_ptr<const Classifier> Trainer::snapshot() const
{
    auto impl = std::make_unique<Classifier::Impl>();
    impl->net = detail::cloneNet(d->net);
    impl->info = d->info();
    impl->source = QStringLiteral("training snapshot");
    return std::make_shared<const Classifier>(std::move(impl));
}

std::vector<std::pair<std::string, std::vector<std::int64_t>>> Trainer::parameterShapes() const
{
    std::vector<std::pair<std::string, std::vector<std::int64_t>>> out;
    for (const auto &p : d->net->named_parameters())
        out.emplace_back(p.key(), p.value().sizes().vec());
    return out;
}

std::int64_t Trainer::parameterCount() const
{
    std::int64_t n = 0;
    for (const auto &p : d->net->parameters())
        n += p.numel();
    return n;
}

void Trainer::injectNanForTesting() { d->injectNan = true; }

std::vector<float> Trainer::batchGradientForTesting(const MnistSet &set, int n, int threads, bool stockOps) const
{
    n = std::min(n, set.count);
    detail::singleThreadedTorch();
    const int chunk = stockOps ? n : chunkSize(n, threads);
    WorkTeam team(std::min(threads, (n + chunk - 1) / chunk), [](int) { detail::singleThreadedTorch(); });
    BatchStep step(d->net, team, chunk, n);
    std::vector<std::int64_t> order(n);
    for (int i = 0; i < n; ++i)
        order[i] = i;
    Batch batch;
    batch.set = &set;
    batch.order = order.data();
    batch.n = n;
    batch.epochSeed = epochSeed(d->config.seed, 1);
    batch.stockOps = stockOps;
    step.compute(batch);
    std::vector<float> out(step.parameterCount());
    for (std::size_t j = 0; j < step.parameters().size(); ++j)
        step.sum(j, out.data() + step.offsets()[j]);
    return out;
}

std::vector<float> augmentedCopies(const std::uint8_t *pixels, int rows, int cols, const Augmentation &augment,
                                   int count, std::uint64_t seed)
{
    const std::size_t size = static_cast<std::size_t>(std::max(0, rows)) * static_cast<std::size_t>(std::max(0, cols));
    std::vector<float> out(size * static_cast<std::size_t>(std::max(0, count)));
    for (int i = 0; i < count; ++i) {
        float *dst = out.data() + size * static_cast<std::size_t>(i);
        // The stream of sample i of "batch 0" of an epoch whose seed is `seed`, as gather() draws.
        if (augment.active())
            augmentImage(pixels, dst, rows, cols, augment, sampleState(seed, 0, i, kAugmentSalt));
        else
            for (std::size_t k = 0; k < size; ++k)
                dst[k] = static_cast<float>(pixels[k]) / 255.0f;
    }
    return out;
}

double measureTrainingSpeed(const TrainConfig &config, RunControl &control)
{
    TrainConfig c = config;
    if (auto why = c.validate(); !why.isEmpty())
        throw ConfigError(why);
    const std::int64_t flops = std::max<std::int64_t>(1, Network::parse(c.networkText()).analyze().flops);
    // About 6 GFLOPs of forward passes per timed pass (backward doubles it): a second or so here,
    // enough batches for a steady rate, and never minutes for a costly network.
    constexpr double kWorkPerPass = 6e9;
    constexpr int kMinImages = 128;
    constexpr int kMaxImages = 2048;
    const int wanted = static_cast<int>(std::clamp<double>(kWorkPerPass / double(flops), kMinImages, kMaxImages));
    c.batchSize = std::min(c.batchSize, kMaxImages);
    const int batches = std::max(2, (wanted + c.batchSize - 1) / c.batchSize);
    c.epochs = 2; // epoch 1 warms up, epoch 2 is timed
    c.holdout = 0;
    c.trainLimit = 0;
    c.testLimit = 0;
    c.schedule = ScheduleKind::Constant; // the rate does not change the time; one-cycle needs no total
    MnistSet train;
    train.count = batches * c.batchSize;
    train.images.resize(static_cast<std::size_t>(train.count) * train.pixelsPerImage());
    train.labels.resize(static_cast<std::size_t>(train.count));
    std::uint64_t state = 0x5EED;
    for (auto &b : train.images)
        b = static_cast<std::uint8_t>(splitmix64(state) >> 56);
    for (int i = 0; i < train.count; ++i)
        train.labels[static_cast<std::size_t>(i)] = static_cast<std::uint8_t>(i % kClasses);
    const MnistSet test = train.head(1);
    Trainer trainer(c);
    double speed = 0;
    ProgressSink sink;
    sink.epoch = [&speed](const EpochStats &e) { speed = e.imagesPerSecond; };
    trainer.run(train, test, control, sink);
    return speed;
}

} // namespace core
