// The seed model, its evaluation, and the checkpoint format (docs/checkpoint-format.md).
#include "model_p.h"
#include "error.h"
#include "mnist.h"

#include <QFile>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QSaveFile>
#include <torch/autograd.h>
#include <cmath>
#include <cstring>
#include <set>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

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
    x = poolRelu(conv1->forward(x));
    x = poolRelu(conv2_drop->forward(conv2->forward(x)));
    x = torch::relu(fc1AsConv(x));
    x = F::dropout(x, F::DropoutFuncOptions().p(0.5).training(is_training()));
    return fc2->forward(x);
}

torch::Tensor SeedNetImpl::fc1AsConv(const torch::Tensor &x)
{
    // fc1 on the [N,20,4,4] map as a 4x4 convolution with the same weights viewed [50,20,4,4]:
    // the same products and sums as x.view(-1, 320) @ fc1.weight^T, run by oneDNN's kernels
    // instead of Debian's reference BLAS (docs/benchmarks.md).
    const auto w = fc1->weight.view({fc1->weight.size(0), x.size(1), x.size(2), x.size(3)});
    return F::conv2d(x, w, F::Conv2dFuncOptions().bias(fc1->bias)).view({x.size(0), -1});
}

torch::Tensor SeedNetImpl::forward(torch::Tensor x, const torch::Tensor &channelMask, const torch::Tensor &unitMask)
{
    x = poolRelu(conv1->forward(x));
    // Dropout2d before the pool: relu(maxpool(x * m)) == relu(maxpool(x)) * m for m >= 0, fused.
    // Channels-last input: oneDNN's backward kernels for conv2 are ~2.5x faster on it.
    x = poolRelu(conv2->forward(x.contiguous(at::MemoryFormat::ChannelsLast)), channelMask);
    x = torch::relu(fc1AsConv(x)) * unitMask;
    return fc2->forward(x);
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

QString shapeText(c10::IntArrayRef sizes)
{
    QStringList parts;
    for (auto s : sizes)
        parts << QString::number(s);
    return QLatin1Char('[') + parts.join(QLatin1String(", ")) + QLatin1Char(']');
}

/// The reference names and shapes, from a freshly built model.
const std::vector<std::pair<std::string, std::vector<int64_t>>> &expectedShapes()
{
    static const auto shapes = [] {
        std::vector<std::pair<std::string, std::vector<int64_t>>> out;
        SeedNet net;
        for (const auto &p : net->named_parameters())
            out.emplace_back(p.key(), p.value().sizes().vec());
        return out;
    }();
    return shapes;
}

QJsonObject infoToJson(const CheckpointInfo &info)
{
    QJsonArray history;
    for (const auto &e : info.history)
        history.append(e.toJson());
    return QJsonObject{
        {QStringLiteral("epochs_done"), info.epochsDone},
        {QStringLiteral("config"), info.config.toJson()},
        {QStringLiteral("history"), history},
        {QStringLiteral("mnist_train_md5"), info.mnistTrainChecksum},
        {QStringLiteral("mnist_test_md5"), info.mnistTestChecksum},
        {QStringLiteral("created"), info.created},
        {QStringLiteral("app_version"), info.appVersion},
    };
}

void infoFromJson(const QJsonObject &json, CheckpointInfo &info)
{
    info.epochsDone = json.value(QStringLiteral("epochs_done")).toInt();
    info.config = TrainConfig::fromJson(json.value(QStringLiteral("config")).toObject());
    info.history.clear();
    for (const auto &v : json.value(QStringLiteral("history")).toArray())
        info.history.push_back(EpochStats::fromJson(v.toObject()));
    info.mnistTrainChecksum = json.value(QStringLiteral("mnist_train_md5")).toString();
    info.mnistTestChecksum = json.value(QStringLiteral("mnist_test_md5")).toString();
    info.created = json.value(QStringLiteral("created")).toString();
    info.appVersion = json.value(QStringLiteral("app_version")).toString();
}

/// Checks one tensor against the seed model's parameter of that name; returns it as float32.
torch::Tensor checkedParameter(const QString &file, const std::string &name, const c10::IValue &value,
                               const std::vector<int64_t> &shape, const char *what)
{
    const auto qname = QString::fromStdString(name);
    if (!value.isTensor())
        throw CheckpointError(Kind::Corrupt, file, QStringLiteral("%1 '%2' is not a tensor").arg(QLatin1String(what), qname));
    auto t = value.toTensor();
    if (!t.is_floating_point())
        throw CheckpointError(Kind::Corrupt, file, QStringLiteral("%1 '%2' is not floating point").arg(QLatin1String(what), qname));
    if (t.sizes().vec() != shape)
        throw CheckpointError(Kind::WrongShape, file,
                              QStringLiteral("%1 '%2' has shape %3, the seed model expects %4")
                                  .arg(QLatin1String(what), qname, shapeText(t.sizes()), shapeText(shape)));
    t = t.to(torch::kFloat32).contiguous().clone();
    if (!torch::isfinite(t).all().item<bool>())
        throw CheckpointError(Kind::Corrupt, file, QStringLiteral("%1 '%2' holds NaN or infinite values").arg(QLatin1String(what), qname));
    return t;
}

std::map<std::string, torch::Tensor> checkedWeights(const QString &file, const c10::impl::GenericDict &dict)
{
    std::set<std::string> keys;
    for (const auto &entry : dict) {
        if (!entry.key().isString())
            throw CheckpointError(Kind::Foreign, file, QStringLiteral("state_dict has a key that is not a string"));
        keys.insert(entry.key().toStringRef());
    }
    std::map<std::string, torch::Tensor> out;
    for (const auto &[name, shape] : expectedShapes()) {
        if (!keys.count(name))
            throw CheckpointError(Kind::WrongArchitecture, file,
                                  QStringLiteral("parameter '%1' of the seed model is missing").arg(QString::fromStdString(name)));
        out[name] = checkedParameter(file, name, dict.at(name), shape, "parameter");
        keys.erase(name);
    }
    if (!keys.empty())
        throw CheckpointError(Kind::WrongArchitecture, file,
                              QStringLiteral("unexpected parameter '%1': not the seed architecture")
                                  .arg(QString::fromStdString(*keys.begin())));
    return out;
}

bool looksLikeStateDict(const c10::impl::GenericDict &dict)
{
    if (dict.size() == 0)
        return false;
    for (const auto &entry : dict)
        if (!entry.key().isString() || !entry.value().isTensor())
            return false;
    return true;
}

c10::IValue required(const QString &file, const c10::impl::GenericDict &dict, const char *key)
{
    if (!dict.contains(key))
        throw CheckpointError(Kind::Corrupt, file, QStringLiteral("the entry '%1' is missing").arg(QLatin1String(key)));
    return dict.at(key);
}

} // namespace

