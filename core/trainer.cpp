#include "trainer.h"
#include "error.h"
#include "mnist.h"
#include "model_p.h"
#include "version.h"

#include <QDateTime>
#include <chrono>
#include <cmath>
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

    EvalResult evaluate(const MnistSet &set)
    {
        const bool wasTraining = net->is_training();
        net->eval();
        // Large batches: evaluation holds no gradients.
        auto result = detail::evaluateNet(net, set, 1000);
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
    at::set_num_threads(cfg.effectiveThreads()); // OpenMP: applies to this thread's parallel regions
    const MnistSet train = cfg.trainLimit > 0 && cfg.trainLimit < trainSet.count ? trainSet.head(cfg.trainLimit) : MnistSet();
    const MnistSet test = cfg.testLimit > 0 && cfg.testLimit < testSet.count ? testSet.head(cfg.testLimit) : MnistSet();
    const MnistSet &tr = train.count ? train : trainSet;
    const MnistSet &te = test.count ? test : testSet;
    if (tr.count == 0)
        throw TrainingError(QStringLiteral("the training set is empty"));
    d->trainChecksum = trainSet.checksum;
    d->testChecksum = testSet.checksum;

    const auto allImages = torch::from_blob(const_cast<std::uint8_t *>(tr.images.data()), {tr.count, 1, tr.rows, tr.cols}, torch::kUInt8);
    const auto allLabels = detail::labelsTensor(tr);
    const int batchSize = cfg.batchSize;
    const int batches = (tr.count + batchSize - 1) / batchSize;

    TrainingSummary summary;
    const auto runStart = Clock::now();
    Clock::duration busy{}; // training time excluding pauses and evaluation
    std::int64_t imagesSeen = 0;

    d->net->train();
    while (d->epochsDone < cfg.epochs) {
        const int epoch = d->epochsDone + 1;
        const auto seed = epochSeed(cfg.seed, epoch);
        torch::manual_seed(seed); // dropout masks
        auto gen = at::detail::createCPUGenerator(seed + 1);
        const auto perm = torch::randperm(tr.count, gen, torch::TensorOptions().dtype(torch::kInt64));

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
            const auto idx = perm.slice(0, first, first + n);
            const auto x = allImages.index_select(0, idx).to(torch::kFloat32).div_(255.0f);
            const auto y = allLabels.index_select(0, idx);

            d->optimizer->zero_grad();
            const auto out = d->net->forward(x);
            auto loss = F::cross_entropy(out, y);
            if (d->injectNan) {
                d->injectNan = false;
                loss = loss * std::numeric_limits<float>::quiet_NaN();
            }
            const double lossValue = loss.item<double>();
            if (!std::isfinite(lossValue))
                throw TrainingError(QStringLiteral("the loss became %1 at epoch %2, batch %3 (learning rate %4 too high?); "
                                                   "training stopped, the weights are those before this batch")
                                        .arg(std::isnan(lossValue) ? QStringLiteral("NaN") : QStringLiteral("infinite"))
                                        .arg(epoch).arg(b + 1).arg(cfg.learningRate));
            loss.backward();
            d->optimizer->step();
            control.batchesDone.fetch_add(1);
            const auto batchCorrect = out.argmax(1).eq(y).sum().item<std::int64_t>();
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

        const auto result = d->evaluate(te);
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

EvalResult Trainer::evaluate(const MnistSet &set) const { return d->evaluate(set); }
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

} // namespace core
