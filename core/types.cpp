#include "types.h"
#include <QJsonValue>
#include <QLocale>
#include <thread>

namespace core {

QString TrainConfig::validate() const
{
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
    return {};
}

int TrainConfig::effectiveThreads() const
{
    return threads > 0 ? threads : int(std::max(1u, std::thread::hardware_concurrency()));
}

QJsonObject TrainConfig::toJson() const
{
    return QJsonObject{
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
    e.seconds = json.value(QStringLiteral("seconds")).toDouble();
    e.imagesPerSecond = json.value(QStringLiteral("images_per_second")).toDouble();
    return e;
}

int Prediction::secondDigit() const
{
    int best = -1;
    for (int i = 0; i < kClasses; ++i)
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
