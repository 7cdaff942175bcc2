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

/// Test images per evaluation task (evaluation holds no gradients: larger pieces are cheaper).
constexpr int kEvalChunk = 500;
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

/// Dropout masks for one batch (values 0 or 1/(1-p), as LibTorch's dropout scales), drawn on
/// the driving thread from a stream seeded by (epoch seed, batch): they depend neither on which
/// thread runs a sample nor on anything before this batch, so a resumed run gets the same ones.
void dropoutMasks(std::uint64_t epochSeedValue, int batch, int n, torch::Tensor &channel, torch::Tensor &unit)
{
    std::uint64_t state = epochSeedValue ^ (std::uint64_t(batch + 1) * 0xD1B54A32D192ED03ull);
    const float keep = float(1.0 / (1.0 - kDropout));
    auto fill = [&](torch::Tensor &t, int width) {
        t = torch::empty({n, width});
        float *p = t.data_ptr<float>();
        for (std::int64_t i = 0; i < std::int64_t(n) * width; ++i)
            p[i] = double(splitmix64(state) >> 11) * 0x1.0p-53 < kDropout ? 0.0f : keep;
    };
    fill(channel, kMaskChannels);
    fill(unit, kMaskUnits);
}

/// Runs once on each team thread: one LibTorch thread per member (the team is the parallelism;
/// an OpenMP team per operator would wait for descheduled members).
void singleThreadedTorch(int)
{
    at::internal::lazy_init_num_threads(); // else the first operator resets the count from the global
    at::set_num_threads(1);
}

/// Mean cross-entropy, accuracy and confusion over a set, in pieces of kEvalChunk taken by the
/// team's members, summed in piece order: the same numbers for any team size.
EvalResult evaluateChunked(detail::SeedNet &net, const MnistSet &set, WorkTeam &team)
{
    const auto labels = detail::labelsTensor(set);
    const int pieces = (set.count + kEvalChunk - 1) / kEvalChunk;
    std::vector<double> lossSums(pieces);
    std::vector<std::vector<std::int64_t>> predicted(pieces);
    team.run(pieces, [&](int piece, int) {
        c10::InferenceMode inference;
        const int first = piece * kEvalChunk;
        const int n = std::min(kEvalChunk, set.count - first);
        const auto out = net->forward(detail::imagesTensor(set, first, n));
        const auto y = labels.slice(0, first, first + n);
        lossSums[piece] = F::cross_entropy(out, y, F::CrossEntropyFuncOptions().reduction(torch::kSum)).item<double>();
        const auto pred = out.argmax(1).contiguous();
        predicted[piece].assign(pred.data_ptr<std::int64_t>(), pred.data_ptr<std::int64_t>() + n);
    });
    EvalResult r;
    double lossSum = 0;
    for (int piece = 0; piece < pieces; ++piece) {
        lossSum += lossSums[piece];
        for (std::size_t i = 0; i < predicted[piece].size(); ++i) {
            const int t = set.labels[std::size_t(piece) * kEvalChunk + i];
            const auto p = predicted[piece][i];
            r.confusion[t][p]++;
            r.correct += (t == p);
        }
    }
    r.total = set.count;
    r.loss = set.count ? lossSum / set.count : 0;
    return r;
}

