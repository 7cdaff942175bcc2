// digitlab: the GUI. `digitlab --benchmark-responsiveness` trains in the real window (use
// QT_QPA_PLATFORM=offscreen for a headless run) and reports the GUI thread's longest stall.
#include "ui/mainwindow.h"
#include "ui/modelstate.h"
#include "ui/responsivenessprobe.h"
#include "ui/traintab.h"
#include "ui/trainingcontroller.h"
#include "core/trainingworker.h"
#include "core/version.h"
#include <QApplication>
#include <QTabWidget>
#include <QCommandLineParser>
#include <QDir>
#include <QElapsedTimer>
#include <QIcon>
#include <QTimer>
#include <cstdio>

namespace {

struct BenchmarkOptions {
    int epochs = 1;
    int threads = 0;
    int trainLimit = 0;
    QString screenshotDir;
};

/// Trains in a real MainWindow while a ResponsivenessProbe watches the event loop; prints one
/// line per measure and returns the exit code.
int runResponsivenessBenchmark(const BenchmarkOptions &options)
{
    ui::MainWindow::Options windowOptions;
    windowOptions.loadBundledModel = false;
    windowOptions.restoreSettings = false;
    ui::MainWindow window(windowOptions);
    bool failed = false;
    window.setMessageSink([&failed](QMessageBox::Icon, const QString &title, const QString &text) {
        std::fprintf(stderr, "%s: %s\n", qPrintable(title), qPrintable(text));
        failed = true;
        QCoreApplication::exit(1);
    });
    window.resize(1280, 820);
    window.show();

    auto *tab = window.trainTab();
    core::TrainConfig config = tab->config();
    config.epochs = options.epochs;
    if (options.threads > 0)
        config.threads = options.threads;
    config.trainLimit = options.trainLimit;
    tab->setConfig(config);

    ui::ResponsivenessProbe probe;
    auto *worker = window.controller()->worker();
    QObject::connect(worker, &core::TrainingWorker::dataFailed, &window, [](const QString &dir, const QString &message) {
        std::fprintf(stderr, "MNIST not found (%s): %s\n", qPrintable(dir), qPrintable(message));
        QCoreApplication::exit(1);
    });
    auto shoot = [&window, &options](const QString &name) {
        if (options.screenshotDir.isEmpty())
            return;
        const QString path = QDir(options.screenshotDir).filePath(name);
        if (window.grab().save(path))
            std::printf("screenshot: %s\n", qPrintable(path));
    };
    // Mid-training screenshot once the run is half way through its first epoch.
    bool midShot = false;
    QObject::connect(worker, &core::TrainingWorker::batchFinished, &window, [&](const core::BatchStats &s) {
        const bool lastEpoch = s.epoch == s.epochs;
        if (!midShot && lastEpoch && s.batch * 2 >= s.batchesPerEpoch) {
            midShot = true;
            shoot(QStringLiteral("train-mid.png"));
        }
    });
    std::vector<core::EpochStats> epochs;
    std::vector<double> epochEnds; // seconds since the probe started, to relate stalls to epochs
    QElapsedTimer clock;
    QObject::connect(worker, &core::TrainingWorker::epochFinished, &window, [&](const core::EpochStats &e) {
        epochs.push_back(e);
        epochEnds.push_back(clock.elapsed() / 1000.0);
    });
    QObject::connect(worker, &core::TrainingWorker::finished, &window, [&](const core::TrainingSummary &summary) {
        probe.stop();
        const auto s = probe.stats();
        double ips = 0;
        for (const auto &e : epochs)
            ips += e.imagesPerSecond / double(epochs.size());
        std::printf("threads: %d\n", config.effectiveThreads());
        std::printf("epochs: %d (%.1f s)\n", summary.epochsDone, summary.seconds);
        for (std::size_t i = 0; i < epochs.size(); ++i)
            std::printf("  epoch %d: %.0f images/s, reported at %.2f s\n", epochs[i].epoch, epochs[i].imagesPerSecond,
                        epochEnds[i]);
        std::printf("training images/s (GUI): %.0f\n", ips);
        std::printf("event-loop ticks: %d over %.1f s\n", s.ticks, s.seconds);
        std::printf("max stall: %.1f ms\n", s.maxStallMs);
        std::printf("p50 lateness: %.2f ms, p99: %.2f ms\n", s.p50Ms, s.p99Ms);
        std::printf("ticks later than 16.7 ms: %d, later than 50 ms: %d\n", s.over16Ms, s.over50Ms);
        std::printf("longest GUI-thread work between two ticks: %.1f ms\n", s.maxBusyMs);
        for (const auto &stall : s.worst)
            std::printf("  stall of %.1f ms at %.2f s (GUI thread busy %.1f ms of it)\n", stall.lateMs, stall.atSeconds,
                        stall.busyMs);
        std::fflush(stdout);
        // Let the final repaint happen before the last screenshot.
        QTimer::singleShot(300, &window, [&] {
            shoot(QStringLiteral("train-done.png"));
            QCoreApplication::exit(s.over50Ms == 0 ? 0 : 2);
        });
    });
    // Start as soon as the data is in (the controller goes idle after the start-up requests).
    auto tryStart = [&] {
        if (tab->isDataReady() && window.controller()->isIdle() && !probe.isRunning()) {
            probe.start();
            clock.start();
            window.startTraining();
        }
    };
    QObject::connect(window.controller(), &ui::TrainingController::stateChanged, &window, tryStart);
    // The tab learns about the data after the controller went idle: check again then.
    QObject::connect(worker, &core::TrainingWorker::dataLoaded, &window, tryStart);
    QTimer::singleShot(0, &window, tryStart);
    const int code = QApplication::exec();
    return failed ? 1 : code;
}

} // namespace

