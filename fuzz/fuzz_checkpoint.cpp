// libFuzzer target: the strict checkpoint reader (zip, pickle VM, tensor bounds, metadata).
// Any input must end in a CheckpointError or a valid result: no crash, leak, hang or huge allocation.
#include "core/checkpointreader.h"
#include "core/error.h"

#include <cstdint>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size)
{
    // Tighter than the defaults so one input cannot make libFuzzer's 2 GB RSS limit the finding.
    core::torchfile::Limits limits;
    limits.maxRecordBytes = limits.maxInflatedBytes = 16 << 20;
    try {
        core::parseCheckpointBytes(std::vector<unsigned char>(data, data + size), QStringLiteral("fuzz.pt"), limits);
    } catch (const core::CheckpointError &) {
    }
    // The raw archive too: decode every tensor the pickle built, not just the seed's parameters.
    try {
        const auto archive = core::torchfile::parse(std::vector<unsigned char>(data, data + size), QStringLiteral("fuzz.pt"), limits);
        std::vector<const core::torchfile::Value *> todo{archive->root.get()};
        while (!todo.empty()) {
            const auto *v = todo.back();
            todo.pop_back();
            if (v->type == core::torchfile::Value::Type::Tensor) {
                try {
                    archive->decode(v->tensor, QStringLiteral("tensor"));
                } catch (const core::CheckpointError &) {
                }
            }
            for (const auto &i : v->items)
                todo.push_back(i.get());
            for (const auto &e : v->entries)
                todo.push_back(e.second.get());
        }
    } catch (const core::CheckpointError &) {
    }
    return 0;
}
