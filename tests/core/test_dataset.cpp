// Issue 20: a dataset is data. The table, finding a system package's copy, folder datasets with
// classes.txt, crafted bad folders, and what models and checkpoints remember of their dataset.
#include "core/classifier.h"
#include "core/dataset.h"
#include "core/datasetcache.h"
#include "core/error.h"
#include "core/trainer.h"
#include "datasettestsupport.h"
#include "testsupport.h"

#include <QDateTime>
#include <QFile>
#include <QTemporaryDir>
#include <catch2/catch.hpp>
#include <thread>

using core::Dataset;
using core::DatasetError;
using datasettest::writeFolder;

namespace {

/// The error a folder must be refused with (DatasetError or MnistError): its text.
QString folderError(const QString &dir)
{
    try {
        Dataset::fromFolder(dir);
    } catch (const core::Error &e) {
        return e.text();
    }
    FAIL("the folder was accepted: " << dir.toStdString());
    return {};
}

int digitLabel(int i) { return testsupport::testSet().labels[std::size_t(i)]; }

/// Fashion-MNIST as a system package would install it under dir (20 training and 10 test images,
/// re-compressed .gz files as Debian ships them), its row's published SHA-256 sums set to these
/// files' uncompressed ones.
Dataset systemFashion(const QTemporaryDir &dir)
{
    const QString system = dir.filePath(QStringLiteral("usr/share/datasets/fashion-mnist"));
    writeFolder(system, 20, 10, digitLabel, true);
    Dataset fashion = Dataset::builtin(QStringLiteral("fashion-mnist"));
    fashion.systemDirs = {system};
    const auto [trainImages, trainLabels] = datasettest::split(0, 20, digitLabel);
    const auto [testImages, testLabels] = datasettest::split(20, 10, digitLabel);
    const QByteArray contents[4] = {trainImages, trainLabels, testImages, testLabels};
    for (int i = 0; i < 4; ++i)
        fashion.files[std::size_t(i)].sha256 = datasettest::sha256(contents[i]);
    return fashion;
}

} // namespace

TEST_CASE("dataset table: MNIST and Fashion-MNIST are two rows", "[dataset]")
{
    CHECK(Dataset::builtinIds() == QStringList{QStringLiteral("mnist"), QStringLiteral("fashion-mnist")});
    const Dataset mnist = Dataset::builtin(QStringLiteral("mnist"));
    CHECK(mnist.name == QStringLiteral("MNIST"));
    CHECK(mnist.classes() == 10);
    CHECK(mnist.classLabel(3) == QStringLiteral("3"));
    CHECK(mnist.classText(3) == QStringLiteral("3"));
    CHECK(mnist.environmentVariable == QStringLiteral("DIGITLAB_DATA"));
    REQUIRE(mnist.files.size() == 4);
    CHECK(mnist.files[0].sha256 == QStringLiteral("ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db"));

    const Dataset fashion = Dataset::builtin(QStringLiteral("fashion-mnist"));
    CHECK(fashion.name == QStringLiteral("Fashion-MNIST"));
    CHECK(fashion.classNames == QStringList{QStringLiteral("T-shirt/top"), QStringLiteral("Trouser"), QStringLiteral("Pullover"),
                                            QStringLiteral("Dress"), QStringLiteral("Coat"), QStringLiteral("Sandal"),
                                            QStringLiteral("Shirt"), QStringLiteral("Sneaker"), QStringLiteral("Bag"),
                                            QStringLiteral("Ankle boot")});
    CHECK(fashion.classText(1) == QStringLiteral("1 Trouser"));
    CHECK(fashion.classLabel(12) == QStringLiteral("12"));
    CHECK(fashion.systemDirs == QStringList{QStringLiteral("/usr/share/datasets/fashion-mnist")});
    CHECK(fashion.drawPrompt.contains(QStringLiteral("trouser")));
    // The sums: the .gz MD5 as published, the SHA-256 of the uncompressed files.
    REQUIRE(fashion.files.size() == 4);
    CHECK(fashion.files[0].name == QStringLiteral("train-images-idx3-ubyte"));
    CHECK(fashion.files[0].gzMd5 == QStringLiteral("8d4fb7e6c68d591d4c3dfef9ec88bf0d"));
    CHECK(fashion.files[1].gzMd5 == QStringLiteral("25c81989df183df01b3e8a0aad5dffbe"));
    CHECK(fashion.files[2].gzMd5 == QStringLiteral("bef4ecab320f06d8554ea6380940ec79"));
    CHECK(fashion.files[3].gzMd5 == QStringLiteral("bb300cfdad3c16e7a12a480ee83cd310"));
    CHECK(fashion.files[0].sha256 == QStringLiteral("c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888"));
    CHECK(fashion.files[1].sha256 == QStringLiteral("bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9"));
    CHECK(fashion.files[2].sha256 == QStringLiteral("5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b"));
    CHECK(fashion.files[3].sha256 == QStringLiteral("0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34"));
    CHECK(fashion.userDir().endsWith(QStringLiteral("/DigitLab/fashion-mnist")));

    try {
        Dataset::builtin(QStringLiteral("kmnist"));
        FAIL("an unknown id was accepted");
    } catch (const DatasetError &e) {
        CHECK(e.text().contains(QStringLiteral("kmnist")));
        CHECK(e.text().contains(QStringLiteral("fashion-mnist")));
    }
    // MNIST's places are its row's: the old functions read the table.
    CHECK(core::mnist::userDataDir() == mnist.userDir());
    CHECK(core::mnist::resolveDataDir(QStringLiteral("/explicit")) == QStringLiteral("/explicit"));
}

