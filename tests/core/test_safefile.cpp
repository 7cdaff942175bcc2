// Files from anywhere, both ways (issue 16): every reader refuses a FIFO at once and a device
// without reading it; every writer refuses to replace a device node, FIFO, socket or folder and
// leaves it as it was; a damaged image is an error that carries the decoder's own words; strings
// from a file are echoed escaped and short.
#include "testsupport.h"

#include "core/checkpointreader.h"
#include "core/classifier.h"
#include "core/error.h"
#include "core/export.h"
#include "core/mnist.h"
#include "core/preprocess.h"
#include "core/safefile.h"
#include "core/trainer.h"

#include <QBuffer>
#include <QDir>
#include <QFile>
#include <QTemporaryDir>
#include <atomic>
#include <catch2/catch.hpp>
#include <chrono>
#include <fcntl.h>
#include <functional>
#include <future>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/un.h>
#include <thread>
#include <unistd.h>

namespace {

/// A FIFO, two character devices (/dev/null- and /dev/zero-like), a listening socket and a
/// folder, made for the test in a temporary folder. mknod needs root (the test machine's user);
/// without it the system's own /dev/null and /dev/zero stand in, which a non-root writer could
/// not replace anyway.
struct SpecialFiles {
    QTemporaryDir dir;
    QString fifo = dir.filePath(QStringLiteral("fifo"));
    QString nullDevice = dir.filePath(QStringLiteral("null-device"));
    QString zeroDevice = dir.filePath(QStringLiteral("zero-device"));
    QString socket = dir.filePath(QStringLiteral("socket"));
    QString folder = dir.filePath(QStringLiteral("folder"));
    int socketFd = -1;

    SpecialFiles()
    {
        REQUIRE(::mkfifo(QFile::encodeName(fifo).constData(), 0600) == 0);
        if (::mknod(QFile::encodeName(nullDevice).constData(), S_IFCHR | 0666, makedev(1, 3)) != 0)
            nullDevice = QStringLiteral("/dev/null");
        if (::mknod(QFile::encodeName(zeroDevice).constData(), S_IFCHR | 0666, makedev(1, 5)) != 0)
            zeroDevice = QStringLiteral("/dev/zero");
        socketFd = ::socket(AF_UNIX, SOCK_STREAM, 0);
        REQUIRE(socketFd >= 0);
        sockaddr_un address{};
        address.sun_family = AF_UNIX;
        const QByteArray name = QFile::encodeName(socket);
        REQUIRE(std::size_t(name.size()) < sizeof address.sun_path);
        std::memcpy(address.sun_path, name.constData(), std::size_t(name.size()));
        REQUIRE(::bind(socketFd, reinterpret_cast<sockaddr *>(&address), sizeof address) == 0);
        REQUIRE(QDir().mkdir(folder));
    }
    ~SpecialFiles() { ::close(socketFd); }
    SpecialFiles(const SpecialFiles &) = delete;
    SpecialFiles &operator=(const SpecialFiles &) = delete;

    /// What a writer may be pointed at: none of them may be replaced.
    QStringList targets() const { return {fifo, nullDevice, socket, folder}; }

    /// Each is still what it was: no writer put a regular file in its place.
    void checkUnchanged() const
    {
        const auto mode = [](const QString &path) {
            struct stat st {};
            REQUIRE(::lstat(QFile::encodeName(path).constData(), &st) == 0);
            return st;
        };
        CHECK(S_ISFIFO(mode(fifo).st_mode));
        CHECK(S_ISCHR(mode(nullDevice).st_mode));
        CHECK(mode(nullDevice).st_rdev == makedev(1, 3));
        CHECK(S_ISSOCK(mode(socket).st_mode));
        CHECK(S_ISDIR(mode(folder).st_mode));
        CHECK(QDir(folder).isEmpty());
    }
};

/// Runs a reader on a thread and returns what it said ("accepted" when it did not throw). Should
/// it block (a FIFO opened blocking) the test fails after a generous minute instead of hanging,
/// and the FIFO's other end is opened so that the stuck thread can end.
std::string saidBy(const std::function<void()> &read, const QString &fifo)
{
    auto promise = std::make_shared<std::promise<std::string>>();
    auto result = promise->get_future();
    std::thread([promise, read] {
        try {
            read();
            promise->set_value("accepted");
        } catch (const core::Error &e) {
            promise->set_value(e.what());
        }
    }).detach();
    if (result.wait_for(std::chrono::seconds(60)) != std::future_status::ready) {
        const int fd = ::open(QFile::encodeName(fifo).constData(), O_WRONLY | O_NONBLOCK);
        if (fd >= 0)
            ::close(fd);
        FAIL("the reader blocked on " << fifo.toStdString());
    }
    return result.get();
}

/// Counts the Qt messages that reach the installed handler (what would be printed on stderr).
std::atomic<int> g_printed{0};
void countingHandler(QtMsgType, const QMessageLogContext &, const QString &) { ++g_printed; }

/// image encoded as format, cut to its first fraction of bytes.
QByteArray truncatedImage(const QImage &image, const char *format, double fraction)
{
    QByteArray bytes;
    QBuffer buffer(&bytes);
    buffer.open(QIODevice::WriteOnly);
    REQUIRE(image.save(&buffer, format));
    return bytes.left(qsizetype(double(bytes.size()) * fraction));
}

} // namespace

