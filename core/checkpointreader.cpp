// Interprets what the strict reader (torchfile.cpp) parsed: a DigitLab checkpoint or a PyTorch
// state_dict of the seed model. Every field is typed strictly: a value that does not fit is an
// error naming the file and the field, never wrapped, defaulted or clamped.
#include "checkpointreader.h"
#include "error.h"
#include "torchfile.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QJsonValue>
#include <QStringList>
#include <climits>
#include <cmath>
#include <map>
#include <set>
#include <string_view>

namespace core {

namespace {

using Kind = CheckpointError::Kind;
using torchfile::Value;
using VT = Value::Type;

/// Bounds that catch corruption without limiting real use.
constexpr int kMaxEpochsDone = 100000;          // the UI caps a run at 1000 epochs
constexpr int kMaxPartialBatches = 300000;      // batch size 1 over the largest training set the IDX reader takes
constexpr std::int64_t kMaxAdamStep = std::int64_t(1) << 40; // 1e12 batches: far beyond any run
constexpr int kMaxHistory = kMaxEpochsDone;     // one entry per completed epoch
constexpr int kMaxMetaString = 4096;            // checksums, dates and versions are short

[[noreturn]] void fail(const QString &file, const QString &why, Kind kind = Kind::Corrupt)
{
    throw CheckpointError(kind, file, why);
}

QString shapeText(const std::vector<std::int64_t> &sizes)
{
    QStringList parts;
    for (auto s : sizes)
        parts << QString::number(s);
    return QLatin1Char('[') + parts.join(QLatin1String(", ")) + QLatin1Char(']');
}

/// A tensor checked against the seed parameter it should be: type, dtype, shape, then values.
TensorData checkedTensor(const torchfile::Archive &a, const Value *v, const QString &field,
                         const std::vector<std::int64_t> &shape)
{
    if (v->type != VT::Tensor)
        fail(a.name, QStringLiteral("%1 is a %2, not a tensor").arg(field, QLatin1String(v->typeName())));
    const auto dtype = a.storages.at(std::size_t(v->tensor.storage)).dtype;
    if (dtype == torchfile::DType::Unsupported)
        fail(a.name, QStringLiteral("%1 has dtype %2; only float32 and float64 are read").arg(field, a.dtypeName(v->tensor)));
    if (v->tensor.sizes != shape)
        fail(a.name, QStringLiteral("%1 has shape %2, the network expects %3").arg(field, shapeText(v->tensor.sizes), shapeText(shape)),
             Kind::WrongShape);
    auto t = a.decode(v->tensor, field);
    for (std::size_t i = 0; i < t.values.size(); ++i)
        if (!std::isfinite(t.values[i]))
            fail(a.name, QStringLiteral("%1 holds NaN or infinite values (element %2)").arg(field).arg(i));
    return t;
}

/// The tutorial's network: what version 1 files and foreign state_dicts hold unless told otherwise.
const Network &tutorialNetwork()
{
    static const Network net = Network::preset(QStringLiteral("tutorial"));
    return net;
}

/// The state_dict entries of a network (its parameters and buffers, in PyTorch's order).
std::vector<TensorSpec> specsOf(const QString &file, const Network &network)
{
    try {
        return network.analyze(0).tensors(); // the class count is the config's check
    } catch (const NetworkError &e) {
        fail(file, QStringLiteral("the network does not work on MNIST: %1").arg(e.message()), Kind::WrongArchitecture);
    }
}

NamedTensors checkedWeights(const torchfile::Archive &a, const Value &dict, const QString &where, const Network &network)
{
    // DataParallel saves "module.conv1.weight": strip the prefix when every key has it.
    bool prefixed = !dict.entries.empty();
    for (const auto &[key, value] : dict.entries) {
        if (key->type != VT::String)
            fail(a.name, QStringLiteral("%1 has a key that is not a string").arg(where), Kind::Foreign);
        prefixed = prefixed && key->text.rfind("module.", 0) == 0;
    }
    // Views of the keys: a file's keys are never copied, however long.
    std::map<std::string_view, const Value *> byName;
    for (const auto &[key, value] : dict.entries)
        byName[std::string_view(key->text).substr(prefixed ? 7 : 0)] = value.get();
    const bool tutorial = network.isTutorial();
    const QString whose = tutorial ? QStringLiteral("the seed model") : QStringLiteral("the network");
    NamedTensors out;
    for (const auto &spec : specsOf(a.name, network)) {
        const auto &name = spec.key;
        auto it = byName.find(name);
        const QString field = QStringLiteral("%1 '%2'").arg(spec.buffer ? QStringLiteral("buffer") : QStringLiteral("parameter"),
                                                           QString::fromStdString(name));
        if (spec.counter) {
            // BatchNorm's num_batches_tracked: an int64 counter PyTorch saves; nothing reads it
            // here (momentum is fixed), so only its presence as a tensor is checked.
            if (it != byName.end()) {
                if (it->second->type != VT::Tensor)
                    fail(a.name, QStringLiteral("%1 is a %2, not a tensor").arg(field, QLatin1String(it->second->typeName())));
                byName.erase(it);
            }
            continue;
        }
        if (it == byName.end())
            fail(a.name, QStringLiteral("%1 of %2 is missing").arg(field, whose), Kind::WrongArchitecture);
        auto t = checkedTensor(a, it->second, field, spec.shape);
        for (float x : t.values)
            if (std::fabs(x) > checkpoint::kMaxWeight)
                fail(a.name, QStringLiteral("%1 holds %2, beyond any trained weight (|w| <= %3)")
                                 .arg(field).arg(double(x)).arg(double(checkpoint::kMaxWeight)));
        if (spec.buffer)
            for (float x : t.values)
                if (x < 0 && name.size() > 12 && name.compare(name.size() - 12, 12, "running_var") == 0)
                    fail(a.name, QStringLiteral("%1 holds a negative variance").arg(field));
        out.emplace_back(name, std::move(t));
        byName.erase(it);
    }
    if (!byName.empty()) {
        const auto &key = byName.begin()->first;
        const bool looksSequential = !key.empty() && std::isdigit(static_cast<unsigned char>(key[0]));
        fail(a.name, QStringLiteral("unexpected parameter '%1': not %2%3").arg(printable(std::string(key)),
                     tutorial ? QStringLiteral("the seed architecture") : QStringLiteral("this network"),
                     looksSequential && tutorial ? QStringLiteral(" (a state_dict of another network: name it, e.g. --arch TEXT)") : QString()),
             Kind::WrongArchitecture);
    }
    return out;
}

// ---- metadata JSON, typed strictly

double number(const QString &file, const QJsonObject &o, const char *key, const QString &where, double fallback)
{
    const auto v = o.value(QLatin1String(key));
    if (v.isUndefined())
        return fallback;
    if (!v.isDouble() || !std::isfinite(v.toDouble()))
        fail(file, QStringLiteral("metadata field '%1%2' is not a finite number").arg(where, QLatin1String(key)));
    return v.toDouble();
}

int integer(const QString &file, const QJsonObject &o, const char *key, const QString &where, int fallback, int lo, int hi,
            bool required = false)
{
    const auto v = o.value(QLatin1String(key));
    if (v.isUndefined()) {
        if (required)
            fail(file, QStringLiteral("metadata field '%1%2' is missing").arg(where, QLatin1String(key)));
        return fallback;
    }
    const double d = v.toDouble(std::nan(""));
    if (!v.isDouble() || !std::isfinite(d) || d != std::floor(d))
        fail(file, QStringLiteral("metadata field '%1%2' is not an integer").arg(where, QLatin1String(key)));
    if (d < lo || d > hi)
        fail(file, QStringLiteral("metadata field '%1%2' is %3, outside %4..%5").arg(where, QLatin1String(key)).arg(d, 0, 'g', 17).arg(lo).arg(hi));
    return int(d);
}

QString text(const QString &file, const QJsonObject &o, const char *key)
{
    const auto v = o.value(QLatin1String(key));
    if (v.isUndefined())
        return {};
    if (!v.isString() || v.toString().size() > kMaxMetaString)
        fail(file, QStringLiteral("metadata field '%1' is not a short string").arg(QLatin1String(key)));
    return v.toString();
}

// The run's settings ("config"), checked as TrainConfig::validate() checks user input.
TrainConfig readConfig(const QString &file, const QJsonObject &o, const TrainConfig &fallback)
{
    const auto cv = o.value(QLatin1String("config"));
    if (cv.isUndefined())
        return fallback;
    if (!cv.isObject())
        fail(file, QStringLiteral("metadata field 'config' is not an object"));
    const auto c = cv.toObject();
    const QString w = QStringLiteral("config.");
    TrainConfig d;
    d.epochs = integer(file, c, "epochs", w, d.epochs, INT_MIN, INT_MAX);
    d.batchSize = integer(file, c, "batch_size", w, d.batchSize, INT_MIN, INT_MAX);
    d.learningRate = number(file, c, "learning_rate", w, d.learningRate);
    d.threads = integer(file, c, "threads", w, d.threads, INT_MIN, INT_MAX);
    d.trainLimit = integer(file, c, "train_limit", w, d.trainLimit, INT_MIN, INT_MAX);
    d.testLimit = integer(file, c, "test_limit", w, d.testLimit, INT_MIN, INT_MAX);
    const auto textField = [&](const char *key, const QString &fallback) {
        const auto v = c.value(QLatin1String(key));
        if (v.isUndefined())
            return fallback;
        if (!v.isString() || v.toString().size() > kMaxNetworkText)
            fail(file, QStringLiteral("metadata field 'config.%1' is not a short string").arg(QLatin1String(key)));
        return v.toString();
    };
    d.network = textField("network", d.network);
    // Files from before issue 20 have no class count: MNIST's ten.
    d.classes = integer(file, c, "classes", w, d.classes, INT_MIN, INT_MAX);
    if (!TrainConfig::parseOptimizer(textField("optimizer", QStringLiteral("adam")), &d.optimizer))
        fail(file, QStringLiteral("metadata field 'config.optimizer' names no known optimizer (adam, adamw, sgd)"));
    if (!TrainConfig::parseSchedule(textField("schedule", QStringLiteral("constant")), &d.schedule))
        fail(file, QStringLiteral("metadata field 'config.schedule' names no known schedule (constant, step, onecycle)"));
    d.momentum = number(file, c, "momentum", w, d.momentum);
    d.weightDecay = number(file, c, "weight_decay", w, d.weightDecay);
    d.stepEvery = integer(file, c, "step_every", w, d.stepEvery, INT_MIN, INT_MAX);
    d.stepGamma = number(file, c, "step_gamma", w, d.stepGamma);
    d.augment.rotation = number(file, c, "augment_rotation", w, d.augment.rotation);
    d.augment.translate = number(file, c, "augment_translate", w, d.augment.translate);
    d.augment.scale = number(file, c, "augment_scale", w, d.augment.scale);
    d.holdout = integer(file, c, "holdout", w, d.holdout, INT_MIN, INT_MAX);
    const auto seed = c.value(QLatin1String("seed"));
    if (!seed.isUndefined()) {
        bool ok = false;
        d.seed = seed.toString().toULongLong(&ok);
        if (!seed.isString() || !ok)
            fail(file, QStringLiteral("metadata field 'config.seed' is not a 64-bit unsigned integer in a string"));
    }
    if (const auto why = d.validate(); !why.isEmpty())
        fail(file, QStringLiteral("metadata field 'config': %1").arg(why));
    return d;
}

// One EpochStats per completed epoch ("history"), at most kMaxHistory.
std::vector<EpochStats> readHistory(const QString &file, const QJsonObject &o)
{
    std::vector<EpochStats> out;
    const auto hv = o.value(QLatin1String("history"));
    if (hv.isUndefined())
        return out;
    if (!hv.isArray() || hv.toArray().size() > kMaxHistory)
        fail(file, QStringLiteral("metadata field 'history' is not an array of at most %1 epochs").arg(kMaxHistory));
    const auto history = hv.toArray();
    for (int i = 0; i < history.size(); ++i) {
        const QString w = QStringLiteral("history[%1].").arg(i);
        if (!history[i].isObject())
            fail(file, QStringLiteral("metadata field 'history[%1]' is not an object").arg(i));
        const auto h = history[i].toObject();
        EpochStats e;
        e.epoch = integer(file, h, "epoch", w, 0, 0, kMaxEpochsDone);
        e.epochs = integer(file, h, "epochs", w, 0, 0, kMaxEpochsDone);
        e.trainLoss = number(file, h, "train_loss", w, 0);
        e.trainAccuracy = number(file, h, "train_accuracy", w, 0);
        e.testLoss = number(file, h, "test_loss", w, 0);
        e.testAccuracy = number(file, h, "test_accuracy", w, 0);
        e.validationAccuracy = number(file, h, "validation_accuracy", w, -1);
        e.seconds = number(file, h, "seconds", w, 0);
        e.imagesPerSecond = number(file, h, "images_per_second", w, 0);
        out.push_back(e);
    }
    return out;
}

/// "dataset" (issue 20): which dataset the model learnt, its class names one per output. Absent
/// in older files, which are MNIST's.
DatasetTag readDataset(const QString &file, const QJsonObject &o, int classes)
{
    DatasetTag tag;
    const auto dv = o.value(QLatin1String("dataset"));
    if (dv.isUndefined()) {
        if (classes != kClasses)
            fail(file, QStringLiteral("metadata field 'dataset' is missing, but the network gives %1 classes, not MNIST's %2").arg(classes).arg(kClasses));
        return tag;
    }
    if (!dv.isObject())
        fail(file, QStringLiteral("metadata field 'dataset' is not an object"));
    const auto d = dv.toObject();
    tag.id = text(file, d, "id");
    tag.name = text(file, d, "name");
    if (tag.id.isEmpty() || tag.id.size() > 256 || tag.name.size() > 256)
        fail(file, QStringLiteral("metadata field 'dataset.id' is missing or longer than 256 characters"));
    if (tag.name.isEmpty())
        tag.name = tag.id;
    const auto names = d.value(QLatin1String("class_names"));
    if (!names.isArray() || names.toArray().size() != classes)
        fail(file, QStringLiteral("metadata field 'dataset.class_names' is not an array of %1 names (one per class)").arg(classes));
    tag.classNames.clear();
    for (const auto &n : names.toArray()) {
        if (!n.isString() || n.toString().isEmpty() || n.toString().size() > 64)
            fail(file, QStringLiteral("metadata field 'dataset.class_names' holds an entry that is not a name of 1 to 64 characters"));
        tag.classNames << n.toString();
    }
    return tag;
}

void readMetadata(const QString &file, const std::string &json, CheckpointInfo &info)
{
    QJsonParseError err{};
    const auto doc = QJsonDocument::fromJson(QByteArray::fromStdString(json), &err);
    if (err.error != QJsonParseError::NoError)
        fail(file, QStringLiteral("metadata is not valid JSON: %1 at offset %2").arg(err.errorString()).arg(err.offset));
    if (!doc.isObject())
        fail(file, QStringLiteral("metadata is JSON but not an object"));
    const auto o = doc.object();
    info.epochsDone = integer(file, o, "epochs_done", {}, 0, 0, kMaxEpochsDone, true);
    // A run stopped mid-epoch records its batches after the last complete epoch; absent in older files.
    info.partialBatches = integer(file, o, "partial_batches", {}, 0, 0, kMaxPartialBatches);

    info.config = readConfig(file, o, info.config);
    info.history = readHistory(file, o);
    info.mnistTrainChecksum = text(file, o, "mnist_train_md5");
    info.mnistTestChecksum = text(file, o, "mnist_test_md5");
    info.dataset = readDataset(file, o, info.config.classes);
    info.dataset.trainChecksum = info.mnistTrainChecksum;
    info.created = text(file, o, "created");
    info.appVersion = text(file, o, "app_version");
}

const Value &required(const QString &file, const Value &dict, const char *key, VT type)
{
    const Value *v = dict.find(key);
    if (!v)
        fail(file, QStringLiteral("the entry '%1' is missing").arg(QLatin1String(key)));
    if (v->type != type) {
        Value want;
        want.type = type;
        fail(file, QStringLiteral("the entry '%1' is a %2, expected a %3").arg(QLatin1String(key), QLatin1String(v->typeName()), QLatin1String(want.typeName())));
    }
    return *v;
}

OptimizerMoments readMoments(const torchfile::Archive &a, const Value &entry, const QString &qname,
                             const std::vector<std::int64_t> &shape)
{
    const QString &file = a.name;
    if (entry.type != VT::Dict)
        fail(file, QStringLiteral("optimizer state of '%1' is not a dictionary").arg(qname));
    OptimizerMoments m;
    const Value *step = entry.find("step");
    if (!step || step->type != VT::Int || step->integer < 0 || step->integer > kMaxAdamStep)
        fail(file, QStringLiteral("optimizer step of '%1' is not a count of at most %2").arg(qname).arg(kMaxAdamStep));
    m.step = step->integer;
    if (const Value *buffer = entry.find("momentum_buffer")) {
        m.momentum = checkedTensor(a, buffer, QStringLiteral("optimizer momentum_buffer of '%1'").arg(qname), shape);
        return m;
    }
    const Value *avg = entry.find("exp_avg");
    const Value *avgSq = entry.find("exp_avg_sq");
    if (!avg || !avgSq)
        fail(file, QStringLiteral("optimizer state of '%1' lacks exp_avg and exp_avg_sq (Adam) or momentum_buffer (SGD)").arg(qname));
    m.expAvg = checkedTensor(a, avg, QStringLiteral("optimizer exp_avg of '%1'").arg(qname), shape);
    const QString sqField = QStringLiteral("optimizer exp_avg_sq of '%1'").arg(qname);
    m.expAvgSq = checkedTensor(a, avgSq, sqField, shape);
    for (std::size_t i = 0; i < m.expAvgSq.values.size(); ++i)
        if (m.expAvgSq.values[i] < 0)
            fail(file, QStringLiteral("%1 holds a negative second moment (element %2)").arg(sqField).arg(i));
    return m;
}

// A PyTorch state_dict: bare (torch.save(model.state_dict())), or wrapped as the tutorials do.
CheckpointContents interpretStateDict(const torchfile::Archive &a, const Network &network)
{
    const QString &file = a.name;
    const Value &root = *a.root;
    const Value *dict = &root;
    QString where = QStringLiteral("the state_dict");
    for (const char *key : {"state_dict", "model_state_dict"}) {
        if (const Value *inner = root.find(key); inner && inner->type == VT::Dict) {
            dict = inner;
            where = QStringLiteral("'%1'").arg(QLatin1String(key));
            break;
        }
    }
    bool anyTensor = false;
    for (const auto &e : dict->entries)
        anyTensor = anyTensor || e.second->type == VT::Tensor;
    if (!anyTensor)
        fail(file, QStringLiteral("not a DigitLab checkpoint nor a PyTorch state_dict of the seed model"), Kind::Foreign);
    CheckpointContents out;
    out.weights = checkedWeights(a, *dict, where, network);
    out.info.formatVersion = 0;
    out.info.architecture = QLatin1String(network.isTutorial() ? checkpoint::kSeedArchitecture : checkpoint::kNetworkArchitecture);
    out.info.config.network = network.text();
    return out;
}

// Adam's moments per parameter ("optimizer_state"): shapes of the seed model, no negative second
// moment, no unknown parameter.
std::vector<std::pair<std::string, OptimizerMoments>> readOptimizerState(const torchfile::Archive &a, const Value &opt,
                                                                         const std::vector<TensorSpec> &specs)
{
    const QString &file = a.name;
    if (opt.type != VT::Dict)
        fail(file, QStringLiteral("the entry 'optimizer_state' is a %1, expected a dictionary").arg(QLatin1String(opt.typeName())));
    std::vector<std::pair<std::string, OptimizerMoments>> out;
    std::set<std::string> known;
    for (const auto &spec : specs) {
        if (spec.buffer)
            continue; // buffers are not trained
        known.insert(spec.key);
        const Value *entry = opt.find(spec.key);
        if (!entry)
            continue; // a parameter that never took a step has no state, as in PyTorch
        out.emplace_back(spec.key, readMoments(a, *entry, QString::fromStdString(spec.key), spec.shape));
    }
    for (const auto &[key, value] : opt.entries)
        if (key->type != VT::String || !known.count(key->text))
            fail(file, QStringLiteral("optimizer state for an unknown parameter"), Kind::WrongArchitecture);
    return out;
}

CheckpointContents interpret(const torchfile::Archive &a, const Network *given)
{
    const QString &file = a.name;
    const Value &root = *a.root;
    if (root.type != VT::Dict)
        fail(file, QStringLiteral("not a DigitLab checkpoint: holds a %1, expected a dictionary").arg(QLatin1String(root.typeName())), Kind::Foreign);
    CheckpointContents out;

    const Value *format = root.find("format");
    if (!format)
        return interpretStateDict(a, given ? *given : tutorialNetwork());
    if (format->type != VT::String || format->text != checkpoint::kFormatTag)
        fail(file, QStringLiteral("not a DigitLab checkpoint (unknown format tag)"), Kind::Foreign);
    const auto version = required(file, root, "format_version", VT::Int).integer;
    if (version < 1 || version > checkpoint::kFormatVersion)
        fail(file, QStringLiteral("format version %1; this DigitLab reads versions 1 to %2").arg(version).arg(checkpoint::kFormatVersion),
             Kind::NewerFormat);
    const auto &arch = required(file, root, "architecture", VT::String).text;
    // Version 1 holds the tutorial's network ("seed"); version 2 names its network in "network",
    // read by the same parser and limits as a user's text.
    const char *expected = version == 1 ? checkpoint::kSeedArchitecture : checkpoint::kNetworkArchitecture;
    if (arch != expected)
        fail(file, QStringLiteral("architecture '%1', expected '%2'").arg(printable(arch), QLatin1String(expected)),
             Kind::WrongArchitecture);
    Network network = tutorialNetwork();
    if (version >= 2) {
        const auto &text = required(file, root, "network", VT::String).text;
        if (text.size() > std::size_t(kMaxNetworkText))
            fail(file, QStringLiteral("the network's text is %1 bytes; at most %2").arg(text.size()).arg(kMaxNetworkText));
        try {
            network = Network::parse(QString::fromStdString(text));
        } catch (const NetworkError &e) {
            fail(file, QStringLiteral("the network in the file does not parse: %1").arg(e.message()), Kind::WrongArchitecture);
        }
    }
    const auto specs = specsOf(file, network);
    readMetadata(file, required(file, root, "metadata", VT::String).text, out.info);
    out.info.formatVersion = int(version);
    out.info.architecture = QLatin1String(expected);
    if (!out.info.config.network.isEmpty() && out.info.config.network != network.text())
        fail(file, QStringLiteral("metadata field 'config.network' differs from the entry 'network'"));
    out.info.config.network = network.text();
    out.weights = checkedWeights(a, required(file, root, "model_state_dict", VT::Dict), QStringLiteral("model_state_dict"), network);

    if (const Value *opt = root.find("optimizer_state"))
        out.optimizer = readOptimizerState(a, *opt, specs);
    return out;
}

} // namespace

CheckpointContents interpretArchive(const torchfile::Archive &archive, const Network *network) { return interpret(archive, network); }

const std::vector<std::pair<std::string, std::vector<std::int64_t>>> &seedParameterShapes()
{
    // The seed tutorial's Net; a core test checks this table against the LibTorch model.
    static const std::vector<std::pair<std::string, std::vector<std::int64_t>>> shapes{
        {"conv1.weight", {10, 1, 5, 5}}, {"conv1.bias", {10}}, {"conv2.weight", {20, 10, 5, 5}}, {"conv2.bias", {20}},
        {"fc1.weight", {50, 320}},       {"fc1.bias", {50}},   {"fc2.weight", {10, 50}},         {"fc2.bias", {10}},
    };
    return shapes;
}

CheckpointContents parseCheckpointBytes(std::vector<unsigned char> bytes, const QString &name, const torchfile::Limits &limits,
                                        const Network *network)
{
    try {
        const auto archive = torchfile::parse(std::move(bytes), name, limits);
        return interpret(*archive, network);
    } catch (const std::bad_alloc &) {
        fail(name, QStringLiteral("out of memory while reading"));
    }
}

CheckpointContents readCheckpointFile(const QString &path, const Network *network)
{
    try {
        const auto archive = torchfile::open(path);
        return interpret(*archive, network); // the file's bytes are freed on return: peak ~2x the file
    } catch (const std::bad_alloc &) {
        fail(path, QStringLiteral("out of memory while reading"));
    }
}

} // namespace core
