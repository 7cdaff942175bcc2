#include "mnist.h"
#include "error.h"
#include "safefile.h"
#include "digest.h"

#include <QCoreApplication>
#include <QFile>
#include <QDir>
#include <QFileInfo>
#include <QStandardPaths>
#include <algorithm>
#include <cstring>
#include <memory>
#include <zlib.h>

namespace core {

MnistSet MnistSet::head(int n) const
{
    if (n <= 0 || n >= count)
        return *this;
    MnistSet out;
    out.count = n;
    out.rows = rows;
    out.cols = cols;
    out.images.assign(images.begin(), images.begin() + std::ptrdiff_t(n) * pixelsPerImage());
    out.labels.assign(labels.begin(), labels.begin() + n);
    out.imagesPath = imagesPath;
    out.labelsPath = labelsPath;
    out.checksum = checksum;
    out.imagesSha256 = imagesSha256;
    out.labelsSha256 = labelsSha256;
    out.dataset = dataset;
    return out;
}

namespace mnist {

namespace {

using Kind = MnistError::Kind;

/// IDX magic numbers: 0x08 = unsigned byte, last byte = number of dimensions.
constexpr quint32 kImagesMagic = 0x00000803;
constexpr quint32 kLabelsMagic = 0x00000801;
/// The network is built for MNIST's 28x28 images.
constexpr int kExpectedSide = 28;

/// More images than any MNIST variant holds (MNIST 60,000; QMNIST 120,000): keeps a lying header
/// from allocating more than ~235 MB.
constexpr qint64 kMaxImages = 300000;
/// Trailing bytes counted for the "bytes after the data" message; more are not read.
constexpr qint64 kMaxTrailing = 1 << 16;
/// The largest IDX file opened: kMaxImages raw images (235 MB) and their header, with room to
/// spare; anything larger cannot hold valid data (the body is still read only as far as the
/// header promises).
constexpr qint64 kMaxFileBytes = qint64(256) << 20;

quint32 bigEndian(const unsigned char *p) { return (quint32(p[0]) << 24) | (quint32(p[1]) << 16) | (quint32(p[2]) << 8) | quint32(p[3]); }

/// Raw bytes of a file or of memory.
struct Source {
    safefile::ReadableFile *file = nullptr;
    const unsigned char *data = nullptr;
    qint64 size = 0, pos = 0;
    qint64 read(unsigned char *out, qint64 n, const QString &path)
    {
        if (!file) {
            n = std::min(n, size - pos);
            std::memcpy(out, data + pos, std::size_t(n));
            pos += n;
            return n;
        }
        try {
            return file->read(out, n);
        } catch (const FileError &e) {
            throw MnistError(Kind::Unreadable, path, e.message());
        }
    }
};

/// The uncompressed bytes of an IDX file, raw or gzip (decided by content), read on demand: the
/// header is checked before the body is inflated, and the body is read only as far as the header
/// promises, so a small .gz cannot expand into gigabytes.
class IdxStream {
public:
    IdxStream(Source source, const QString &path) : m_src(source), m_path(path)
    {
        fill();
        m_gzip = m_inLen - m_inPos >= 2 && m_in[m_inPos] == 0x1f && m_in[m_inPos + 1] == 0x8b;
        if (m_gzip && inflateInit2(&m_zs, 15 + 16) != Z_OK)
            throw MnistError(Kind::Unreadable, path, QStringLiteral("cannot start decompressing"));
    }
    ~IdxStream()
    {
        if (m_gzip)
            inflateEnd(&m_zs);
    }
    IdxStream(const IdxStream &) = delete;
    IdxStream &operator=(const IdxStream &) = delete;

