// The seed model, its evaluation, and the checkpoint format (docs/checkpoint-format.md).
#include "model_p.h"
#include "checkpointreader.h"
#include "error.h"
#include "mnist.h"

#include <QFile>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QSaveFile>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace core::detail {

namespace F = torch::nn::functional;

SeedNetImpl::SeedNetImpl()
{
    // Registration order = state_dict order of the PyTorch seed: conv1, conv2, fc1, fc2.
    conv1 = register_module("conv1", torch::nn::Conv2d(torch::nn::Conv2dOptions(1, 10, 5)));
    conv2 = register_module("conv2", torch::nn::Conv2d(torch::nn::Conv2dOptions(10, 20, 5)));
    conv2_drop = register_module("conv2_drop", torch::nn::Dropout2d(torch::nn::Dropout2dOptions(0.5)));
    fc1 = register_module("fc1", torch::nn::Linear(320, 50));
    fc2 = register_module("fc2", torch::nn::Linear(50, 10));
}

torch::Tensor SeedNetImpl::forward(torch::Tensor x)
{
    x = torch::relu(F::max_pool2d(conv1->forward(x), F::MaxPool2dFuncOptions(2)));
    x = torch::relu(F::max_pool2d(conv2_drop->forward(conv2->forward(x)), F::MaxPool2dFuncOptions(2)));
    x = x.view({-1, 320});
    x = torch::relu(fc1->forward(x));
    x = F::dropout(x, F::DropoutFuncOptions().p(0.5).training(is_training()));
    return fc2->forward(x);
}

QString torchMessage(const std::exception &e)
{
    // c10::Error::what() carries a multi-line backtrace; what_without_backtrace() is the message.
    if (auto *c10e = dynamic_cast<const c10::Error *>(&e))
        return QString::fromStdString(c10e->what_without_backtrace()).section(QLatin1Char('\n'), 0, 0);
    return QString::fromUtf8(e.what()).section(QLatin1Char('\n'), 0, 0);
}

namespace {

using Kind = CheckpointError::Kind;

QJsonObject infoToJson(const CheckpointInfo &info)
{
    QJsonArray history;
    for (const auto &e : info.history)
        history.append(e.toJson());
    return QJsonObject{
        {QStringLiteral("epochs_done"), info.epochsDone},
        {QStringLiteral("partial_batches"), info.partialBatches}, // a stopped epoch's batches (issue 9)
        {QStringLiteral("config"), info.config.toJson()},
        {QStringLiteral("history"), history},
        {QStringLiteral("mnist_train_md5"), info.mnistTrainChecksum},
        {QStringLiteral("mnist_test_md5"), info.mnistTestChecksum},
        {QStringLiteral("created"), info.created},
        {QStringLiteral("app_version"), info.appVersion},
    };
}

/// A validated torch-free tensor as a LibTorch float32 tensor of the same shape (owning its data).
torch::Tensor toTorch(const TensorData &t)
{
    return torch::from_blob(const_cast<float *>(t.values.data()), t.shape, torch::kFloat32).clone();
}

/// The strict reader's result as LibTorch tensors; everything was checked before this point.
CheckpointData toCheckpointData(CheckpointContents contents)
{
    CheckpointData data;
    data.info = std::move(contents.info);
    for (auto &[name, tensor] : contents.weights) {
        data.weights[name] = toTorch(tensor);
        tensor.values = {}; // keep the peak near one copy of the weights
    }
    for (auto &[name, m] : contents.optimizer) {
        AdamMoments am;
        am.step = m.step;
        am.expAvg = toTorch(m.expAvg);
        am.expAvgSq = toTorch(m.expAvgSq);
        data.optimizer[name] = std::move(am);
    }
    return data;
}

} // namespace

// LibTorch's unpickler is never used to read: it is not hardened for untrusted input (it crashed
// on crafted files). checkpointreader.cpp reads and validates; this only converts.
CheckpointData parseCheckpoint(const std::vector<char> &bytes, const QString &file)
{
    return toCheckpointData(parseCheckpointBytes(std::vector<unsigned char>(bytes.begin(), bytes.end()), file));
}

CheckpointData readCheckpoint(const QString &path)
{
    return toCheckpointData(readCheckpointFile(path));
}

std::vector<char> serializeCheckpoint(SeedNet &net, torch::optim::Adam *optimizer, const CheckpointInfo &info)
{
    c10::Dict<std::string, torch::Tensor> weights;
    for (const auto &p : net->named_parameters())
        weights.insert(p.key(), p.value().detach().clone());

    c10::impl::GenericDict optState(c10::StringType::get(), c10::AnyType::get());
    if (optimizer) {
        auto &states = optimizer->state();
        for (const auto &p : net->named_parameters()) {
            auto it = states.find(c10::guts::to_string(p.value().unsafeGetTensorImpl()));
            if (it == states.end())
                continue;
            auto &s = static_cast<torch::optim::AdamParamState &>(*it->second);
            c10::impl::GenericDict one(c10::StringType::get(), c10::AnyType::get());
            one.insert("step", s.step());
            one.insert("exp_avg", s.exp_avg().clone());
            one.insert("exp_avg_sq", s.exp_avg_sq().clone());
            optState.insert(p.key(), one);
        }
    }

    c10::impl::GenericDict root(c10::StringType::get(), c10::AnyType::get());
    root.insert("format", std::string(kFormatTag));
    root.insert("format_version", int64_t(kFormatVersion));
    root.insert("architecture", std::string(kSeedArchitecture));
    root.insert("metadata", QJsonDocument(infoToJson(info)).toJson(QJsonDocument::Compact).toStdString());
    root.insert("model_state_dict", weights);
    root.insert("optimizer_state", optState);
    return torch::pickle_save(root);
}

