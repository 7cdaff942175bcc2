#pragma once
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace core {

/// A tensor as plain data, without LibTorch: float32 values in row-major (contiguous) order.
/// The common currency between the torch-free parts of core (checkpoint reading, ONNX export,
/// the Inside view) and the few translation units that hold LibTorch.
struct TensorData {
    std::vector<std::int64_t> shape;
    std::vector<float> values;

    /// The product of shape (1 for a scalar); values.size() equals it for a well-formed tensor.
    std::int64_t numel() const
    {
        std::int64_t n = 1;
        for (std::int64_t d : shape)
            n *= d;
        return n;
    }
};

/// Named tensors in file order, keyed as PyTorch's state_dict is ("conv1.weight", ...).
using NamedTensors = std::vector<std::pair<std::string, TensorData>>;

} // namespace core
