// The ONNX export, built with ONNX's generated protobuf classes. Torch-free: the weights arrive as
// plain NamedTensors.
#include "export.h"
#include "checkpointreader.h"
#include "classifier.h"
#include "inspect.h"
#include "safefile.h"
#include "types.h"

#include <onnx/checker.h>
#include <onnx/onnx_pb.h>

#include <map>

namespace core {

namespace {

/// Producer fields: what made the file (shown by Netron and onnx.helper.printable_graph).
constexpr const char *kProducer = "DigitLab";

void addInitializer(onnx::GraphProto &graph, const std::string &name, const TensorData &t)
{
    auto *init = graph.add_initializer();
    init->set_name(name);
    init->set_data_type(onnx::TensorProto::FLOAT);
    for (auto d : t.shape)
        init->add_dims(d);
    // raw_data is little-endian float32, the layout TensorData already has on x86 and ARM.
    init->set_raw_data(std::string(reinterpret_cast<const char *>(t.values.data()), t.values.size() * sizeof(float)));
}

onnx::NodeProto *addNode(onnx::GraphProto &graph, const char *op, std::initializer_list<std::string> inputs,
                         const std::string &output)
{
    auto *node = graph.add_node();
    node->set_op_type(op);
    node->set_name(output);
    for (const auto &in : inputs)
        node->add_input(in);
    node->add_output(output);
    return node;
}

void addInts(onnx::NodeProto *node, const char *name, std::initializer_list<std::int64_t> values)
{
    auto *a = node->add_attribute();
    a->set_name(name);
    a->set_type(onnx::AttributeProto::INTS);
    for (auto v : values)
        a->add_ints(v);
}

void addInt(onnx::NodeProto *node, const char *name, std::int64_t value)
{
    auto *a = node->add_attribute();
    a->set_name(name);
    a->set_type(onnx::AttributeProto::INT);
    a->set_i(value);
}

void setFloatType(onnx::ValueInfoProto *value, const char *name, std::initializer_list<std::int64_t> dims)
{
    value->set_name(name);
    auto *tensor = value->mutable_type()->mutable_tensor_type();
    tensor->set_elem_type(onnx::TensorProto::FLOAT);
    auto *shape = tensor->mutable_shape();
    // The batch dimension is symbolic: any N works.
    shape->add_dim()->set_dim_param("N");
    for (auto d : dims)
        shape->add_dim()->set_dim_value(d);
}

} // namespace

namespace {
/// The network's float tensors by name, each checked against its shape.
std::map<std::string, const TensorData *> checkedWeights(const NetworkReport &report, const NamedTensors &weights)
{
    std::map<std::string, const TensorData *> byName;
    for (const auto &[name, t] : weights)
        byName[name] = &t;
    std::map<std::string, const TensorData *> out;
    for (const auto &spec : report.tensors()) {
        if (spec.counter)
            continue;
        const auto it = byName.find(spec.key);
        if (it == byName.end())
            throw ExportError(QString(), QStringLiteral("the model has no tensor %1").arg(QString::fromStdString(spec.key)));
        if (it->second->shape != spec.shape || std::int64_t(it->second->values.size()) != it->second->numel())
            throw ExportError(QString(), QStringLiteral("tensor %1 has the wrong shape").arg(QString::fromStdString(spec.key)));
        out[spec.key] = it->second;
    }
    return out;
}

void addFloat(onnx::NodeProto *node, const char *name, float value)
{
    auto *a = node->add_attribute();
    a->set_name(name);
    a->set_type(onnx::AttributeProto::FLOAT);
    a->set_f(value);
}

/// One node (or none, for dropout) per layer in eval mode, as NetImpl::forward computes it.
void addNetworkNodes(onnx::GraphProto &graph, const NetworkReport &report)
{
    std::string x = kOnnxInputName;
    for (std::size_t i = 0; i < report.layers.size(); ++i) {
        const auto &r = report.layers[i];
        const auto &l = r.layer;
        const std::string m = r.module.toStdString();
        const bool last = i + 1 == report.layers.size();
        const std::string out = last ? std::string(kOnnxOutputName) : "l" + std::to_string(i) + "_" + Layer::kindName(l.kind).toStdString();
        const std::int64_t k = l.kernel, st = l.effectiveStride(), pad = l.padding;
        switch (l.kind) {
        case LayerKind::Conv2d: {
            auto *n = addNode(graph, "Conv", {x, m + ".weight", m + ".bias"}, out);
            addInts(n, "kernel_shape", {k, k});
            addInts(n, "strides", {st, st});
            addInts(n, "pads", {pad, pad, pad, pad});
            break;
        }
        case LayerKind::MaxPool2d:
        case LayerKind::AvgPool2d: {
            auto *n = addNode(graph, l.kind == LayerKind::MaxPool2d ? "MaxPool" : "AveragePool", {x}, out);
            addInts(n, "kernel_shape", {k, k});
            addInts(n, "strides", {st, st});
            addInts(n, "pads", {pad, pad, pad, pad});
            if (l.kind == LayerKind::AvgPool2d)
                addInt(n, "count_include_pad", 1); // PyTorch's default
            break;
        }
        case LayerKind::BatchNorm2d:
        case LayerKind::BatchNorm1d: {
            auto *n = addNode(graph, "BatchNormalization", {x, m + ".weight", m + ".bias", m + ".running_mean", m + ".running_var"}, out);
            addFloat(n, "epsilon", 1e-5f);
            break;
        }
        case LayerKind::ReLU:
            addNode(graph, "Relu", {x}, out);
            break;
        case LayerKind::LeakyReLU:
            addFloat(addNode(graph, "LeakyRelu", {x}, out), "alpha", static_cast<float>(l.slope));
            break;
        case LayerKind::Tanh:
            addNode(graph, "Tanh", {x}, out);
            break;
        case LayerKind::Dropout:
        case LayerKind::Dropout2d:
            if (!last)
                continue; // identity at inference: no node
            addNode(graph, "Identity", {x}, out);
            break;
        case LayerKind::Flatten:
            addInt(addNode(graph, "Flatten", {x}, out), "axis", 1);
            break;
        case LayerKind::Linear:
            addInt(addNode(graph, "Gemm", {x, m + ".weight", m + ".bias"}, out), "transB", 1); // PyTorch stores [out, in]
            break;
        }
        x = out;
    }
}
} // namespace

std::string onnxModelBytes(const NamedTensors &weights)
{
    return onnxModelBytes(Network::preset(QStringLiteral("tutorial")), weights);
}

std::string onnxModelBytes(const Network &network, const NamedTensors &weights)
{
    NetworkReport report;
    try {
        report = network.analyze(0);
    } catch (const NetworkError &e) {
        throw ExportError(QString(), e.message());
    }
    const auto byName = checkedWeights(report, weights);
    onnx::ModelProto model;
    model.set_ir_version(onnx::IR_VERSION_2020_5_8); // IR 7, the version that goes with opset 13
    model.set_producer_name(kProducer);
    model.set_producer_version("1");
    model.set_doc_string(("DigitLab network " + network.text().toStdString() +
                          ": pixels [N,1,28,28] in 0..1, white ink on black -> logits [N,classes]"));
    auto *opset = model.add_opset_import();
    opset->set_domain("");
    opset->set_version(kOnnxOpset);

    auto &graph = *model.mutable_graph();
    graph.set_name(network.isTutorial() ? "digitlab_seed" : "digitlab_network");
    setFloatType(graph.add_input(), kOnnxInputName, {1, kSide, kSide});
    setFloatType(graph.add_output(), kOnnxOutputName, {report.layers.back().out.channels});
    for (const auto &[name, tensor] : byName)
        addInitializer(graph, name, *tensor);
    addNetworkNodes(graph, report);

    try {
        onnx::checker::check_model(model);
    } catch (const std::exception &e) {
        throw ExportError(QString(), QStringLiteral("ONNX checker rejected the graph: %1").arg(QString::fromUtf8(e.what())));
    }
    std::string bytes;
    if (!model.SerializeToString(&bytes))
        throw ExportError(QString(), QStringLiteral("cannot serialise the ONNX model"));
    return bytes;
}

void exportOnnx(const Classifier &model, const QString &path)
{
    std::string bytes;
    try {
        bytes = onnxModelBytes(model.network(), weights(model));
    } catch (const ExportError &e) {
        throw ExportError(path, e.message());
    }
    try {
        safefile::writeFileAtomically(path, bytes.data(), bytes.size()); // never over a device or FIFO
    } catch (const FileError &e) {
        throw ExportError(path, e.message());
    }
}

} // namespace core
