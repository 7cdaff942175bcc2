#pragma once
// A dataset is data (issue 20): MNIST and Fashion-MNIST are two rows of one table, and any other
// IDX folder (EMNIST digits, KMNIST, a user's own) is described by the same value. Torch-free.
// No other file knows a dataset's files, checksums, places, sources or class names.
#include "error.h"
#include "mnist.h"
#include "types.h"
#include <QString>
#include <QStringList>
#include <memory>
#include <vector>

namespace core {

/// A dataset that cannot be named, found or described (unknown id, a bad classes.txt, labels
/// that do not fit the names, a model of another dataset). The message names the file and line.
class DatasetError : public Error {
public:
    enum class Kind { Unknown, Missing, BadClasses, BadLabels, Mismatch, Unverified };
    DatasetError(Kind kind, const QString &file, const QString &message) : Error(file, message), m_kind(kind) {}
    Kind kind() const noexcept { return m_kind; }

private:
    Kind m_kind;
};

/// One of a dataset's four IDX files as published. Empty checksums are not checked.
struct DatasetFile {
    QString name;   ///< without ".gz": "train-images-idx3-ubyte"
    qint64 size = 0; ///< uncompressed bytes
    QString gzMd5;  ///< MD5 of NAME.gz as the upstream server sends it (re-compressed copies differ)
    QString md5;    ///< MD5 of the uncompressed file
    QString sha256; ///< SHA-256 of the uncompressed file (what any copy, re-compressed or not, shares)
};

/// The most classes a dataset may have (a classes.txt longer than this is refused).
inline constexpr int kMaxDatasetClasses = kMaxClassCount;
/// The longest class name (characters): a label that long already elides everywhere.
inline constexpr int kMaxClassNameLength = 64;
/// The largest classes.txt read (1,000 names of 64 characters in UTF-8, with room to spare).
inline constexpr qint64 kMaxClassesFileBytes = 256 * 1024;

/// A dataset: what it is called, its files, where they are looked for and fetched from, its
/// classes, and what a drawing means for it. Built-in rows come from builtin(); a folder of IDX
/// files from fromFolder(). A plain value: tests copy one and point systemDirs at a temp folder.
struct Dataset {
    QString id;          ///< "mnist", "fashion-mnist"; "idx:FOLDERNAME" for a folder
    QString name;        ///< "MNIST", "Fashion-MNIST", or the folder's name
    QString description; ///< one line for pickers and --help
    QStringList classNames; ///< one per class; "0".."9" for MNIST
    bool isBuiltin = false; ///< a row of the table (not a folder)
    std::vector<DatasetFile> files;  ///< the four files in download order (train images first)
    /// Folders a system package installs the files into (checked against the SHA-256 sums).
    QStringList systemDirs;
    /// Download sources in MnistDownloader's spec form ("gz:URL", ...), tried in order.
    QStringList sources;
    /// The environment variable naming a folder that overrides every other place (MNIST's
    /// $DIGITLAB_DATA); empty for none.
    QString environmentVariable;
    QString folder;      ///< a folder dataset's own folder; empty for a built-in one
    /// What a drawing is for this dataset: the Draw tab's prompt and help text.
    QString drawPrompt;  ///< "Draw a digit (0-9)"
    QString drawHelp;    ///< a sentence on how to draw for it
    QString itemNoun;    ///< "digit", "garment", "image": what one image shows

    int classes() const { return int(classNames.size()); }
    /// The class's name ("Trouser"; "3" for MNIST and for a folder without classes.txt); the
    /// number itself when c is outside the classes. The one place class names are looked up.
    QString classLabel(int c) const;
    /// "1 Trouser": the number beside the name (just "3" when the name is the number).
    QString classText(int c) const;
    /// The tag checkpoints and run records carry.
    DatasetTag tag() const;

