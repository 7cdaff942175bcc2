#pragma once
// A strict, bounded, weights-only reader for the files torch.save (and LibTorch's pickle_save)
// write: a zip archive holding a pickle (data.pkl) and one record per tensor storage.
// Plain C++ and zlib, no LibTorch: LibTorch's own unpickler crashes on crafted input, and a
// torch-free reader can be fuzzed fast. docs/checkpoint-format.md lists the rules.
#include "tensordata.h"

#include <QString>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace core::torchfile {

/// Every size the reader accepts is bounded before anything is allocated for it.
struct Limits {
    std::int64_t maxFileBytes = std::int64_t(256) << 20;     ///< the seed model is 87 KB; a ResNet-50 is 100 MB
    std::int64_t maxRecordBytes = std::int64_t(256) << 20;   ///< one zip record, uncompressed
    std::int64_t maxInflatedBytes = std::int64_t(256) << 20; ///< all deflated records together
    int maxRecords = 65536;                                  ///< a state_dict has a record per tensor
    std::int64_t maxPickleBytes = std::int64_t(16) << 20;    ///< data.pkl of a state_dict is a few KB
    std::int64_t maxStringBytes = std::int64_t(16) << 20;    ///< the longest string is DigitLab's metadata JSON
    std::int64_t maxValues = std::int64_t(1) << 20;          ///< objects the pickle may create
    std::int64_t maxStack = std::int64_t(1) << 20;           ///< pickle stack depth (items, not nesting)
    std::int64_t maxMemo = std::int64_t(1) << 20;            ///< pickle memo slots
    int maxMarks = 256;                                      ///< nested MARKs; torch.save uses ~4
    int maxDepth = 32;                                       ///< container nesting; a checkpoint uses 5
    std::int64_t maxContainer = std::int64_t(1) << 20;       ///< items in one list, tuple or dict
    int maxDims = 8;                                         ///< tensor rank
    /// What the pickle may make the reader build, in bytes, summed over the whole run (values,
    /// string copies, container and memo slots; freed ones count too): a seed-model checkpoint
    /// builds well under 1 MiB. With the file, the inflated records and LibTorch's baseline it
    /// keeps any file under 1 GiB however it reuses what it built.
    std::int64_t maxMaterialisedBytes = std::int64_t(128) << 20;
    /// Bytes of dictionary keys hashed and compared, summed over every insertion: a key reused
    /// through the memo costs its length each time (a state_dict's names are a few KB in all).
    std::int64_t maxKeyBytes = std::int64_t(64) << 20;
    /// Pickle opcodes plus the items SETITEMS, APPENDS and TUPLE move: bounds the time.
    std::int64_t maxOperations = std::int64_t(1) << 24;
};

/// Element types of storages. Only Float32 and Float64 are decoded; the others are named in errors.
enum class DType { Float32, Float64, Unsupported };

/// One tensor storage: a zip record of numel elements.
struct Storage {
    std::string key;        ///< record name under data/
    std::string typeName;   ///< "FloatStorage", ...
    DType dtype = DType::Unsupported;
    int elementSize = 0;
    std::int64_t numel = 0;
    const unsigned char *data = nullptr; ///< numel * elementSize bytes, owned by the Archive
};

/// A tensor as the pickle describes it; checked against its storage when it was built.
struct TensorRef {
    int storage = -1;
    std::int64_t offset = 0;
    std::vector<std::int64_t> sizes;
    std::vector<std::int64_t> strides;
};

/// A value of the pickle. Containers are sealed once placed in another container, so a pickle
/// can build no cycle, and nesting is bounded by Limits::maxDepth, so destruction recursion is too.
struct Value {
    enum class Type { None, Bool, Int, Float, String, Tuple, List, Dict, Global, Storage, Tensor };
    Type type = Type::None;
    bool boolean = false;
    bool ordered = false;        ///< a Dict that was an OrderedDict
    bool sealed = false;
    int depth = 0;               ///< 0 for scalars; 1 + the deepest item for containers
    std::int64_t integer = 0;    ///< Int; Storage: index into Archive::storages
    double real = 0;
    std::string text;            ///< String; Global: "module name"
    std::vector<std::shared_ptr<Value>> items;                                    ///< Tuple, List
    /// Dict items in file order; keys are strings or integers (a Python optimizer's state).
    std::vector<std::pair<std::shared_ptr<Value>, std::shared_ptr<Value>>> entries;
    /// A dictionary key as the index holds it: a view of the key's own text, which the entry
    /// keeps alive, so a key is never copied however often the file reuses it.
    struct Key {
        bool isInteger = false;
        std::int64_t integer = 0;
        std::string_view text;
        bool operator==(const Key &) const = default;
    };
    struct KeyHash {
        std::size_t operator()(const Key &k) const noexcept;
    };
    std::unordered_map<Key, std::size_t, KeyHash> index; ///< Dict: key -> entries
    TensorRef tensor;

    /// The index's key for a String or Int value (a view of key.text).
    static Key keyOf(const Value &key);
    /// Dict lookup by string key; nullptr when absent.
    const Value *find(const std::string &key) const;
    /// "dict", "tensor", ... for messages.
    const char *typeName() const;
};
using ValuePtr = std::shared_ptr<Value>;

/// An opened file: the pickle's root and the storages it refers to.
class Archive {
public:
    QString name;          ///< the file, for messages
    ValuePtr root;
    std::vector<Storage> storages;

    /// The tensor as contiguous float32 (float64 converted). field names it in errors, which are
    /// CheckpointError(Corrupt) naming the file and the field (e.g. an unsupported dtype).
    TensorData decode(const TensorRef &ref, const QString &field) const;
    /// "float32", "int64", ... of a tensor's storage.
    QString dtypeName(const TensorRef &ref) const;

    std::vector<unsigned char> m_bytes;                   ///< the whole file
    std::vector<std::vector<unsigned char>> m_inflated;   ///< deflated records, inflated
};

/// Reads a file for the reader through safefile::readFile() (regular files only, a FIFO cannot
/// hang), at most maxBytes. ":/" paths read Qt resources. Throws CheckpointError.
std::vector<unsigned char> readFileBounded(const QString &path, std::int64_t maxBytes);

/// Parses bytes (a torch.save zip archive); name is the file for messages. Throws CheckpointError.
std::unique_ptr<Archive> parse(std::vector<unsigned char> bytes, const QString &name, const Limits &limits = {});
/// readFileBounded + parse.
std::unique_ptr<Archive> open(const QString &path, const Limits &limits = {});

} // namespace core::torchfile
