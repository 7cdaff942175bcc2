// The seed model, its evaluation, and the checkpoint format (docs/checkpoint-format.md).
#include "model_p.h"
#include "checkpointreader.h"
#include "error.h"
#include "mnist.h"
#include "metrics.h"
#include "torchstate.h"

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
#include <ATen/CPUGeneratorImpl.h>
#include <ATen/Parallel.h>
#include <torch/autograd.h>
#include <algorithm>
#include <cmath>
#include <set>
#include <thread>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace core::detail {

namespace F = torch::nn::functional;

namespace {

/// Is layer i a plain 2x2 max pool (stride 2, no padding) on a map of even sides, so that the
/// fused SSE2 pool+ReLU node computes exactly what F::max_pool2d + relu would?
bool plainPool2(const NetworkReport &r, std::size_t i)
{
    if (i >= r.layers.size())
        return false;
    const auto &l = r.layers[i].layer;
    const auto &in = r.layers[i].in;
    return l.kind == LayerKind::MaxPool2d && l.kernel == 2 && l.effectiveStride() == 2 && l.padding == 0 && !in.flat &&
           in.height % 2 == 0 && in.width % 2 == 0;
}

bool isKind(const NetworkReport &r, std::size_t i, LayerKind kind) { return i < r.layers.size() && r.layers[i].layer.kind == kind; }

} // namespace

NetImpl::NetImpl(const Network &net) : network(net), report(net.analyze(0)) // any class count: TrainConfig::validate() checks it against the dataset
{
    // Modules in layer order: LibTorch's default initialisation draws from the global generator
    // in this order, as PyTorch's nn.Sequential (and the tutorial's Net) would.
    const std::size_t n = report.layers.size();
    convs.resize(n, nullptr);
    linears.resize(n, nullptr);
    norms2d.resize(n, nullptr);
    norms1d.resize(n, nullptr);
    for (std::size_t i = 0; i < n; ++i) {
        const auto &r = report.layers[i];
        const auto &l = r.layer;
        const std::string name = r.module.toStdString();
        switch (l.kind) {
        case LayerKind::Conv2d:
            convs[i] = register_module(name, torch::nn::Conv2d(torch::nn::Conv2dOptions(r.in.channels, l.out, l.kernel)
                                                                   .stride(l.effectiveStride()).padding(l.padding)));
            break;
        case LayerKind::Linear:
            linears[i] = register_module(name, torch::nn::Linear(r.in.channels, l.out));
            break;
        case LayerKind::BatchNorm2d:
            norms2d[i] = register_module(name, torch::nn::BatchNorm2d(r.in.channels));
            batchNormLayers.push_back(int(i));
            break;
        case LayerKind::BatchNorm1d:
            norms1d[i] = register_module(name, torch::nn::BatchNorm1d(r.in.channels));
            batchNormLayers.push_back(int(i));
            break;
        case LayerKind::Dropout2d:
            dropoutUnits.emplace_back(r.in.channels, l.p);
            break;
        case LayerKind::Dropout:
            dropoutUnits.emplace_back(r.in.numel(), l.p);
            break;
        default:
            break;
        }
    }
}

torch::Tensor NetImpl::forward(torch::Tensor x) { return run(std::move(x), false, nullptr, nullptr, nullptr, true); }

torch::Tensor NetImpl::forwardUnfused(torch::Tensor x, const std::vector<torch::Tensor> &masks)
{
    return run(std::move(x), true, &masks, nullptr, nullptr, false);
}

torch::Tensor NetImpl::forward(torch::Tensor x, const std::vector<torch::Tensor> &masks, std::vector<BatchNormStats> *bnStats)
{
    return run(std::move(x), true, &masks, bnStats, nullptr, true);
}

std::vector<torch::Tensor> NetImpl::layerOutputs(torch::Tensor x)
{
    std::vector<torch::Tensor> outputs;
    run(std::move(x), false, nullptr, nullptr, &outputs, false);
    return outputs;
}

