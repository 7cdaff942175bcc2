// Opening files from anywhere without blocking on a FIFO, reading a device, or replacing either
// (safefile.h). The one place that stats, opens and renames for the readers and writers.
#include "safefile.h"
#include "error.h"

#include <QBuffer>
#include <QFile>
#include <QFileInfo>
#include <QImage>
#include <QSaveFile>
#include <QTemporaryFile>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace core::safefile {

namespace {

using Kind = FileError::Kind;

[[noreturn]] void refuse(Kind kind, const QString &path, const QString &why) { throw FileError(kind, path, why); }

QString systemError(int error) { return QString::fromLocal8Bit(std::strerror(error)); }

QString sizeText(std::int64_t bytes) { return QStringLiteral("%1 bytes").arg(bytes); }

/// What a path that is not a regular file is, for messages.
QString notRegular(mode_t mode)
{
    return S_ISDIR(mode) ? QStringLiteral("is a folder, not a file") : QStringLiteral("not a regular file (a device, FIFO or socket)");
}

/// A writer's target must be a regular file or nothing: QSaveFile renames over whatever is there,
/// so a device node, FIFO or folder would be replaced by a regular file (as root, /dev/full was).
void checkTarget(const QString &path)
{
    if (path.isEmpty())
        refuse(Kind::Unwritable, path, QStringLiteral("no file name given"));
    struct stat st {};
    if (::stat(QFile::encodeName(path).constData(), &st) == 0 && !S_ISREG(st.st_mode))
        refuse(Kind::Unwritable, path,
               S_ISDIR(st.st_mode) ? QStringLiteral("is a folder; choose a file name")
                                   : QStringLiteral("is not a regular file (a device, FIFO or socket); refusing to replace it"));
}

} // namespace

