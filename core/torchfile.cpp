// The weights-only torch.save reader (torchfile.h): zip container, pickle subset, tensor bounds.
// Every length read from the file is checked against what is really there before it is used.
#include "torchfile.h"
#include "error.h"
#include "safefile.h"

#include <cmath>
#include <cstring>
#include <zlib.h>

namespace core::torchfile {

namespace {

using Kind = CheckpointError::Kind;

[[noreturn]] void fail(const QString &file, const QString &why, Kind kind = Kind::Corrupt)
{
    throw CheckpointError(kind, file, why);
}

std::uint16_t le16(const unsigned char *p) { return std::uint16_t(p[0] | (p[1] << 8)); }
std::uint32_t le32(const unsigned char *p)
{
    return std::uint32_t(p[0]) | (std::uint32_t(p[1]) << 8) | (std::uint32_t(p[2]) << 16) | (std::uint32_t(p[3]) << 24);
}
std::uint64_t le64(const unsigned char *p) { return std::uint64_t(le32(p)) | (std::uint64_t(le32(p + 4)) << 32); }

QString sizeText(std::int64_t bytes) { return QStringLiteral("%1 bytes").arg(bytes); }

// ---------------------------------------------------------------- zip container

struct Record {
    std::string name;
    const unsigned char *data = nullptr;
    std::int64_t size = 0;
};

constexpr std::uint32_t kLocalSig = 0x04034b50;
constexpr std::uint32_t kCentralSig = 0x02014b50;
constexpr std::uint32_t kEndSig = 0x06054b50;
constexpr std::uint32_t kEnd64Sig = 0x06064b50;
constexpr std::uint32_t kLocator64Sig = 0x07064b50;
/// Fixed parts of the zip structures (APPNOTE 4.3).
constexpr std::int64_t kLocalHeader = 30, kCentralHeader = 46, kEndRecord = 22, kLocator64 = 20, kEnd64Record = 56;
/// Record names longer than this are not torch.save's ("archive/data/123").
constexpr std::size_t kMaxNameBytes = 1024;

/// The legacy (pre-1.6) torch.save format starts with a pickled magic number, LONG1 0x1950a86a20f9469cfc6c.
bool looksLegacy(const std::vector<unsigned char> &b)
{
    static const unsigned char kMagic[] = {0x80, 0x02, 0x8a, 0x0a, 0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19};
    return b.size() >= sizeof kMagic && std::memcmp(b.data(), kMagic, sizeof kMagic) == 0;
}

std::vector<unsigned char> inflateRecord(const QString &file, const std::string &name, const unsigned char *in,
                                         std::int64_t inSize, std::int64_t outSize)
{
    std::vector<unsigned char> out(static_cast<std::size_t>(outSize));
    z_stream zs{};
    if (inflateInit2(&zs, -MAX_WBITS) != Z_OK)
        fail(file, QStringLiteral("cannot start inflating record '%1'").arg(printable(name)));
    std::int64_t inDone = 0, outDone = 0;
    int rc = Z_OK;
    // zlib counts in uInt: feed at most 1 GiB per call.
    constexpr std::int64_t kChunk = std::int64_t(1) << 30;
    unsigned char spare = 0;
    while (rc == Z_OK) {
        const std::int64_t inLeft = inSize - inDone;
        const std::int64_t outLeft = outSize - outDone;
        zs.next_in = const_cast<unsigned char *>(in + inDone);
        zs.avail_in = uInt(std::min(inLeft, kChunk));
        // With the declared size filled, offer one spare byte: output beyond it means a lie.
        zs.next_out = outLeft > 0 ? out.data() + outDone : &spare;
        zs.avail_out = uInt(outLeft > 0 ? std::min(outLeft, kChunk) : 1);
        const uInt inBefore = zs.avail_in, outBefore = zs.avail_out;
        rc = inflate(&zs, Z_NO_FLUSH);
        inDone += inBefore - zs.avail_in;
        const std::int64_t produced = outBefore - zs.avail_out;
        if (outLeft <= 0 && produced > 0) {
            inflateEnd(&zs);
            fail(file, QStringLiteral("record '%1' inflates to more than its declared %2")
                           .arg(printable(name), sizeText(outSize)));
        }
        outDone += produced;
        if (rc == Z_BUF_ERROR && inBefore == zs.avail_in && outBefore == zs.avail_out)
            break; // no progress: truncated stream
    }
    inflateEnd(&zs);
    if (rc != Z_STREAM_END || outDone != outSize)
        fail(file, QStringLiteral("record '%1' is not a valid deflate stream of %2 (truncated or corrupt)")
                       .arg(printable(name), sizeText(outSize)));
    return out;
}

/// Where the central directory is, from the end record (and its zip64 form).
struct Directory {
    std::uint64_t entries = 0, size = 0, offset = 0;
    std::int64_t end = -1; ///< offset of the end record: nothing of the archive's data lies past it
};

Directory findDirectory(const QString &file, const std::vector<unsigned char> &b)
{
    const std::int64_t size = std::int64_t(b.size());
    if (size < kEndRecord)
        fail(file, QStringLiteral("too short to be a checkpoint (%1)").arg(sizeText(size)));
    // The end record is the last thing in the file; torch.save writes no archive comment, but
    // allow one as zip does, searching back at most its 64 KiB maximum.
    Directory d;
    for (std::int64_t p = size - kEndRecord; p >= 0 && p >= size - kEndRecord - 0xFFFF; --p) {
        if (le32(&b[p]) == kEndSig && p + kEndRecord + le16(&b[p + 20]) == size) {
            d.end = p;
            break;
        }
    }
    const std::int64_t end = d.end;
    if (end < 0)
        fail(file, QStringLiteral("not a readable checkpoint: no zip end record (truncated or corrupt?)"));
    d.entries = le16(&b[end + 10]);
    d.size = le32(&b[end + 12]);
    d.offset = le32(&b[end + 16]);
    if (le16(&b[end + 4]) != 0 || le16(&b[end + 6]) != 0 || le16(&b[end + 8]) != le16(&b[end + 10]))
        fail(file, QStringLiteral("multi-volume zip archives are not supported"));
    if (d.entries == 0xFFFF || d.size == 0xFFFFFFFFu || d.offset == 0xFFFFFFFFu) {
        const std::int64_t loc = end - kLocator64;
        if (loc < 0 || le32(&b[loc]) != kLocator64Sig)
            fail(file, QStringLiteral("zip64 end record missing"));
        const std::uint64_t at = le64(&b[loc + 8]);
        if (at > std::uint64_t(loc) || std::uint64_t(loc) - at < std::uint64_t(kEnd64Record) || le32(&b[at]) != kEnd64Sig)
            fail(file, QStringLiteral("zip64 end record out of bounds"));
        d.entries = le64(&b[at + 32]);
        d.size = le64(&b[at + 40]);
        d.offset = le64(&b[at + 48]);
    }
    return d;
}

/// One central directory entry, as declared (checked against the archive by checkEntry()).
struct Entry {
    std::string name;
    QString qname;
    std::uint16_t flags = 0, method = 0;
    std::uint32_t crc = 0;
    std::uint64_t csize = 0, usize = 0, local = 0;
    std::uint64_t length = 0; ///< bytes of the entry in the directory
};

/// The zip64 extra field: the sizes saturated at 0xFFFFFFFF, in the order usize, csize, offset.
void readZip64Extra(const QString &file, Entry &entry, const unsigned char *extra, std::uint32_t extraLen)
{
    for (std::uint32_t e = 0; e + 4 <= extraLen;) {
        const std::uint16_t id = le16(extra + e), len = le16(extra + e + 2);
        if (e + 4 + len > extraLen)
            fail(file, QStringLiteral("record '%1' has a corrupt extra field").arg(entry.qname));
        if (id == 0x0001) {
            std::uint32_t q = e + 4;
            auto take = [&](std::uint64_t &v) {
                if (v != 0xFFFFFFFFu)
                    return;
                if (q + 8 > e + 4u + len)
                    fail(file, QStringLiteral("record '%1' has a short zip64 field").arg(entry.qname));
                v = le64(extra + q);
                q += 8;
            };
            take(entry.usize);
            take(entry.csize);
            take(entry.local);
        }
        e += 4 + len;
    }
}

/// Reads directory entry i at p (cdEnd: the directory's end), checking that it lies inside it.
Entry readEntry(const QString &file, const std::vector<unsigned char> &b, std::uint64_t p, std::uint64_t cdEnd, std::uint64_t i)
{
    if (cdEnd - p < std::uint64_t(kCentralHeader) || le32(&b[p]) != kCentralSig)
        fail(file, QStringLiteral("central directory entry %1 is corrupt").arg(i));
    const unsigned char *h = &b[p];
    Entry entry;
    entry.flags = le16(h + 8);
    entry.method = le16(h + 10);
    entry.crc = le32(h + 16);
    entry.csize = le32(h + 20);
    entry.usize = le32(h + 24);
    const std::uint16_t nameLen = le16(h + 28), extraLen = le16(h + 30), commentLen = le16(h + 32);
    entry.local = le32(h + 42);
    entry.length = std::uint64_t(kCentralHeader) + nameLen + extraLen + commentLen;
    if (cdEnd - p < entry.length)
        fail(file, QStringLiteral("central directory entry %1 is truncated").arg(i));
    entry.name.assign(reinterpret_cast<const char *>(h + kCentralHeader), nameLen);
    entry.qname = printable(entry.name);
    if (nameLen == 0 || nameLen > kMaxNameBytes)
        fail(file, QStringLiteral("record %1 has a name of %2 bytes").arg(i).arg(nameLen));
    readZip64Extra(file, entry, h + kCentralHeader + nameLen, extraLen);
    return entry;
}

/// Checks what an entry declares against the limits and the archive; returns where its data start.
std::uint64_t checkEntry(const QString &file, const std::vector<unsigned char> &b, const Entry &entry,
                         std::uint64_t cdOffset, const Limits &limits)
{
    const QString &qname = entry.qname;
    if (entry.flags & 0x1)
        fail(file, QStringLiteral("record '%1' is encrypted").arg(qname));
    if (entry.method != 0 && entry.method != 8)
        fail(file, QStringLiteral("record '%1' uses zip compression method %2; only stored and deflate are read")
                       .arg(qname).arg(entry.method));
    if (entry.usize > std::uint64_t(limits.maxRecordBytes))
        fail(file, QStringLiteral("record '%1' declares %2; at most %3 are accepted")
                       .arg(qname, sizeText(std::int64_t(std::min<std::uint64_t>(entry.usize, INT64_MAX))), sizeText(limits.maxRecordBytes)));
    if (entry.method == 0 && entry.csize != entry.usize)
        fail(file, QStringLiteral("stored record '%1' has different compressed and uncompressed sizes").arg(qname));
    // The local header repeats the name and has its own extra field: data follow them.
    const std::uint64_t local = entry.local;
    if (local > cdOffset || cdOffset - local < std::uint64_t(kLocalHeader) || le32(&b[local]) != kLocalSig)
        fail(file, QStringLiteral("record '%1' has no local header where the directory says").arg(qname));
    const std::uint64_t dataStart = local + kLocalHeader + le16(&b[local + 26]) + le16(&b[local + 28]);
    if (dataStart > cdOffset || cdOffset - dataStart < entry.csize)
        fail(file, QStringLiteral("record '%1' extends past the end of the data (truncated?)").arg(qname));
    if (std::size_t(le16(&b[local + 26])) != entry.name.size() || std::memcmp(&b[local + kLocalHeader], entry.name.data(), entry.name.size()) != 0)
        fail(file, QStringLiteral("record '%1' has a local header for another name").arg(qname));
    return dataStart;
}

/// Fails unless the record's bytes have the CRC-32 the directory declares.
void checkCrc(const QString &file, const Record &r, std::uint32_t crc)
{
    // Fed in chunks zlib's uInt can count.
    uLong c = crc32(0L, Z_NULL, 0);
    for (std::int64_t done = 0; done < r.size;) {
        const std::int64_t n = std::min<std::int64_t>(r.size - done, std::int64_t(1) << 30);
        c = crc32(c, r.data + done, uInt(n));
        done += n;
    }
    if (std::uint32_t(c) != crc)
        fail(file, QStringLiteral("record '%1' fails its CRC-32 check (the file is corrupt)").arg(printable(r.name)));
}

/// Parses the central directory, checks every record's bounds and CRC-32, inflates deflated ones.
std::vector<Record> readZip(Archive &archive, const Limits &limits)
{
    const QString &file = archive.name;
    const auto &b = archive.m_bytes;
    const Directory dir = findDirectory(file, b);
    if (dir.entries == 0)
        fail(file, QStringLiteral("the zip archive is empty"));
    if (dir.entries > std::uint64_t(limits.maxRecords))
        fail(file, QStringLiteral("%1 records; at most %2 are accepted").arg(dir.entries).arg(limits.maxRecords));
    if (dir.offset > std::uint64_t(dir.end) || dir.size > std::uint64_t(dir.end) - dir.offset)
        fail(file, QStringLiteral("central directory out of bounds (truncated?)"));

    std::vector<Record> records;
    records.reserve(std::size_t(dir.entries));
    std::unordered_map<std::string, int> seen;
    std::int64_t inflatedTotal = 0;
    std::uint64_t p = dir.offset;
    for (std::uint64_t i = 0; i < dir.entries; ++i) {
        Entry entry = readEntry(file, b, p, dir.offset + dir.size, i);
        const std::uint64_t dataStart = checkEntry(file, b, entry, dir.offset, limits);
        if (!seen.emplace(entry.name, int(i)).second)
            fail(file, QStringLiteral("record '%1' appears twice").arg(entry.qname));
        Record r;
        r.name = std::move(entry.name);
        r.size = std::int64_t(entry.usize);
        if (entry.method == 0) {
            r.data = &b[dataStart];
        } else {
            if (r.size > limits.maxInflatedBytes - inflatedTotal)
                fail(file, QStringLiteral("deflated records inflate to more than %1 in total").arg(sizeText(limits.maxInflatedBytes)));
            inflatedTotal += r.size;
            archive.m_inflated.push_back(inflateRecord(file, r.name, &b[dataStart], std::int64_t(entry.csize), r.size));
            r.data = archive.m_inflated.back().data();
        }
        checkCrc(file, r, entry.crc);
        records.push_back(std::move(r));
        p += entry.length;
    }
    return records;
}

// ---------------------------------------------------------------- pickle VM

/// Globals a weights-only file may name (as PyTorch's weights_only unpickler): the three callables,
/// and storage types, whose element size says how to read them.
struct StorageType {
    const char *name;
    DType dtype;
    int size;
    const char *dtypeName;
};
constexpr StorageType kStorageTypes[] = {
    {"FloatStorage", DType::Float32, 4, "float32"},   {"DoubleStorage", DType::Float64, 8, "float64"},
    {"HalfStorage", DType::Unsupported, 2, "float16"}, {"BFloat16Storage", DType::Unsupported, 2, "bfloat16"},
    {"LongStorage", DType::Unsupported, 8, "int64"},  {"IntStorage", DType::Unsupported, 4, "int32"},
    {"ShortStorage", DType::Unsupported, 2, "int16"}, {"CharStorage", DType::Unsupported, 1, "int8"},
    {"ByteStorage", DType::Unsupported, 1, "uint8"},  {"BoolStorage", DType::Unsupported, 1, "bool"},
    {"ComplexFloatStorage", DType::Unsupported, 8, "complex64"},
    {"ComplexDoubleStorage", DType::Unsupported, 16, "complex128"},
};
const StorageType *storageType(const std::string &global)
{
    if (global.rfind("torch ", 0) != 0)
        return nullptr;
    const std::string name = global.substr(6);
    for (const auto &t : kStorageTypes)
        if (name == t.name)
            return &t;
    return nullptr;
}
const char *const kOrderedDict = "collections OrderedDict";
const char *const kRebuildTensor = "torch._utils _rebuild_tensor_v2";
const char *const kRestoreTypeTag = "torch.jit._pickle restore_type_tag"; // LibTorch's pickle_save

/// What one value costs (Limits::maxMaterialisedBytes): the object and make_shared's control block.
constexpr std::int64_t kValueBytes = sizeof(Value) + 16;
/// What one dictionary entry costs: its slot (capacity at most twice the size) and its index node.
constexpr std::int64_t kEntryBytes = 2 * sizeof(std::pair<ValuePtr, ValuePtr>) + sizeof(Value::Key) + 48;

class Unpickler {
public:
    Unpickler(Archive &archive, const std::unordered_map<std::string, const Record *> &records,
              const std::string &prefix, const unsigned char *data, std::int64_t size, const Limits &limits)
        : m_archive(archive), m_records(records), m_prefix(prefix), m_data(data), m_size(size), m_limits(limits)
    {
    }

