// Hostile checkpoints through the window's own File > Open and File > Import paths (issue 8):
// each is refused with an error naming the file, and the model in use, the window's file path
// and its modified flag stay as they were. Kept to MainWindow's public behaviour (openFile,
// importWeights, saveTo, the message sink) so it survives the window's restructuring (issue 7).
#include "../core/craftedfiles.h"
#include "uitestsupport.h"
#include "ui/mainwindow.h"
#include "ui/modeldocument.h"
#include "ui/trainingcontroller.h"
#include "core/classifier.h"
#include <catch2/catch.hpp>
#include <QCoreApplication>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QTemporaryDir>
#include <array>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <thread>
#include <sys/stat.h>

using ui::MainWindow;

namespace {

// Generous: a refusal takes milliseconds; this only turns a hang (a FIFO opened blocking on the
// GUI thread) into a failure instead of a CI timeout.
constexpr auto kHangLimit = std::chrono::seconds(120);

/// Ends the process with a message if the test is still running after kHangLimit: a blocked GUI
/// thread cannot fail a Catch assertion by itself.
class HangGuard {
public:
    HangGuard()
        : m_thread([this] {
              std::unique_lock lock(m_mutex);
              if (!m_done.wait_for(lock, kHangLimit, [this] { return m_finished; })) {
                  std::fputs("test_craftedfiles_gui: the window blocked on a hostile file\n", stderr);
                  std::_Exit(1);
              }
          })
    {
    }
    ~HangGuard()
    {
        {
            std::lock_guard lock(m_mutex);
            m_finished = true;
        }
        m_done.notify_one();
        m_thread.join();
    }

private:
    std::mutex m_mutex;
    std::condition_variable m_done;
    bool m_finished = false;
    std::thread m_thread;
};

struct Message {
    QMessageBox::Icon icon;
    QString text;
};

struct Hostile {
    QString path;
    QString nameShown; ///< what the error must name
};

QString write(const QTemporaryDir &dir, const QString &name, const QByteArray &bytes)
{
    const QString path = dir.filePath(name);
    QFile file(path);
    REQUIRE(file.open(QIODevice::WriteOnly));
    REQUIRE(file.write(bytes) == bytes.size());
    return path;
}

/// The classes of hostile checkpoint the issue lists, as files in dir (tests/core/craftedfiles).
std::vector<Hostile> hostileFiles(const QTemporaryDir &dir)
{
    std::vector<Hostile> files;
    auto add = [&](const QString &name, const QByteArray &bytes) { files.push_back({write(dir, name, bytes), name}); };

    QFile seed(QStringLiteral(DIGITLAB_SOURCE_DIR "/resources/models/seed.pt"));
    REQUIRE(seed.open(QIODevice::ReadOnly));
    const QByteArray seedBytes = seed.readAll();
    add(QStringLiteral("truncated.pt"), seedBytes.left(seedBytes.size() / 2));

    const auto tensors = crafted::seedTensors();
    auto records = crafted::unzip(crafted::stateDictFile(tensors));
    REQUIRE(records.size() > 1);
    records.back().badCrc = true; // one storage record whose bytes do not match its CRC-32
    add(QStringLiteral("bad-crc.pt"), crafted::zip(records));

    auto strided = tensors;
    strided[4].strides = {344, 1}; // fc1.weight read past its 16,000 elements
    add(QStringLiteral("stride-past-data.pt"), crafted::stateDictFile(strided));

    add(QStringLiteral("nested-pickle.pt"),
        crafted::archive(QByteArray("\x80\x02") + QByteArray(1000000, ']') + QByteArray(999999, 'a') + ".", {}));
    add(QStringLiteral("reduce-empty-stack.pt"), crafted::archive(QByteArray("\x80\x02R.", 4), {}));
    add(QStringLiteral("os-system.pt"),
        crafted::archive(QByteArray("\x80\x02" "cos\nsystem\nX\x02\x00\x00\x00id\x85R.", 23), {}));

    const QString fifo = dir.filePath(QStringLiteral("fifo.pt"));
    REQUIRE(::mkfifo(QFile::encodeName(fifo).constData(), 0600) == 0);
    files.push_back({fifo, QStringLiteral("fifo.pt")});
    const QString folder = dir.filePath(QStringLiteral("folder.pt"));
    REQUIRE(QDir().mkpath(folder));
    files.push_back({folder, QStringLiteral("folder.pt")});
    files.push_back({QStringLiteral("/dev/zero"), QStringLiteral("/dev/zero")});
    return files;
}

/// The window's current model, as its predictions on the first test images.
std::vector<std::vector<float>> probabilities(const MainWindow &window)
{
    constexpr int kImages = 20; // enough to tell any two different weight sets apart
    const auto set = window.document()->testSet();
    const auto classifier = window.document()->classifier();
    REQUIRE(set);
    REQUIRE(classifier);
    std::vector<float> pixels(std::size_t(kImages) * core::kPixels);
    for (std::size_t i = 0; i < pixels.size(); ++i)
        pixels[i] = static_cast<float>(set->images[i]) / 255.0f;
    std::vector<std::vector<float>> result;
    for (const auto &p : classifier->predictBatch(pixels.data(), kImages))
        result.push_back(p.probabilities);
    return result;
}

/// Opens and imports every hostile file; each must be refused with one error naming it and leave
/// the model, the path and the modified flag as they were.
void refuseAll(MainWindow &window, std::vector<Message> &messages, const std::vector<Hostile> &files)
{
    const auto model = window.document()->classifier();
    const quint64 generation = window.document()->generation();
    const auto before = probabilities(window);
    const QString path = window.currentPath();
    const bool modified = window.isModified();
    const QStringList recent = window.recentFiles();

    for (const auto &file : files) {
        for (const bool import : {false, true}) {
            INFO((import ? "File > Import " : "File > Open ") << file.path.toStdString());
            messages.clear();
            const bool accepted = import ? window.importWeights(file.path) : window.openFile(file.path);
            CHECK_FALSE(accepted);
            QCoreApplication::processEvents();
            REQUIRE(messages.size() == 1);
            CHECK(messages[0].icon == QMessageBox::Critical);
            CHECK(messages[0].text.contains(file.nameShown));
            INFO(messages[0].text.toStdString());
            CHECK(window.controller()->isIdle());
            CHECK(window.document()->classifier() == model);
            CHECK(window.document()->generation() == generation);
            CHECK(window.currentPath() == path);
            CHECK(window.isModified() == modified);
            CHECK(window.recentFiles() == recent);
        }
    }
    CHECK(probabilities(window) == before);
}

} // namespace

