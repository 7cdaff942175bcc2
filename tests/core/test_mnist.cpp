#include "core/error.h"
#include "core/mnist.h"
#include "testsupport.h"

#include <QElapsedTimer>
#include <catch2/catch.hpp>

using core::MnistError;
using Kind = core::MnistError::Kind;
using testsupport::idx;
using testsupport::write;

namespace {

/// Three 28x28 images whose pixels encode their index, and their labels.
QByteArray pixels(int count)
{
    QByteArray p(count * 784, 0);
    for (int i = 0; i < count; ++i)
        for (int j = 0; j < 784; ++j)
            p[i * 784 + j] = char((i * 31 + j) & 0xff);
    return p;
}

QByteArray goodImages(int count = 3) { return idx({0x803, quint32(count), 28, 28}, pixels(count)); }
QByteArray goodLabels(int count = 3)
{
    QByteArray l;
    for (int i = 0; i < count; ++i)
        l.append(char(i % 10));
    return idx({0x801, quint32(count)}, l);
}

/// Runs loadFiles and returns the MnistError it must throw.
MnistError loadError(const QString &images, const QString &labels)
{
    try {
        core::mnist::loadFiles(images, labels);
    } catch (const MnistError &e) {
        return e;
    }
    FAIL("loadFiles accepted a bad file: " << images.toStdString());
    throw;
}

} // namespace

TEST_CASE("IDX files load, raw and gzip", "[mnist]")
{
    QTemporaryDir dir;
    for (bool gz : {false, true}) {
        const auto images = write(dir, gz ? "i.gz" : "i", goodImages(), gz);
        const auto labels = write(dir, gz ? "l.gz" : "l", goodLabels(), gz);
        const auto set = core::mnist::loadFiles(images, labels);
        CHECK(set.count == 3);
        CHECK(set.rows == 28);
        CHECK(set.cols == 28);
        REQUIRE(set.images.size() == 3u * 784u);
        CHECK(set.image(2)[5] == std::uint8_t((2 * 31 + 5) & 0xff));
        CHECK(set.labels == std::vector<std::uint8_t>{0, 1, 2});
        CHECK(set.head(2).count == 2);
        CHECK(set.head(2).images.size() == 2u * 784u);
    }
}

TEST_CASE("IDX errors are typed and name the file", "[mnist]")
{
    QTemporaryDir dir;
    const auto labels = write(dir, "labels", goodLabels());

    SECTION("missing file")
    {
        const auto e = loadError(dir.filePath("nope"), labels);
        CHECK(e.kind() == Kind::Missing);
        CHECK(e.file() == dir.filePath("nope"));
        CHECK_THAT(e.what(), Catch::Contains("nope") && Catch::Contains("no such file"));
    }
    SECTION("shorter than the header")
    {
        const auto e = loadError(write(dir, "short", QByteArray("\0\0\x08\x03\0", 5)), labels);
        CHECK(e.kind() == Kind::Truncated);
        CHECK_THAT(e.what(), Catch::Contains("short") && Catch::Contains("16-byte"));
    }
    SECTION("truncated pixel data")
    {
        const auto e = loadError(write(dir, "trunc", goodImages().chopped(100)), labels);
        CHECK(e.kind() == Kind::Truncated);
        CHECK_THAT(e.what(), Catch::Contains("trunc") && Catch::Contains("2352") && Catch::Contains("2252"));
    }
    SECTION("truncated gzip stream")
    {
        QTemporaryDir tmp;
        const auto full = write(tmp, "full.gz", goodImages(200), true);
        QFile f(full);
        REQUIRE(f.open(QIODevice::ReadOnly));
        const QByteArray compressed = f.readAll();
        const auto e = loadError(write(dir, "cut.gz", compressed.left(compressed.size() / 2)), labels);
        CHECK(e.kind() == Kind::Truncated);
        CHECK_THAT(e.what(), Catch::Contains("cut.gz"));
    }
    SECTION("wrong magic: labels given as images")
    {
        const auto e = loadError(labels, labels);
        CHECK(e.kind() == Kind::BadMagic);
        CHECK_THAT(e.what(), Catch::Contains("0x00000801") && Catch::Contains("0x00000803"));
    }
    SECTION("wrong dimensions")
    {
        const auto e = loadError(write(dir, "dims", idx({0x803, 1, 32, 32}, QByteArray(1024, 0))), labels);
        CHECK(e.kind() == Kind::BadDimensions);
        CHECK_THAT(e.what(), Catch::Contains("32x32") && Catch::Contains("28x28"));
    }
    SECTION("bytes after the data")
    {
        const auto e = loadError(write(dir, "long", goodImages() + "xyz"), labels);
        CHECK(e.kind() == Kind::BadDimensions);
        CHECK_THAT(e.what(), Catch::Contains("3 bytes after"));
    }
    SECTION("label and image counts differ")
    {
        const auto e = loadError(write(dir, "four", goodImages(4)), labels);
        CHECK(e.kind() == Kind::CountMismatch);
        CHECK(e.file() == labels);
        CHECK_THAT(e.what(), Catch::Contains("3 labels") && Catch::Contains("4 images"));
    }
    SECTION("label out of range")
    {
        const auto bad = write(dir, "badlabel", idx({0x801, 3}, QByteArray("\x01\x0c\x02", 3)));
        const auto e = loadError(write(dir, "img", goodImages()), bad);
        CHECK(e.kind() == Kind::BadLabel);
        CHECK_THAT(e.what(), Catch::Contains("label 12 at index 1"));
    }
}

TEST_CASE("data directory resolution", "[mnist]")
{
    CHECK(core::mnist::resolveDataDir(QStringLiteral("/explicit/dir")) == QStringLiteral("/explicit/dir"));
    qputenv("DIGITLAB_DATA", "/from/env");
    CHECK(core::mnist::resolveDataDir() == QStringLiteral("/from/env"));
    CHECK(core::mnist::resolveDataDir(QStringLiteral("/explicit/dir")) == QStringLiteral("/explicit/dir"));
    qunsetenv("DIGITLAB_DATA");
    const auto dirs = core::mnist::candidateDataDirs();
    REQUIRE(dirs.size() == 2);
    CHECK(dirs[0].endsWith(QStringLiteral("data/mnist")));
    CHECK(dirs[1].endsWith(QStringLiteral("/mnist")));
    QTemporaryDir empty;
    CHECK_FALSE(core::mnist::isPresent(empty.path()));
}

TEST_CASE("the real MNIST files load completely", "[mnist][data]")
{
    QElapsedTimer timer;
    timer.start();
    const auto train = core::mnist::load(testsupport::mnistDir(), core::Split::Train);
    const auto ms = timer.elapsed();
    const auto test = core::mnist::load(testsupport::mnistDir(), core::Split::Test);
    WARN("loading the 60,000 training images took " << ms << " ms");
    CHECK(train.count == 60000);
    CHECK(test.count == 10000);
    // The published MD5 sums of the uncompressed files.
    CHECK(train.checksum == QStringLiteral("6bbc9ace898e44ae57da46a324031adb:a25bea736e30d166cdddb491f175f624"));
    CHECK(test.checksum == QStringLiteral("2646ac647ad5339dbf082846283269ea:27ae3e4e09519cfbb04c329615203637"));
    std::array<int, 10> perClass{};
    for (auto l : test.labels)
        perClass[l]++;
    CHECK(perClass[0] == 980);
    CHECK(perClass[1] == 1135);
    CHECK(test.labels[0] == 7); // the famous first test digit
}