    /// Up to n bytes; fewer only at the end of the data.
    qint64 read(unsigned char *out, qint64 n)
    {
        qint64 done = 0;
        while (done < n && !m_end) {
            if (m_inPos == m_inLen && !fill()) {
                if (m_gzip)
                    throw MnistError(Kind::Truncated, m_path, QStringLiteral("gzip stream ends early: truncated or corrupt gzip file"));
                m_end = true;
                break;
            }
            if (!m_gzip) {
                const qint64 k = std::min(n - done, m_inLen - m_inPos);
                std::memcpy(out + done, m_in + m_inPos, std::size_t(k));
                m_inPos += k;
                done += k;
                continue;
            }
            m_zs.next_in = m_in + m_inPos;
            m_zs.avail_in = uInt(m_inLen - m_inPos);
            m_zs.next_out = out + done;
            m_zs.avail_out = uInt(std::min<qint64>(n - done, qint64(1) << 30));
            const uInt before = m_zs.avail_out;
            const int rc = inflate(&m_zs, Z_NO_FLUSH);
            m_inPos = m_inLen - m_zs.avail_in;
            done += before - m_zs.avail_out;
            if (rc == Z_STREAM_END)
                m_end = true;
            else if (rc != Z_OK && rc != Z_BUF_ERROR)
                throw MnistError(Kind::Truncated, m_path,
                                 QStringLiteral("cannot decompress (%1): truncated or corrupt gzip file").arg(QLatin1String(m_zs.msg ? m_zs.msg : "error")));
        }
        return done;
    }

