#include "types.h"
#include "error.h"
#include "network.h"
#include <cmath>
#include <numbers>
#include <QJsonValue>
#include <QLocale>
#include <thread>

namespace core {

QString TrainConfig::networkText() const
{
    return network.isEmpty() ? Network::preset(QStringLiteral("tutorial")).text() : network;
}

TrainConfig TrainConfig::preset(const QString &name)
{
    TrainConfig c;
    try {
        c.network = Network::preset(name).text();
    } catch (const NetworkError &e) {
        throw ConfigError(e.message());
    }
    if (name == QLatin1String("fast")) {
        // Two epochs of one-cycle Adam at a high peak rate: the schedule's warm-up makes the high
        // rate safe, its cool-down settles the weights (docs/networks.md, "How the presets were chosen").
        c.epochs = 2;
        c.batchSize = 128;
        c.learningRate = 6e-3;
        c.schedule = ScheduleKind::OneCycle;
    } else if (name == QLatin1String("best")) {
        c.epochs = 24;
        c.batchSize = 128;
        c.learningRate = 3e-3;
        c.optimizer = OptimizerKind::AdamW;
        c.weightDecay = 1e-4;
        c.schedule = ScheduleKind::OneCycle;
        c.augment = Augmentation{15, 0.1, 0.15};
        c.holdout = 5000;
    }
    return c;
}

QString TrainConfig::optimizerName(OptimizerKind kind)
{
    switch (kind) {
    case OptimizerKind::Adam: return QStringLiteral("adam");
    case OptimizerKind::AdamW: return QStringLiteral("adamw");
    case OptimizerKind::Sgd: return QStringLiteral("sgd");
    }
    return {};
}

QString TrainConfig::scheduleName(ScheduleKind kind)
{
    switch (kind) {
    case ScheduleKind::Constant: return QStringLiteral("constant");
    case ScheduleKind::Step: return QStringLiteral("step");
    case ScheduleKind::OneCycle: return QStringLiteral("onecycle");
    }
    return {};
}

bool TrainConfig::parseOptimizer(const QString &name, OptimizerKind *kind)
{
    for (auto k : {OptimizerKind::Adam, OptimizerKind::AdamW, OptimizerKind::Sgd})
        if (name.compare(optimizerName(k), Qt::CaseInsensitive) == 0) {
            *kind = k;
            return true;
        }
    return false;
}

bool TrainConfig::parseSchedule(const QString &name, ScheduleKind *kind)
{
    for (auto k : {ScheduleKind::Constant, ScheduleKind::Step, ScheduleKind::OneCycle})
        if (name.compare(scheduleName(k), Qt::CaseInsensitive) == 0) {
            *kind = k;
            return true;
        }
    return false;
}

double TrainConfig::learningRateAt(int epoch, int batch, int batchesPerEpoch) const
{
    switch (schedule) {
    case ScheduleKind::Constant:
        return learningRate;
    case ScheduleKind::Step:
        return learningRate * std::pow(stepGamma, (std::max(1, epoch) - 1) / std::max(1, stepEvery));
    case ScheduleKind::OneCycle: {
        // PyTorch's OneCycleLR defaults: pct_start 0.3, div_factor 25, final_div_factor 1e4,
        // cosine in both phases; the position is the optimizer step within the whole run.
        const double total = std::max(1.0, double(epochs) * batchesPerEpoch);
        const double t = double(std::max(0, epoch - 1)) * batchesPerEpoch + batch;
        const double warm = std::max(1.0, 0.3 * total - 1);
        const double start = learningRate / 25, end = start / 1e4;
        const auto cosine = [](double from, double to, double f) {
            return to + (from - to) / 2 * (1 + std::cos(std::numbers::pi * std::clamp(f, 0.0, 1.0)));
        };
        return t <= warm ? cosine(start, learningRate, t / warm) : cosine(learningRate, end, (t - warm) / std::max(1.0, total - 1 - warm));
    }
    }
    return learningRate;
}

void TrainConfig::fitClasses(int count)
{
    classes = count;
    if (network.isEmpty() && count == kClasses)
        return; // the tutorial's, as it is
    // A preset, possibly fitted to another count before: with Linear(10) it is a preset again.
    const Network net = Network::parse(networkText());
    if (network.isEmpty() || !net.withClasses(kClasses).presetName().isEmpty())
        network = net.withClasses(count).text();
}

QString TrainConfig::validate() const
{
    if (classes < 2 || classes > kMaxClassCount)
        return QStringLiteral("classes must be between 2 and %1 (got %2)").arg(kMaxClassCount).arg(classes);
    if (!network.isEmpty() || classes != kClasses) {
        try {
            Network::parse(networkText()).analyze(classes);
        } catch (const NetworkError &e) {
            return QStringLiteral("network: %1").arg(e.message());
        }
    }
    if (epochs < kMinEpochs || epochs > kMaxEpochs)
        return QStringLiteral("epochs must be between %1 and %2 (got %3)").arg(kMinEpochs).arg(kMaxEpochs).arg(epochs);
    if (batchSize < kMinBatchSize || batchSize > kMaxBatchSize)
        return QStringLiteral("batch size must be between %1 and %2 (got %3)").arg(kMinBatchSize).arg(kMaxBatchSize).arg(batchSize);
    if (!(learningRate >= kMinLearningRate && learningRate <= kMaxLearningRate))
        return QStringLiteral("learning rate must be between %1 and %2 (got %3)").arg(kMinLearningRate).arg(kMaxLearningRate)
                   // Shortest round-trip form: 10.0000001 must not read back as "10".
                   .arg(QString::number(learningRate, 'g', QLocale::FloatingPointShortest));
    if (threads < 0 || threads > kMaxThreads)
        return QStringLiteral("threads must be between 0 (all cores) and %1 (got %2)").arg(kMaxThreads).arg(threads);
    if (trainLimit < 0 || testLimit < 0)
        return QStringLiteral("image limits must not be negative");
    if (!(momentum >= 0 && momentum < 1))
        return QStringLiteral("momentum must be at least 0 and below 1 (got %1)").arg(momentum);
    if (!(weightDecay >= 0 && weightDecay <= kMaxWeightDecay))
        return QStringLiteral("weight decay must be between 0 and %1 (got %2)").arg(kMaxWeightDecay).arg(weightDecay);
    if (stepEvery < 1 || stepEvery > kMaxEpochs)
        return QStringLiteral("step decay interval must be between 1 and %1 epochs (got %2)").arg(kMaxEpochs).arg(stepEvery);
    if (!(stepGamma > 0 && stepGamma <= 1))
        return QStringLiteral("step decay factor must be above 0 and at most 1 (got %1)").arg(stepGamma);
    if (!(augment.rotation >= 0 && augment.rotation <= kMaxRotation))
        return QStringLiteral("rotation must be between 0 and %1 degrees (got %2)").arg(kMaxRotation).arg(augment.rotation);
    if (!(augment.translate >= 0 && augment.translate <= kMaxTranslate))
        return QStringLiteral("translation must be between 0 and %1 of the side (got %2)").arg(kMaxTranslate).arg(augment.translate);
    if (!(augment.scale >= 0 && augment.scale <= kMaxScale))
        return QStringLiteral("scaling must be between 0 and %1 (got %2)").arg(kMaxScale).arg(augment.scale);
    if (holdout < 0 || holdout > kMaxHoldout)
        return QStringLiteral("held-out images must be between 0 and %1 (got %2)").arg(kMaxHoldout).arg(holdout);
    return {};
}

int TrainConfig::effectiveThreads() const
{
    return threads > 0 ? threads : int(std::max(1u, std::thread::hardware_concurrency()));
}

QJsonObject TrainConfig::toJson() const
{
    return QJsonObject{
        {QStringLiteral("network"), networkText()},
        {QStringLiteral("classes"), classes},
        {QStringLiteral("optimizer"), optimizerName(optimizer)},
        {QStringLiteral("momentum"), momentum},
        {QStringLiteral("weight_decay"), weightDecay},
        {QStringLiteral("schedule"), scheduleName(schedule)},
        {QStringLiteral("step_every"), stepEvery},
        {QStringLiteral("step_gamma"), stepGamma},
        {QStringLiteral("augment_rotation"), augment.rotation},
        {QStringLiteral("augment_translate"), augment.translate},
        {QStringLiteral("augment_scale"), augment.scale},
        {QStringLiteral("holdout"), holdout},
        {QStringLiteral("epochs"), epochs},
        {QStringLiteral("batch_size"), batchSize},
        {QStringLiteral("learning_rate"), learningRate},
        // JSON numbers are doubles: keep the 64-bit seed exact as a string.
        {QStringLiteral("seed"), QString::number(seed)},
        {QStringLiteral("threads"), threads},
        {QStringLiteral("train_limit"), trainLimit},
        {QStringLiteral("test_limit"), testLimit},
    };
}

TrainConfig TrainConfig::fromJson(const QJsonObject &json)
{
    TrainConfig c;
    c.epochs = json.value(QStringLiteral("epochs")).toInt(c.epochs);
    c.batchSize = json.value(QStringLiteral("batch_size")).toInt(c.batchSize);
    c.learningRate = json.value(QStringLiteral("learning_rate")).toDouble(c.learningRate);
    bool ok = false;
    const auto seed = json.value(QStringLiteral("seed")).toString().toULongLong(&ok);
    if (ok)
        c.seed = seed;
    c.threads = json.value(QStringLiteral("threads")).toInt(c.threads);
    c.trainLimit = json.value(QStringLiteral("train_limit")).toInt(c.trainLimit);
    c.testLimit = json.value(QStringLiteral("test_limit")).toInt(c.testLimit);
    c.network = json.value(QStringLiteral("network")).toString(c.network);
    c.classes = json.value(QStringLiteral("classes")).toInt(c.classes);
    parseOptimizer(json.value(QStringLiteral("optimizer")).toString(), &c.optimizer);
    parseSchedule(json.value(QStringLiteral("schedule")).toString(), &c.schedule);
    c.momentum = json.value(QStringLiteral("momentum")).toDouble(c.momentum);
    c.weightDecay = json.value(QStringLiteral("weight_decay")).toDouble(c.weightDecay);
    c.stepEvery = json.value(QStringLiteral("step_every")).toInt(c.stepEvery);
    c.stepGamma = json.value(QStringLiteral("step_gamma")).toDouble(c.stepGamma);
    c.augment.rotation = json.value(QStringLiteral("augment_rotation")).toDouble(c.augment.rotation);
    c.augment.translate = json.value(QStringLiteral("augment_translate")).toDouble(c.augment.translate);
    c.augment.scale = json.value(QStringLiteral("augment_scale")).toDouble(c.augment.scale);
    c.holdout = json.value(QStringLiteral("holdout")).toInt(c.holdout);
    return c;
}

QJsonObject EpochStats::toJson() const
{
    return QJsonObject{
        {QStringLiteral("epoch"), epoch},
        {QStringLiteral("epochs"), epochs},
        {QStringLiteral("train_loss"), trainLoss},
        {QStringLiteral("train_accuracy"), trainAccuracy},
        {QStringLiteral("test_loss"), testLoss},
        {QStringLiteral("test_accuracy"), testAccuracy},
        {QStringLiteral("validation_accuracy"), validationAccuracy},
        {QStringLiteral("seconds"), seconds},
        {QStringLiteral("images_per_second"), imagesPerSecond},
    };
}

EpochStats EpochStats::fromJson(const QJsonObject &json)
{
    EpochStats e;
    e.epoch = json.value(QStringLiteral("epoch")).toInt();
    e.epochs = json.value(QStringLiteral("epochs")).toInt();
    e.trainLoss = json.value(QStringLiteral("train_loss")).toDouble();
    e.trainAccuracy = json.value(QStringLiteral("train_accuracy")).toDouble();
    e.testLoss = json.value(QStringLiteral("test_loss")).toDouble();
    e.testAccuracy = json.value(QStringLiteral("test_accuracy")).toDouble();
    e.validationAccuracy = json.value(QStringLiteral("validation_accuracy")).toDouble(-1);
    e.seconds = json.value(QStringLiteral("seconds")).toDouble();
    e.imagesPerSecond = json.value(QStringLiteral("images_per_second")).toDouble();
    return e;
}

int Prediction::secondDigit() const
{
    int best = -1;
    for (int i = 0; i < int(probabilities.size()); ++i)
        if (i != digit && (best < 0 || probabilities[i] > probabilities[best]))
            best = i;
    return best;
}

bool Prediction::unsure() const
{
    if (digit < 0)
        return false;
    const int second = secondDigit();
    return confidence < kUnsureBelow || (second >= 0 && confidence - probabilities[second] < kCloseMargin);
}

} // namespace core