int main(int argc, char *argv[])
{
    bool benchmark = false;
    for (int i = 1; i < argc; ++i)
        benchmark = benchmark || qstrcmp(argv[i], "--benchmark-responsiveness") == 0;
    // The benchmark is meant for headless runs: default to the offscreen platform.
    if (benchmark && qEnvironmentVariableIsEmpty("QT_QPA_PLATFORM"))
        qputenv("QT_QPA_PLATFORM", "offscreen");

    QApplication app(argc, argv);
    QCoreApplication::setOrganizationName(QStringLiteral("DigitLab"));
    QCoreApplication::setOrganizationDomain(QStringLiteral("digitlab.example.org"));
    QCoreApplication::setApplicationName(QStringLiteral("DigitLab"));
    QCoreApplication::setApplicationVersion(core::version());
    QGuiApplication::setApplicationDisplayName(QStringLiteral("DigitLab"));
    QGuiApplication::setDesktopFileName(QStringLiteral("org.example.digitlab"));
    // The icon compiled in (PNG: Qt's SVG icon engine is a separate package); the same drawing is
    // installed in the hicolor theme for the desktop's menus.
    QIcon icon;
    for (int size : {16, 22, 24, 32, 48, 64, 128, 256})
        icon.addFile(QStringLiteral(":/digitlab/icons/digitlab-%1.png").arg(size), QSize(size, size));
    QApplication::setWindowIcon(icon);
    core::TrainingWorker::registerMetaTypes();

    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral("Train, draw and browse an MNIST digit classifier."));
    parser.addHelpOption();
    parser.addVersionOption();
    parser.addPositionalArgument(QStringLiteral("checkpoint"), QStringLiteral("A checkpoint to open."), QStringLiteral("[checkpoint]"));
    QCommandLineOption benchOption(QStringLiteral("benchmark-responsiveness"),
                                   QStringLiteral("Train in the window (offscreen) and report the longest event-loop stall."));
    QCommandLineOption epochsOption(QStringLiteral("epochs"), QStringLiteral("Benchmark: epochs (default 1)."), QStringLiteral("n"), QStringLiteral("1"));
    QCommandLineOption threadsOption(QStringLiteral("threads"), QStringLiteral("Benchmark: training threads."), QStringLiteral("n"), QStringLiteral("0"));
    QCommandLineOption limitOption(QStringLiteral("train-limit"), QStringLiteral("Benchmark: use the first n training images."), QStringLiteral("n"), QStringLiteral("0"));
    QCommandLineOption shotsOption(QStringLiteral("screenshots"), QStringLiteral("Benchmark: save window screenshots into dir."), QStringLiteral("dir"));
    QCommandLineOption screenshotOption(QStringLiteral("screenshot"),
                                        QStringLiteral("Save a PNG of the window once start-up is done, then quit."),
                                        QStringLiteral("file"));
    QCommandLineOption tabOption(QStringLiteral("tab"), QStringLiteral("Show this tab first (0 = Train)."), QStringLiteral("n"));
    parser.addOptions({benchOption, epochsOption, threadsOption, limitOption, shotsOption, screenshotOption, tabOption});
    parser.process(app);

    if (parser.isSet(benchOption)) {
        BenchmarkOptions options;
        options.epochs = std::max(1, parser.value(epochsOption).toInt());
        options.threads = std::max(0, parser.value(threadsOption).toInt());
        options.trainLimit = std::max(0, parser.value(limitOption).toInt());
        options.screenshotDir = parser.value(shotsOption);
        return runResponsivenessBenchmark(options);
    }

    ui::MainWindow window;
    if (parser.isSet(tabOption))
        window.tabs()->setCurrentIndex(parser.value(tabOption).toInt());
    window.show();
    if (parser.isSet(screenshotOption)) {
        const QString file = parser.value(screenshotOption);
        auto shoot = [&window, file] {
            if (!window.controller()->isIdle())
                return;
            // Let the last start-up results paint first.
            QTimer::singleShot(500, &window, [&window, file] {
                const bool ok = window.grab().save(file);
                std::fprintf(ok ? stdout : stderr, "%s %s\n", ok ? "screenshot:" : "cannot write", qPrintable(file));
                QCoreApplication::exit(ok ? 0 : 1);
            });
        };
        QObject::connect(window.controller(), &ui::TrainingController::stateChanged, &window, shoot);
    }
    if (!parser.positionalArguments().isEmpty()) {
        const QString path = parser.positionalArguments().constFirst();
        // After the start-up requests (queued in order on the worker).
        QTimer::singleShot(0, &window, [&window, path] { window.openFile(path); });
    }
    return QApplication::exec();
}