torch::Tensor NetImpl::run(torch::Tensor x, bool training, const std::vector<torch::Tensor> *masks,
                           std::vector<BatchNormStats> *bnStats, std::vector<torch::Tensor> *outputs, bool fuse)
{
    const auto &layers = report.layers;
    std::size_t mask = 0;
    const auto nextMask = [&]() -> torch::Tensor {
        TORCH_CHECK(masks && mask < masks->size(), "NetImpl: one mask per dropout layer");
        return (*masks)[mask++];
    };
    for (std::size_t i = 0; i < layers.size(); ++i) {
        const auto &r = layers[i];
        const auto &l = r.layer;
        const auto n = x.size(0);
        switch (l.kind) {
        case LayerKind::Conv2d:
            // Channels-last input for training: oneDNN's backward kernels are ~2.5x faster on it
            // (measured on the tutorial's conv2); a 1-channel image gains nothing.
            x = convs[i]->forward(training && r.in.channels > 1 ? x.contiguous(at::MemoryFormat::ChannelsLast) : x);
            break;
        case LayerKind::MaxPool2d:
            if (fuse && plainPool2(report, i) && isKind(report, i + 1, LayerKind::ReLU)) {
                x = poolRelu(x); // relu(max_pool2d(x, 2)) in one node
                ++i;
            } else {
                x = F::max_pool2d(x, F::MaxPool2dFuncOptions(l.kernel).stride(l.effectiveStride()).padding(l.padding));
            }
            break;
        case LayerKind::AvgPool2d:
            x = F::avg_pool2d(x, F::AvgPool2dFuncOptions(l.kernel).stride(l.effectiveStride()).padding(l.padding));
            break;
        case LayerKind::ReLU:
            // ReLU then a 2x2 max pool is the same function as pool then ReLU (both monotone):
            // one fused node either way.
            if (fuse && plainPool2(report, i + 1)) {
                x = poolRelu(x);
                ++i;
            } else {
                x = torch::relu(x);
            }
            break;
        case LayerKind::LeakyReLU:
            x = F::leaky_relu(x, F::LeakyReLUFuncOptions().negative_slope(l.slope));
            break;
        case LayerKind::Tanh:
            x = torch::tanh(x);
            break;
        case LayerKind::Dropout2d: {
            if (!training)
                break;
            const auto m = nextMask();
            // relu(max_pool2d(x * m)) == relu(max_pool2d(x)) * m for a mask m >= 0: fused.
            if (fuse && plainPool2(report, i + 1) && isKind(report, i + 2, LayerKind::ReLU)) {
                x = poolRelu(x, m);
                i += 2;
            } else {
                x = x * m.view({n, -1, 1, 1});
            }
            break;
        }
        case LayerKind::Dropout:
            if (training)
                x = x * nextMask().view(x.sizes());
            break;
        case LayerKind::Flatten:
            if (fuse && isKind(report, i + 1, LayerKind::Linear) && x.dim() == 4) {
                // Linear on the map as a convolution with the same weights viewed [out,C,H,W]:
                // the same products and sums as flatten + linear, run by oneDNN's kernels
                // instead of Debian's reference BLAS (docs/benchmarks.md).
                const auto &fc = linears[i + 1];
                const auto w = fc->weight.view({fc->weight.size(0), x.size(1), x.size(2), x.size(3)});
                x = F::conv2d(x, w, F::Conv2dFuncOptions().bias(fc->bias)).view({n, -1});
                ++i;
            } else {
                x = x.reshape({n, -1});
            }
            break;
        case LayerKind::Linear:
            x = linears[i]->forward(x);
            break;
        case LayerKind::BatchNorm2d:
        case LayerKind::BatchNorm1d: {
            const auto &weight = l.kind == LayerKind::BatchNorm2d ? norms2d[i]->weight : norms1d[i]->weight;
            const auto &bias = l.kind == LayerKind::BatchNorm2d ? norms2d[i]->bias : norms1d[i]->bias;
            const auto &runningMean = l.kind == LayerKind::BatchNorm2d ? norms2d[i]->running_mean : norms1d[i]->running_mean;
            const auto &runningVar = l.kind == LayerKind::BatchNorm2d ? norms2d[i]->running_var : norms1d[i]->running_var;
            constexpr double kEps = 1e-5; // PyTorch's default
            if (training) {
                // Ghost batch norm: this chunk's own statistics (docs/architecture.md). The
                // running statistics are not touched here (chunks run in parallel): the chunk's
                // mean and variance go back to the trainer, which folds them in chunk order.
                if (bnStats) {
                    torch::NoGradGuard noGrad;
                    const std::vector<std::int64_t> dims = x.dim() == 4 ? std::vector<std::int64_t>{0, 2, 3} : std::vector<std::int64_t>{0};
                    const auto d = x.detach();
                    bnStats->push_back({d.mean(dims), d.var(dims, /*unbiased=*/true)});
                }
                x = torch::batch_norm(x, weight, bias, {}, {}, true, 0.0, kEps, false);
            } else {
                x = torch::batch_norm(x, weight, bias, runningMean, runningVar, false, 0.0, kEps, false);
            }
            break;
        }
        }
        if (outputs)
            outputs->push_back(x);
    }
    return x;
}