ReadableFile::ReadableFile(const QString &path, std::int64_t maxBytes) : m_path(path)
{
    if (path.isEmpty())
        refuse(Kind::Missing, path, QStringLiteral("no file name given"));
    const QByteArray native = QFile::encodeName(path);
    struct stat st {};
    // stat first: a FIFO or device is refused before open() could block, read forever or, for
    // some devices (a tape, a watchdog), act.
    if (::stat(native.constData(), &st) != 0) {
        const int e = errno;
        refuse(e == ENOENT ? Kind::Missing : Kind::Unreadable, path,
               e == ENOENT ? QStringLiteral("no such file") : QStringLiteral("cannot open: %1").arg(systemError(e)));
    }
    if (!S_ISREG(st.st_mode))
        refuse(Kind::NotRegular, path, notRegular(st.st_mode));
    // O_NONBLOCK: should the path be swapped for a FIFO after stat, open still returns at once;
    // fstat then sees what was really opened.
    m_fd = ::open(native.constData(), O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
    if (m_fd < 0)
        refuse(Kind::Unreadable, path, QStringLiteral("cannot open: %1").arg(systemError(errno)));
    struct Guard {
        int &fd;
        bool armed = true;
        ~Guard()
        {
            if (armed) {
                ::close(fd);
                fd = -1;
            }
        }
    } guard{m_fd};
    if (::fstat(m_fd, &st) != 0)
        refuse(Kind::Unreadable, path, QStringLiteral("cannot open: %1").arg(systemError(errno)));
    if (!S_ISREG(st.st_mode))
        refuse(Kind::NotRegular, path, notRegular(st.st_mode));
    if (st.st_size > maxBytes)
        refuse(Kind::TooLarge, path, QStringLiteral("%1; at most %2 are accepted").arg(sizeText(st.st_size), sizeText(maxBytes)));
    // A regular file never blocks, but a reader should not see EAGAIN from a flag it did not ask for.
    if (const int flags = ::fcntl(m_fd, F_GETFL); flags < 0 || ::fcntl(m_fd, F_SETFL, flags & ~O_NONBLOCK) != 0)
        refuse(Kind::Unreadable, path, QStringLiteral("cannot open: %1").arg(systemError(errno)));
    m_size = st.st_size;
    guard.armed = false;
}

ReadableFile::~ReadableFile()
{
    if (m_fd >= 0)
        ::close(m_fd);
}

std::int64_t ReadableFile::read(void *out, std::int64_t n)
{
    for (;;) {
        const ssize_t got = ::read(m_fd, out, std::size_t(n));
        if (got >= 0)
            return got;
        if (errno != EINTR)
            refuse(Kind::Unreadable, m_path, QStringLiteral("cannot read: %1").arg(systemError(errno)));
    }
}

std::vector<unsigned char> readFile(const QString &path, std::int64_t maxBytes)
{
    if (path.startsWith(QLatin1Char(':'))) { // a Qt resource: ours, but bounded all the same
        QFile f(path);
        if (!f.open(QIODevice::ReadOnly))
            refuse(Kind::Missing, path, QStringLiteral("cannot open: %1").arg(f.errorString()));
        if (f.size() > maxBytes)
            refuse(Kind::TooLarge, path, QStringLiteral("%1; at most %2 are accepted").arg(sizeText(f.size()), sizeText(maxBytes)));
        const QByteArray b = f.readAll();
        return std::vector<unsigned char>(b.begin(), b.end());
    }
    ReadableFile file(path, maxBytes);
    std::vector<unsigned char> bytes(std::size_t(file.size()));
    std::size_t done = 0;
    while (done < bytes.size()) {
        const std::int64_t n = file.read(bytes.data() + done, std::int64_t(bytes.size() - done));
        if (n == 0)
            break; // shrank while reading: the caller's checks then fail on what is there
        done += std::size_t(n);
    }
    bytes.resize(done);
    return bytes;
}

void checkWritable(const QString &path)
{
    checkTarget(path);
    // QSaveFile refuses to replace a file it may not write, though the rename itself would work.
    if (::access(QFile::encodeName(path).constData(), F_OK) == 0 && ::access(QFile::encodeName(path).constData(), W_OK) != 0)
        refuse(Kind::Unwritable, path, QStringLiteral("cannot replace it: %1").arg(systemError(errno)));
    const QString dir = QFileInfo(path).absolutePath();
    struct stat st {};
    if (::stat(QFile::encodeName(dir).constData(), &st) != 0)
        refuse(Kind::Unwritable, path, QStringLiteral("cannot write into the folder %1: %2").arg(printable(dir, 0), systemError(errno)));
    if (!S_ISDIR(st.st_mode))
        refuse(Kind::Unwritable, path, QStringLiteral("%1 is not a folder").arg(printable(dir, 0)));
    // Permission bits do not tell root about a read-only file system: try what saving will do.
    QTemporaryFile probe(dir + QLatin1String("/.digitlab-write-check-XXXXXX"));
    if (!probe.open())
        refuse(Kind::Unwritable, path, QStringLiteral("cannot create a file in the folder %1: %2").arg(printable(dir, 0), probe.errorString()));
}

void writeFileAtomically(const QString &path, const char *data, std::size_t size)
{
    checkTarget(path);
    QSaveFile f(path);
    if (!f.open(QIODevice::WriteOnly))
        refuse(Kind::Unwritable, path, QStringLiteral("cannot open for writing: %1").arg(f.errorString()));
    // Written and synced through the descriptor: errno then says why (Qt's buffered write
    // reported a full disk as "Unknown error"), and the data are on disk before the rename.
    const int fd = f.handle();
    const auto systemFailure = [&](const QString &what) {
        const int e = errno;
        f.cancelWriting();
        refuse(Kind::Unwritable, path, QStringLiteral("%1: %2").arg(what, systemError(e)));
    };
    for (std::size_t done = 0; done < size;) {
        const ssize_t n = ::write(fd, data + done, size - done);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            if (n == 0)
                errno = ENOSPC;
            systemFailure(QStringLiteral("cannot write"));
        }
        done += std::size_t(n);
    }
    if (::fsync(fd) != 0)
        systemFailure(QStringLiteral("cannot flush to disk"));
    if (!f.commit())
        refuse(Kind::Unwritable, path, QStringLiteral("cannot finish writing: %1").arg(f.errorString()));
    // The rename is durable only once the folder's entry is on disk too.
    const QByteArray dir = QFile::encodeName(QFileInfo(path).absolutePath());
    const int dfd = ::open(dir.constData(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd >= 0) {
        ::fsync(dfd);
        ::close(dfd);
    }
}

void writePng(const QString &path, const QImage &image)
{
    QByteArray bytes;
    QBuffer buffer(&bytes);
    buffer.open(QIODevice::WriteOnly);
    if (image.isNull() || !image.save(&buffer, "PNG"))
        refuse(Kind::Unwritable, path, QStringLiteral("cannot encode the image as PNG"));
    writeFileAtomically(path, bytes.constData(), std::size_t(bytes.size()));
}

} // namespace core::safefile

namespace core::detail {

void writeFileAtomically(const QString &path, const std::vector<char> &bytes)
{
    try {
        safefile::writeFileAtomically(path, bytes);
    } catch (const FileError &e) {
        throw CheckpointError(CheckpointError::Kind::WriteFailed, path, e.message());
    }
}

} // namespace core::detail