TEST_CASE("dataset: a system package's copy is found and checked by its uncompressed SHA-256", "[dataset]")
{
    QTemporaryDir dir;
    // Re-compressed .gz files, as Debian ships them: only the uncompressed bytes can match.
    Dataset fashion = systemFashion(dir);
    const QString system = fashion.systemDirs.front();
    const QByteArray trainImages = datasettest::split(0, 20, digitLabel).first;
    REQUIRE(fashion.candidateDirs().contains(system));
    CHECK(fashion.resolveDir() == system);
    const auto train = fashion.load(core::Split::Train);
    CHECK(train.count == 20);
    CHECK(train.dataset.id == QStringLiteral("fashion-mnist"));
    CHECK(train.dataset.classNames.value(9) == QStringLiteral("Ankle boot"));
    CHECK(fashion.load(core::Split::Test).count == 10);
    // The download goes to the user's folder, never the package's.
    CHECK(fashion.downloadDir() != system);

    // Another package's files (or a damaged copy): refused, naming the file and both sums.
    fashion.files[0].sha256 = QString(64, QLatin1Char('0'));
    try {
        fashion.load(core::Split::Train);
        FAIL("a copy with the wrong SHA-256 was accepted");
    } catch (const DatasetError &e) {
        CHECK(e.kind() == DatasetError::Kind::Unverified);
        CHECK(e.text().contains(QStringLiteral("train-images-idx3-ubyte.gz")));
        CHECK(e.text().contains(datasettest::sha256(trainImages)));
        CHECK(e.text().contains(QStringLiteral("Fashion-MNIST")));
    }
    // Absent everywhere: the message says where it looked and how to get it.
    Dataset nowhere = Dataset::builtin(QStringLiteral("fashion-mnist"));
    nowhere.systemDirs = {dir.filePath(QStringLiteral("none"))};
    const QString message = nowhere.notFoundMessage();
    CHECK(message.contains(dir.filePath(QStringLiteral("none"))));
    CHECK(message.contains(QStringLiteral("fetch-data --dataset fashion-mnist")));
    CHECK(message.contains(QStringLiteral("dataset-fashion-mnist")));
}

TEST_CASE("dataset: a folder of IDX files with classes.txt", "[dataset]")
{
    QTemporaryDir dir;
    const QString folder = dir.filePath(QStringLiteral("shapes"));
    // Three classes: digits 0, 1 and everything else.
    const auto three = [](int i) { return std::min(digitLabel(i), 2); };
    writeFolder(folder, 40, 20, three, true, "zero\none\r\nmany\n");
    const Dataset d = Dataset::fromSpec(folder);
    CHECK(d.id == QStringLiteral("idx:shapes"));
    CHECK(d.name == QStringLiteral("shapes"));
    CHECK(!d.isBuiltin);
    CHECK(d.classNames == QStringList{QStringLiteral("zero"), QStringLiteral("one"), QStringLiteral("many")});
    CHECK(d.classText(2) == QStringLiteral("2 many"));
    CHECK(d.resolveDir() == QDir::cleanPath(folder));
    const auto test = d.load(core::Split::Test);
    CHECK(test.count == 20);
    CHECK(test.dataset.classes() == 3);
    CHECK(test.dataset.id == QStringLiteral("idx:shapes"));

    // Without classes.txt: the class count from the labels, the numbers as names.
    const QString plain = dir.filePath(QStringLiteral("plain"));
    writeFolder(plain, 40, 20, three, false);
    const Dataset p = Dataset::fromFolder(plain);
    CHECK(p.classNames == QStringList{QStringLiteral("0"), QStringLiteral("1"), QStringLiteral("2")});
    CHECK(p.classText(1) == QStringLiteral("1"));
}

