#pragma once
// Builders of crafted torch.save files for the strict reader's tests and the fuzzers' seed
// corpora: a zip writer whose every field can lie, and a pickle writer for state_dicts.
#include <QByteArray>
#include <QString>
#include <cstdint>
#include <string>
#include <vector>

namespace crafted {

/// One zip record. declaredSize / crc override what the writer would compute (to lie).
struct Record {
    std::string name;
    QByteArray data;
    bool deflate = false;
    std::int64_t declaredSize = -1; ///< uncompressed size in the headers; -1 = data.size()
    bool badCrc = false;
};
QByteArray zip(const std::vector<Record> &records);
/// The records of a zip this project (or torch.save) wrote; data as stored (not inflated).
std::vector<Record> unzip(const QByteArray &archive);

/// A tensor of a state_dict as the pickle will describe it.
struct Tensor {
    std::string name;
    std::string storageType = "FloatStorage";
    std::int64_t numel = -1;     ///< declared storage elements; -1 = values.size()
    std::int64_t offset = 0;
    std::vector<std::int64_t> sizes;
    std::vector<std::int64_t> strides; ///< empty = contiguous
    std::vector<float> values;   ///< the storage record (float32 little-endian)
    QByteArray rawRecord;        ///< used instead of values when not empty or when forceRaw
    bool forceRaw = false;
};

/// The seed model's eight parameters with small finite values (a valid state_dict).
std::vector<Tensor> seedTensors();

/// Writes pickle opcodes (protocol 2).
class Pickle {
public:
    Pickle();
    Pickle &raw(const QByteArray &bytes);
    Pickle &str(const std::string &s);
    Pickle &integer(std::int64_t v); ///< LONG1 with 8 bytes: any int64
    Pickle &tensor(const Tensor &t); ///< the _rebuild_tensor_v2 REDUCE torch.save writes
    Pickle &dictBegin();             ///< EMPTY_DICT MARK
    Pickle &dictEnd();               ///< SETITEMS
    Pickle &orderedDictBegin();      ///< OrderedDict() MARK
    QByteArray stop();               ///< STOP; the finished pickle
private:
    QByteArray m_bytes;
};

/// A torch.save-style archive ("archive/data.pkl" + "archive/data/<name>") of a state_dict.
QByteArray stateDictFile(const std::vector<Tensor> &tensors);
/// An archive of any pickle plus the storages of the given tensors.
QByteArray archive(const QByteArray &pickle, const std::vector<Tensor> &tensors);
/// A DigitLab checkpoint (format 1) with the given metadata JSON, version and Adam second moment.
QByteArray digitlabFile(const std::string &metadata, std::int64_t formatVersion = 1, float expAvgSq = 0.5f);

} // namespace crafted