    /// Raw bytes after the end of the gzip member, counted up to max: zero for raw data, and for
    /// gzip once read() has reached the member's end with nothing after it.
    qint64 bytesAfterGzipMember(qint64 max)
    {
        if (!m_gzip || !m_end)
            return 0;
        qint64 extra = m_inLen - m_inPos;
        m_inPos = m_inLen;
        while (extra < max && fill()) {
            extra += m_inLen;
            m_inPos = m_inLen;
        }
        return std::min(extra, max);
    }

private:
    bool fill()
    {
        m_inPos = 0;
        m_inLen = m_src.read(m_in, sizeof m_in, m_path);
        return m_inLen > 0;
    }
    Source m_src;
    QString m_path;
    unsigned char m_in[1 << 15];
    qint64 m_inPos = 0, m_inLen = 0;
    bool m_gzip = false, m_end = false;
    z_stream m_zs{};
};

/// A file opened for IdxStream through safefile (regular files only, so a FIFO or device cannot
/// hang or feed endless bytes), its FileError rethrown as MnistError.
std::unique_ptr<safefile::ReadableFile> openIdx(const QString &path)
{
    try {
        return std::make_unique<safefile::ReadableFile>(path, kMaxFileBytes);
    } catch (const FileError &e) {
        throw MnistError(e.kind() == FileError::Kind::Missing ? Kind::Missing : Kind::Unreadable, path, e.message());
    }
}

/// One IDX file: header checked, then exactly the body it promises (and nothing after it).
struct Idx {
    qint64 count = 0, rows = 1, cols = 1;
    std::vector<std::uint8_t> body;
    QString md5;
    QString sha256;
};

/// The header: magic number, count and (images) dimensions, checked before anything is allocated.
/// `what` describes the promised contents for the messages that follow.
Idx readIdxHeader(IdxStream &in, const QString &path, bool images, unsigned char (&header)[16], QString &what)
{
    const qint64 headerSize = images ? 16 : 8;
    const qint64 got = in.read(header, headerSize);
    const quint32 expectedMagic = images ? kImagesMagic : kLabelsMagic;
    // The magic number first: a label file given as images should say so, not "too short".
    if (got >= 4)
        if (const auto magic = bigEndian(header); magic != expectedMagic)
            throw MnistError(Kind::BadMagic, path,
                             QStringLiteral("magic number 0x%1, expected 0x%2 (IDX unsigned-byte %3)")
                                 .arg(magic, 8, 16, QLatin1Char('0')).arg(expectedMagic, 8, 16, QLatin1Char('0'))
                                 .arg(images ? QStringLiteral("3-D images") : QStringLiteral("1-D labels")));
    if (got < headerSize)
        throw MnistError(Kind::Truncated, path,
                         QStringLiteral("truncated: %1 bytes, shorter than the %2-byte IDX %3 header")
                             .arg(got).arg(headerSize).arg(images ? QStringLiteral("image") : QStringLiteral("label")));
    Idx idx;
    idx.count = bigEndian(header + 4);
    what = QStringLiteral("%1 labels").arg(idx.count);
    if (images) {
        idx.rows = bigEndian(header + 8);
        idx.cols = bigEndian(header + 12);
        if (idx.rows != kExpectedSide || idx.cols != kExpectedSide)
            throw MnistError(Kind::BadDimensions, path,
                             QStringLiteral("images are %1x%2, expected %3x%3").arg(idx.rows).arg(idx.cols).arg(kExpectedSide));
        what = QStringLiteral("%1 images of %2x%3").arg(idx.count).arg(idx.rows).arg(idx.cols);
    }
    if (idx.count > kMaxImages)
        throw MnistError(Kind::BadDimensions, path, QStringLiteral("the header promises %1; at most %2 are read").arg(what).arg(kMaxImages));
    return idx;
}

/// Exactly the body the header promises, grown as the data arrive, so a 16-byte header that lies
/// costs nothing before the data end.
void readIdxBody(IdxStream &in, const QString &path, Idx &idx, qint64 headerSize, const QString &what)
{
    const qint64 bodySize = idx.count * idx.rows * idx.cols;
    constexpr qint64 kChunk = qint64(1) << 22;
    qint64 read = 0;
    while (read < bodySize) {
        const qint64 chunk = std::min(bodySize - read, kChunk);
        idx.body.resize(std::size_t(read + chunk));
        const qint64 got = in.read(idx.body.data() + read, chunk);
        read += got;
        if (got < chunk)
            break;
    }
    if (read < bodySize)
        throw MnistError(Kind::Truncated, path,
                         QStringLiteral("truncated: %1 need %2 bytes after the %3-byte header, found %4")
                             .arg(what).arg(bodySize).arg(headerSize).arg(read));
}

/// Nothing may follow the data (up to kMaxTrailing bytes are counted for the message).
void rejectTrailing(IdxStream &in, const QString &path, const QString &what)
{
    qint64 extra = 0;
    unsigned char trailing[4096];
    while (extra < kMaxTrailing) {
        const qint64 n = in.read(trailing, sizeof trailing);
        extra += n;
        if (n < qint64(sizeof trailing))
            break;
    }
    if (extra > 0)
        throw MnistError(Kind::BadDimensions, path,
                         QStringLiteral("%1%2 bytes after the end of the data the header describes (%3)")
                             .arg(extra >= kMaxTrailing ? QStringLiteral("at least ") : QString()).arg(extra).arg(what));
    // The same after the compressed data: a second gzip member or junk after the first is not
    // read (gzip -d would append a second member's data), so it is refused, not ignored.
    if (const qint64 raw = in.bytesAfterGzipMember(kMaxTrailing); raw > 0)
        throw MnistError(Kind::BadDimensions, path,
                         QStringLiteral("%1%2 bytes after the end of the gzip data (%3); nothing may follow it")
                             .arg(raw >= kMaxTrailing ? QStringLiteral("at least ") : QString()).arg(raw).arg(what));
}

Idx readIdx(IdxStream &in, const QString &path, bool images)
{
    const qint64 headerSize = images ? 16 : 8;
    unsigned char header[16] = {};
    QString what;
    Idx idx = readIdxHeader(in, path, images, header, what);
    readIdxBody(in, path, idx, headerSize, what);
    rejectTrailing(in, path, what);
    // MD5 for the checksum checkpoints carry; SHA-256 to check a copy against a dataset's
    // published sums (Dataset::load()).
    for (auto algorithm : {Digest::Algorithm::Md5, Digest::Algorithm::Sha256}) {
        Digest hash(algorithm);
        hash.addData(QByteArrayView(reinterpret_cast<const char *>(header), headerSize));
        hash.addData(QByteArrayView(reinterpret_cast<const char *>(idx.body.data()), qsizetype(idx.body.size())));
        (algorithm == Digest::Algorithm::Md5 ? idx.md5 : idx.sha256) = hash.hex();
    }
    return idx;
}

/// Pairs images with labels; the label file's name is in the messages about labels.
MnistSet combine(Idx images, Idx labels, const QString &imagesPath, const QString &labelsPath, int classes)
{
    if (labels.count != images.count)
        throw MnistError(Kind::CountMismatch, labelsPath,
                         QStringLiteral("%1 labels, but %2 has %3 images").arg(labels.count).arg(QFileInfo(imagesPath).fileName()).arg(images.count));
    MnistSet set;
    set.count = int(images.count);
    set.rows = int(images.rows);
    set.cols = int(images.cols);
    set.images = std::move(images.body);
    set.labels = std::move(labels.body);
    for (int i = 0; i < set.count; ++i)
        if (set.labels[std::size_t(i)] >= classes)
            throw MnistError(Kind::BadLabel, labelsPath, QStringLiteral("label %1 at index %2, expected 0 to %3").arg(set.labels[std::size_t(i)]).arg(i).arg(classes - 1));
    set.imagesPath = imagesPath;
    set.labelsPath = labelsPath;
    // The MD5 of the uncompressed files: comparable with the published MNIST sums.
    set.checksum = images.md5 + QLatin1Char(':') + labels.md5;
    set.imagesSha256 = images.sha256;
    set.labelsSha256 = labels.sha256;
    return set;
}

bool hasFile(const QString &dir, const QString &name)
{
    return QFileInfo::exists(QDir(dir).filePath(name)) || QFileInfo::exists(QDir(dir).filePath(name + QLatin1String(".gz")));
}

} // namespace

QString findFile(const QString &dir, const QString &name)
{
    const QDir d(dir);
    for (const QString &candidate : {name, QString(name + QLatin1String(".gz"))})
        if (QFileInfo::exists(d.filePath(candidate)))
            return d.filePath(candidate);
    return d.filePath(name);
}

std::vector<std::uint8_t> loadLabels(const QString &labelsPath)
{
    const auto f = openIdx(labelsPath);
    IdxStream in(Source{f.get()}, labelsPath);
    return readIdx(in, labelsPath, false).body;
}

QString imagesFileName(Split split)
{
    return split == Split::Train ? QStringLiteral("train-images-idx3-ubyte") : QStringLiteral("t10k-images-idx3-ubyte");
}

QString labelsFileName(Split split)
{
    return split == Split::Train ? QStringLiteral("train-labels-idx1-ubyte") : QStringLiteral("t10k-labels-idx1-ubyte");
}

MnistSet loadFiles(const QString &imagesPath, const QString &labelsPath, int classes)
{
    Idx images, labels;
    {
        const auto f = openIdx(imagesPath);
        IdxStream in(Source{f.get()}, imagesPath);
        images = readIdx(in, imagesPath, true);
    }
    {
        const auto f = openIdx(labelsPath);
        IdxStream in(Source{f.get()}, labelsPath);
        labels = readIdx(in, labelsPath, false);
    }
    return combine(std::move(images), std::move(labels), imagesPath, labelsPath, classes);
}

MnistSet fromBytes(const QByteArray &imagesFile, const QByteArray &labelsFile, const QString &imagesName, const QString &labelsName)
{
    auto source = [](const QByteArray &b) {
        Source s;
        s.data = reinterpret_cast<const unsigned char *>(b.constData());
        s.size = b.size();
        return s;
    };
    IdxStream imagesIn(source(imagesFile), imagesName);
    Idx images = readIdx(imagesIn, imagesName, true);
    IdxStream labelsIn(source(labelsFile), labelsName);
    Idx labels = readIdx(labelsIn, labelsName, false);
    return combine(std::move(images), std::move(labels), imagesName, labelsName, kClasses);
}

MnistSet load(const QString &dir, Split split, int classes)
{
    return loadFiles(findFile(dir, imagesFileName(split)), findFile(dir, labelsFileName(split)), classes);
}

bool isPresent(const QString &dir)
{
    for (auto split : {Split::Train, Split::Test})
        if (!hasFile(dir, imagesFileName(split)) || !hasFile(dir, labelsFileName(split)))
            return false;
    return true;
}

QString buildTreeSourceDir()
{
    // Written by the build (cmake/options.cmake) next to every executable it makes; never installed.
    QFile marker(QCoreApplication::applicationDirPath() + QLatin1String("/digitlab-build-tree"));
    if (QCoreApplication::instance() == nullptr || !marker.open(QIODevice::ReadOnly))
        return {};
    const QString dir = QString::fromUtf8(marker.read(4096)).trimmed();
    return !dir.isEmpty() && QFileInfo(dir).isDir() ? dir : QString();
}

} // namespace mnist
} // namespace core