TEST_CASE("every reader refuses a FIFO at once and a device without reading it", "[safefile][hostile]")
{
    SpecialFiles special;
    const auto labels = testsupport::write(special.dir, QStringLiteral("labels"), testsupport::idx({0x801, 1}, QByteArray(1, '\1')));
    const std::vector<std::pair<const char *, std::function<void(const QString &)>>> readers{
        {"readFile", [](const QString &p) { core::safefile::readFile(p, 1 << 20); }},
        {"checkpoint", [](const QString &p) { core::readCheckpointFile(p); }},
        {"IDX", [&labels](const QString &p) { core::mnist::loadFiles(p, labels); }},
        {"image", [](const QString &p) { core::preprocess::readImage(p); }},
    };
    for (const auto &[what, read] : readers) {
        for (const QString &path : {special.fifo, special.zeroDevice, special.nullDevice, special.socket}) {
            INFO(what << " on " << path.toStdString());
            const std::string said = saidBy([&read = read, path] { read(path); }, special.fifo);
            CHECK_THAT(said, Catch::Contains(path.toStdString()) && Catch::Contains("not a regular file"));
        }
        INFO(what << " on a folder");
        CHECK_THAT(saidBy([&read = read, &special] { read(special.folder); }, special.fifo), Catch::Contains("folder"));
    }
}

TEST_CASE("a file over a reader's size limit is refused before it is read", "[safefile]")
{
    QTemporaryDir dir;
    const auto path = testsupport::write(dir, QStringLiteral("big"), QByteArray(4096, 'x'));
    CHECK(core::safefile::readFile(path, 4096).size() == 4096);
    try {
        core::safefile::readFile(path, 4095);
        FAIL("read a file over the limit");
    } catch (const core::FileError &e) {
        CHECK(e.kind() == core::FileError::Kind::TooLarge);
        CHECK_THAT(e.what(), Catch::Contains("4096 bytes; at most 4095"));
    }
    // An image over 64 MiB (sparse: no disk is used) is refused by its size, not decoded.
    const auto huge = dir.filePath(QStringLiteral("huge.png"));
    {
        QFile f(huge);
        REQUIRE(f.open(QIODevice::WriteOnly));
        REQUIRE(f.resize((qint64(64) << 20) + 1));
    }
    CHECK_THROWS_WITH(core::preprocess::readImage(huge), Catch::Contains("at most 67108864 bytes"));
}

TEST_CASE("every writer refuses to replace a device node, FIFO, socket or folder", "[safefile][hostile]")
{
    SpecialFiles special;
    const auto model = core::Classifier::bundled();
    core::Trainer trainer;
    const std::vector<std::pair<const char *, std::function<void(const QString &)>>> writers{
        {"writeFileAtomically", [](const QString &p) { core::safefile::writeFileAtomically(p, "x", 1); }},
        {"writePng", [](const QString &p) { core::safefile::writePng(p, QImage(2, 2, QImage::Format_Grayscale8)); }},
        {"checkpoint", [&trainer](const QString &p) { trainer.save(p); }},
        {"ONNX export", [&model](const QString &p) { core::exportOnnx(*model, p); }},
        {"PyTorch export", [&model](const QString &p) { core::exportStateDict(*model, p); }},
        {"checkWritable", [](const QString &p) { core::safefile::checkWritable(p); }},
    };
    for (const auto &[what, write] : writers) {
        for (const QString &path : special.targets()) {
            INFO(what << " on " << path.toStdString());
            try {
                write(path);
                FAIL("wrote over it");
            } catch (const core::Error &e) {
                CHECK(e.file() == path);
                CHECK_THAT(e.what(), Catch::Contains("not a regular file") || Catch::Contains("is a folder"));
            }
        }
    }
    special.checkUnchanged();
    // The same writers still write a regular file, and replace one.
    const auto fine = special.dir.filePath(QStringLiteral("fine.bin"));
    for (const auto &[what, write] : writers) {
        INFO(what);
        CHECK_NOTHROW(write(fine));
        CHECK_NOTHROW(write(fine));
    }
}

