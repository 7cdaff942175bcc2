// digitlab-bench-responsiveness: trains in the real main window (offscreen unless
// QT_QPA_PLATFORM says otherwise) while ui::ResponsivenessProbe watches the GUI thread's event
// loop, and prints the longest stall (docs/benchmarks.md, "GUI responsiveness"). Not installed:
// a measuring tool, kept out of the GUI executable.
#include "ui/mainwindow.h"
#include "ui/modeldocument.h"
#include "ui/responsivenessprobe.h"
#include "ui/train/traintab.h"
#include "ui/trainingcontroller.h"
#include "core/version.h"
#include <QApplication>
#include <QCommandLineParser>
#include <QDir>
#include <QElapsedTimer>
#include <QTimer>
#include <cstdio>
#include <vector>

namespace {

struct BenchmarkOptions {
    int epochs = 1;
    int threads = 0;
    int trainLimit = 0;
    QString screenshotDir;
};

BenchmarkOptions parseOptions(const QApplication &app)
{
    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral("Train in the DigitLab window and report the longest event-loop stall."));
    parser.addHelpOption();
    parser.addVersionOption();
    const QCommandLineOption epochs(QStringLiteral("epochs"), QStringLiteral("Epochs (default 1)."), QStringLiteral("n"), QStringLiteral("1"));
    const QCommandLineOption threads(QStringLiteral("threads"), QStringLiteral("Training threads."), QStringLiteral("n"), QStringLiteral("0"));
    const QCommandLineOption limit(QStringLiteral("train-limit"), QStringLiteral("Use the first n training images."), QStringLiteral("n"), QStringLiteral("0"));
    const QCommandLineOption shots(QStringLiteral("screenshots"), QStringLiteral("Save window screenshots into dir."), QStringLiteral("dir"));
    parser.addOptions({epochs, threads, limit, shots});
    parser.process(app);
    BenchmarkOptions options;
    options.epochs = std::max(1, parser.value(epochs).toInt());
    options.threads = std::max(0, parser.value(threads).toInt());
    options.trainLimit = std::max(0, parser.value(limit).toInt());
    options.screenshotDir = parser.value(shots);
    return options;
}

/// One run of the benchmark: the window, the probe and what the run reported.
class ResponsivenessRun {
public:
    explicit ResponsivenessRun(const BenchmarkOptions &options) : m_options(options), m_window(windowOptions())
    {
        m_window.setMessageSink([this](QMessageBox::Icon, const QString &title, const QString &text) {
            std::fprintf(stderr, "%s: %s\n", qPrintable(title), qPrintable(text));
            m_failed = true;
            QCoreApplication::exit(1);
        });
        m_window.resize(1280, 820);
        m_window.show();
        core::TrainConfig config = m_window.trainTab()->config();
        config.epochs = options.epochs;
        if (options.threads > 0)
            config.threads = options.threads;
        config.trainLimit = options.trainLimit;
        m_window.trainTab()->setConfig(config);
        m_threads = config.effectiveThreads();
        connectController();
    }

    int exec()
    {
        QTimer::singleShot(0, &m_window, [this] { tryStart(); });
        const int code = QApplication::exec();
        return m_failed ? 1 : code;
    }

private:
    static ui::MainWindow::Options windowOptions()
    {
        ui::MainWindow::Options options;
        options.loadBundledModel = false;
        options.restoreSettings = false;
        return options;
    }

    void connectController()
    {
        ui::TrainingController *controller = m_window.controller();
        QObject::connect(controller, &ui::TrainingController::dataFailed, &m_window, [](const QString &dir, const QString &message) {
            std::fprintf(stderr, "MNIST not found (%s): %s\n", qPrintable(dir), qPrintable(message));
            QCoreApplication::exit(1);
        });
        // Mid-training screenshot once the run is half way through its last epoch.
        QObject::connect(controller, &ui::TrainingController::batchFinished, &m_window, [this](const core::BatchStats &s) {
            if (!m_midShot && s.epoch == s.epochs && s.batch * 2 >= s.batchesPerEpoch) {
                m_midShot = true;
                shoot(QStringLiteral("train-mid.png"));
            }
        });
        QObject::connect(controller, &ui::TrainingController::epochFinished, &m_window, [this](const core::EpochStats &e) {
            m_epochs.push_back(e);
            m_epochEnds.push_back(m_clock.elapsed() / 1000.0);
        });
        QObject::connect(controller, &ui::TrainingController::finished, &m_window,
                         [this](const core::TrainingSummary &summary) { onFinished(summary); });
        // Start as soon as the data is in and the start-up requests are done.
        QObject::connect(controller, &ui::TrainingController::stateChanged, &m_window, [this] { tryStart(); });
    }

    void tryStart()
    {
        if (m_window.document()->isDataReady() && m_window.controller()->isIdle() && !m_probe.isRunning()) {
            m_probe.start();
            m_clock.start();
            m_window.startTraining();
        }
    }

    void shoot(const QString &name)
    {
        if (m_options.screenshotDir.isEmpty())
            return;
        const QString path = QDir(m_options.screenshotDir).filePath(name);
        if (m_window.grab().save(path))
            std::printf("screenshot: %s\n", qPrintable(path));
    }

    void onFinished(const core::TrainingSummary &summary)
    {
        m_probe.stop();
        const auto s = m_probe.stats();
        printReport(summary, s);
        // Let the final repaint happen before the last screenshot.
        QTimer::singleShot(300, &m_window, [this, over50 = s.over50Ms] {
            shoot(QStringLiteral("train-done.png"));
            QCoreApplication::exit(over50 == 0 ? 0 : 2);
        });
    }

    void printReport(const core::TrainingSummary &summary, const ui::ResponsivenessProbe::Stats &s) const
    {
        double ips = 0;
        for (const auto &e : m_epochs)
            ips += e.imagesPerSecond / static_cast<double>(m_epochs.size());
        std::printf("threads: %d\n", m_threads);
        std::printf("epochs: %d (%.1f s)\n", summary.epochsDone, summary.seconds);
        for (std::size_t i = 0; i < m_epochs.size(); ++i)
            std::printf("  epoch %d: %.0f images/s, reported at %.2f s\n", m_epochs[i].epoch, m_epochs[i].imagesPerSecond,
                        m_epochEnds[i]);
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
    }

    BenchmarkOptions m_options;
    ui::MainWindow m_window;
    ui::ResponsivenessProbe m_probe;
    QElapsedTimer m_clock;
    std::vector<core::EpochStats> m_epochs;
    std::vector<double> m_epochEnds; ///< seconds since the probe started, to relate stalls to epochs
    int m_threads = 0;
    bool m_midShot = false;
    bool m_failed = false;
};

} // namespace

int main(int argc, char *argv[])
{
    // Meant for headless runs: default to the offscreen platform.
    if (qEnvironmentVariableIsEmpty("QT_QPA_PLATFORM"))
        qputenv("QT_QPA_PLATFORM", "offscreen");
    QApplication app(argc, argv);
    // The same settings as the GUI: the MNIST folder chosen there is found here too.
    QCoreApplication::setOrganizationName(QStringLiteral("DigitLab"));
    QCoreApplication::setOrganizationDomain(QStringLiteral("digitlab.example.org"));
    QCoreApplication::setApplicationName(QStringLiteral("DigitLab"));
    QCoreApplication::setApplicationVersion(core::version());
    const BenchmarkOptions options = parseOptions(app);
    ResponsivenessRun run(options);
    return run.exec();
}