namespace {

/// Marks an output whose gradient is zero (ReLU cut it off, or its channel was dropped).
constexpr std::uint8_t kNoGradient = 4;

/// One window of the pool, scalar. ATen's comparison: a later value wins if greater or NaN, so
/// ties go to the first in row-major order. Returns the output; *at = winner or kNoGradient.
inline float poolWindow(float a, float b, float c, float d, float f, std::uint8_t *at)
{
    float m = a;
    std::uint8_t k = 0;
    if (b > m || std::isnan(b)) { m = b; k = 1; }
    if (c > m || std::isnan(c)) { m = c; k = 2; }
    if (d > m || std::isnan(d)) { m = d; k = 3; }
    const bool live = (m > 0.0f || std::isnan(m)) && f != 0.0f;
    *at = live ? k : kNoGradient;
    return live ? m * f : 0.0f;
}

#if defined(__SSE2__)
/// Lanes of t from x, the others from y (SSE2 has no blend).
inline __m128 pick(__m128 t, __m128 x, __m128 y) { return _mm_or_ps(_mm_and_ps(t, x), _mm_andnot_ps(t, y)); }
inline __m128 winsOver(__m128 v, __m128 m) { return _mm_or_ps(_mm_cmpgt_ps(v, m), _mm_cmpunord_ps(v, v)); }
#endif

/// One plane of the pool, four windows at a time with SSE2 (part of every x86-64 CPU): the
/// scalar loop costs more than the convolutions around it.
void poolPlane(const float *in, float *out, std::uint8_t *which, std::int64_t oh, std::int64_t ow, std::int64_t w, float f)
{
    for (std::int64_t i = 0; i < oh; ++i) {
        const float *r0 = in + 2 * i * w, *r1 = r0 + w;
        float *o = out + i * ow;
        std::uint8_t *k = which + i * ow;
        std::int64_t j = 0;
#if defined(__SSE2__)
        const __m128 scale = _mm_set1_ps(f), zero = _mm_setzero_ps();
        const __m128 scaleLive = f != 0.0f ? _mm_castsi128_ps(_mm_set1_epi32(-1)) : zero;
        for (; j + 4 <= ow; j += 4) {
            const __m128 x0 = _mm_loadu_ps(r0 + 2 * j), x1 = _mm_loadu_ps(r0 + 2 * j + 4);
            const __m128 y0 = _mm_loadu_ps(r1 + 2 * j), y1 = _mm_loadu_ps(r1 + 2 * j + 4);
            const __m128 a = _mm_shuffle_ps(x0, x1, _MM_SHUFFLE(2, 0, 2, 0));
            const __m128 b = _mm_shuffle_ps(x0, x1, _MM_SHUFFLE(3, 1, 3, 1));
            const __m128 c = _mm_shuffle_ps(y0, y1, _MM_SHUFFLE(2, 0, 2, 0));
            const __m128 d = _mm_shuffle_ps(y0, y1, _MM_SHUFFLE(3, 1, 3, 1));
            __m128 m = a, at = zero;
            __m128 t = winsOver(b, m);
            m = pick(t, b, m);
            at = pick(t, _mm_castsi128_ps(_mm_set1_epi32(1)), at);
            t = winsOver(c, m);
            m = pick(t, c, m);
            at = pick(t, _mm_castsi128_ps(_mm_set1_epi32(2)), at);
            t = winsOver(d, m);
            m = pick(t, d, m);
            at = pick(t, _mm_castsi128_ps(_mm_set1_epi32(3)), at);
            const __m128 live = _mm_and_ps(winsOver(m, zero), scaleLive);
            _mm_storeu_ps(o + j, _mm_and_ps(live, _mm_mul_ps(m, scale)));
            const __m128i code = _mm_castps_si128(pick(live, at, _mm_castsi128_ps(_mm_set1_epi32(kNoGradient))));
            const __m128i bytes = _mm_packus_epi16(_mm_packs_epi32(code, code), _mm_setzero_si128());
            const int packed = _mm_cvtsi128_si32(bytes);
            std::memcpy(k + j, &packed, 4);
        }
#endif
        for (; j < ow; ++j)
            o[j] = poolWindow(r0[2 * j], r0[2 * j + 1], r1[2 * j], r1[2 * j + 1], f, k + j);
    }
}

/// The pool's backward for one plane: each window gets its output's gradient (times the scale)
/// at the winning position and zeros elsewhere; every input element is written once.
void unpoolPlane(const float *grad, const std::uint8_t *which, float *gin, std::int64_t oh, std::int64_t ow, std::int64_t w, float f)
{
    for (std::int64_t i = 0; i < oh; ++i) {
        float *r0 = gin + 2 * i * w, *r1 = r0 + w;
        const float *g = grad + i * ow;
        const std::uint8_t *k = which + i * ow;
        std::int64_t j = 0;
#if defined(__SSE2__)
        const __m128 scale = _mm_set1_ps(f);
        for (; j + 4 <= ow; j += 4) {
            const __m128 v = _mm_mul_ps(_mm_loadu_ps(g + j), scale);
            int packed;
            std::memcpy(&packed, k + j, 4);
            const __m128i z = _mm_setzero_si128();
            const __m128i code = _mm_unpacklo_epi16(_mm_unpacklo_epi8(_mm_cvtsi32_si128(packed), z), z);
            const __m128 e0 = _mm_and_ps(_mm_castsi128_ps(_mm_cmpeq_epi32(code, _mm_set1_epi32(0))), v);
            const __m128 e1 = _mm_and_ps(_mm_castsi128_ps(_mm_cmpeq_epi32(code, _mm_set1_epi32(1))), v);
            const __m128 e2 = _mm_and_ps(_mm_castsi128_ps(_mm_cmpeq_epi32(code, _mm_set1_epi32(2))), v);
            const __m128 e3 = _mm_and_ps(_mm_castsi128_ps(_mm_cmpeq_epi32(code, _mm_set1_epi32(3))), v);
            _mm_storeu_ps(r0 + 2 * j, _mm_unpacklo_ps(e0, e1));
            _mm_storeu_ps(r0 + 2 * j + 4, _mm_unpackhi_ps(e0, e1));
            _mm_storeu_ps(r1 + 2 * j, _mm_unpacklo_ps(e2, e3));
            _mm_storeu_ps(r1 + 2 * j + 4, _mm_unpackhi_ps(e2, e3));
        }
#endif
        for (; j < ow; ++j) {
            const float v = k[j] == kNoGradient ? 0.0f : g[j] * f;
            r0[2 * j] = k[j] == 0 ? v : 0.0f;
            r0[2 * j + 1] = k[j] == 1 ? v : 0.0f;
            r1[2 * j] = k[j] == 2 ? v : 0.0f;
            r1[2 * j + 1] = k[j] == 3 ? v : 0.0f;
        }
    }
}

/// relu(max_pool2d(x, 2)) [* scale per (n, c)] as one autograd node. LibTorch 1.13's CPU
/// max_pool2d_with_indices costs ~3x a whole convolution on these shapes (docs/benchmarks.md);
/// this is a plain loop with the same results: the first maximum of each window in row-major
/// order wins (NaN wins, as in ATen), ReLU keeps NaN, and the gradient goes to that one input.
struct PoolReluFunction : torch::autograd::Function<PoolReluFunction> {
    static torch::Tensor forward(torch::autograd::AutogradContext *ctx, const torch::Tensor &input, const torch::Tensor &scale)
    {
        TORCH_CHECK(input.dim() == 4 && input.scalar_type() == torch::kFloat32 && input.size(2) % 2 == 0 && input.size(3) % 2 == 0,
                    "poolRelu expects float [N,C,H,W] with even H and W");
        const auto x = input.contiguous();
        const std::int64_t planes = x.size(0) * x.size(1), h = x.size(2), w = x.size(3), oh = h / 2, ow = w / 2;
        const bool scaled = scale.numel() > 0;
        TORCH_CHECK(!scaled || scale.numel() == planes, "poolRelu: one scale per (sample, channel)");
        const auto s = scaled ? scale.contiguous() : scale;
        auto out = torch::empty({x.size(0), x.size(1), oh, ow}, x.options());
        auto which = torch::empty({x.size(0), x.size(1), oh, ow}, x.options().dtype(torch::kUInt8));
        const float *in = x.data_ptr<float>();
        const float *sp = scaled ? s.data_ptr<float>() : nullptr;
        float *o = out.data_ptr<float>();
        std::uint8_t *k = which.data_ptr<std::uint8_t>();
        for (std::int64_t p = 0; p < planes; ++p)
            poolPlane(in + p * h * w, o + p * oh * ow, k + p * oh * ow, oh, ow, w, scaled ? sp[p] : 1.0f);
        ctx->save_for_backward({which, s});
        ctx->saved_data["h"] = h;
        ctx->saved_data["w"] = w;
        return out;
    }