TEST_CASE("dataset: crafted folders are refused with the file and the line", "[dataset]")
{
    QTemporaryDir dir;
    const auto three = [](int i) { return std::min(digitLabel(i), 2); };
    const auto folder = [&](const char *name, const char *classes, int side = 28, std::function<int(int)> label = {}) {
        const QString path = dir.filePath(QLatin1String(name));
        writeFolder(path, 30, 10, label ? label : three, false, classes, side);
        return path;
    };
    // Labels beyond the names.
    QString e = folderError(folder("fewnames", "zero\none\n"));
    CHECK(e.contains(QStringLiteral("label 2 at index")));
    CHECK(e.contains(QStringLiteral("has no name")));
    CHECK(e.contains(QStringLiteral("classes.txt")));
    // More names than classes: the file belongs to another dataset.
    e = folderError(folder("manynames", "a\nb\nc\nd\n"));
    CHECK(e.contains(QStringLiteral("classes.txt: 4 names (lines), but the labels use 3 classes")));
    // Blank, duplicate, overlong, control characters, not UTF-8.
    e = folderError(folder("blank", "a\n\nc\n"));
    CHECK(e.contains(QStringLiteral("classes.txt: line 2: blank")));
    e = folderError(folder("duplicate", "a\nb\na\n"));
    CHECK(e.contains(QStringLiteral("line 3: \"a\" is also the name of class 0")));
    const QByteArray longName = QByteArray(65, 'x') + "\nb\nc\n";
    e = folderError(folder("overlong", longName.constData()));
    CHECK(e.contains(QStringLiteral("line 1: the name is 65 characters long; at most 64")));
    e = folderError(folder("control", "a\nb\x1b[31m\nc\n"));
    CHECK(e.contains(QStringLiteral("line 2")));
    CHECK(e.contains(QStringLiteral("control character")));
    e = folderError(folder("latin1", "a\nb\xe9\nc\n"));
    CHECK(e.contains(QStringLiteral("not UTF-8")));
    // More than 1,000 names.
    QByteArray huge;
    for (int i = 0; i < 1001; ++i)
        huge += "class" + QByteArray::number(i) + '\n';
    e = folderError(folder("huge", huge.constData()));
    CHECK(e.contains(QStringLiteral("more than 1000 names")));
    // One class only.
    e = folderError(folder("oneclass", nullptr, 28, [](int) { return 0; }));
    CHECK(e.contains(QStringLiteral("at least 2")));
    // Images of another size: the bounded reader's own message.
    const QString big = folder("big", nullptr, 32);
    e.clear();
    try {
        Dataset::fromFolder(big).load(core::Split::Train);
    } catch (const core::Error &x) {
        e = x.text();
    }
    CHECK(e.contains(QStringLiteral("images are 32x32, expected 28x28")));
    // A folder without the files, and a name that is neither.
    const QString empty = dir.filePath(QStringLiteral("empty"));
    QDir().mkpath(empty);
    e = folderError(empty);
    CHECK(e.contains(QStringLiteral("train-images-idx3-ubyte")));
    CHECK(e.contains(QStringLiteral("missing")));
    CHECK_THROWS_AS(Dataset::fromSpec(QStringLiteral("fashion")), DatasetError);
    CHECK_THROWS_AS(Dataset::fromSpec(dir.filePath(QStringLiteral("nothing/here"))), DatasetError);
}

