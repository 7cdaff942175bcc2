// The network description: parser, canonical text, shape inference (docs/networks.md).
#include "network.h"
#include "error.h"

#include <QHash>
#include <QLocale>
#include <cmath>
#include <limits>
#include <optional>

namespace core {

namespace {

struct KindInfo {
    LayerKind kind;
    const char *name;
};

constexpr KindInfo kKinds[] = {
    {LayerKind::Conv2d, "Conv2d"},       {LayerKind::MaxPool2d, "MaxPool2d"},     {LayerKind::AvgPool2d, "AvgPool2d"},
    {LayerKind::BatchNorm2d, "BatchNorm2d"}, {LayerKind::BatchNorm1d, "BatchNorm1d"}, {LayerKind::ReLU, "ReLU"},
    {LayerKind::LeakyReLU, "LeakyReLU"}, {LayerKind::Tanh, "Tanh"},               {LayerKind::Dropout, "Dropout"},
    {LayerKind::Dropout2d, "Dropout2d"}, {LayerKind::Flatten, "Flatten"},         {LayerKind::Linear, "Linear"},
};

/// A number as the canonical text writes it: shortest form that reads back the same ("0.25").
QString num(double v) { return QString::number(v, 'g', 17).size() <= QString::number(v, 'g', 6).size() ? QString::number(v, 'g', 17) : QString::number(v, 'g', 6); }

/// Elides and escapes user text echoed in a message: a network text comes from a file or a user.
QString quoted(const QString &s)
{
    QString out;
    for (const QChar c : s.left(40))
        out += c.isPrint() ? QString(c) : QStringLiteral("\\x%1").arg(c.unicode(), 2, 16, QLatin1Char('0'));
    if (s.size() > 40)
        out += QStringLiteral("...");
    return out;
}

/// One argument as written: positional (name empty) or name=value.
struct Arg {
    QString name;
    QString value;
};

/// One layer as written, before its arguments are interpreted.
struct Token {
    QString name;
    std::vector<Arg> args;
    bool hasParens = false;
    QString source; ///< the layer's text as written, for messages
};

[[noreturn]] void failAt(int position, const QString &what, const QString &why)
{
    throw NetworkError(QStringLiteral("layer %1, %2: %3").arg(position).arg(quoted(what), why), position);
}

/// Splits the text into layers: NAME or NAME(args), separated by white space or commas.
std::vector<Token> tokenize(const QString &text)
{
    if (text.size() > kMaxNetworkText)
        throw NetworkError(QStringLiteral("the network text is %1 characters; at most %2 are read").arg(text.size()).arg(kMaxNetworkText));
    std::vector<Token> tokens;
    int i = 0;
    const int n = int(text.size());
    auto isSep = [](QChar c) { return c.isSpace() || c == QLatin1Char(',') || c == QLatin1Char(';'); };
    while (i < n) {
        while (i < n && isSep(text[i]))
            ++i;
        if (i >= n)
            break;
        const int start = i;
        const int position = int(tokens.size()) + 1;
        if (position > kMaxLayers)
            throw NetworkError(QStringLiteral("the network has more than %1 layers").arg(kMaxLayers), position);
        while (i < n && (text[i].isLetterOrNumber() || text[i] == QLatin1Char('_') || text[i] == QLatin1Char('.')))
            ++i;
        Token t;
        t.name = text.mid(start, i - start);
        if (t.name.isEmpty())
            failAt(position, text.mid(start, 20), QStringLiteral("expected a layer name such as Conv2d or ReLU, found '%1'").arg(quoted(QString(text[start]))));
        if (i < n && text[i] == QLatin1Char('(')) {
            t.hasParens = true;
            const int close = text.indexOf(QLatin1Char(')'), i);
            if (close < 0)
                failAt(position, text.mid(start, 30), QStringLiteral("'(' is never closed"));
            const QString inner = text.mid(i + 1, close - i - 1);
            if (inner.contains(QLatin1Char('(')))
                failAt(position, text.mid(start, close - start + 1), QStringLiteral("arguments are numbers, not calls"));
            for (const QString &raw : inner.split(QLatin1Char(','))) {
                const QString a = raw.trimmed();
                if (a.isEmpty()) {
                    if (inner.trimmed().isEmpty())
                        break;
                    failAt(position, text.mid(start, close - start + 1), QStringLiteral("an argument is empty"));
                }
                const int eq = a.indexOf(QLatin1Char('='));
                if (eq >= 0)
                    t.args.push_back({a.left(eq).trimmed(), a.mid(eq + 1).trimmed()});
                else
                    t.args.push_back({QString(), a});
            }
            i = close + 1;
        }
        t.source = text.mid(start, i - start);
        if (i < n && !isSep(text[i]))
            failAt(position, text.mid(start, i - start + 1),
                   QStringLiteral("unexpected '%1' after the layer (separate layers with spaces or commas)").arg(quoted(QString(text[i]))));
        tokens.push_back(std::move(t));
    }
    if (tokens.empty())
        throw NetworkError(QStringLiteral("the network has no layers"));
    return tokens;
}

/// Reads a layer's arguments against PyTorch's parameter names, in PyTorch's order.
class ArgReader {
public:
    ArgReader(const Token &t, int position, QStringList names) : m_t(t), m_position(position), m_names(std::move(names))
    {
        m_values.resize(m_names.size());
        int positional = 0;
        bool keywordSeen = false;
        for (const auto &a : t.args) {
            if (a.name.isEmpty()) {
                if (keywordSeen)
                    fail(QStringLiteral("a positional argument follows a keyword argument"));
                if (positional >= m_names.size())
                    fail(m_names.isEmpty() ? QStringLiteral("takes no arguments")
                                           : QStringLiteral("takes at most %1 argument%2 (%3)")
                                                 .arg(m_names.size()).arg(m_names.size() == 1 ? "" : "s").arg(m_names.join(QLatin1String(", "))));
                m_values[positional++] = a.value;
            } else {
                keywordSeen = true;
                const int at = m_names.indexOf(a.name);
                if (at < 0)
                    fail(m_names.isEmpty() ? QStringLiteral("takes no arguments")
                                           : QStringLiteral("has no argument '%1' (it takes %2)").arg(quoted(a.name), m_names.join(QLatin1String(", "))));
                if (m_values[at])
                    fail(QStringLiteral("argument '%1' is given twice").arg(a.name));
                m_values[at] = a.value;
            }
        }
    }