    static torch::autograd::variable_list backward(torch::autograd::AutogradContext *ctx, torch::autograd::variable_list grads)
    {
        const auto saved = ctx->get_saved_variables();
        const auto &which = saved[0];
        const auto &s = saved[1];
        const std::int64_t h = ctx->saved_data["h"].toInt(), w = ctx->saved_data["w"].toInt(), oh = h / 2, ow = w / 2;
        const auto g = grads[0].contiguous();
        auto gin = torch::empty({which.size(0), which.size(1), h, w}, g.options());
        const std::int64_t planes = which.size(0) * which.size(1);
        const bool scaled = s.numel() > 0;
        const float *gp = g.data_ptr<float>();
        const float *sp = scaled ? s.data_ptr<float>() : nullptr;
        const std::uint8_t *k = which.data_ptr<std::uint8_t>();
        float *gi = gin.data_ptr<float>();
        for (std::int64_t p = 0; p < planes; ++p)
            unpoolPlane(gp + p * oh * ow, k + p * oh * ow, gi + p * h * w, oh, ow, w, scaled ? sp[p] : 1.0f);
        return {gin, torch::Tensor()};
    }
};

} // namespace

torch::Tensor poolRelu(const torch::Tensor &x, const torch::Tensor &scale)
{
    return PoolReluFunction::apply(x, scale.defined() ? scale : torch::Tensor(torch::empty({0}, x.options())));
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
        {QStringLiteral("dataset"), QJsonObject{{QStringLiteral("id"), info.dataset.id},
                                                {QStringLiteral("name"), info.dataset.name},
                                                {QStringLiteral("class_names"), QJsonArray::fromStringList(info.dataset.classNames)}}},
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
        OptimizerSlot slot;
        slot.step = m.step;
        if (!m.expAvg.shape.empty() || !m.expAvg.values.empty()) {
            slot.expAvg = toTorch(m.expAvg);
            slot.expAvgSq = toTorch(m.expAvgSq);
        }
        if (!m.momentum.values.empty())
            slot.momentum = toTorch(m.momentum);
        data.optimizer[name] = std::move(slot);
    }
    // The reader checked the network; parse() of its canonical text cannot fail.
    data.network = Network::parse(data.info.config.networkText());
    return data;
}

} // namespace