/// torch::optim::Adam::step() of LibTorch 1.13 (no weight decay, no amsgrad; the seed's Python
/// Adam is the same formula) as one loop per parameter over the optimizer's own state, so
/// checkpoints save and restore it unchanged. LibTorch's step is ~60 small operators with
/// temporaries per batch: ~3% of a batch, and serial however many threads train.
void adamStep(torch::optim::Adam &optimizer)
{
    auto &states = optimizer.state();
    for (auto &group : optimizer.param_groups()) {
        const auto &o = static_cast<const torch::optim::AdamOptions &>(group.options());
        const double beta1 = std::get<0>(o.betas()), beta2 = std::get<1>(o.betas());
        for (auto &p : group.params()) {
            if (!p.grad().defined())
                continue;
            const auto key = c10::guts::to_string(p.unsafeGetTensorImpl());
            auto it = states.find(key);
            if (it == states.end()) {
                auto fresh = std::make_unique<torch::optim::AdamParamState>();
                fresh->step(0);
                fresh->exp_avg(torch::zeros_like(p, torch::MemoryFormat::Contiguous));
                fresh->exp_avg_sq(torch::zeros_like(p, torch::MemoryFormat::Contiguous));
                states[key] = std::move(fresh);
                it = states.find(key);
            }
            auto &state = static_cast<torch::optim::AdamParamState &>(*it->second);
            state.step(state.step() + 1);
            const double correction1 = 1 - std::pow(beta1, double(state.step()));
            const double correction2 = 1 - std::pow(beta2, double(state.step()));
            const float stepSize = float(o.lr() / correction1);
            const float correction2Sqrt = float(std::sqrt(correction2));
            const float b1 = float(beta1), b2 = float(beta2), a1 = float(1 - beta1), a2 = float(1 - beta2), eps = float(o.eps());
            const auto grad = p.grad().contiguous();
            auto &expAvg = state.exp_avg(), &expAvgSq = state.exp_avg_sq();
            TORCH_CHECK(p.is_contiguous() && expAvg.is_contiguous() && expAvgSq.is_contiguous(), "adamStep: contiguous tensors");
            float *w = p.data_ptr<float>();
            const float *g = grad.data_ptr<float>();
            float *m = expAvg.data_ptr<float>(), *v = expAvgSq.data_ptr<float>();
            for (std::int64_t e = 0, n = p.numel(); e < n; ++e) {
                m[e] = m[e] * b1 + g[e] * a1;
                v[e] = v[e] * b2 + g[e] * g[e] * a2;
                w[e] -= stepSize * m[e] / (std::sqrt(v[e]) / correction2Sqrt + eps);
            }
        }
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
        m_grads.resize(std::size_t(chunks) * m_offsets.back());
        m_loss.resize(chunks);
        m_correct.resize(chunks);
    }

    std::int64_t parameterCount() const { return m_offsets.back(); }
    const std::vector<torch::Tensor> &parameters() const { return m_params; }
    const std::vector<std::int64_t> &offsets() const { return m_offsets; }

    /// Images order[first .. first+n) of set as one batch; returns the summed loss and hits.
    std::pair<double, std::int64_t> compute(const MnistSet &set, const std::int64_t *order, int first, int n,
                                            const torch::Tensor &channelMask, const torch::Tensor &unitMask, bool stockOps = false)
    {
        const int chunks = (n + m_chunk - 1) / m_chunk;
        const int imageSize = set.rows * set.cols;
        m_chunks = chunks;
        m_team.run(chunks, [&](int c, int) {
            const int at = c * m_chunk;
            const int m = std::min(m_chunk, n - at);
            // Gather and convert this chunk's images (ToTensor: pixel/255) and labels.
            auto x = torch::empty({m, 1, set.rows, set.cols});
            auto y = torch::empty({m}, torch::kInt64);
            float *xp = x.data_ptr<float>();
            std::int64_t *yp = y.data_ptr<std::int64_t>();
            for (int i = 0; i < m; ++i) {
                const std::int64_t index = order[first + at + i];
                const std::uint8_t *src = set.image(int(index));
                for (int k = 0; k < imageSize; ++k)
                    xp[std::int64_t(i) * imageSize + k] = float(src[k]) / 255.0f;
                yp[i] = set.labels[std::size_t(index)];
            }
            const auto cm = channelMask.narrow(0, at, m), um = unitMask.narrow(0, at, m);
            const auto out = stockOps ? stockForward(m_net, x, cm, um) : m_net->forward(x, cm, um);
            const auto loss = F::cross_entropy(out, y, F::CrossEntropyFuncOptions().reduction(torch::kSum));
            // Chunk sum / batch size: the chunks' gradients add up to the gradient of the
            // batch's mean loss, as in the seed.
            const auto grads = torch::autograd::grad({loss / double(n)}, m_params);
            float *slot = m_grads.data() + std::size_t(c) * parameterCount();
            for (std::size_t j = 0; j < grads.size(); ++j) {
                const auto g = grads[j].contiguous();
                std::memcpy(slot + m_offsets[j], g.data_ptr<float>(), sizeof(float) * g.numel());
            }
            m_loss[c] = loss.item<double>();
            const auto pred = out.argmax(1);
            const std::int64_t *pp = pred.data_ptr<std::int64_t>();
            std::int64_t hits = 0;
            for (int i = 0; i < m; ++i)
                hits += pp[i] == yp[i];
            m_correct[c] = hits;
        });
        double loss = 0;
        std::int64_t correct = 0;
        for (int c = 0; c < chunks; ++c) {
            loss += m_loss[c];
            correct += m_correct[c];
        }
        return {loss, correct};
    }

    /// The batch gradient of parameter j: its chunk slots summed in chunk order into dest.
    void sum(std::size_t j, float *dest) const
    {
        const std::int64_t len = m_offsets[j + 1] - m_offsets[j];
        const float *src = m_grads.data() + m_offsets[j];
        std::memcpy(dest, src, sizeof(float) * len);
        for (int c = 1; c < m_chunks; ++c) {
            src += parameterCount();
            for (std::int64_t e = 0; e < len; ++e)
                dest[e] += src[e];
        }
    }

private:
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
        auto result = evaluateChunked(net, set, team);
        if (wasTraining)
            net->train();
        return result;
    }
};

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

    const int batchSize = cfg.batchSize;
    const int batches = (tr.count + batchSize - 1) / batchSize;
    const int threads = cfg.effectiveThreads();
    const int chunk = chunkSize(batchSize, threads);
    const int chunksPerBatch = (batchSize + chunk - 1) / chunk;
    // Data parallelism inside each batch (docs/architecture.md, "Parallel training"): the team's
    // members take chunks of the batch, each a single-threaded forward/backward on the shared
    // weights; the driving thread sums the chunk gradients in chunk order and takes one Adam step.
    singleThreadedTorch(0);
    WorkTeam team(std::min(threads, chunksPerBatch), singleThreadedTorch);

    BatchStep step(d->net, team, chunk, batchSize);
    const auto &params = step.parameters();
    for (const auto &p : params)
        if (!p.grad().defined())
            p.mutable_grad() = torch::zeros_like(p);

    TrainingSummary summary;
    const auto runStart = Clock::now();
    Clock::duration busy{}; // training time excluding pauses and evaluation
    std::int64_t imagesSeen = 0;

    d->net->train();
    while (d->epochsDone < cfg.epochs) {
        const int epoch = d->epochsDone + 1;
        const auto seed = epochSeed(cfg.seed, epoch);
        auto gen = at::detail::createCPUGenerator(seed + 1);
        const auto perm = torch::randperm(tr.count, gen, torch::TensorOptions().dtype(torch::kInt64));
        const std::int64_t *order = perm.data_ptr<std::int64_t>();

        double lossSum = 0;
        std::int64_t correct = 0, seen = 0;
        Clock::duration epochBusy{};
        for (int b = 0; b < batches; ++b) {
            while (control.pause.load() && !control.stop.load()) {
                control.holding.store(true);
                std::this_thread::sleep_for(std::chrono::milliseconds(10));
            }
            control.holding.store(false);
            if (control.stop.load()) {
                summary.stopped = true;
                // The weights keep what these batches taught them: say so in the checkpoint.
                d->partialBatches += b;
                break;
            }
            const auto t0 = Clock::now();
            const int first = b * batchSize;
            const int n = std::min(batchSize, tr.count - first);
            torch::Tensor channelMask, unitMask;
            dropoutMasks(seed, b, n, channelMask, unitMask);
            const auto [batchLoss, batchCorrect] = step.compute(tr, order, first, n, channelMask, unitMask);
            double lossValue = batchLoss / n;
            if (d->injectNan) {
                d->injectNan = false;
                lossValue = std::numeric_limits<double>::quiet_NaN();
            }
            if (!std::isfinite(lossValue))
                throw TrainingError(QStringLiteral("the loss became %1 at epoch %2, batch %3 (learning rate %4 too high?); "
                                                   "training stopped, the weights are those before this batch")
                                        .arg(std::isnan(lossValue) ? QStringLiteral("NaN") : QStringLiteral("infinite"))
                                        .arg(epoch).arg(b + 1).arg(cfg.learningRate));
            for (std::size_t j = 0; j < params.size(); ++j)
                step.sum(j, params[j].mutable_grad().data_ptr<float>());
            {
                torch::NoGradGuard noGrad;
                adamStep(*d->optimizer);
            }
            control.batchesDone.fetch_add(1);
            const auto dt = Clock::now() - t0;
            busy += dt;
            epochBusy += dt;
            lossSum += lossValue * n;
            correct += batchCorrect;
            seen += n;
            imagesSeen += n;
            if (sink.batch) {
                BatchStats s;
                s.epoch = epoch;
                s.epochs = cfg.epochs;
                s.batch = b + 1;
                s.batchesPerEpoch = batches;
                s.loss = lossValue;
                s.accuracy = double(batchCorrect) / n;
                s.imagesSeen = imagesSeen;
                s.imagesPerSecond = imagesSeen / std::max(1e-9, seconds(busy));
                sink.batch(s);
            }
        }
        if (summary.stopped)
            break;

        const auto result = d->evaluate(te, team);
        EpochStats e;
        e.epoch = epoch;
        e.epochs = cfg.epochs;
        e.trainLoss = lossSum / std::max<std::int64_t>(1, seen);
        e.trainAccuracy = double(correct) / std::max<std::int64_t>(1, seen);
        e.testLoss = result.loss;
        e.testAccuracy = result.accuracy();
        e.seconds = seconds(epochBusy);
        e.imagesPerSecond = seen / std::max(1e-9, e.seconds);
        d->history.push_back(e);
        d->epochsDone = epoch;
        d->partialBatches = 0;
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
    singleThreadedTorch(0);
    WorkTeam team(d->config.effectiveThreads(), singleThreadedTorch);
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
    singleThreadedTorch(0);
    const int chunk = stockOps ? n : chunkSize(n, threads);
    WorkTeam team(std::min(threads, (n + chunk - 1) / chunk), singleThreadedTorch);
    BatchStep step(d->net, team, chunk, n);
    std::vector<std::int64_t> order(n);
    for (int i = 0; i < n; ++i)
        order[i] = i;
    torch::Tensor channelMask, unitMask;
    dropoutMasks(epochSeed(d->config.seed, 1), 0, n, channelMask, unitMask);
    step.compute(set, order.data(), 0, n, channelMask, unitMask, stockOps);
    std::vector<float> out(step.parameterCount());
    for (std::size_t j = 0; j < step.parameters().size(); ++j)
        step.sum(j, out.data() + step.offsets()[j]);
    return out;
}

} // namespace core