CheckpointData parseCheckpoint(const std::vector<char> &bytes, const QString &file)
{
    if (bytes.empty())
        throw CheckpointError(Kind::Corrupt, file, QStringLiteral("the file is empty"));
    c10::IValue root;
    try {
        root = torch::pickle_load(bytes);
    } catch (const std::exception &e) {
        const QString why = torchMessage(e);
        // LibTorch 1.13 cannot rebuild the OrderedDict (with _metadata) that state_dict() returns.
        if (why.contains(QLatin1String("Expected GenericDict but got None")))
            throw CheckpointError(Kind::Foreign, file,
                                  QStringLiteral("a PyTorch OrderedDict state_dict, which LibTorch 1.13 cannot read; "
                                                 "save it as a plain dict: torch.save(dict(model.state_dict()), path)"));
        throw CheckpointError(Kind::Corrupt, file, QStringLiteral("not a readable checkpoint (truncated or corrupt?): %1").arg(why));
    }
    if (!root.isGenericDict())
        throw CheckpointError(Kind::Foreign, file,
                              QStringLiteral("not a DigitLab checkpoint: holds a %1, expected a dictionary")
                                  .arg(QString::fromStdString(root.tagKind())));
    const auto dict = root.toGenericDict();
    CheckpointData data;

    if (!dict.contains("format")) {
        // A plain PyTorch state_dict of the seed model, e.g. torch.save(model.state_dict(), f).
        if (!looksLikeStateDict(dict))
            throw CheckpointError(Kind::Foreign, file,
                                  QStringLiteral("not a DigitLab checkpoint nor a PyTorch state_dict of the seed model"));
        data.weights = checkedWeights(file, dict);
        data.info.formatVersion = 0;
        data.info.architecture = QString::fromLatin1(kSeedArchitecture);
        return data;
    }

    const auto &format = dict.at("format");
    if (!format.isString() || format.toStringRef() != kFormatTag)
        throw CheckpointError(Kind::Foreign, file, QStringLiteral("not a DigitLab checkpoint (unknown format tag)"));
    const auto &version = required(file, dict, "format_version");
    if (!version.isInt())
        throw CheckpointError(Kind::Corrupt, file, QStringLiteral("format_version is not an integer"));
    data.info.formatVersion = int(version.toInt());
    if (data.info.formatVersion > kFormatVersion || data.info.formatVersion < 1)
        throw CheckpointError(Kind::NewerFormat, file,
                              QStringLiteral("format version %1; this DigitLab reads versions 1 to %2")
                                  .arg(data.info.formatVersion).arg(kFormatVersion));
    const auto &arch = required(file, dict, "architecture");
    data.info.architecture = arch.isString() ? QString::fromStdString(arch.toStringRef()) : QString();
    if (data.info.architecture != QLatin1String(kSeedArchitecture))
        throw CheckpointError(Kind::WrongArchitecture, file,
                              QStringLiteral("architecture '%1', expected '%2'")
                                  .arg(data.info.architecture, QLatin1String(kSeedArchitecture)));

    const auto &meta = required(file, dict, "metadata");
    if (!meta.isString())
        throw CheckpointError(Kind::Corrupt, file, QStringLiteral("metadata is not a string"));
    QJsonParseError jsonError;
    const auto doc = QJsonDocument::fromJson(QByteArray::fromStdString(meta.toStringRef()), &jsonError);
    if (jsonError.error != QJsonParseError::NoError || !doc.isObject())
        throw CheckpointError(Kind::Corrupt, file, QStringLiteral("metadata is not valid JSON: %1").arg(jsonError.errorString()));
    infoFromJson(doc.object(), data.info);
    data.info.architecture = QString::fromLatin1(kSeedArchitecture);
    data.info.formatVersion = int(version.toInt());

    const auto &model = required(file, dict, "model_state_dict");
    if (!model.isGenericDict())
        throw CheckpointError(Kind::Corrupt, file, QStringLiteral("model_state_dict is not a dictionary"));
    data.weights = checkedWeights(file, model.toGenericDict());

    if (dict.contains("optimizer_state")) {
        const auto &opt = dict.at("optimizer_state");
        if (!opt.isGenericDict())
            throw CheckpointError(Kind::Corrupt, file, QStringLiteral("optimizer_state is not a dictionary"));
        const auto optDict = opt.toGenericDict();
        for (const auto &[name, shape] : expectedShapes()) {
            if (!optDict.contains(name))
                continue; // a parameter that never took a step has no state, as in PyTorch
            const auto &entry = optDict.at(name);
            if (!entry.isGenericDict())
                throw CheckpointError(Kind::Corrupt, file, QStringLiteral("optimizer state of '%1' is not a dictionary").arg(QString::fromStdString(name)));
            const auto state = entry.toGenericDict();
            AdamMoments m;
            const auto &step = required(file, state, "step");
            if (!step.isInt() || step.toInt() < 0)
                throw CheckpointError(Kind::Corrupt, file, QStringLiteral("optimizer step of '%1' is not a count").arg(QString::fromStdString(name)));
            m.step = step.toInt();
            m.expAvg = checkedParameter(file, name, required(file, state, "exp_avg"), shape, "optimizer exp_avg of");
            m.expAvgSq = checkedParameter(file, name, required(file, state, "exp_avg_sq"), shape, "optimizer exp_avg_sq of");
            data.optimizer[name] = std::move(m);
        }
    }
    if (data.info.epochsDone < 0 || data.info.epochsDone > 100000)
        throw CheckpointError(Kind::Corrupt, file, QStringLiteral("epochs_done %1 is out of range").arg(data.info.epochsDone));
    return data;
}

