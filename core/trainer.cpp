#include "trainer.h"
#include "error.h"
#include "mnist.h"
#include "model_p.h"
#include "version.h"

#include "workteam.h"

#include <ATen/Parallel.h>
#include <torch/autograd.h>
#include <QDateTime>
#include <chrono>
#include <cmath>
#include <cstring>
#include <thread>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace core {

namespace F = torch::nn::functional;
using Clock = std::chrono::steady_clock;

namespace {

/// Adam exactly as the seed: lr from the config, betas 0.9/0.999, eps 1e-8, no weight decay.
std::unique_ptr<torch::optim::Adam> makeOptimizer(detail::SeedNet &net, double lr)
{
    return std::make_unique<torch::optim::Adam>(net->parameters(), torch::optim::AdamOptions(lr).betas({0.9, 0.999}).eps(1e-8));
}

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

/// The seed's dropout probability (Dropout2d after conv2, dropout after fc1).
constexpr double kDropout = 0.5;
/// Channels of conv2 and units of fc1: the shapes of the two dropout masks per sample.
constexpr int kMaskChannels = 20;
constexpr int kMaskUnits = 50;

std::uint64_t splitmix64(std::uint64_t &state)
{
    std::uint64_t z = (state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

/// Dropout masks (values 0 or 1/(1-p), as LibTorch's dropout scales) for samples [at, at+m) of
/// one batch, each sample from its own stream seeded by (epoch seed, batch, position in the
/// batch): they depend neither on which thread or chunk runs a sample nor on anything before
/// this batch, so chunks draw their own in parallel and a resumed run gets the same ones.
void dropoutMasks(std::uint64_t epochSeedValue, int batch, int at, int m, torch::Tensor &channel, torch::Tensor &unit)
{
    const float keep = static_cast<float>(1.0 / (1.0 - kDropout));
    channel = torch::empty({m, kMaskChannels});
    unit = torch::empty({m, kMaskUnits});
    float *c = channel.data_ptr<float>(), *u = unit.data_ptr<float>();
    auto draw = [&](std::uint64_t &state) {
        return static_cast<double>(splitmix64(state) >> 11) * 0x1.0p-53 < kDropout ? 0.0f : keep;
    };
    std::uint64_t batchState = epochSeedValue ^ (static_cast<std::uint64_t>(batch + 1) * 0xD1B54A32D192ED03ull);
    const std::uint64_t batchHash = splitmix64(batchState);
    for (int i = 0; i < m; ++i) {
        std::uint64_t state = batchHash + static_cast<std::uint64_t>(at + i) * 0x8CB92BA72F3D8DD7ull;
        for (int k = 0; k < kMaskChannels; ++k)
            *c++ = draw(state);
        for (int k = 0; k < kMaskUnits; ++k)
            *u++ = draw(state);
    }
}

/// Images order[0..m) of set as a float tensor [m,1,rows,cols] (ToTensor: pixel/255) and their
/// labels: a chunk gathers its own, in parallel with the others.
void gather(const MnistSet &set, const std::int64_t *order, int m, torch::Tensor &x, torch::Tensor &y)
{
    const int imageSize = set.rows * set.cols;
    x = torch::empty({m, 1, set.rows, set.cols});
    y = torch::empty({m}, torch::kInt64);
    float *xp = x.data_ptr<float>();
    std::int64_t *yp = y.data_ptr<std::int64_t>();
    for (int i = 0; i < m; ++i) {
        const std::uint8_t *src = set.image(static_cast<int>(order[i]));
        for (int k = 0; k < imageSize; ++k)
            xp[static_cast<std::int64_t>(i) * imageSize + k] = static_cast<float>(src[k]) / 255.0f;
        yp[i] = set.labels[static_cast<std::size_t>(order[i])];
    }
}

/// The seed's forward written out with LibTorch's own operators (max_pool2d, relu, linear) and
/// explicit masks: the reference the fused network is tested against.
torch::Tensor stockForward(detail::SeedNet &net, torch::Tensor x, const torch::Tensor &channelMask, const torch::Tensor &unitMask)
{
    x = torch::relu(F::max_pool2d(net->conv1->forward(x), F::MaxPool2dFuncOptions(2)));
    x = net->conv2->forward(x) * channelMask.view({x.size(0), -1, 1, 1});
    x = torch::relu(F::max_pool2d(x, F::MaxPool2dFuncOptions(2))).view({-1, 320});
    x = torch::relu(net->fc1->forward(x)) * unitMask;
    return net->fc2->forward(x);
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
/// dropout masks).
struct Batch {
    const MnistSet *set = nullptr;
    const std::int64_t *order = nullptr;
    int first = 0;
    int n = 0;
    std::uint64_t epochSeed = 0;
    int index = 0;
    bool stockOps = false; ///< the reference forward (tests)
};

/// One batch's gradient, shared out to a team in chunks: each chunk is a single-threaded
/// forward/backward on the shared weights (torch::autograd::grad, so nothing accumulates into
/// the parameters concurrently) with the loss summed over the chunk and divided by the batch
/// size; the chunk gradients land in their own slots and are summed in chunk order, so the
/// result does not depend on which member ran which chunk.
class BatchStep {
public:
    BatchStep(detail::SeedNet &net, WorkTeam &team, int chunk, int batchSize)
        : m_net(net), m_team(team), m_chunk(chunk), m_params(net->parameters())
    {
        m_offsets.push_back(0);
        for (const auto &p : m_params)
            m_offsets.push_back(m_offsets.back() + p.numel());
        const int chunks = (batchSize + chunk - 1) / chunk;
        m_grads.resize(static_cast<std::size_t>(chunks) * m_offsets.back());
        m_loss.resize(chunks);
        m_correct.resize(chunks);
    }

    std::int64_t parameterCount() const { return m_offsets.back(); }
    const std::vector<torch::Tensor> &parameters() const { return m_params; }
    const std::vector<std::int64_t> &offsets() const { return m_offsets; }
    /// Chunks of the last compute() and their gradient slots (parameterCount() floats each).
    int chunks() const { return m_chunks; }
    const float *slot(int c) const { return m_grads.data() + static_cast<std::size_t>(c) * parameterCount(); }

    /// The batch's gradient into the slots; returns the summed loss and hits.
    std::pair<double, std::int64_t> compute(const Batch &batch)
    {
        m_chunks = (batch.n + m_chunk - 1) / m_chunk;
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
        const int at = c * m_chunk;
        const int m = std::min(m_chunk, batch.n - at);
        torch::Tensor x, y, channelMask, unitMask;
        gather(*batch.set, batch.order + batch.first + at, m, x, y);
        dropoutMasks(batch.epochSeed, batch.index, at, m, channelMask, unitMask);
        const auto out = batch.stockOps ? stockForward(m_net, x, channelMask, unitMask) : m_net->forward(x, channelMask, unitMask);
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

    detail::SeedNet &m_net;
    WorkTeam &m_team;
    int m_chunk;
    int m_chunks = 0;
    std::vector<torch::Tensor> m_params;
    std::vector<std::int64_t> m_offsets;
    std::vector<float> m_grads;          ///< one parameter-sized slot per chunk
    std::vector<double> m_loss;
    std::vector<std::int64_t> m_correct;
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

/// The optimizer's state of p, created (zero moments, step 0) on its first step.
torch::optim::AdamParamState &adamState(torch::optim::Adam &optimizer, const torch::Tensor &p)
{
    auto &states = optimizer.state();
    const auto key = c10::guts::to_string(p.unsafeGetTensorImpl());
    auto it = states.find(key);
    if (it == states.end()) {
        auto fresh = std::make_unique<torch::optim::AdamParamState>();
        fresh->step(0);
        fresh->exp_avg(torch::zeros_like(p, torch::MemoryFormat::Contiguous));
        fresh->exp_avg_sq(torch::zeros_like(p, torch::MemoryFormat::Contiguous));
        it = states.emplace(key, std::move(fresh)).first;
    }
    return static_cast<torch::optim::AdamParamState &>(*it->second);
}

/// torch::optim::Adam::step() of LibTorch 1.13 (no weight decay, no amsgrad; the seed's Python
/// Adam is the same formula) with the batch gradient read from step's chunk slots, over the
/// optimizer's own state, so checkpoints save and restore it unchanged. LibTorch's step is ~60
/// small operators with temporaries per batch, serial however many threads train.
void adamStep(torch::optim::Adam &optimizer, const BatchStep &step)
{
    auto &group = optimizer.param_groups().at(0);
    const auto &o = static_cast<const torch::optim::AdamOptions &>(group.options());
    const double beta1 = std::get<0>(o.betas()), beta2 = std::get<1>(o.betas());
    TORCH_CHECK(optimizer.param_groups().size() == 1 && group.params().size() == step.parameters().size(),
                "adamStep: one group with the network's parameters");
    std::vector<const float *> slots(static_cast<std::size_t>(step.chunks()));
    for (std::size_t j = 0; j < group.params().size(); ++j) {
        auto &p = group.params()[j];
        TORCH_CHECK(p.unsafeGetTensorImpl() == step.parameters()[j].unsafeGetTensorImpl(), "adamStep: parameter order");
        auto &state = adamState(optimizer, p);
        state.step(state.step() + 1);
        const double correction1 = 1 - std::pow(beta1, static_cast<double>(state.step()));
        const double correction2 = 1 - std::pow(beta2, static_cast<double>(state.step()));
        const AdamUpdate update{static_cast<float>(o.lr() / correction1), static_cast<float>(std::sqrt(correction2)),
                                static_cast<float>(beta1), static_cast<float>(beta2), static_cast<float>(1 - beta1),
                                static_cast<float>(1 - beta2), static_cast<float>(o.eps())};
        auto &expAvg = state.exp_avg(), &expAvgSq = state.exp_avg_sq();
        TORCH_CHECK(p.is_contiguous() && expAvg.is_contiguous() && expAvgSq.is_contiguous(), "adamStep: contiguous tensors");
        for (int c = 0; c < step.chunks(); ++c)
            slots[static_cast<std::size_t>(c)] = step.slot(c) + step.offsets()[j];
        update.apply(p.data_ptr<float>(), expAvg.data_ptr<float>(), expAvgSq.data_ptr<float>(), slots.data(), step.chunks(), p.numel());
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

} // namespace

struct Trainer::Impl {
    TrainConfig config;
    detail::SeedNet net{nullptr};
    std::unique_ptr<torch::optim::Adam> optimizer;
    std::vector<EpochStats> history;
    int epochsDone = 0;
    int partialBatches = 0; ///< trained after the last complete epoch (stopped runs)
    QString trainChecksum;
    QString testChecksum;
    bool injectNan = false;

    void fresh()
    {
        torch::manual_seed(config.seed);
        net = detail::SeedNet();
        net->train();
        optimizer = makeOptimizer(net, config.learningRate);
        history.clear();
        epochsDone = 0;
        partialBatches = 0;
        trainChecksum.clear();
        testChecksum.clear();
    }

    CheckpointInfo info() const
    {
        CheckpointInfo i;
        i.formatVersion = detail::kFormatVersion;
        i.architecture = QString::fromLatin1(detail::kSeedArchitecture);
        i.epochsDone = epochsDone;
        i.partialBatches = partialBatches;
        i.config = config;
        i.history = history;
        i.mnistTrainChecksum = trainChecksum;
        i.mnistTestChecksum = testChecksum;
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
    EpochStats finishEpoch(int epoch, const EpochTally &tally, const MnistSet &test, WorkTeam &team);
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
    const int batches = (set.count + batchSize - 1) / batchSize;
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
        adamStep(*optimizer, step);
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
EpochStats Trainer::Impl::finishEpoch(int epoch, const EpochTally &tally, const MnistSet &test, WorkTeam &team)
{
    const auto result = evaluate(test, team);
    EpochStats e;
    e.epoch = epoch;
    e.epochs = config.epochs;
    e.trainLoss = tally.lossSum / std::max<std::int64_t>(1, tally.seen);
    e.trainAccuracy = static_cast<double>(tally.correct) / std::max<std::int64_t>(1, tally.seen);
    e.testLoss = result.loss;
    e.testAccuracy = result.accuracy();
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

QString Trainer::architecture() { return QString::fromLatin1(detail::kSeedArchitecture); }
const TrainConfig &Trainer::config() const { return d->config; }

void Trainer::setConfig(const TrainConfig &config)
{
    if (auto why = config.validate(); !why.isEmpty())
        throw ConfigError(why);
    d->config = config;
    for (auto &group : d->optimizer->param_groups())
        static_cast<torch::optim::AdamOptions &>(group.options()).lr(config.learningRate);
}

void Trainer::resetWeights() { d->fresh(); }

TrainingSummary Trainer::run(const MnistSet &trainSet, const MnistSet &testSet, RunControl &control, const ProgressSink &sink)
{
    const auto &cfg = d->config;
    const MnistSet train = cfg.trainLimit > 0 && cfg.trainLimit < trainSet.count ? trainSet.head(cfg.trainLimit) : MnistSet();
    const MnistSet test = cfg.testLimit > 0 && cfg.testLimit < testSet.count ? testSet.head(cfg.testLimit) : MnistSet();
    const MnistSet &tr = train.count ? train : trainSet;
    const MnistSet &te = test.count ? test : testSet;
    if (tr.count == 0)
        throw TrainingError(QStringLiteral("the training set is empty"));
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
        const auto e = d->finishEpoch(epoch, tally, te, team);
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
    detail::writeFileAtomically(path, detail::serializeCheckpoint(d->net, d->optimizer.get(), info));
}

namespace {
/// Builds the whole new state first; the Trainer is swapped only when nothing can throw any more.
void adopt(Trainer::Impl &d, detail::CheckpointData data)
{
    detail::SeedNet net;
    detail::assignWeights(net, data.weights);
    net->train();
    auto optimizer = makeOptimizer(net, d.config.learningRate);
    TrainConfig config = d.config;
    if (data.info.formatVersion >= 1) {
        const int threads = config.threads; // a machine setting, not the model's
        config = data.info.config;
        config.threads = threads;
        if (!config.validate().isEmpty())
            config = d.config;
        for (auto &group : optimizer->param_groups())
            static_cast<torch::optim::AdamOptions &>(group.options()).lr(config.learningRate);
    }
    for (const auto &p : net->named_parameters()) {
        auto it = data.optimizer.find(p.key());
        if (it == data.optimizer.end())
            continue;
        auto state = std::make_unique<torch::optim::AdamParamState>();
        state->step(it->second.step);
        state->exp_avg(it->second.expAvg);
        state->exp_avg_sq(it->second.expAvgSq);
        optimizer->state()[c10::guts::to_string(p.value().unsafeGetTensorImpl())] = std::move(state);
    }
    d.net = net;
    d.optimizer = std::move(optimizer);
    d.config = config;
    d.history = std::move(data.info.history);
    d.epochsDone = data.info.epochsDone;
    d.partialBatches = data.info.partialBatches;
    d.trainChecksum = data.info.mnistTrainChecksum;
    d.testChecksum = data.info.mnistTestChecksum;
}
} // namespace

void Trainer::load(const QString &path) { adopt(*d, detail::readCheckpoint(path)); }

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

} // namespace core