TEST_CASE("window: hostile checkpoints through Open and Import are refused naming the file and change nothing",
          "[window][hostile]")
{
    HangGuard guard;
    MainWindow::Options options;
    options.loadBundledModel = false;
    options.restoreSettings = false;
    options.dataDir = uitest::requireMnistDir();
    MainWindow window(options);
    std::vector<Message> messages;
    int prompts = 0;
    QMessageBox::StandardButton answer = QMessageBox::Cancel; // a hostile file must be refused before the question
    window.setMessageSink([&](QMessageBox::Icon icon, const QString &, const QString &text) { messages.push_back({icon, text}); });
    window.setUnsavedPrompt([&](const QString &) {
        ++prompts;
        return answer;
    });
    window.setSavePathPrompt([](const QString &) { return QString(); });
    window.show();
    REQUIRE(uitest::waitUntil([&] { return window.controller()->isIdle() && window.document()->testSet(); }, 60000));

    QTemporaryDir dir;
    REQUIRE(dir.isValid());
    const auto files = hostileFiles(dir);

    SECTION("over an imported, unsaved model")
    {
        const QString tutorial = QStringLiteral(DIGITLAB_SOURCE_DIR "/tests/data/tutorial_mnist_cnn.pt");
        const quint64 generation = window.document()->generation();
        REQUIRE(window.importWeights(tutorial));
        REQUIRE(uitest::waitUntil([&] {
            return window.controller()->isIdle() && window.document()->generation() != generation && window.isModified();
        }, 60000));
        REQUIRE(messages.empty());
        REQUIRE(window.currentPath().isEmpty());
        refuseAll(window, messages, files);
    }
    SECTION("over a saved checkpoint")
    {
        const QString saved = QFileInfo(dir.filePath(QStringLiteral("saved.pt"))).absoluteFilePath();
        REQUIRE(window.saveTo(saved));
        REQUIRE(uitest::waitUntil([&] {
            return window.controller()->isIdle() && window.currentPath() == saved && !window.isModified();
        }, 60000));
        REQUIRE(messages.empty());
        refuseAll(window, messages, files);
    }
    CHECK(prompts == 0);
    answer = QMessageBox::Discard; // closing with the unsaved import
    window.close();
}