void writeFileAtomically(const QString &path, const std::vector<char> &bytes)
{
    const QByteArray native = QFile::encodeName(path);
    struct stat st {};
    // QSaveFile renames over whatever is there: a device node, FIFO or folder would be replaced
    // by a regular file (as root, /dev/full was). Only a regular file or nothing is replaced.
    if (::stat(native.constData(), &st) == 0 && !S_ISREG(st.st_mode))
        throw CheckpointError(Kind::WriteFailed, path,
                              S_ISDIR(st.st_mode) ? QStringLiteral("is a folder; choose a file name")
                                                  : QStringLiteral("is not a regular file (a device, FIFO or socket); refusing to replace it"));
    QSaveFile f(path);
    if (!f.open(QIODevice::WriteOnly))
        throw CheckpointError(Kind::WriteFailed, path, QStringLiteral("cannot open for writing: %1").arg(f.errorString()));
    // Written and synced through the descriptor: errno then says why (Qt's buffered write
    // reported a full disk as "Unknown error"), and the data are on disk before the rename.
    const int fd = f.handle();
    const auto systemError = [&](const QString &what) {
        const int e = errno;
        f.cancelWriting();
        throw CheckpointError(Kind::WriteFailed, path, QStringLiteral("%1: %2").arg(what, QString::fromLocal8Bit(std::strerror(e))));
    };
    for (std::size_t done = 0; done < bytes.size();) {
        const ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            if (n == 0)
                errno = ENOSPC;
            systemError(QStringLiteral("cannot write"));
        }
        done += std::size_t(n);
    }
    if (::fsync(fd) != 0)
        systemError(QStringLiteral("cannot flush to disk"));
    if (!f.commit())
        throw CheckpointError(Kind::WriteFailed, path, QStringLiteral("cannot finish writing: %1").arg(f.errorString()));
    // The rename is durable only once the folder's entry is on disk too.
    const QByteArray dir = QFile::encodeName(QFileInfo(path).absolutePath());
    const int dfd = ::open(dir.constData(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd >= 0) {
        ::fsync(dfd);
        ::close(dfd);
    }
}

void assignWeights(SeedNet &net, const std::map<std::string, torch::Tensor> &weights)
{
    torch::NoGradGuard noGrad;
    for (auto &p : net->named_parameters())
        p.value().copy_(weights.at(p.key()));
}

SeedNet cloneNet(SeedNet &net)
{
    SeedNet copy;
    std::map<std::string, torch::Tensor> weights;
    for (const auto &p : net->named_parameters())
        weights[p.key()] = p.value().detach();
    assignWeights(copy, weights);
    copy->eval();
    return copy;
}

torch::Tensor imagesTensor(const MnistSet &set, int first, int n)
{
    const auto bytes = torch::from_blob(const_cast<std::uint8_t *>(set.image(first)),
                                        {n, 1, set.rows, set.cols}, torch::kUInt8);
    return bytes.to(torch::kFloat32).div_(255.0f); // ToTensor(): pixel/255, no mean/std normalisation
}

torch::Tensor labelsTensor(const MnistSet &set)
{
    return torch::from_blob(const_cast<std::uint8_t *>(set.labels.data()), {set.count}, torch::kUInt8)
        .to(torch::kInt64);
}

EvalResult evaluateNet(SeedNet &net, const MnistSet &set, int batchSize)
{
    c10::InferenceMode inference;
    EvalResult r;
    const auto labels = labelsTensor(set);
    double lossSum = 0;
    batchSize = std::max(1, batchSize);
    for (int first = 0; first < set.count; first += batchSize) {
        const int n = std::min(batchSize, set.count - first);
        const auto out = net->forward(imagesTensor(set, first, n));
        const auto y = labels.slice(0, first, first + n);
        lossSum += F::cross_entropy(out, y, F::CrossEntropyFuncOptions().reduction(torch::kSum)).item<double>();
        const auto pred = out.argmax(1).contiguous();
        const auto *p = pred.data_ptr<int64_t>();
        const auto *t = y.data_ptr<int64_t>();
        for (int i = 0; i < n; ++i) {
            r.confusion[t[i]][p[i]]++;
            r.correct += (t[i] == p[i]);
        }
    }
    r.total = set.count;
    r.loss = set.count ? lossSum / set.count : 0;
    return r;
}

} // namespace core::detail