TEST_CASE("dataset: another row's published files are not taken for this one's", "[dataset][data]")
{
    // MNIST's real files named as Fashion-MNIST (a --data folder of the wrong dataset).
    const Dataset fashion = Dataset::builtin(QStringLiteral("fashion-mnist"));
    try {
        fashion.load(core::Split::Test, testsupport::mnistDir());
        FAIL("MNIST's files were loaded as Fashion-MNIST");
    } catch (const DatasetError &e) {
        CHECK(e.kind() == DatasetError::Kind::Mismatch);
        CHECK(e.text().contains(QStringLiteral("these are MNIST's published files, not Fashion-MNIST's: name the dataset with --dataset mnist")));
    }
    CHECK(Dataset::builtin(QStringLiteral("mnist")).load(core::Split::Test, testsupport::mnistDir()).count == 10000);
}

// Issue 16: every window read and hashed 55 MB again; a dataset switched back to was read again.
TEST_CASE("dataset cache: an unchanged split is read once and shared; a changed file is read again", "[dataset][cache]")
{
    QTemporaryDir dir;
    const QString folder = dir.filePath(QStringLiteral("digits"));
    writeFolder(folder, 20, 10, digitLabel);
    const Dataset mnist = Dataset::builtin(QStringLiteral("mnist"));
    auto &cache = core::DatasetCache::shared();
    const int loads = cache.stats().loads;

    const auto first = mnist.loadShared(core::Split::Test, folder);
    CHECK(first->count == 10);
    CHECK(first->dataset.id == QStringLiteral("mnist"));
    CHECK(cache.stats().loads == loads + 1);
    // Again, and from another thread: the same set, nothing read.
    CHECK(mnist.loadShared(core::Split::Test, folder) == first);
    std::shared_ptr<const core::MnistSet> fromThread;
    std::thread([&] { fromThread = mnist.loadShared(core::Split::Test, folder); }).join();
    CHECK(fromThread == first);
    CHECK(cache.stats().loads == loads + 1);
    // The other split, and the same files as another dataset (other labels' names): their own sets.
    CHECK(mnist.loadShared(core::Split::Train, folder)->count == 20);
    const auto asFolder = Dataset::fromFolder(folder).loadShared(core::Split::Test, folder);
    CHECK(asFolder != first);
    CHECK(asFolder->dataset.id == QStringLiteral("idx:digits"));
    CHECK(cache.stats().loads == loads + 3);

    const QString labels = folder + QStringLiteral("/t10k-labels-idx1-ubyte");
    QFile file(labels);
    REQUIRE(file.open(QIODevice::ReadOnly));
    const QDateTime modified = file.fileTime(QFileDevice::FileModificationTime);
    file.close();
    SECTION("rewritten in place with the same size and modification time")
    {
        const auto [images, relabelled] = datasettest::split(20, 10, [](int) { return 7; });
        datasettest::writeBytes(labels, relabelled);
        REQUIRE(file.open(QIODevice::ReadWrite));
        REQUIRE(file.setFileTime(modified, QFileDevice::FileModificationTime));
        file.close();
        const auto again = mnist.loadShared(core::Split::Test, folder);
        CHECK(again != first);
        CHECK(again->labels == std::vector<std::uint8_t>(10, 7));
        CHECK(first->labels != again->labels); // the holders of the old set keep it unchanged
        CHECK(mnist.loadShared(core::Split::Test, folder) == again);
        CHECK(cache.stats().loads == loads + 4);
    }
    SECTION("replaced by a copy")
    {
        const QString copy = dir.filePath(QStringLiteral("copy"));
        REQUIRE(QFile::copy(labels, copy));
        REQUIRE(QFile::remove(labels));
        REQUIRE(QFile::rename(copy, labels));
        const auto again = mnist.loadShared(core::Split::Test, folder);
        CHECK(again != first);
        CHECK(again->labels == first->labels);
        CHECK(cache.stats().loads == loads + 4);
    }
    SECTION("made bad: the error each time, and nothing kept")
    {
        datasettest::writeBytes(labels, datasettest::split(20, 10, [](int) { return 12; }).second);
        CHECK_THROWS_WITH(mnist.loadShared(core::Split::Test, folder), Catch::Contains("label 12 at index 0"));
        CHECK_THROWS_WITH(mnist.loadShared(core::Split::Test, folder), Catch::Contains("label 12 at index 0"));
        CHECK(cache.stats().loads == loads + 5);
    }
}