    /// "mnist", "fashion-mnist": the table's rows, in the order pickers offer them.
    static QStringList builtinIds();
    /// A built-in row; throws DatasetError(Unknown) naming the known ids.
    static Dataset builtin(const QString &id);
    /// A folder holding the four IDX files (raw or .gz) and optionally classes.txt: the class
    /// count is the largest label + 1 (both splits), the names come from classes.txt (one per
    /// line) or are the numbers. Throws DatasetError / MnistError naming the file (and line).
    static Dataset fromFolder(const QString &dir);
    /// --dataset's value: a built-in id, else a folder path. Throws DatasetError.
    static Dataset fromSpec(const QString &spec);
    /// The dataset a tag names: the built-in row, else a folder dataset rebuilt from the tag's
    /// names (for showing a model's classes when its folder is not at hand).
    static Dataset fromTag(const DatasetTag &tag);

    /// Every place the files are looked for, in order: explicitDir alone when given; else the
    /// environment variable's folder alone when set; else the source tree's data/ID (a program
    /// run from its build tree), the systemDirs, and the per-user folder (userDir()).
    QStringList candidateDirs(const QString &explicitDir = QString()) const;
    /// The first candidate holding all four files, else the last candidate (load() then says
    /// what is missing). A folder dataset's own folder.
    QString resolveDir(const QString &explicitDir = QString()) const;
    /// Where a download goes: explicit, else the first writable candidate (never a system dir).
    QString downloadDir(const QString &explicitDir = QString()) const;
    /// ~/.local/share/DigitLab/ID (XDG data home), the same for the GUI and the CLI.
    QString userDir() const;

    /// One split from dir (resolveDir() when empty), labels checked against the classes, tagged
    /// with this dataset. Files found in a systemDir are checked against the published SHA-256
    /// sums (a package's copies are re-compressed, so only the uncompressed bytes can be).
    /// Throws MnistError (missing or bad files) or DatasetError (Unverified).
    MnistSet load(Split split, const QString &dir = QString()) const;
    /// load(), shared: the set read before (by any thread, for any caller) while its two files
    /// keep their identity (core/datasetcache.h: path, inode, size, modification and change
    /// times), so a second window or switching back to a dataset reads and hashes nothing; a
    /// changed file is read and checked again. The sums are checked on every call.
    std::shared_ptr<const MnistSet> loadShared(Split split, const QString &dir = QString()) const;
    /// "Fashion-MNIST not found (looked in: ...); run 'digitlab-cli fetch-data --dataset
    /// fashion-mnist' or pass --data DIR": the message when no candidate holds the files.
    QString notFoundMessage(const QString &explicitDir = QString()) const;

private:
    /// The folder load() reads: dir, else resolveDir(); throws when it does not hold the files.
    QString loadDir(const QString &dir) const;
    /// The two files read and checked by the IDX reader, tagged with this dataset.
    MnistSet read(const QString &imagesPath, const QString &labelsPath) const;
    /// The checks against the published sums (a system copy; another row's files).
    void verify(const MnistSet &set, Split split, const QString &from) const;
};

/// Why a model of dataset `model` may not be evaluated or continued on `data` without being
/// asked explicitly (a different id, or a folder dataset whose training files differ); empty when
/// they match. The message names both.
QString datasetMismatch(const DatasetTag &model, const DatasetTag &data);
/// Why a model giving `modelClasses` outputs cannot be used on `data` at all (its labels reach
/// beyond the model's outputs); empty when it can.
QString classCountMismatch(int modelClasses, const DatasetTag &data);

namespace dataset {
/// Reads classes.txt (one name per line, UTF-8; a final newline and CRLF line ends are fine):
/// at most kMaxDatasetClasses names of at most kMaxClassNameLength characters, none blank,
/// none repeated, no control characters. Throws DatasetError naming the file and line.
QStringList readClassNames(const QString &path);
/// The same for bytes already in memory; path is used in messages.
QStringList parseClassNames(const QByteArray &bytes, const QString &path);
} // namespace dataset

} // namespace core
