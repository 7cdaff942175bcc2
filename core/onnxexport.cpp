// The ONNX export, built with ONNX's generated protobuf classes. Torch-free: the weights arrive as
// plain NamedTensors.
#include "export.h"
#include "checkpointreader.h"
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

/// The seed model's tensors by name, sorted (the initializers' order in the file), each checked
/// against its shape.
std::map<std::string, const TensorData *> checkedSeedWeights(const NamedTensors &weights)
{
    std::map<std::string, const TensorData *> byName;
    for (const auto &[name, t] : weights)
        byName[name] = &t;
    std::map<std::string, const TensorData *> out;
    for (const auto &[name, shape] : seedParameterShapes()) {
        const auto it = byName.find(name);
        if (it == byName.end())
            throw ExportError(QString(), QStringLiteral("the model has no tensor %1").arg(QString::fromStdString(name)));
        if (it->second->shape != shape || std::int64_t(it->second->values.size()) != it->second->numel())
            throw ExportError(QString(), QStringLiteral("tensor %1 has the wrong shape").arg(QString::fromStdString(name)));
        out[name] = it->second;
    }
    return out;
}

// conv1 -> max_pool 2 -> relu -> conv2 -> (dropout: identity at inference) -> max_pool 2 -> relu
// -> flatten -> fc1 -> relu -> (dropout) -> fc2, as SeedNet::forward in eval mode.
void addSeedNodes(onnx::GraphProto &graph)
{
    const auto conv = [&](const char *layer, const std::string &in, const std::string &out) {
        auto *n = addNode(graph, "Conv", {in, std::string(layer) + ".weight", std::string(layer) + ".bias"}, out);
        addInts(n, "kernel_shape", {5, 5});
    };
    const auto pool = [&](const std::string &in, const std::string &out) {
        auto *n = addNode(graph, "MaxPool", {in}, out);
        addInts(n, "kernel_shape", {2, 2});
        addInts(n, "strides", {2, 2});
    };
    const auto gemm = [&](const char *layer, const std::string &in, const std::string &out) {
        auto *n = addNode(graph, "Gemm", {in, std::string(layer) + ".weight", std::string(layer) + ".bias"}, out);
        addInt(n, "transB", 1); // PyTorch's Linear stores weight as [out, in]
    };
    conv("conv1", kOnnxInputName, "conv1_out");
    pool("conv1_out", "pool1_out");
    addNode(graph, "Relu", {"pool1_out"}, "relu1_out");
    conv("conv2", "relu1_out", "conv2_out");
    pool("conv2_out", "pool2_out");
    addNode(graph, "Relu", {"pool2_out"}, "relu2_out");
    addInt(addNode(graph, "Flatten", {"relu2_out"}, "features"), "axis", 1);
    gemm("fc1", "features", "fc1_out");
    addNode(graph, "Relu", {"fc1_out"}, "hidden");
    gemm("fc2", "hidden", kOnnxOutputName);
}

} // namespace

std::string onnxModelBytes(const NamedTensors &weights)
{
    const auto byName = checkedSeedWeights(weights);
    onnx::ModelProto model;
    model.set_ir_version(onnx::IR_VERSION_2020_5_8); // IR 7, the version that goes with opset 13
    model.set_producer_name(kProducer);
    model.set_producer_version("1");
    model.set_doc_string("MNIST CNN (the PyTorch examples' Net): pixels [N,1,28,28] in 0..1, white ink on black -> logits [N,10]");
    auto *opset = model.add_opset_import();
    opset->set_domain("");
    opset->set_version(kOnnxOpset);

    auto &graph = *model.mutable_graph();
    graph.set_name("digitlab_seed");
    setFloatType(graph.add_input(), kOnnxInputName, {1, kSide, kSide});
    setFloatType(graph.add_output(), kOnnxOutputName, {10});
    for (const auto &[name, tensor] : byName)
        addInitializer(graph, name, *tensor);
    addSeedNodes(graph);

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
        bytes = onnxModelBytes(weights(model));
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