CheckpointData readCheckpoint(const QString &path)
{
    QFile f(path);
    if (!f.exists())
        throw CheckpointError(Kind::Unreadable, path, QStringLiteral("no such file"));
    if (!f.open(QIODevice::ReadOnly))
        throw CheckpointError(Kind::Unreadable, path, QStringLiteral("cannot open: %1").arg(f.errorString()));
    const QByteArray bytes = f.readAll();
    if (f.error() != QFileDevice::NoError)
        throw CheckpointError(Kind::Unreadable, path, QStringLiteral("cannot read: %1").arg(f.errorString()));
    return parseCheckpoint(std::vector<char>(bytes.begin(), bytes.end()), path);
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
    QSaveFile f(path);
    if (!f.open(QIODevice::WriteOnly))
        throw CheckpointError(Kind::WriteFailed, path, QStringLiteral("cannot open for writing: %1").arg(f.errorString()));
    if (f.write(bytes.data(), qint64(bytes.size())) != qint64(bytes.size())) {
        const auto why = f.errorString();
        f.cancelWriting();
        throw CheckpointError(Kind::WriteFailed, path, QStringLiteral("cannot write (disk full?): %1").arg(why));
    }
    if (!f.commit())
        throw CheckpointError(Kind::WriteFailed, path, QStringLiteral("cannot finish writing: %1").arg(f.errorString()));
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