TEST_CASE("dataset cache: the published sums are checked on every call, cached or not", "[dataset][cache]")
{
    QTemporaryDir dir;
    Dataset fashion = systemFashion(dir);
    const auto set = fashion.loadShared(core::Split::Test);
    CHECK(set->count == 10);
    fashion.files[2].sha256 = QString(64, QLatin1Char('0'));
    CHECK_THROWS_AS(fashion.loadShared(core::Split::Test), DatasetError);
}

TEST_CASE("dataset cache: bounded, the least recently used set goes first", "[dataset][cache]")
{
    QTemporaryDir dir;
    const QString a = testsupport::write(dir, QStringLiteral("a"), "a");
    const QString b = testsupport::write(dir, QStringLiteral("b"), "b");
    const QString c = testsupport::write(dir, QStringLiteral("c"), "c");
    const auto setOf = [](int bytes) {
        return [bytes] {
            core::MnistSet set;
            set.images.resize(std::size_t(bytes));
            return set;
        };
    };
    core::DatasetCache cache(250);
    const auto sa = cache.get(QStringLiteral("k"), {a}, setOf(100));
    const auto sb = cache.get(QStringLiteral("k"), {b}, setOf(100));
    CHECK(cache.get(QStringLiteral("k"), {a}, setOf(100)) == sa); // a is now the most recent
    CHECK(cache.stats().entries == 2);
    CHECK(cache.stats().bytes == 200);
    cache.get(QStringLiteral("k"), {c}, setOf(100)); // 300 > 250: b goes
    CHECK(cache.stats().entries == 2);
    CHECK(cache.stats().loads == 3);
    CHECK(cache.get(QStringLiteral("k"), {a}, setOf(100)) == sa);
    CHECK(cache.get(QStringLiteral("k"), {b}, setOf(100)) != sb);
    CHECK(cache.stats().loads == 4);
    // Another key (another dataset's tag) over the same file is another set.
    CHECK(cache.get(QStringLiteral("other"), {a}, setOf(100)) != sa);
    // A set larger than the whole cache is handed out and not kept.
    cache.clear();
    cache.get(QStringLiteral("k"), {a}, setOf(300));
    CHECK(cache.stats().entries == 0);
    CHECK(cache.stats().bytes == 0);
    // A file that cannot be stat()ed is never taken as unchanged.
    const QString gone = dir.filePath(QStringLiteral("gone"));
    cache.get(QStringLiteral("k"), {gone}, setOf(10));
    cache.get(QStringLiteral("k"), {gone}, setOf(10));
    CHECK(cache.stats().entries == 0);
    CHECK(cache.stats().loads == 8);
}

TEST_CASE("dataset: mismatches name both datasets", "[dataset]")
{
    const core::DatasetTag mnist = Dataset::builtin(QStringLiteral("mnist")).tag();
    const core::DatasetTag fashion = Dataset::builtin(QStringLiteral("fashion-mnist")).tag();
    CHECK(core::datasetMismatch(mnist, mnist).isEmpty());
    const QString why = core::datasetMismatch(fashion, mnist);
    CHECK(why == QStringLiteral("the model was trained on Fashion-MNIST, but the data is MNIST"));
    // Two folders of one name differ by their training files.
    core::DatasetTag a, b;
    a.id = b.id = QStringLiteral("idx:shapes");
    a.name = b.name = QStringLiteral("shapes");
    a.trainChecksum = QStringLiteral("aaaa");
    b.trainChecksum = QStringLiteral("bbbb");
    CHECK(!core::datasetMismatch(a, b).isEmpty());
    b.trainChecksum = a.trainChecksum;
    CHECK(core::datasetMismatch(a, b).isEmpty());
    CHECK(core::classCountMismatch(10, fashion).isEmpty());
    a.classNames = {QStringLiteral("x"), QStringLiteral("y"), QStringLiteral("z")};
    CHECK(core::classCountMismatch(10, a) == QStringLiteral("the network ends with 10 outputs; the dataset shapes has 3 classes (end it with Linear(3))"));
}

