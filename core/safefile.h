#pragma once
// The one way DigitLab opens a file from anywhere, for reading or for (atomic) writing: a path
// may name a FIFO that would block for ever, a device that feeds endless bytes or that a rename
// would replace (as root, one export replaced a system device node), or a folder. Every reader
// (checkpoints, IDX files, images) and every writer (checkpoints, exports, the GUI's PNG and CSV
// saves) goes through here. Torch-free (fuzz/ compiles it). Errors are FileError (error.h), which
// each reader or writer rethrows as its own error type with the same message.
#include <QString>
#include <cstddef>
#include <cstdint>
#include <vector>

class QImage;

namespace core::safefile {

/// A regular file open for reading, closed on destruction.
class ReadableFile {
public:
    /// Opens path: stat first (a FIFO, device, socket or folder is refused before open(), which
    /// could block or have side effects), then open O_NONBLOCK (should the path be swapped for a
    /// FIFO meanwhile, open still returns at once), fstat the descriptor (regular, at most
    /// maxBytes), then blocking reads again. Throws FileError (Missing, NotRegular, TooLarge,
    /// Unreadable).
    ReadableFile(const QString &path, std::int64_t maxBytes);
    ~ReadableFile();
    ReadableFile(const ReadableFile &) = delete;
    ReadableFile &operator=(const ReadableFile &) = delete;

    /// The size fstat reported when the file was opened.
    std::int64_t size() const { return m_size; }
    /// Up to n bytes into out; 0 at the end. EINTR is retried. Throws FileError (Unreadable).
    std::int64_t read(void *out, std::int64_t n);

private:
    QString m_path;
    int m_fd = -1;
    std::int64_t m_size = 0;
};

/// The whole of a regular file of at most maxBytes (ReadableFile). A ":/" path reads a Qt
/// resource (ours, bounded all the same). Throws FileError.
std::vector<unsigned char> readFile(const QString &path, std::int64_t maxBytes);

/// Checks before any work that path can be written by writeFileAtomically(): a name is given,
/// it names a writable regular file or nothing (never a folder, device, FIFO or socket), and its folder
/// exists and takes a new file (a probe file is created and removed: that also catches a
/// read-only file system, which permissions do not show to root). Throws FileError (Unwritable).
void checkWritable(const QString &path);

/// Writes bytes to path atomically (QSaveFile: a temporary file renamed over the target), and
/// durably (fsync of the file before the rename and of the folder after it). Refuses to replace
/// anything but a regular file or nothing. Written through the descriptor so that errno says why
/// (a full disk is "No space left on device"). Throws FileError (Unwritable).
void writeFileAtomically(const QString &path, const char *data, std::size_t size);
inline void writeFileAtomically(const QString &path, const std::vector<char> &bytes)
{
    writeFileAtomically(path, bytes.data(), bytes.size());
}

/// image as a PNG file, through writeFileAtomically(). Throws FileError (Unwritable).
void writePng(const QString &path, const QImage &image);

} // namespace core::safefile

namespace core::detail {
/// The checkpoint writer's form (declared in model_p.h as well): writeFileAtomically() with
/// its FileError rethrown as CheckpointError(WriteFailed).
void writeFileAtomically(const QString &path, const std::vector<char> &bytes);
} // namespace core::detail
