#pragma once
#include "error.h"
#include "network.h"
#include "tensordata.h"
#include <QString>
#include <string>

namespace core {

class Classifier;

/// An export that could not be built or written; file() is the target.
class ExportError : public Error {
public:
    ExportError(const QString &file, const QString &message) : Error(file, message) {}
};

/// ONNX operator set of the exported graph. 13 is supported by Debian 12's onnx (1.12, up to 17),
/// OpenCV 4.6's dnn importer, ONNX Runtime and onnxruntime-web; the graph only needs Conv,
/// MaxPool, Relu, Flatten and Gemm, which did not change in a way that matters here after 13.
inline constexpr int kOnnxOpset = 13;
/// Names of the graph's input and output, as other tools will see them.
inline constexpr const char *kOnnxInputName = "pixels";
inline constexpr const char *kOnnxOutputName = "logits";

/// The seed network as a serialised ONNX ModelProto, built with ONNX's own C++ classes and
/// validated by onnx::checker: input "pixels" float [N,1,28,28] in 0..1 (white ink on black, as
/// MNIST), output "logits" float [N,10]; N is a dynamic dimension. weights are named and shaped as
/// core::weights() returns them. Throws ExportError (file empty) when a tensor is missing or misshaped.
std::string onnxModelBytes(const NamedTensors &weights);
/// The same for any network: one ONNX node per layer in eval mode (Conv, MaxPool, AveragePool,
/// BatchNormalization, Relu, LeakyRelu, Tanh, Flatten, Gemm; dropout is left out), initializers
/// named by the state_dict keys. Throws ExportError.
std::string onnxModelBytes(const Network &network, const NamedTensors &weights);

/// Writes onnxModelBytes(weights(model)) to path atomically (safefile::writeFileAtomically: never
/// over a device, FIFO or folder). Throws ExportError.
void exportOnnx(const Classifier &model, const QString &path);

/// Writes a plain PyTorch state_dict (torch.save format: a dict of tensors keyed as PyTorch names
/// them: the tutorial's Net keys conv1.weight...fc2.bias; any other network nn.Sequential's
/// "0.weight", ..., BatchNorm's running_mean, running_var and num_batches_tracked) atomically,
/// and beside it the Python module that builds the network (pythonModulePath(path)), so that
/// `net = model.build(); net.load_state_dict(torch.load(path), strict=True)` works. No DigitLab
/// metadata, no optimizer. Throws ExportError.
void exportStateDict(const Classifier &model, const QString &path);
/// Where exportStateDict() writes the Python module: the state_dict's path with ".py" for its
/// suffix (model.pt -> model.py).
QString pythonModulePath(const QString &stateDictPath);
/// The Python source of a module whose build() returns the network as PyTorch modules: the
/// tutorial's Net class for the tutorial, else an nn.Sequential of the layers in order.
std::string pythonModule(const Network &network);

} // namespace core