    bool has(int i) const { return bool(m_values[i]); }

    int integer(int i, int lo, int hi) const
    {
        const QString &v = *m_values[i];
        bool ok = false;
        const qlonglong x = v.toLongLong(&ok);
        if (!ok)
            fail(QStringLiteral("%1 must be a whole number, not '%2'").arg(m_names[i], quoted(v)));
        if (x < lo || x > hi)
            fail(QStringLiteral("%1 is %2; it must be %3 to %4").arg(m_names[i]).arg(x).arg(lo).arg(hi));
        return int(x);
    }

    double real(int i, double lo, double hi, bool openTop) const
    {
        const QString &v = *m_values[i];
        bool ok = false;
        const double x = v.toDouble(&ok);
        if (!ok || !std::isfinite(x))
            fail(QStringLiteral("%1 must be a number, not '%2'").arg(m_names[i], quoted(v)));
        if (x < lo || (openTop ? x >= hi : x > hi))
            fail(QStringLiteral("%1 is %2; it must be %3 to %4%5").arg(m_names[i], num(x), num(lo), num(hi), openTop ? QStringLiteral(" (exclusive)") : QString()));
        return x;
    }

    /// A boolean keyword PyTorch has but that changes nothing here (inplace).
    void ignoredBool(int i) const
    {
        if (has(i) && *m_values[i] != QLatin1String("True") && *m_values[i] != QLatin1String("False"))
            fail(QStringLiteral("%1 must be True or False").arg(m_names[i]));
    }

    /// A keyword whose PyTorch default is the only value supported.
    void onlyDefault(int i, const QString &value, const QString &why) const
    {
        if (has(i) && *m_values[i] != value)
            fail(QStringLiteral("%1=%2 is not supported: %3").arg(m_names[i], quoted(*m_values[i]), why));
    }

