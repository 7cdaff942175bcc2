// libFuzzer target: the strict checkpoint reader (zip, pickle VM, tensor bounds, metadata).
// Any input must end in a CheckpointError or a valid result: no crash, leak, hang or huge allocation.
#include "core/checkpointreader.h"
#include "core/error.h"

#include <cstdint>
#include <unordered_set>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size)
{
    // Tighter than the defaults so one input cannot make libFuzzer's 2 GB RSS limit the finding.
    core::torchfile::Limits limits;
    limits.maxRecordBytes = limits.maxInflatedBytes = 16 << 20;
    try {
        const auto archive = core::torchfile::parse(std::vector<unsigned char>(data, data + size), QStringLiteral("fuzz.pt"), limits);
        try {
            core::interpretArchive(*archive);
        } catch (const core::CheckpointError &) {
        }
        // Then decode every tensor the pickle built, not just the seed's parameters.
        // Memo references make the values a DAG: visit each once (2^depth paths otherwise).
        std::vector<const core::torchfile::Value *> todo{archive->root.get()};
        std::unordered_set<const core::torchfile::Value *> seen;
        while (!todo.empty()) {
            const auto *v = todo.back();
            todo.pop_back();
            if (!seen.insert(v).second)
                continue;
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
