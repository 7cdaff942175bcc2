// "Download MNIST" in the window (issue 10): the Browse tab's panel downloads from a local server
// that the test starts, the Train tab loads the result, and the progress is visible meanwhile.
// The hidden [.screenshots] case writes docs/screenshot-download.png.
#include "../support/httptestserver.h"
#include "core/mnistdownloader.h"
#include "uitestsupport.h"
#include "ui/mainwindow.h"
#include "ui/modeldocument.h"
#include "ui/mnistdownloadpanel.h"
#include "ui/train/traintab.h"
#include "ui/trainingcontroller.h"
#include <QDir>
#include <QFile>
#include <QHash>
#include <QLabel>
#include <QProgressBar>
#include <QPushButton>
#include <QTabWidget>
#include <QTest>
#include <catch2/catch.hpp>

namespace {

using testsupport::HttpTestServer;

/// Serves the real MNIST files, gzipped, at /mnist/NAME.gz.
void serveMnist(HttpTestServer &server, HttpTestServer::Mode mode)
{
    // Packed once for every case: gzip of 55 MB costs about half a second each time.
    static const QHash<QString, QByteArray> gzipped = [] {
        QHash<QString, QByteArray> files;
        const auto &raw = testsupport::mnistFileBytes();
        for (auto it = raw.begin(); it != raw.end(); ++it)
            files.insert(it.key(), testsupport::gzip(it.value()));
        return files;
    }();

    for (const QString &name : core::MnistDownloader::fileNames())
        server.route(QStringLiteral("/mnist/") + name + QLatin1String(".gz"), gzipped.value(name), mode);
}

/// The environment the app reads: where a download goes, and where from. Restored on exit.
struct DownloadEnvironment {
    QString dir = uitest::tempDir();
    DownloadEnvironment(const HttpTestServer &server)
    {
        qputenv("DIGITLAB_DATA", dir.toUtf8());
        qputenv("DIGITLAB_MNIST_SOURCES", (QStringLiteral("gz:") + server.url(QStringLiteral("/mnist"))).toUtf8());
    }
    ~DownloadEnvironment()
    {
        qunsetenv("DIGITLAB_DATA");
        qunsetenv("DIGITLAB_MNIST_SOURCES");
    }
};

std::unique_ptr<ui::MainWindow> window(const QString &dataDir)
{
    ui::MainWindow::Options options;
    options.loadBundledModel = false;
    options.restoreSettings = false;
    options.dataDir = dataDir;
    auto w = std::make_unique<ui::MainWindow>(options);
    w->setMessageSink([](QMessageBox::Icon, const QString &, const QString &) {});
    w->resize(1200, 780);
    w->show();
    REQUIRE(uitest::waitUntil([&w] { return w->controller()->isIdle() && !w->trainTab()->dataPanel()->isHidden(); }, 30000));
    return w;
}

ui::MnistDownloadPanel *browsePanel(ui::MainWindow &w)
{
    auto *panel = w.tabs()->widget(2)->findChild<ui::MnistDownloadPanel *>();
    REQUIRE(panel != nullptr);
    return panel;
}

/// A window whose Train tab has started downloading from a server that sends `chunk` bytes at a
/// time (slow enough to see progress, cancel, or take a screenshot mid-way).
struct SlowDownload {
    HttpTestServer server;
    std::unique_ptr<DownloadEnvironment> env;
    std::unique_ptr<ui::MainWindow> w;
    ui::MnistDownloadPanel *panel = nullptr;

    explicit SlowDownload(int chunk)
    {
        server.setSlowChunk(chunk);
        serveMnist(server, HttpTestServer::Mode::Slow);
        env = std::make_unique<DownloadEnvironment>(server);
        w = window(env->dir);
        panel = w->trainTab()->downloadPanel();
        QTest::mouseClick(panel->downloadButton(), Qt::LeftButton);
    }
};

} // namespace

TEST_CASE("Download MNIST from the Browse tab: verified files and the Train tab loads them", "[download]")
{
    HttpTestServer server;
    serveMnist(server, HttpTestServer::Mode::Normal);
    DownloadEnvironment env(server);
    auto w = window(env.dir);
    w->tabs()->setCurrentIndex(2);
    auto *panel = browsePanel(*w);
    REQUIRE(uitest::waitUntil([panel] { return panel->isVisible(); }, 10000));
    REQUIRE(panel->downloadButton()->isEnabled());
    QTest::mouseClick(panel->downloadButton(), Qt::LeftButton);
    // While it runs, both tabs' panels show it: one download for the whole window.
    REQUIRE_FALSE(w->trainTab()->downloadPanel()->downloadButton()->isEnabled());
    REQUIRE(uitest::waitUntil([&w] { return w->document()->isDataReady(); }, 120000));
    CHECK(core::MnistDownloader::allVerified(env.dir));
    CHECK(w->trainTab()->dataPanel()->isHidden());
    CHECK(panel->downloadButton()->isEnabled());
    CHECK(server.requests().size() == 4);
}

TEST_CASE("Download MNIST Cancel in the Train tab leaves no partial file", "[download]")
{
    SlowDownload d(8 * 1024);
    auto *panel = d.panel;
    REQUIRE(uitest::waitUntil([panel] { return panel->progressBar()->value() > 0; }, 60000));
    REQUIRE(panel->cancelButton()->isVisible());
    QTest::mouseClick(panel->cancelButton(), Qt::LeftButton);
    REQUIRE(uitest::waitUntil([panel] { return panel->downloadButton()->isEnabled(); }, 30000));
    CHECK(panel->statusLabel()->text().contains(QStringLiteral("cancelled")));
    CHECK(QDir(d.env->dir).entryList(QDir::Files | QDir::Hidden).isEmpty());
    CHECK_FALSE(d.w->document()->isDataReady());
}

TEST_CASE("Screenshot of the MNIST download in progress", "[.screenshots]")
{
    SlowDownload d(24 * 1024);
    auto *panel = d.panel;
    auto &w = d.w;
    // Part way into the large training-images file.
    REQUIRE(uitest::waitUntil([panel] { return panel->progressBar()->value() > 350; }, 120000));
    REQUIRE(w->grab().save(uitest::shotsDir() + QStringLiteral("/screenshot-download.png")));
    QTest::mouseClick(panel->cancelButton(), Qt::LeftButton);
    REQUIRE(uitest::waitUntil([panel] { return panel->downloadButton()->isEnabled(); }, 30000));
}
