#include "craftedfiles.h"
#include "core/checkpointreader.h"

#include <cstring>
#include <zlib.h>

namespace crafted {

namespace {

void put16(QByteArray &b, std::uint32_t v)
{
    b.append(char(v & 0xFF));
    b.append(char((v >> 8) & 0xFF));
}
void put32(QByteArray &b, std::uint32_t v)
{
    put16(b, v & 0xFFFF);
    put16(b, v >> 16);
}
std::uint32_t get16(const QByteArray &b, qsizetype at) { return std::uint8_t(b[at]) | (std::uint8_t(b[at + 1]) << 8); }
std::uint32_t get32(const QByteArray &b, qsizetype at) { return get16(b, at) | (get16(b, at + 2) << 16); }

QByteArray rawDeflate(const QByteArray &in)
{
    z_stream zs{};
    deflateInit2(&zs, 9, Z_DEFLATED, -MAX_WBITS, 9, Z_DEFAULT_STRATEGY);
    QByteArray out(qsizetype(deflateBound(&zs, uLong(in.size()))), '\0');
    zs.next_in = reinterpret_cast<Bytef *>(const_cast<char *>(in.data()));
    zs.avail_in = uInt(in.size());
    zs.next_out = reinterpret_cast<Bytef *>(out.data());
    zs.avail_out = uInt(out.size());
    deflate(&zs, Z_FINISH);
    out.resize(qsizetype(zs.total_out));
    deflateEnd(&zs);
    return out;
}

QByteArray recordOf(const Tensor &t)
{
    if (!t.rawRecord.isEmpty() || t.forceRaw)
        return t.rawRecord;
    return QByteArray(reinterpret_cast<const char *>(t.values.data()), qsizetype(t.values.size() * sizeof(float)));
}

} // namespace

QByteArray zip(const std::vector<Record> &records)
{
    QByteArray out, central;
    for (const auto &r : records) {
        const QByteArray stored = r.deflate ? rawDeflate(r.data) : r.data;
        std::uint32_t crc = std::uint32_t(crc32(0, reinterpret_cast<const Bytef *>(r.data.data()), uInt(r.data.size())));
        if (r.badCrc)
            crc ^= 1;
        const std::uint32_t usize = std::uint32_t(r.declaredSize >= 0 ? r.declaredSize : r.data.size());
        const std::uint32_t offset = std::uint32_t(out.size());
        auto header = [&](QByteArray &b, bool local) {
            put32(b, local ? 0x04034b50 : 0x02014b50);
            if (!local)
                put16(b, 20); // version made by
            put16(b, 20);     // version needed
            put16(b, 0);      // flags
            put16(b, r.deflate ? 8 : 0);
            put16(b, 0);
            put16(b, 0); // time, date
            put32(b, crc);
            put32(b, std::uint32_t(stored.size()));
            put32(b, usize);
            put16(b, std::uint32_t(r.name.size()));
            put16(b, 0); // extra
            if (!local) {
                put16(b, 0);
                put16(b, 0);
                put16(b, 0);
                put32(b, 0);
                put32(b, offset);
            }
            b.append(r.name.data(), qsizetype(r.name.size()));
        };
        header(out, true);
        out.append(stored);
        header(central, false);
    }
    const std::uint32_t cdOffset = std::uint32_t(out.size());
    out.append(central);
    put32(out, 0x06054b50);
    put16(out, 0);
    put16(out, 0);
    put16(out, std::uint32_t(records.size()));
    put16(out, std::uint32_t(records.size()));
    put32(out, std::uint32_t(central.size()));
    put32(out, cdOffset);
    put16(out, 0);
    return out;
}

std::vector<Record> unzip(const QByteArray &a)
{
    std::vector<Record> out;
    qsizetype end = a.size() - 22;
    while (end > 0 && get32(a, end) != 0x06054b50)
        --end;
    const std::uint32_t entries = get16(a, end + 10);
    qsizetype p = get32(a, end + 16);
    for (std::uint32_t i = 0; i < entries; ++i) {
        Record r;
        const std::uint32_t method = get16(a, p + 10), csize = get32(a, p + 20);
        const std::uint32_t nameLen = get16(a, p + 28), extraLen = get16(a, p + 30), commentLen = get16(a, p + 32);
        const std::uint32_t local = get32(a, p + 42);
        r.name = a.mid(p + 46, nameLen).toStdString();
        const qsizetype data = local + 30 + get16(a, local + 26) + get16(a, local + 28);
        r.data = a.mid(data, csize);
        r.deflate = method == 8;
        out.push_back(r);
        p += 46 + nameLen + extraLen + commentLen;
    }
    return out;
}

std::vector<Tensor> seedTensors()
{
    std::vector<Tensor> out;
    int k = 0;
    for (const auto &[name, shape] : core::seedParameterShapes()) {
        Tensor t;
        t.name = name;
        t.sizes = shape;
        std::int64_t n = 1;
        for (auto d : shape)
            n *= d;
        for (std::int64_t i = 0; i < n; ++i)
            t.values.push_back(float(((i * 7 + k) % 19) - 9) * 0.01f);
        ++k;
        out.push_back(std::move(t));
    }
    return out;
}

Pickle::Pickle() { m_bytes.append("\x80\x02", 2); }
Pickle &Pickle::raw(const QByteArray &bytes)
{
    m_bytes.append(bytes);
    return *this;
}
Pickle &Pickle::str(const std::string &s)
{
    m_bytes.append('X');
    put32(m_bytes, std::uint32_t(s.size()));
    m_bytes.append(s.data(), qsizetype(s.size()));
    return *this;
}
Pickle &Pickle::integer(std::int64_t v)
{
    m_bytes.append("\x8a\x08", 2);
    for (int i = 0; i < 8; ++i)
        m_bytes.append(char((std::uint64_t(v) >> (8 * i)) & 0xFF));
    return *this;
}
Pickle &Pickle::tensor(const Tensor &t)
{
    m_bytes.append("ctorch._utils\n_rebuild_tensor_v2\n(", 34);
    m_bytes.append('(');
    str("storage");
    m_bytes.append("ctorch\n");
    m_bytes.append(QByteArray::fromStdString(t.storageType) + "\n");
    str(t.name).str("cpu").integer(t.numel >= 0 ? t.numel : std::int64_t(t.values.size()));
    m_bytes.append("tQ");
    integer(t.offset);
    m_bytes.append('(');
    for (auto s : t.sizes)
        integer(s);
    m_bytes.append("t(");
    std::vector<std::int64_t> strides = t.strides;
    if (strides.empty()) {
        strides.resize(t.sizes.size());
        std::int64_t s = 1;
        for (std::size_t i = t.sizes.size(); i-- > 0;) {
            strides[i] = s;
            s *= t.sizes[i];
        }
    }
    for (auto s : strides)
        integer(s);
    m_bytes.append("t\x89", 2);
    m_bytes.append("ccollections\nOrderedDict\n)R");
    m_bytes.append("tR");
    return *this;
}
Pickle &Pickle::dictBegin()
{
    m_bytes.append("}(");
    return *this;
}
Pickle &Pickle::dictEnd()
{
    m_bytes.append('u');
    return *this;
}
Pickle &Pickle::orderedDictBegin()
{
    m_bytes.append("ccollections\nOrderedDict\n)R(");
    return *this;
}
QByteArray Pickle::stop()
{
    m_bytes.append('.');
    return m_bytes;
}

QByteArray archive(const QByteArray &pickle, const std::vector<Tensor> &tensors)
{
    std::vector<Record> records{{"archive/data.pkl", pickle}};
    for (const auto &t : tensors) {
        const std::string key = "archive/data/" + t.name;
        bool seen = false;
        for (const auto &r : records)
            seen = seen || r.name == key;
        if (!seen)
            records.push_back({key, recordOf(t)});
    }
    records.push_back({"archive/version", "3\n"});
    return zip(records);
}

QByteArray stateDictFile(const std::vector<Tensor> &tensors)
{
    Pickle p;
    p.orderedDictBegin();
    for (const auto &t : tensors)
        p.str(t.name).tensor(t);
    p.dictEnd();
    return archive(p.stop(), tensors);
}

QByteArray digitlabFile(const std::string &metadata, std::int64_t formatVersion, float expAvgSq)
{
    auto weights = seedTensors();
    std::vector<Tensor> all = weights;
    Pickle p;
    p.dictBegin();
    p.str("format").str("digitlab-checkpoint");
    p.str("format_version").integer(formatVersion);
    p.str("architecture").str("seed");
    p.str("metadata").str(metadata);
    p.str("model_state_dict").dictBegin();
    for (const auto &t : weights)
        p.str(t.name).tensor(t);
    p.dictEnd();
    p.str("optimizer_state").dictBegin();
    const auto &first = weights.front();
    Tensor avg = first, sq = first;
    avg.name = first.name + ".exp_avg";
    sq.name = first.name + ".exp_avg_sq";
    for (auto &v : sq.values)
        v = expAvgSq;
    p.str(first.name).dictBegin().str("step").integer(3).str("exp_avg").tensor(avg).str("exp_avg_sq").tensor(sq).dictEnd();
    p.dictEnd();
    p.dictEnd();
    all.push_back(avg);
    all.push_back(sq);
    return archive(p.stop(), all);
}

} // namespace crafted