TEST_CASE("checkWritable finds an unwritable target before any work", "[safefile]")
{
    QTemporaryDir dir;
    const auto error = [](const QString &path) -> std::string {
        try {
            core::safefile::checkWritable(path);
        } catch (const core::FileError &e) {
            CHECK(e.kind() == core::FileError::Kind::Unwritable);
            return e.what();
        }
        return "writable";
    };
    CHECK_THAT(error(QString()), Catch::Contains("no file name given"));
    CHECK_THAT(error(dir.filePath(QStringLiteral("no/such/folder/run.pt"))), Catch::Contains("cannot write into the folder"));
    const auto file = testsupport::write(dir, QStringLiteral("file"), "x");
    CHECK_THAT(error(file + QStringLiteral("/run.pt")), Catch::Contains("is not a folder"));
    CHECK(error(dir.filePath(QStringLiteral("run.pt"))) == "writable");
    CHECK(error(file) == "writable");
    // The probe file is gone again: only the file written above is there.
    CHECK(QDir(dir.path()).entryList(QDir::AllEntries | QDir::Hidden | QDir::NoDotAndDotDot) == QStringList{QStringLiteral("file")});
}

TEST_CASE("a truncated JPEG or PNG is an error carrying the decoder's words, none printed apart", "[safefile][preprocess][hostile]")
{
    QTemporaryDir dir;
    const QImage seven = testsupport::mnistOnCanvas(0, 9, 280, 280, 10, 10, false);
    for (const char *format : {"JPG", "PNG"}) {
        INFO(format);
        const auto whole = testsupport::write(dir, QStringLiteral("whole.%1").arg(QLatin1String(format)), truncatedImage(seven, format, 1.0));
        const auto cut = testsupport::write(dir, QStringLiteral("cut.%1").arg(QLatin1String(format)), truncatedImage(seven, format, 1.0 / 3));
        g_printed = 0;
        const QtMessageHandler previous = qInstallMessageHandler(countingHandler);
        std::string said = "accepted";
        try {
            core::preprocess::readImage(cut);
        } catch (const core::ImageError &e) {
            CHECK(e.kind() == core::ImageError::Kind::Unreadable);
            said = e.what();
        }
        const QImage read = core::preprocess::readImage(whole);
        qInstallMessageHandler(previous);
        CHECK_THAT(said, Catch::Contains(cut.toStdString()) && (Catch::Contains("damaged") || Catch::Contains("cannot read")));
        CHECK(g_printed == 0); // the decoder's warnings are in the message, not on stderr
        CHECK(read.size() == seven.size());
    }
    // One flipped byte inside a PNG's image data: its chunk's CRC-32 names it.
    QByteArray flipped = truncatedImage(seven, "PNG", 1.0);
    flipped[flipped.size() / 2] = char(flipped[flipped.size() / 2] ^ 0x55);
    g_printed = 0;
    const QtMessageHandler previous = qInstallMessageHandler(countingHandler);
    CHECK_THROWS_WITH(core::preprocess::readImage(testsupport::write(dir, QStringLiteral("flipped.png"), flipped)),
                      Catch::Contains("damaged") && Catch::Contains("CRC-32"));
    qInstallMessageHandler(previous);
    CHECK(g_printed == 0);
}

TEST_CASE("strings from a file are echoed with control characters escaped and long ones elided", "[safefile]")
{
    CHECK(core::printable(QStringLiteral("conv1.weight")) == QStringLiteral("conv1.weight"));
    CHECK(core::printable(QStringLiteral("a\nb\tc\x1b[2J\u202edef")) == QStringLiteral("a\\nb\\tc\\x1b[2J\\u202edef"));
    const std::string huge(15 << 20, 'k');
    const QString shown = core::printable(huge);
    CHECK(shown.size() <= 80);
    CHECK(shown.contains(QChar(0x2026)));
    CHECK(shown.startsWith(QStringLiteral("kkkk")));
    // A file name is escaped where a message shows it (file() keeps it as given).
    const core::Error e(QStringLiteral("x\ny.pt"), QStringLiteral("bad"));
    CHECK(std::string(e.what()) == "x\\ny.pt: bad");
    CHECK(e.file() == QStringLiteral("x\ny.pt"));
}