    [[noreturn]] void fail(const QString &why) const { failAt(m_position, m_t.source, why); }

private:
    const Token &m_t;
    int m_position;
    QStringList m_names;
    std::vector<std::optional<QString>> m_values;
};

/// The input-size argument PyTorch wants first (in_channels, num_features...): optional here;
/// when given it is checked against the inferred size by analyze(), so it is kept as `declared`.
struct Parsed {
    Layer layer;
    int declaredIn = 0; ///< 0 = not given
};

Parsed parseLayer(const Token &t, int position)
{
    QString name = t.name;
    if (name.startsWith(QLatin1String("nn.")))
        name = name.mid(3);
    else if (name.startsWith(QLatin1String("torch.nn.")))
        name = name.mid(9);
    std::optional<LayerKind> kind;
    for (const auto &k : kKinds)
        if (name == QLatin1String(k.name))
            kind = k.kind;
    if (!kind) {
        // A near miss in case only ("conv2d", "relu") is the commonest slip: name the right one.
        for (const auto &k : kKinds)
            if (name.compare(QLatin1String(k.name), Qt::CaseInsensitive) == 0)
                failAt(position, t.source, QStringLiteral("unknown layer; did you mean %1? (names are case-sensitive, as in PyTorch)").arg(QLatin1String(k.name)));
        QStringList known;
        for (const auto &k : kKinds)
            known << QLatin1String(k.name);
        failAt(position, t.source, QStringLiteral("unknown layer; known: %1").arg(known.join(QLatin1String(", "))));
    }
    Parsed p;
    Layer &l = p.layer;
    l.kind = *kind;
    switch (l.kind) {
    case LayerKind::Conv2d: {
        // Conv2d(out, kernel) with in_channels inferred, or PyTorch's full Conv2d(in, out, kernel).
        const bool full = t.args.size() >= 3 && t.args[0].name.isEmpty() && t.args[1].name.isEmpty() && t.args[2].name.isEmpty();
        const QStringList names = full ? QStringList{"in_channels", "out_channels", "kernel_size", "stride", "padding", "bias", "padding_mode"}
                                       : QStringList{"out_channels", "kernel_size", "stride", "padding", "in_channels", "bias", "padding_mode"};
        ArgReader r(t, position, names);
        const int o = full ? 1 : 0;
        const int in = full ? 0 : 4;
        if (!r.has(o) || !r.has(o + 1))
            r.fail(QStringLiteral("needs out_channels and kernel_size, as Conv2d(32,3)"));
        l.out = r.integer(o, 1, kMaxChannels);
        l.kernel = r.integer(o + 1, 1, kMaxKernel);
        l.stride = r.has(o + 2) ? r.integer(o + 2, 1, kMaxKernel) : 1;
        l.padding = r.has(o + 3) ? r.integer(o + 3, 0, kMaxPadding) : 0;
        if (r.has(in))
            p.declaredIn = r.integer(in, 1, kMaxChannels);
        r.onlyDefault(5, QStringLiteral("True"), QStringLiteral("every Conv2d has a bias here"));
        r.onlyDefault(6, QStringLiteral("'zeros'"), QStringLiteral("only zero padding"));
        break;
    }
    case LayerKind::Linear: {
        const bool full = t.args.size() >= 2 && t.args[0].name.isEmpty() && t.args[1].name.isEmpty();
        const QStringList names = full ? QStringList{"in_features", "out_features", "bias"} : QStringList{"out_features", "in_features", "bias"};
        ArgReader r(t, position, names);
        const int o = full ? 1 : 0;
        if (!r.has(o))
            r.fail(QStringLiteral("needs out_features, as Linear(10)"));
        l.out = r.integer(o, 1, kMaxFeatures);
        if (r.has(full ? 0 : 1))
            p.declaredIn = r.integer(full ? 0 : 1, 1, std::numeric_limits<int>::max());
        r.onlyDefault(2, QStringLiteral("True"), QStringLiteral("every Linear has a bias here"));
        break;
    }
    case LayerKind::MaxPool2d:
    case LayerKind::AvgPool2d: {
        ArgReader r(t, position, {"kernel_size", "stride", "padding"});
        if (!r.has(0))
            r.fail(QStringLiteral("needs kernel_size, as %1(2)").arg(Layer::kindName(l.kind)));
        l.kernel = r.integer(0, 1, kMaxKernel);
        l.stride = r.has(1) ? r.integer(1, 1, kMaxKernel) : 0;
        l.padding = r.has(2) ? r.integer(2, 0, kMaxPadding) : 0;
        if (2 * l.padding > l.kernel)
            r.fail(QStringLiteral("padding %1 is more than half the kernel %2 (PyTorch refuses it too)").arg(l.padding).arg(l.kernel));
        if (l.stride == l.kernel)
            l.stride = 0; // the default, written canonically without it
        break;
    }
    case LayerKind::BatchNorm2d:
    case LayerKind::BatchNorm1d: {
        ArgReader r(t, position, {"num_features"});
        if (r.has(0))
            p.declaredIn = r.integer(0, 1, std::numeric_limits<int>::max());
        break;
    }
    case LayerKind::ReLU:
    case LayerKind::Tanh: {
        ArgReader r(t, position, {"inplace"});
        if (l.kind == LayerKind::ReLU)
            r.ignoredBool(0);
        else if (r.has(0))
            r.fail(QStringLiteral("takes no arguments"));
        break;
    }
    case LayerKind::LeakyReLU: {
        ArgReader r(t, position, {"negative_slope", "inplace"});
        l.slope = r.has(0) ? r.real(0, 0.0, 1.0, false) : 0.01;
        r.ignoredBool(1);
        break;
    }
    case LayerKind::Dropout:
    case LayerKind::Dropout2d: {
        ArgReader r(t, position, {"p", "inplace"});
        l.p = r.has(0) ? r.real(0, 0.0, 1.0, true) : 0.5;
        r.ignoredBool(1);
        break;
    }
    case LayerKind::Flatten: {
        ArgReader r(t, position, {"start_dim", "end_dim"});
        r.onlyDefault(0, QStringLiteral("1"), QStringLiteral("Flatten keeps the batch dimension"));
        r.onlyDefault(1, QStringLiteral("-1"), QStringLiteral("Flatten flattens every dimension after the batch"));
        break;
    }
    }
    return p;
}

/// Each network's parsed layers keep the input sizes they declared, for analyze() to check;
/// parse() stores them here keyed by the canonical text so that Network stays a plain value.
struct Declared {
    std::vector<int> in;
};

/// Output side of a convolution or pool: floor((in + 2p - k) / s) + 1, or 0 when it does not fit.
int outSide(int in, int kernel, int stride, int padding)
{
    const int span = in + 2 * padding - kernel;
    return span < 0 ? 0 : span / stride + 1;
}

QString shortCount(std::int64_t n)
{
    if (n >= 1'000'000)
        return QString::number(double(n) / 1e6, 'f', n >= 10'000'000 ? 1 : 2) + QLatin1Char('M');
    if (n >= 1000)
        return QString::number(double(n) / 1e3, 'f', n >= 100'000 ? 0 : 1) + QLatin1Char('k');
    return QString::number(n);
}

} // namespace

QString Layer::kindName(LayerKind kind)
{
    for (const auto &k : kKinds)
        if (k.kind == kind)
            return QLatin1String(k.name);
    return QStringLiteral("?");
}

int Layer::effectiveStride() const
{
    if (kind == LayerKind::MaxPool2d || kind == LayerKind::AvgPool2d)
        return stride > 0 ? stride : kernel;
    return stride > 0 ? stride : 1;
}

bool Layer::hasParameters() const
{
    return kind == LayerKind::Conv2d || kind == LayerKind::Linear || kind == LayerKind::BatchNorm2d || kind == LayerKind::BatchNorm1d;
}

bool Layer::operator==(const Layer &o) const
{
    return text() == o.text();
}

QString Layer::text() const
{
    const QString name = kindName(kind);
    switch (kind) {
    case LayerKind::Conv2d: {
        QString s = name + QStringLiteral("(%1,%2").arg(out).arg(kernel);
        if (effectiveStride() != 1)
            s += QStringLiteral(",stride=%1").arg(effectiveStride());
        if (padding)
            s += QStringLiteral(",padding=%1").arg(padding);
        return s + QLatin1Char(')');
    }
    case LayerKind::MaxPool2d:
    case LayerKind::AvgPool2d: {
        QString s = name + QStringLiteral("(%1").arg(kernel);
        if (effectiveStride() != kernel)
            s += QStringLiteral(",stride=%1").arg(effectiveStride());
        if (padding)
            s += QStringLiteral(",padding=%1").arg(padding);
        return s + QLatin1Char(')');
    }
    case LayerKind::Linear:
        return name + QStringLiteral("(%1)").arg(out);
    case LayerKind::LeakyReLU:
        return slope == 0.01 ? name : name + QStringLiteral("(%1)").arg(num(slope));
    case LayerKind::Dropout:
    case LayerKind::Dropout2d:
        return p == 0.5 ? name : name + QStringLiteral("(%1)").arg(num(p));
    default:
        return name;
    }
}

QString Shape::text() const
{
    return flat ? QString::number(channels) : QStringLiteral("%1x%2x%3").arg(channels).arg(height).arg(width);
}

std::vector<std::int64_t> Shape::dims() const
{
    if (flat)
        return {channels};
    return {channels, height, width};
}

QString LayerReport::name() const { return QStringLiteral("%1 %2 %3").arg(position).arg(layer.text(), out.text()); }

std::vector<TensorSpec> NetworkReport::tensors() const
{
    std::vector<TensorSpec> out;
    for (const auto &l : layers)
        out.insert(out.end(), l.tensors.begin(), l.tensors.end());
    return out;
}

namespace {
constexpr const char *kTutorialText =
    "Conv2d(10,5) MaxPool2d(2) ReLU Conv2d(20,5) Dropout2d MaxPool2d(2) ReLU Flatten Linear(50) ReLU Dropout Linear(10)";

struct PresetText {
    const char *name;
    const char *text;
};
// The presets' networks; their recipes are TrainConfig::preset() (docs/networks.md says how each
// was chosen). fast: the most accuracy per FLOP in two epochs on 2 CPU cores; best: batch norm,
// augmentation and width where a 20-minute budget allows.
constexpr PresetText kPresets[] = {
    {"tutorial", kTutorialText},
    {"fast", "Conv2d(16,5) MaxPool2d(2) ReLU Conv2d(32,5) MaxPool2d(2) ReLU Flatten Linear(128) ReLU Linear(10)"},
    {"best", "Conv2d(32,5) BatchNorm2d ReLU MaxPool2d(2) Conv2d(64,3,padding=1) BatchNorm2d ReLU MaxPool2d(2) "
             "Conv2d(128,3,padding=1) BatchNorm2d ReLU MaxPool2d(2) Flatten Dropout(0.3) Linear(128) BatchNorm1d ReLU "
             "Dropout(0.3) Linear(10)"},
};
} // namespace

Network Network::parse(const QString &text)
{
    const auto tokens = tokenize(text);
    std::vector<Layer> layers;
    layers.reserve(tokens.size());
    Declared declared;
    for (std::size_t i = 0; i < tokens.size(); ++i) {
        auto p = parseLayer(tokens[i], int(i) + 1);
        layers.push_back(p.layer);
        declared.in.push_back(p.declaredIn);
    }
    Network net(std::move(layers));
    // Declared input sizes (PyTorch's in_channels / in_features / num_features) must match what
    // the layers before produce: checked here against MNIST's input, since parse() is where the
    // text is at hand. A text without them is never refused for that.
    bool anyDeclared = false;
    for (int d : declared.in)
        anyDeclared = anyDeclared || d > 0;
    if (anyDeclared) {
        Shape s;
        for (std::size_t i = 0; i < net.m_layers.size(); ++i) {
            const Layer &l = net.m_layers[i];
            if (declared.in[i] > 0) {
                const std::int64_t have = s.flat ? s.channels : (l.kind == LayerKind::Linear ? s.numel() : s.channels);
                if (have != declared.in[i])
                    failAt(int(i) + 1, tokens[i].source,
                           QStringLiteral("declares %1 inputs but the layer before gives %2 (%3)").arg(declared.in[i]).arg(have).arg(s.text()));
            }
            // Advance the shape with the same rules as analyze(); errors there are reported by analyze().
            try {
                Network prefix(std::vector<Layer>(net.m_layers.begin(), net.m_layers.begin() + long(i) + 1));
                const auto r = prefix.analyze(0);
                s = r.layers.back().out;
            } catch (const NetworkError &) {
                break;
            }
        }
    }
    return net;
}

QStringList Network::presetNames()
{
    QStringList names;
    for (const auto &p : kPresets)
        names << QLatin1String(p.name);
    return names;
}

Network Network::preset(const QString &name)
{
    for (const auto &p : kPresets)
        if (name == QLatin1String(p.name))
            return parse(QLatin1String(p.text));
    throw NetworkError(QStringLiteral("no preset named '%1'; the presets are %2").arg(quoted(name), presetNames().join(QLatin1String(", "))));
}

QString Network::presetName() const
{
    for (const auto &p : kPresets)
        if (text() == parse(QLatin1String(p.text)).text())
            return QLatin1String(p.name);
    return {};
}

Network Network::withClasses(int classes) const
{
    Network out = *this;
    if (!out.m_layers.empty() && out.m_layers.back().kind == LayerKind::Linear)
        out.m_layers.back().out = classes;
    return out;
}

bool Network::isTutorial() const { return text() == QLatin1String(kTutorialText); }

QString Network::text() const
{
    QStringList parts;
    for (const auto &l : m_layers)
        parts << l.text();
    return parts.join(QLatin1Char(' '));
}

QString Network::summary(std::int64_t parameters) const
{
    int conv = 0, linear = 0;
    for (const auto &l : m_layers) {
        conv += l.kind == LayerKind::Conv2d;
        linear += l.kind == LayerKind::Linear;
    }
    return QStringLiteral("%1 conv + %2 linear, %3 weights").arg(conv).arg(linear).arg(shortCount(parameters));
}

NetworkReport Network::analyze(int classes, Shape input) const
{
    if (m_layers.empty())
        throw NetworkError(QStringLiteral("the network has no layers"));
    if (int(m_layers.size()) > kMaxLayers)
        throw NetworkError(QStringLiteral("the network has %1 layers; at most %2").arg(m_layers.size()).arg(kMaxLayers));
    NetworkReport report;
    report.input = input;
    Shape s = input;
    const bool tutorial = isTutorial();
    // The tutorial's module names (conv1, conv2, fc1, fc2; conv2_drop has no tensors).
    static const char *const kTutorialModules[] = {"conv1", "", "", "conv2", "conv2_drop", "", "", "", "fc1", "", "", "fc2"};
    for (std::size_t i = 0; i < m_layers.size(); ++i) {
        const Layer &l = m_layers[i];
        const int position = int(i) + 1;
        auto fail = [&](const QString &why) { failAt(position, l.text(), why); };
        LayerReport r;
        r.position = position;
        r.layer = l;
        r.in = s;
        r.module = tutorial ? QLatin1String(kTutorialModules[i]) : QString::number(i);
        if (r.module.isEmpty())
            r.module = QString::number(i);
        const std::string prefix = r.module.toStdString() + ".";
        const std::int64_t inElems = s.numel();
        auto needMap = [&](const char *what) {
            if (s.flat)
                fail(QStringLiteral("its input is %1 flat features; %2 needs a CxHxW map (put it before the Flatten)").arg(s.channels).arg(QLatin1String(what)));
        };
        switch (l.kind) {
        case LayerKind::Conv2d:
        case LayerKind::MaxPool2d:
        case LayerKind::AvgPool2d: {
            needMap(l.kind == LayerKind::Conv2d ? "a convolution" : "a pool");
            const int k = l.kernel, st = l.effectiveStride(), pad = l.padding;
            if (s.height + 2 * pad < k || s.width + 2 * pad < k)
                fail(QStringLiteral("its input is %1, smaller than the kernel %2x%2%3").arg(s.text()).arg(k).arg(pad ? QStringLiteral(" with padding %1").arg(pad) : QString()));
            Shape o = s;
            o.height = outSide(s.height, k, st, pad);
            o.width = outSide(s.width, k, st, pad);
            if (l.kind == LayerKind::Conv2d) {
                o.channels = l.out;
                const std::int64_t w = std::int64_t(l.out) * s.channels * k * k;
                r.parameters = w + l.out;
                r.flops = 2 * w * o.height * o.width;
                r.tensors = {{prefix + "weight", {l.out, s.channels, k, k}}, {prefix + "bias", {l.out}}};
            } else {
                r.flops = std::int64_t(k) * k * o.numel();
            }
            s = o;
            break;
        }
        case LayerKind::BatchNorm2d:
        case LayerKind::BatchNorm1d: {
            if (l.kind == LayerKind::BatchNorm2d)
                needMap("BatchNorm2d (use BatchNorm1d after Flatten)");
            else if (!s.flat)
                fail(QStringLiteral("its input is the map %1; BatchNorm1d needs flat features (use BatchNorm2d, or put it after Flatten)").arg(s.text()));
            const int c = s.channels;
            r.parameters = 2 * std::int64_t(c);
            r.flops = 2 * inElems;
            r.tensors = {{prefix + "weight", {c}},
                         {prefix + "bias", {c}},
                         {prefix + "running_mean", {c}, true},
                         {prefix + "running_var", {c}, true},
                         {prefix + "num_batches_tracked", {}, true, true}};
            break;
        }
        case LayerKind::ReLU:
        case LayerKind::LeakyReLU:
        case LayerKind::Tanh:
        case LayerKind::Dropout:
            r.flops = inElems;
            break;
        case LayerKind::Dropout2d:
            needMap("Dropout2d (use Dropout after Flatten)");
            r.flops = inElems;
            break;
        case LayerKind::Flatten:
            s = Shape{int(std::min<std::int64_t>(inElems, std::numeric_limits<int>::max())), 1, 1, true};
            break;
        case LayerKind::Linear: {
            if (!s.flat)
                fail(QStringLiteral("its input is the map %1; put a Flatten before it").arg(s.text()));
            const std::int64_t w = std::int64_t(l.out) * s.channels;
            r.parameters = w + l.out;
            r.flops = 2 * w;
            r.tensors = {{prefix + "weight", {l.out, s.channels}}, {prefix + "bias", {l.out}}};
            s = Shape{l.out, 1, 1, true};
            break;
        }
        }
        r.out = s;
        if (s.numel() <= 0)
            fail(QStringLiteral("its output would be empty"));
        if (s.numel() > kMaxActivation)
            fail(QStringLiteral("its output %1 has %2 values per image; at most %3").arg(s.text()).arg(s.numel()).arg(kMaxActivation));
        report.parameters += r.parameters;
        report.flops += r.flops;
        if (report.parameters > kMaxParameters)
            fail(QStringLiteral("the network reaches %1 weights here; at most %2").arg(report.parameters).arg(kMaxParameters));
        if (report.flops > kMaxFlops)
            fail(QStringLiteral("the network reaches %1 FLOPs per image here; at most %2").arg(report.flops).arg(kMaxFlops));
        report.layers.push_back(std::move(r));
    }
    if (classes > 0) {
        const Layer &last = m_layers.back();
        const int position = int(m_layers.size());
        if (!s.flat)
            failAt(position, last.text(), QStringLiteral("the network ends with the map %1; it must end with %2 class scores (Flatten, then Linear(%2))").arg(s.text()).arg(classes));
        if (s.channels != classes)
            failAt(position, last.text(), QStringLiteral("the network ends with %1 outputs; the dataset has %2 classes (end with Linear(%2))").arg(s.channels).arg(classes));
        bool anyWeights = false;
        for (const auto &l : m_layers)
            anyWeights = anyWeights || l.kind == LayerKind::Conv2d || l.kind == LayerKind::Linear;
        if (!anyWeights)
            throw NetworkError(QStringLiteral("the network has no Conv2d or Linear layer: nothing to learn"));
        if (last.kind == LayerKind::ReLU || last.kind == LayerKind::LeakyReLU || last.kind == LayerKind::Tanh || last.isDropout())
            failAt(position, last.text(), QStringLiteral("the class scores must be the last Linear's output (the loss applies the softmax); remove this last layer"));
    }
    return report;
}

} // namespace core