// LibTorch's unpickler is never used to read: it is not hardened for untrusted input (it crashed
// on crafted files). checkpointreader.cpp reads and validates; this only converts.
CheckpointData parseCheckpoint(const std::vector<char> &bytes, const QString &file, const Network *network)
{
    return toCheckpointData(parseCheckpointBytes(std::vector<unsigned char>(bytes.begin(), bytes.end()), file, {}, network));
}

CheckpointData readCheckpoint(const QString &path, const Network *network)
{
    return toCheckpointData(readCheckpointFile(path, network));
}

std::vector<char> serializeCheckpoint(Net &net, const OptimizerSlots *optimizer, const CheckpointInfo &info)
{
    c10::Dict<std::string, torch::Tensor> weights;
    for (const auto &[key, value] : stateDict(net))
        if (value.scalar_type() == torch::kFloat32) // num_batches_tracked is not kept (checkpoint-format.md)
            weights.insert(key, value.detach().clone());

    c10::impl::GenericDict optState(c10::StringType::get(), c10::AnyType::get());
    if (optimizer) {
        for (const auto &[key, slot] : *optimizer) {
            c10::impl::GenericDict one(c10::StringType::get(), c10::AnyType::get());
            one.insert("step", slot.step);
            if (slot.momentum.defined()) {
                one.insert("momentum_buffer", slot.momentum.clone());
            } else {
                one.insert("exp_avg", slot.expAvg.clone());
                one.insert("exp_avg_sq", slot.expAvgSq.clone());
            }
            optState.insert(key, one);
        }
    }

    c10::impl::GenericDict root(c10::StringType::get(), c10::AnyType::get());
    root.insert("format", std::string(kFormatTag));
    root.insert("format_version", int64_t(kFormatVersion));
    root.insert("architecture", std::string(checkpoint::kNetworkArchitecture));
    root.insert("network", net->network.text().toStdString());
    root.insert("metadata", QJsonDocument(infoToJson(info)).toJson(QJsonDocument::Compact).toStdString());
    root.insert("model_state_dict", weights);
    root.insert("optimizer_state", optState);
    return torch::pickle_save(root);
}

