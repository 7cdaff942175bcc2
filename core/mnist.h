#pragma once
#include <QByteArray>
#include <QString>
#include <QStringList>
#include "types.h"
#include <cstdint>
#include <vector>

namespace core {

enum class Split { Train, Test };

/// One split of an IDX dataset (MNIST's format) in memory: images row-major, one byte per pixel, 0 = background (MNIST's own
/// polarity: white ink on black).
struct MnistSet {
    int count = 0;
    int rows = 28;
    int cols = 28;
    std::vector<std::uint8_t> images; ///< count * rows * cols bytes
    std::vector<std::uint8_t> labels; ///< count bytes, 0..classes-1
    QString imagesPath;               ///< where it was read from (for messages and metadata)
    QString labelsPath;
    QString checksum;                 ///< MD5 of the uncompressed image and label bytes, hex
    QString imagesSha256;             ///< SHA-256 of the uncompressed image file, hex
    QString labelsSha256;             ///< SHA-256 of the uncompressed label file, hex
    DatasetTag dataset;               ///< which dataset it is (Dataset::load() sets it; MNIST otherwise)

    int pixelsPerImage() const { return rows * cols; }
    const std::uint8_t *image(int index) const { return images.data() + std::size_t(index) * pixelsPerImage(); }
    /// The first n images (all when n <= 0 or n >= count); keeps paths and checksum of the source.
    MnistSet head(int n) const;
};

namespace mnist {

/// File names of a split inside a data directory (without ".gz").
QString imagesFileName(Split split);
QString labelsFileName(Split split);

/// Reads an IDX image file and an IDX label file (raw or gzip-compressed, decided by content).
/// Checks magic numbers, dimensions, counts against each other and the file length.
/// Labels must be below `classes` (MNIST's 10 unless a dataset says otherwise).
/// Throws MnistError naming the file, what was expected and what was found.
MnistSet loadFiles(const QString &imagesPath, const QString &labelsPath, int classes = kClasses);
/// An IDX label file alone, by the same bounded reader (a folder dataset's class count is its
/// largest label + 1). Throws MnistError.
std::vector<std::uint8_t> loadLabels(const QString &labelsPath);
/// dir/NAME or dir/NAME.gz, whichever exists (NAME when neither does, for the message).
QString findFile(const QString &dir, const QString &name);

/// The same checks on files already in memory (raw or gzip); the names are used in messages.
MnistSet fromBytes(const QByteArray &imagesFile, const QByteArray &labelsFile, const QString &imagesName,
                   const QString &labelsName);
/// Loads a split from a data directory, accepting NAME or NAME.gz. Throws MnistError.
MnistSet load(const QString &dir, Split split, int classes = kClasses);

/// True when all four files (raw or .gz) exist in dir (contents are checked by load()).
bool isPresent(const QString &dir);

// MNIST's places, as its row of the dataset table (core/dataset.h) gives them; defined in
// dataset.cpp so that this reader stays free of the table (the fuzz targets build it alone).

/// The data directory to use: explicit (e.g. --data) if non-empty, else $DIGITLAB_DATA, else, for a
/// program run from the build tree, the source tree's data/mnist when it holds the files, else the
/// per-user data folder (userDataDir()). Never fails: the caller's load() reports absence.
QString resolveDataDir(const QString &explicitDir = QString());

/// All the places resolveDataDir() would look, in order (for "not found" messages).
QStringList candidateDataDirs(const QString &explicitDir = QString());

/// Where a download goes when no folder is named: $DIGITLAB_DATA, else the source tree's data/mnist
/// in a build-tree run, else userDataDir() (the first place resolveDataDir() looks).
QString downloadDir();

/// The per-user MNIST folder, e.g. ~/.local/share/DigitLab/mnist (XDG data home), the same for the
/// GUI and the CLI.
QString userDataDir();

/// The source tree, when this program runs from the build tree (decided at run time from the
/// marker file the build writes next to each executable); empty for an installed program.
QString buildTreeSourceDir();

} // namespace mnist
} // namespace core
