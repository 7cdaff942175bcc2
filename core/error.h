#pragma once
#include <QString>
#include <stdexcept>

namespace core {

/// Base of every error the core throws: what failed, in which file, and what was expected.
/// what() is "FILE: MESSAGE" (or just MESSAGE when no file is involved), ready to print or show.
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