Net buildNet(const Network &network) { return Net(network); }

std::vector<std::pair<std::string, torch::Tensor>> stateDict(Net &net)
{
    // PyTorch's order: module by module, its parameters then its buffers.
    std::vector<std::pair<std::string, torch::Tensor>> out;
    for (const auto &child : net->named_children()) {
        for (const auto &p : child.value()->named_parameters(false))
            out.emplace_back(child.key() + "." + p.key(), p.value());
        for (const auto &b : child.value()->named_buffers(false))
            out.emplace_back(child.key() + "." + b.key(), b.value());
    }
    return out;
}

void assignWeights(Net &net, const std::map<std::string, torch::Tensor> &weights)
{
    torch::NoGradGuard noGrad;
    for (auto &[key, value] : stateDict(net)) {
        auto it = weights.find(key);
        if (it != weights.end())
            value.copy_(it->second);
        else if (value.scalar_type() == torch::kFloat32)
            throw CheckpointError(CheckpointError::Kind::WrongArchitecture, QString(),
                                  QStringLiteral("no tensor for '%1'").arg(QString::fromStdString(key)));
    }
}

Net cloneNet(Net &net)
{
    Net copy(net->network);
    std::map<std::string, torch::Tensor> weights;
    for (const auto &[key, value] : stateDict(net))
        weights[key] = value.detach();
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

void singleThreadedTorch()
{
    at::internal::lazy_init_num_threads(); // else the first operator resets the count from the global
    at::set_num_threads(1);
}

SetTeam::SetTeam() : m_saved(at::get_num_threads())
{
    singleThreadedTorch();
    m_team = std::make_unique<WorkTeam>(static_cast<int>(std::max(1u, std::thread::hardware_concurrency())),
                                        [](int) { singleThreadedTorch(); });
}

SetTeam::~SetTeam() { at::set_num_threads(m_saved); }

EvalResult evaluateNet(Net &net, const MnistSet &set, int batchSize, WorkTeam &team)
{
    EvalResult r;
    const auto classes = net->report.layers.back().out.numel();
    for (int i = 0; i < set.count; ++i)
        if (set.labels[std::size_t(i)] >= classes) // cross_entropy would refuse it mid-way
            throw MnistError(MnistError::Kind::BadLabel, set.labelsPath,
                             QStringLiteral("label %1 at index %2, but the model gives only %3 classes").arg(set.labels[std::size_t(i)]).arg(i).arg(classes));
    r.confusion = emptyConfusion(int(classes));
    const auto labels = labelsTensor(set);
    batchSize = std::clamp(batchSize, 1, kMaxInferencePiece);
    const int pieces = (set.count + batchSize - 1) / batchSize;
    std::vector<double> lossSums(static_cast<std::size_t>(pieces));
    std::vector<std::int64_t> predicted(static_cast<std::size_t>(set.count));
    team.run(pieces, [&](int piece, int) {
        c10::InferenceMode inference;
        const int first = piece * batchSize;
        const int n = std::min(batchSize, set.count - first);
        const auto out = net->forward(imagesTensor(set, first, n));
        const auto y = labels.slice(0, first, first + n);
        lossSums[static_cast<std::size_t>(piece)] =
            F::cross_entropy(out, y, F::CrossEntropyFuncOptions().reduction(torch::kSum)).item<double>();
        const auto pred = out.argmax(1).contiguous();
        std::copy_n(pred.data_ptr<int64_t>(), n, predicted.begin() + first);
    });
    // Summed in piece order whatever order the team ran them in: the same loss on any thread count.
    double lossSum = 0;
    for (const double pieceLoss : lossSums)
        lossSum += pieceLoss;
    const auto count = static_cast<std::size_t>(set.count);
    r.correct = tallyConfusion(r.confusion, {labels.data_ptr<std::int64_t>(), count}, {predicted.data(), count});
    r.total = set.count;
    r.loss = set.count ? lossSum / set.count : 0;
    return r;
}

} // namespace core::detail

// ---------------------------------------------------------------------------------------------
// TorchState (torchstate.h): here, with the other LibTorch code, rather than in a translation
// unit of its own.
namespace core {

struct TorchState::Impl {
    int threads = 1;
    at::Tensor generator;
};

TorchState::TorchState() : d(std::make_unique<Impl>())
{
    d->threads = at::get_num_threads();
    auto gen = at::detail::getDefaultCPUGenerator();
    const std::lock_guard<std::mutex> lock(gen.mutex());
    d->generator = gen.get_state();
}

TorchState::~TorchState() = default;

void TorchState::restore() const
{
    at::set_num_threads(d->threads);
    auto gen = at::detail::getDefaultCPUGenerator();
    const std::lock_guard<std::mutex> lock(gen.mutex());
    gen.set_state(d->generator);
}

} // namespace core