TEST_CASE("dataset: a model remembers its dataset; continuing on another is refused unless accepted", "[dataset][training]")
{
    QTemporaryDir dir;
    // A "Fashion-MNIST" model trained on a crafted copy (MNIST images, Fashion-MNIST's tag).
    auto train = testsupport::trainSet().head(300);
    auto test = testsupport::testSet().head(100);
    const core::DatasetTag fashion = Dataset::builtin(QStringLiteral("fashion-mnist")).tag();
    train.dataset = test.dataset = fashion;
    core::Trainer trainer(testsupport::smallConfig(300, 100));
    core::RunControl control;
    trainer.run(train, test, control);
    CHECK(trainer.dataset().id == QStringLiteral("fashion-mnist"));
    const QString path = dir.filePath(QStringLiteral("fashion.pt"));
    trainer.save(path);

    // The checkpoint round-trip: id, names and the training files' checksum.
    const auto model = core::Classifier::fromFile(path);
    CHECK(model->info().dataset.id == QStringLiteral("fashion-mnist"));
    CHECK(model->info().dataset.name == QStringLiteral("Fashion-MNIST"));
    CHECK(model->info().dataset.classNames == fashion.classNames);
    CHECK(model->info().dataset.trainChecksum == train.checksum);
    // Files from before issue 20 name no dataset: MNIST.
    CHECK(core::Classifier::bundled()->info().dataset.id == QStringLiteral("mnist"));

    // Continuing on MNIST: refused, naming both; accepted when asked.
    core::Trainer resumed;
    resumed.load(path);
    auto config = resumed.config();
    config.epochs = 2;
    resumed.setConfig(config);
    auto mnistTrain = testsupport::trainSet().head(300);
    const auto mnistTest = testsupport::testSet().head(100);
    try {
        resumed.run(mnistTrain, mnistTest, control);
        FAIL("continuing a Fashion-MNIST model on MNIST was not refused");
    } catch (const core::ConfigError &e) {
        CHECK(e.text().contains(QStringLiteral("trained on Fashion-MNIST")));
        CHECK(e.text().contains(QStringLiteral("the data is MNIST")));
    }
    CHECK(resumed.epochsDone() == 1);
    resumed.acceptDataset();
    resumed.run(mnistTrain, mnistTest, control);
    CHECK(resumed.epochsDone() == 2);
    CHECK(resumed.dataset().id == QStringLiteral("mnist"));
}

TEST_CASE("dataset: three classes train a preset fitted to them; the checkpoint says so", "[dataset][training]")
{
    QTemporaryDir dir;
    const QString folder = dir.filePath(QStringLiteral("three"));
    writeFolder(folder, 300, 100, [](int i) { return std::min(digitLabel(i), 2); }, false, "zero\none\nmany\n");
    const Dataset d = Dataset::fromFolder(folder);
    const auto train = d.load(core::Split::Train);
    const auto test = d.load(core::Split::Test);

    auto config = testsupport::smallConfig(300, 100);
    // A preset's last Linear takes the dataset's class count...
    config.fitClasses(3);
    CHECK(config.networkText().endsWith(QStringLiteral("Linear(3)")));
    CHECK(config.validate().isEmpty());
    // ...a network of one's own must end with it, and the message says the dataset's count.
    core::TrainConfig custom = config;
    custom.network = QStringLiteral("Flatten Linear(10)");
    CHECK(custom.validate().contains(QStringLiteral("the dataset has 3 classes")));

    core::Trainer trainer(config);
    core::RunControl control;
    const auto summary = trainer.run(train, test, control);
    CHECK(summary.epochsDone == 1);
    const auto result = trainer.evaluate(test);
    REQUIRE(result.confusion.size() == 3);
    CHECK(result.total == 100);
    const QString path = dir.filePath(QStringLiteral("three.pt"));
    trainer.save(path);
    const auto model = core::Classifier::fromFile(path);
    CHECK(model->info().config.classes == 3);
    CHECK(model->info().dataset.id == QStringLiteral("idx:three"));
    CHECK(model->info().dataset.classNames == d.classNames);
    CHECK(model->predict(std::vector<float>(core::kPixels, 0.f).data()).probabilities.size() == 3);

    // A ten-class model cannot take three-class data, and the message says why.
    core::Trainer tenClasses(testsupport::smallConfig(300, 100));
    try {
        tenClasses.run(train, test, control);
        FAIL("a 10-output network trained on 3 classes");
    } catch (const core::ConfigError &e) {
        CHECK(e.text().contains(QStringLiteral("the network ends with 10 outputs; the dataset three has 3 classes")));
    }
}
