#pragma once
#include <QString>
#include <stdexcept>
#include <string_view>

namespace core {

/// A string that came from a file (a dictionary key, a record or global's name, a path), made
/// safe to echo in a message: control and invisible direction characters escaped (\n, \t,
/// \x1b, \u202e), and, when maxChars > 0, a longer one cut in its middle to maxChars characters
/// with "…", so that an error stays one readable line whatever the file holds.
QString printable(const QString &text, int maxChars = 80);
/// The same for UTF-8 bytes; only the bytes that can be shown are converted (a 15 MiB key costs
/// no more than a short one).
QString printable(std::string_view utf8, int maxChars = 80);

/// Base of every error the core throws: what failed, in which file, and what was expected.
/// what() is "FILE: MESSAGE" (or just MESSAGE when no file is involved), ready to print or show;
/// FILE's control characters are escaped there (printable()), file() keeps the name as given.
class Error : public std::runtime_error {
public:
    Error(const QString &file, const QString &message);
    const QString &file() const noexcept { return m_file; }
    const QString &message() const noexcept { return m_message; }
    /// "FILE: MESSAGE" as a QString, for the UI.
    QString text() const { return QString::fromUtf8(what()); }

private:
    QString m_file;
    QString m_message;
};

/// A file that cannot be opened, read or written safely (safefile.h). Readers and writers rethrow
/// it as their own error type with the same file and message.
class FileError : public Error {
public:
    enum class Kind { Missing, NotRegular, TooLarge, Unreadable, Unwritable };
    FileError(Kind kind, const QString &file, const QString &message) : Error(file, message), m_kind(kind) {}
    Kind kind() const noexcept { return m_kind; }

private:
    Kind m_kind;
};

/// A bad or missing MNIST IDX file.
class MnistError : public Error {
public:
    enum class Kind { Missing, Unreadable, Truncated, BadMagic, BadDimensions, CountMismatch, BadLabel };
    MnistError(Kind kind, const QString &file, const QString &message) : Error(file, message), m_kind(kind) {}
    Kind kind() const noexcept { return m_kind; }

private:
    Kind m_kind;
};

/// A checkpoint that cannot be read, is not ours, or does not fit the model.
class CheckpointError : public Error {
public:
    enum class Kind { Unreadable, Corrupt, Foreign, WrongArchitecture, WrongShape, NewerFormat, WriteFailed };
    CheckpointError(Kind kind, const QString &file, const QString &message) : Error(file, message), m_kind(kind) {}
    Kind kind() const noexcept { return m_kind; }

private:
    Kind m_kind;
};

/// Invalid hyper-parameters (message names the field and the allowed range).
class ConfigError : public Error {
public:
    explicit ConfigError(const QString &message) : Error(QString(), message) {}
};

/// Training diverged (NaN or infinite loss) or otherwise failed mid-run.
class TrainingError : public Error {
public:
    explicit TrainingError(const QString &message) : Error(QString(), message) {}
};

/// An image file that cannot be read or holds no digit.
class ImageError : public Error {
public:
    enum class Kind { Unreadable, Blank };
    ImageError(Kind kind, const QString &file, const QString &message) : Error(file, message), m_kind(kind) {}
    Kind kind() const noexcept { return m_kind; }

private:
    Kind m_kind;
};

} // namespace core
