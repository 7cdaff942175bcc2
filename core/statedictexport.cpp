// The PyTorch state_dict export: the one part of export.h that needs LibTorch's pickler.
#include "export.h"
#include "model_p.h"
#include "safefile.h"

#include <caffe2/serialize/inline_container.h>
#include <torch/csrc/jit/serialization/export.h>
#include <torch/csrc/jit/serialization/pickler.h>

namespace core {

void exportStateDict(const Classifier &model, const QString &path)
{
    // A dict of tensors keyed exactly as the tutorial's Net.state_dict(): what load_state_dict
    // needs with strict=True, in torch.save's zip format. This is torch::pickle_save() without
    // its type tags: those pickle a torch.jit._pickle.restore_type_tag call that
    // torch.load(weights_only=True) (PyTorch 2.6's default) refuses; a plain dict of plain
    // tensors passes it. Each tensor gets its own contiguous storage.
    std::vector<char> bytes;
    try {
        c10::Dict<std::string, at::Tensor> dict;
        auto &net = const_cast<detail::Net &>(model.impl().net);
        for (const auto &[key, value] : detail::stateDict(net))
            dict.insert(key, value.detach().clone().contiguous());
        std::vector<char> pickle;
        torch::jit::Pickler pickler([&](const char *data, size_t n) { pickle.insert(pickle.end(), data, data + n); },
                                    nullptr, nullptr, nullptr, nullptr, /*tag_aggregates=*/false);
        pickler.protocol();
        pickler.pushIValue(c10::IValue(dict));
        pickler.stop();
        caffe2::serialize::PyTorchStreamWriter writer([&](const void *data, size_t n) {
            const auto *c = static_cast<const char *>(data);
            bytes.insert(bytes.end(), c, c + n);
            return n;
        });
        torch::jit::writeArchiveAndTensors("data", pickle.data(), pickle.size(), pickler.tensorData(), writer);
        writer.writeEndOfFile();
    } catch (const std::exception &e) {
        throw ExportError(path, QStringLiteral("cannot serialise the weights: %1").arg(detail::torchMessage(e)));
    }
    const auto source = pythonModule(model.network());
    const QString modulePath = pythonModulePath(path);
    try {
        safefile::writeFileAtomically(path, bytes); // never over a device or FIFO
    } catch (const FileError &e) {
        throw ExportError(path, e.message());
    }
    try {
        detail::writeFileAtomically(modulePath, std::vector<char>(source.begin(), source.end()));
    } catch (const Error &e) {
        throw ExportError(modulePath, e.message());
    }
}

} // namespace core