    ValuePtr run();

private:
    [[noreturn]] void error(const QString &why) const
    {
        fail(m_archive.name, QStringLiteral("data.pkl byte %1: %2").arg(m_opAt).arg(why));
    }
    const unsigned char *take(std::int64_t n)
    {
        if (n < 0 || n > m_size - m_pos)
            error(QStringLiteral("truncated (needs %1 more bytes, %2 left)").arg(n).arg(m_size - m_pos));
        const unsigned char *p = m_data + m_pos;
        m_pos += n;
        return p;
    }
    std::string line()
    {
        // GLOBAL's module and name: newline-terminated, short.
        constexpr std::int64_t kMaxLine = 256;
        for (std::int64_t i = m_pos; i < m_size && i - m_pos <= kMaxLine; ++i) {
            if (m_data[i] == '\n') {
                std::string s(reinterpret_cast<const char *>(m_data + m_pos), std::size_t(i - m_pos));
                m_pos = i + 1;
                return s;
            }
        }
        error(QStringLiteral("GLOBAL name is unterminated or longer than %1 bytes").arg(kMaxLine));
    }
    ValuePtr make(Value::Type type)
    {
        if (++m_values > m_limits.maxValues)
            error(QStringLiteral("creates more than %1 objects").arg(m_limits.maxValues));
        charge(kValueBytes);
        auto v = std::make_shared<Value>();
        v->type = type;
        return v;
    }
    void push(ValuePtr v)
    {
        if (std::int64_t(m_stack.size()) >= m_limits.maxStack)
            error(QStringLiteral("stack deeper than %1").arg(m_limits.maxStack));
        m_stack.push_back(std::move(v));
    }
    ValuePtr pop(const char *op)
    {
        if (std::int64_t(m_stack.size()) <= markBase())
            error(QStringLiteral("%1 on an empty stack").arg(QLatin1String(op)));
        auto v = std::move(m_stack.back());
        m_stack.pop_back();
        return v;
    }
    std::int64_t markBase() const { return m_marks.empty() ? 0 : m_marks.back(); }
    /// Items since the last MARK, which is removed.
    std::vector<ValuePtr> popMark(const char *op)
    {
        if (m_marks.empty())
            error(QStringLiteral("%1 without MARK").arg(QLatin1String(op)));
        const std::int64_t base = m_marks.back();
        m_marks.pop_back();
        std::vector<ValuePtr> items(std::make_move_iterator(m_stack.begin() + base), std::make_move_iterator(m_stack.end()));
        m_stack.resize(std::size_t(base));
        return items;
    }
    ValuePtr &top(const char *op)
    {
        if (std::int64_t(m_stack.size()) <= markBase())
            error(QStringLiteral("%1 on an empty stack").arg(QLatin1String(op)));
        return m_stack.back();
    }
    /// Counts bytes the reader builds (Limits::maxMaterialisedBytes), freed ones included.
    void charge(std::int64_t bytes)
    {
        m_materialised += bytes;
        if (m_materialised > m_limits.maxMaterialisedBytes)
            error(QStringLiteral("builds more than %1 of objects (a seed-model checkpoint builds well under 1 MiB)")
                      .arg(sizeText(m_limits.maxMaterialisedBytes)));
    }
    /// Counts an opcode or an item an opcode moves (Limits::maxOperations).
    void operation()
    {
        if (++m_operations > m_limits.maxOperations)
            error(QStringLiteral("takes more than %1 operations").arg(m_limits.maxOperations));
    }
    /// Places child in container: seals child (no later mutation, so no cycles) and tracks depth.
    void adopt(Value &container, const ValuePtr &child)
    {
        if (child.get() == &container)
            error(QStringLiteral("a container cannot contain itself"));
        child->sealed = true;
        const int depth = child->depth + 1;
        if (depth > m_limits.maxDepth)
            error(QStringLiteral("containers nested deeper than %1").arg(m_limits.maxDepth));
        container.depth = std::max(container.depth, depth);
    }
    void checkMutable(const Value &v, const char *op)
    {
        if (v.sealed)
            error(QStringLiteral("%1 on a container already placed elsewhere").arg(QLatin1String(op)));
    }
    void checkSize(std::size_t n)
    {
        if (std::int64_t(n) > m_limits.maxContainer)
            error(QStringLiteral("a container of more than %1 items").arg(m_limits.maxContainer));
    }
    void append(Value &list, ValuePtr item)
    {
        operation();
        adopt(list, item);
        checkSize(list.items.size() + 1);
        charge(2 * std::int64_t(sizeof(ValuePtr))); // a vector's capacity is at most twice its size
        list.items.push_back(std::move(item));
    }
    void setItem(Value &dict, ValuePtr key, ValuePtr value)
    {
        if (key->type != Value::Type::String && key->type != Value::Type::Int)
            error(QStringLiteral("a dictionary key is a %1; only strings and integers are accepted").arg(QLatin1String(key->typeName())));
        operation();
        adopt(dict, value);
        key->sealed = true;
        // Hashing the key reads it and a hit compares it: its length counts twice, each time,
        // so one long string set as a key thousands of times is refused, not hashed for minutes.
        m_keyBytes += 2 * std::int64_t(key->text.size());
        if (m_keyBytes > m_limits.maxKeyBytes)
            error(QStringLiteral("hashes more than %1 of dictionary keys (a state_dict's names take a few KB)")
                      .arg(sizeText(m_limits.maxKeyBytes)));
        auto it = dict.index.find(Value::keyOf(*key));
        if (it != dict.index.end()) {
            dict.entries[it->second].second = std::move(value);
            return;
        }
        checkSize(dict.entries.size() + 1);
        charge(kEntryBytes);
        dict.entries.emplace_back(std::move(key), std::move(value));
        // The view is of the key Value's own text: the entry keeps it alive and nothing copies it.
        dict.index.emplace(Value::keyOf(*dict.entries.back().first), dict.entries.size() - 1);
    }
    ValuePtr tuple(std::vector<ValuePtr> items)
    {
        checkSize(items.size());
        auto t = make(Value::Type::Tuple);
        charge(std::int64_t(items.size() * sizeof(ValuePtr)));
        for (const auto &i : items) {
            operation();
            adopt(*t, i);
        }
        t->items = std::move(items);
        return t;
    }
    ValuePtr string(std::int64_t n)
    {
        if (n > m_limits.maxStringBytes)
            error(QStringLiteral("a string of %1 bytes; at most %2 are accepted").arg(n).arg(m_limits.maxStringBytes));
        const unsigned char *p = take(n);
        charge(n);
        auto v = make(Value::Type::String);
        v->text.assign(reinterpret_cast<const char *>(p), std::size_t(n));
        return v;
    }
    ValuePtr integer(std::int64_t i)
    {
        auto v = make(Value::Type::Int);
        v->integer = i;
        return v;
    }
    void memoPut(std::uint64_t index)
    {
        if (index >= std::uint64_t(m_limits.maxMemo))
            error(QStringLiteral("memo index %1 is beyond %2").arg(index).arg(m_limits.maxMemo));
        if (m_memo.size() <= index) {
            charge(std::int64_t((index + 1 - m_memo.size()) * sizeof(ValuePtr)));
            m_memo.resize(std::size_t(index) + 1);
        }
        // The memo shares the value (one reference more): a memo reference never copies it.
        m_memo[index] = top("PUT");
    }
    void memoGet(std::uint64_t index)
    {
        if (index >= m_memo.size() || !m_memo[index])
            error(QStringLiteral("memo index %1 was never stored").arg(index));
        push(m_memo[index]);
    }
    ValuePtr reduce(const ValuePtr &callable, const ValuePtr &args);
    /// torch._utils._rebuild_tensor_v2: a tensor that must fit its storage exactly.
    ValuePtr rebuildTensor(const std::vector<ValuePtr> &args);
    ValuePtr persistentLoad(const ValuePtr &pid);
    std::int64_t intArg(const Value &v, const char *what)
    {
        if (v.type != Value::Type::Int)
            error(QStringLiteral("%1 is a %2, expected an integer").arg(QLatin1String(what), QLatin1String(v.typeName())));
        return v.integer;
    }
    std::vector<std::int64_t> intTuple(const Value &v, const char *what)
    {
        if (v.type != Value::Type::Tuple)
            error(QStringLiteral("tensor %1 is a %2, expected a tuple").arg(QLatin1String(what), QLatin1String(v.typeName())));
        if (std::int64_t(v.items.size()) > m_limits.maxDims)
            error(QStringLiteral("tensor of %1 dimensions; at most %2 are accepted").arg(v.items.size()).arg(m_limits.maxDims));
        std::vector<std::int64_t> out;
        for (const auto &i : v.items) {
            const auto x = intArg(*i, what);
            if (x < 0)
                error(QStringLiteral("tensor %1 has a negative entry %2").arg(QLatin1String(what)).arg(x));
            out.push_back(x);
        }
        return out;
    }

    Archive &m_archive;
    const std::unordered_map<std::string, const Record *> &m_records;
    const std::string &m_prefix;
    const unsigned char *m_data;
    std::int64_t m_size;
    const Limits &m_limits;
    std::int64_t m_pos = 0;
    std::int64_t m_opAt = 0;
    std::int64_t m_values = 0;
    std::int64_t m_materialised = 0; ///< Limits::maxMaterialisedBytes
    std::int64_t m_keyBytes = 0;     ///< Limits::maxKeyBytes
    std::int64_t m_operations = 0;   ///< Limits::maxOperations
    std::vector<ValuePtr> m_stack;
    std::vector<std::int64_t> m_marks;
    std::vector<ValuePtr> m_memo;
    std::unordered_map<std::string, int> m_storageByKey;
};

ValuePtr Unpickler::persistentLoad(const ValuePtr &pid)
{
    // ('storage', torch.FloatStorage, key, location, numel), as torch.save and pickle_save write it.
    const Value &t = *pid;
    if (t.type != Value::Type::Tuple || t.items.size() != 5 || t.items[0]->type != Value::Type::String ||
        t.items[0]->text != "storage")
        error(QStringLiteral("persistent id is not a ('storage', type, key, location, size) tuple"));
    const Value &type = *t.items[1];
    const StorageType *st = type.type == Value::Type::Global ? storageType(type.text) : nullptr;
    if (!st)
        error(QStringLiteral("persistent id names an unknown storage type"));
    if (t.items[2]->type != Value::Type::String || t.items[3]->type != Value::Type::String)
        error(QStringLiteral("storage key or location is not a string"));
    const std::string &key = t.items[2]->text;
    const std::int64_t numel = intArg(*t.items[4], "storage size");
    if (key.size() > kMaxNameBytes)
        error(QStringLiteral("storage key of %1 bytes; record names are at most %2").arg(key.size()).arg(kMaxNameBytes));
    const QString qkey = printable(key);
    if (numel < 0)
        error(QStringLiteral("storage '%1' has a negative size").arg(qkey));
    auto v = make(Value::Type::Storage);
    if (auto it = m_storageByKey.find(key); it != m_storageByKey.end()) {
        const Storage &s = m_archive.storages[std::size_t(it->second)];
        if (s.typeName != st->name || s.numel != numel)
            error(QStringLiteral("storage '%1' is declared twice differently").arg(qkey));
        v->integer = it->second;
        return v;
    }
    auto rec = m_records.find(m_prefix + "/data/" + key);
    if (rec == m_records.end())
        error(QStringLiteral("storage '%1' has no record in the archive").arg(qkey));
    // The record must hold exactly numel elements: no tensor can then read past it.
    std::int64_t bytes = 0;
    if (__builtin_mul_overflow(numel, std::int64_t(st->size), &bytes) || bytes != rec->second->size)
        error(QStringLiteral("storage '%1' declares %2 %3 elements (%4 bytes) but its record has %5")
                  .arg(qkey).arg(numel).arg(QLatin1String(st->dtypeName))
                  .arg(numel <= INT64_MAX / st->size ? QString::number(numel * st->size) : QStringLiteral("too many"))
                  .arg(sizeText(rec->second->size)));
    Storage s;
    s.key = key;
    s.typeName = st->name;
    s.dtype = st->dtype;
    s.elementSize = st->size;
    s.numel = numel;
    s.data = rec->second->data;
    m_archive.storages.push_back(std::move(s));
    v->integer = std::int64_t(m_archive.storages.size() - 1);
    m_storageByKey.emplace(key, int(v->integer));
    return v;
}

ValuePtr Unpickler::reduce(const ValuePtr &callable, const ValuePtr &argsPtr)
{
    if (callable->type != Value::Type::Global)
        error(QStringLiteral("REDUCE on a %1, not an allowed callable").arg(QLatin1String(callable->typeName())));
    if (argsPtr->type != Value::Type::Tuple)
        error(QStringLiteral("REDUCE arguments are a %1, expected a tuple").arg(QLatin1String(argsPtr->typeName())));
    argsPtr->sealed = true;
    const auto &args = argsPtr->items;
    const std::string &name = callable->text;
    if (name == kOrderedDict) {
        if (!args.empty())
            error(QStringLiteral("OrderedDict with arguments"));
        auto d = make(Value::Type::Dict);
        d->ordered = true;
        return d;
    }
    if (name == kRestoreTypeTag) {
        // LibTorch's typed containers: (value, "Dict[str, Tensor]"); the type string is not needed.
        if (args.size() != 2 || args[1]->type != Value::Type::String)
            error(QStringLiteral("restore_type_tag takes (value, type)"));
        return args[0];
    }
    if (name == kRebuildTensor)
        return rebuildTensor(args);
    error(QStringLiteral("REDUCE on '%1', which is not allowed").arg(printable(name)));
}

ValuePtr Unpickler::rebuildTensor(const std::vector<ValuePtr> &args)
{
    // (storage, storage_offset, size, stride, requires_grad, backward_hooks[, metadata])
    if (args.size() != 6 && args.size() != 7)
        error(QStringLiteral("_rebuild_tensor_v2 takes 6 or 7 arguments, got %1").arg(args.size()));
    if (args[0]->type != Value::Type::Storage)
        error(QStringLiteral("_rebuild_tensor_v2 on a %1, not a storage").arg(QLatin1String(args[0]->typeName())));
    const Storage &s = m_archive.storages[std::size_t(args[0]->integer)];
    TensorRef ref;
    ref.storage = int(args[0]->integer);
    ref.offset = intArg(*args[1], "storage offset");
    ref.sizes = intTuple(*args[2], "size");
    ref.strides = intTuple(*args[3], "stride");
    const QString qkey = printable(s.key);
    if (ref.offset < 0)
        error(QStringLiteral("tensor on storage '%1' has a negative offset").arg(qkey));
    if (ref.sizes.size() != ref.strides.size())
        error(QStringLiteral("tensor on storage '%1' has %2 sizes but %3 strides").arg(qkey).arg(ref.sizes.size()).arg(ref.strides.size()));
    // Overflow-safe: numel, and the last element's index offset + sum((size-1)*stride).
    std::int64_t numel = 1, last = ref.offset;
    bool overflow = false;
    for (std::size_t i = 0; i < ref.sizes.size(); ++i) {
        overflow |= __builtin_mul_overflow(numel, ref.sizes[i], &numel);
        if (ref.sizes[i] > 0) {
            std::int64_t span = 0;
            overflow |= __builtin_mul_overflow(ref.sizes[i] - 1, ref.strides[i], &span);
            overflow |= __builtin_add_overflow(last, span, &last);
        }
    }
    if (overflow)
        error(QStringLiteral("tensor on storage '%1' has sizes, strides or offset that overflow").arg(qkey));
    // A view may not hold more elements than its storage (a stride-0 broadcast of a tiny
    // storage would otherwise decode to any size).
    if (numel > s.numel)
        error(QStringLiteral("tensor on storage '%1' has %2 elements, more than its storage's %3")
                  .arg(qkey).arg(numel).arg(s.numel));
    if (numel > 0 ? last >= s.numel : ref.offset > s.numel)
        error(QStringLiteral("tensor on storage '%1' reads past its %2 elements (offset %3, last element %4)")
                  .arg(qkey).arg(s.numel).arg(ref.offset).arg(last));
    if (args[4]->type != Value::Type::Bool)
        error(QStringLiteral("requires_grad is a %1, expected a bool").arg(QLatin1String(args[4]->typeName())));
    if (args[5]->type != Value::Type::Dict || !args[5]->entries.empty())
        error(QStringLiteral("tensor with backward hooks"));
    auto t = make(Value::Type::Tensor);
    charge(std::int64_t((ref.sizes.size() + ref.strides.size()) * sizeof(std::int64_t)));
    t->tensor = std::move(ref);
    return t;
}

/// The VM loop: one case per allowed opcode. Long on purpose (~170 lines): the whole opcode set
/// and its limits are checked in one place a reviewer can read against pickle's opcode table.
ValuePtr Unpickler::run()
{
    using T = Value::Type;
    while (true) {
        m_opAt = m_pos;
        const unsigned char op = *take(1);
        operation();
        switch (op) {
        case 0x80: { // PROTO
            const int proto = *take(1);
            if (proto < 2 || proto > 5)
                error(QStringLiteral("pickle protocol %1 is not supported").arg(proto));
            break;
        }
        case 0x95: // FRAME: a length hint; the data are already in memory
            take(8);
            break;
        case '.': { // STOP
            if (m_stack.size() != 1 || !m_marks.empty())
                error(QStringLiteral("STOP with %1 items on the stack").arg(m_stack.size()));
            // Nothing may follow the data: bytes after STOP are a damaged or doctored file.
            if (m_pos != m_size)
                error(QStringLiteral("%1 bytes after the pickle's STOP").arg(m_size - m_pos));
            auto root = std::move(m_stack.back());
            m_stack.clear();
            m_memo.clear();
            return root;
        }
        case '(': // MARK
            if (int(m_marks.size()) >= m_limits.maxMarks)
                error(QStringLiteral("MARKs nested deeper than %1").arg(m_limits.maxMarks));
            m_marks.push_back(std::int64_t(m_stack.size()));
            break;
        case 'N': push(make(T::None)); break;
        case 0x88: case 0x89: { // NEWTRUE, NEWFALSE
            auto v = make(T::Bool);
            v->boolean = op == 0x88;
            push(std::move(v));
            break;
        }
        case 'J': push(integer(std::int32_t(le32(take(4))))); break; // BININT
        case 'K': push(integer(*take(1))); break;                    // BININT1
        case 'M': push(integer(le16(take(2)))); break;               // BININT2
        case 0x8a: { // LONG1: little-endian two's complement of n bytes
            const int n = *take(1);
            if (n > 8)
                error(QStringLiteral("an integer of %1 bytes does not fit 64 bits").arg(n));
            const unsigned char *p = take(n);
            std::uint64_t u = 0;
            for (int i = 0; i < n; ++i)
                u |= std::uint64_t(p[i]) << (8 * i);
            if (n > 0 && n < 8 && (p[n - 1] & 0x80))
                u |= ~std::uint64_t(0) << (8 * n); // sign-extend
            push(integer(std::int64_t(u)));
            break;
        }
        case 'G': { // BINFLOAT: big-endian double
            const unsigned char *p = take(8);
            std::uint64_t u = 0;
            for (int i = 0; i < 8; ++i)
                u = (u << 8) | p[i];
            auto v = make(T::Float);
            std::memcpy(&v->real, &u, 8);
            push(std::move(v));
            break;
        }
        case 'X': push(string(le32(take(4)))); break;   // BINUNICODE
        case 0x8c: push(string(*take(1))); break;        // SHORT_BINUNICODE
        case 0x8d: {                                    // BINUNICODE8
            const std::uint64_t n = le64(take(8));
            push(string(n > std::uint64_t(INT64_MAX) ? INT64_MAX : std::int64_t(n)));
            break;
        }
        case ')': push(tuple({})); break; // EMPTY_TUPLE
        case 0x85: case 0x86: case 0x87: { // TUPLE1..3
            const int n = op - 0x84;
            std::vector<ValuePtr> items(static_cast<std::size_t>(n));
            for (int i = n - 1; i >= 0; --i)
                items[std::size_t(i)] = pop("TUPLE");
            push(tuple(std::move(items)));
            break;
        }
        case 't': push(tuple(popMark("TUPLE"))); break;
        case ']': push(make(T::List)); break; // EMPTY_LIST
        case '}': push(make(T::Dict)); break; // EMPTY_DICT
        case 'a': { // APPEND
            auto item = pop("APPEND");
            auto &list = top("APPEND");
            if (list->type != T::List)
                error(QStringLiteral("APPEND to a %1").arg(QLatin1String(list->typeName())));
            checkMutable(*list, "APPEND");
            append(*list, std::move(item));
            break;
        }
        case 'e': { // APPENDS
            auto items = popMark("APPENDS");
            auto &list = top("APPENDS");
            if (list->type != T::List)
                error(QStringLiteral("APPENDS to a %1").arg(QLatin1String(list->typeName())));
            checkMutable(*list, "APPENDS");
            for (auto &i : items)
                append(*list, std::move(i));
            break;
        }
        case 's': { // SETITEM
            auto value = pop("SETITEM");
            auto key = pop("SETITEM");
            auto &dict = top("SETITEM");
            if (dict->type != T::Dict)
                error(QStringLiteral("SETITEM on a %1").arg(QLatin1String(dict->typeName())));
            checkMutable(*dict, "SETITEM");
            setItem(*dict, std::move(key), std::move(value));
            break;
        }
        case 'u': { // SETITEMS
            auto items = popMark("SETITEMS");
            if (items.size() % 2)
                error(QStringLiteral("SETITEMS with an odd number of items"));
            auto &dict = top("SETITEMS");
            if (dict->type != T::Dict)
                error(QStringLiteral("SETITEMS on a %1").arg(QLatin1String(dict->typeName())));
            checkMutable(*dict, "SETITEMS");
            for (std::size_t i = 0; i < items.size(); i += 2)
                setItem(*dict, std::move(items[i]), std::move(items[i + 1]));
            break;
        }
        case 'q': memoPut(*take(1)); break;        // BINPUT
        case 'r': memoPut(le32(take(4))); break;   // LONG_BINPUT
        case 0x94: memoPut(m_memo.size()); break;  // MEMOIZE
        case 'h': memoGet(*take(1)); break;        // BINGET
        case 'j': memoGet(le32(take(4))); break;   // LONG_BINGET
        case 'c': { // GLOBAL
            std::string module = line();
            std::string name = line();
            const std::string full = module + ' ' + name;
            if (full != kOrderedDict && full != kRebuildTensor && full != kRestoreTypeTag && !storageType(full))
                error(QStringLiteral("refers to '%1.%2', which a weights-only file may not").arg(printable(module), printable(name)));
            auto v = make(T::Global);
            v->text = full;
            push(std::move(v));
            break;
        }
        case 0x93: { // STACK_GLOBAL
            auto name = pop("STACK_GLOBAL");
            auto module = pop("STACK_GLOBAL");
            if (module->type != T::String || name->type != T::String)
                error(QStringLiteral("STACK_GLOBAL on non-strings"));
            // Every allowed name is short: a long one is refused before it is copied.
            constexpr std::size_t kMaxGlobal = 256;
            const bool allowedLength = module->text.size() <= kMaxGlobal && name->text.size() <= kMaxGlobal;
            const std::string full = allowedLength ? module->text + ' ' + name->text : std::string();
            if (full != kOrderedDict && full != kRebuildTensor && full != kRestoreTypeTag && !storageType(full))
                error(QStringLiteral("refers to '%1.%2', which a weights-only file may not").arg(printable(module->text), printable(name->text)));
            auto v = make(T::Global);
            v->text = full;
            push(std::move(v));
            break;
        }
        case 'R': { // REDUCE
            auto args = pop("REDUCE");
            auto callable = pop("REDUCE");
            push(reduce(callable, args));
            break;
        }
        case 'Q': { // BINPERSID
            auto pid = pop("BINPERSID");
            push(persistentLoad(pid));
            break;
        }
        case 'b': { // BUILD: only OrderedDict's attributes (state_dict's _metadata), dropped
            auto state = pop("BUILD");
            auto &obj = top("BUILD");
            if (obj->type != T::Dict || !obj->ordered || (state->type != T::Dict && state->type != T::None))
                error(QStringLiteral("BUILD on a %1; only an OrderedDict's attributes are accepted").arg(QLatin1String(obj->typeName())));
            state->sealed = true;
            break;
        }
        case '0': pop("POP"); break;
        default:
            error(QStringLiteral("opcode 0x%1 is not accepted in a weights-only file").arg(op, 2, 16, QLatin1Char('0')));
        }
    }
}

} // namespace

Value::Key Value::keyOf(const Value &key)
{
    return key.type == Type::Int ? Key{true, key.integer, {}} : Key{false, 0, key.text};
}

std::size_t Value::KeyHash::operator()(const Key &k) const noexcept
{
    return k.isInteger ? std::hash<std::int64_t>()(k.integer) : std::hash<std::string_view>()(k.text);
}

const Value *Value::find(const std::string &key) const
{
    auto it = index.find(Key{false, 0, key});
    return it == index.end() ? nullptr : entries[it->second].second.get();
}

const char *Value::typeName() const
{
    switch (type) {
    case Type::None: return "None";
    case Type::Bool: return "bool";
    case Type::Int: return "integer";
    case Type::Float: return "float";
    case Type::String: return "string";
    case Type::Tuple: return "tuple";
    case Type::List: return "list";
    case Type::Dict: return "dictionary";
    case Type::Global: return "global";
    case Type::Storage: return "storage";
    case Type::Tensor: return "tensor";
    }
    return "?";
}

QString Archive::dtypeName(const TensorRef &ref) const
{
    const auto &s = storages.at(std::size_t(ref.storage));
    for (const auto &t : kStorageTypes)
        if (s.typeName == t.name)
            return QLatin1String(t.dtypeName);
    return QString::fromStdString(s.typeName);
}

TensorData Archive::decode(const TensorRef &ref, const QString &field) const
{
    const Storage &s = storages.at(std::size_t(ref.storage));
    if (s.dtype == DType::Unsupported)
        fail(name, QStringLiteral("%1 has dtype %2; only float32 and float64 are read").arg(field, dtypeName(ref)));
    TensorData out;
    out.shape = ref.sizes;
    const std::int64_t n = out.numel(); // bounded by the storage at parse time
    out.values.resize(std::size_t(n));
    if (n == 0)
        return out;
    const std::size_t dims = ref.sizes.size();
    std::vector<std::int64_t> pos(dims, 0);
    std::int64_t src = ref.offset;
    for (std::int64_t i = 0; i < n; ++i) {
        const unsigned char *p = s.data + src * s.elementSize;
        if (s.dtype == DType::Float32) {
            std::memcpy(&out.values[std::size_t(i)], p, 4);
        } else {
            double d;
            std::memcpy(&d, p, 8);
            out.values[std::size_t(i)] = float(d);
        }
        // Advance the row-major position (non-contiguous tensors are made contiguous here).
        for (std::size_t k = dims; k-- > 0;) {
            if (++pos[k] < ref.sizes[k]) {
                src += ref.strides[k];
                break;
            }
            src -= (ref.sizes[k] - 1) * ref.strides[k];
            pos[k] = 0;
        }
    }
    return out;
}

std::vector<unsigned char> readFileBounded(const QString &path, std::int64_t maxBytes)
{
    try {
        return safefile::readFile(path, maxBytes);
    } catch (const FileError &e) {
        // A file too large is refused as the reader's own size limit is; the rest cannot be read.
        fail(path, e.message(), e.kind() == FileError::Kind::TooLarge ? Kind::Corrupt : Kind::Unreadable);
    }
}

std::unique_ptr<Archive> parse(std::vector<unsigned char> bytes, const QString &name, const Limits &limits)
{
    auto archive = std::make_unique<Archive>();
    archive->name = name;
    if (bytes.empty())
        fail(name, QStringLiteral("the file is empty"));
    if (std::int64_t(bytes.size()) > limits.maxFileBytes)
        fail(name, QStringLiteral("%1; at most %2 are accepted").arg(sizeText(std::int64_t(bytes.size())), sizeText(limits.maxFileBytes)));
    if (looksLegacy(bytes))
        fail(name, QStringLiteral("the legacy (before PyTorch 1.6) torch.save format, which is not read; re-save it "
                                  "with a current PyTorch: torch.save(torch.load(old), new)"),
             Kind::Foreign);
    if (bytes.size() < 4 || le32(bytes.data()) != kLocalSig)
        fail(name, QStringLiteral("not a readable checkpoint (not a zip archive; truncated or corrupt?)"));
    archive->m_bytes = std::move(bytes);
    const auto records = readZip(*archive, limits);

    // Exactly one <prefix>/data.pkl; storages are <prefix>/data/<key>.
    std::unordered_map<std::string, const Record *> byName;
    const Record *pickle = nullptr;
    std::string prefix;
    for (const auto &r : records) {
        byName.emplace(r.name, &r);
        const auto slash = r.name.find('/');
        if (slash != std::string::npos && r.name.compare(slash, std::string::npos, "/data.pkl") == 0) {
            if (pickle)
                fail(name, QStringLiteral("the archive holds two pickles (data.pkl)"));
            pickle = &r;
            prefix = r.name.substr(0, slash);
        }
    }
    if (!pickle)
        fail(name, QStringLiteral("the archive has no data.pkl: not a torch.save file"), Kind::Foreign);
    if (auto it = byName.find(prefix + "/byteorder"); it != byName.end()) {
        const std::string order(reinterpret_cast<const char *>(it->second->data), std::size_t(std::min<std::int64_t>(it->second->size, 16)));
        if (order != "little")
            fail(name, QStringLiteral("tensors are stored big-endian, which is not read"));
    }
    if (pickle->size > limits.maxPickleBytes)
        fail(name, QStringLiteral("data.pkl is %1; at most %2 are accepted").arg(sizeText(pickle->size), sizeText(limits.maxPickleBytes)));
    Unpickler vm(*archive, byName, prefix, pickle->data, pickle->size, limits);
    archive->root = vm.run();
    return archive;
}

std::unique_ptr<Archive> open(const QString &path, const Limits &limits)
{
    return parse(readFileBounded(path, limits.maxFileBytes), path, limits);
}

} // namespace core::torchfile
