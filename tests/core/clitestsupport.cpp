#include "clitestsupport.h"

#include "app/cli.h"
#include "core/torchstate.h"

#include <QCoreApplication>
#include <QDir>
#include <QProcess>
#include <QProcessEnvironment>
#include <algorithm>
#include <catch2/catch.hpp>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <optional>
#include <stdexcept>
#include <unistd.h>
#include <vector>

// The sanitizers' runtime (ASan, UBSan, TSan builds: scripts/sanitize.sh) defines it; elsewhere
// the weak reference is null. Where reports go while fd 2 is a capture file.
extern "C" void __sanitizer_set_report_fd(void *fd) __attribute__((weak));

namespace clitest {
namespace {

/// Points a file descriptor (1 or 2) at an unlinked temporary file until text() or the
/// destructor; a file rather than a pipe, which would fill up with no one reading it.
class FdCapture {
public:
    explicit FdCapture(int fd) : m_fd(fd), m_file(std::tmpfile()), m_saved(::dup(fd))
    {
        if (!m_file || m_saved < 0 || ::dup2(::fileno(m_file), fd) < 0)
            throw std::runtime_error("clitest: cannot capture a file descriptor");
    }
    ~FdCapture()
    {
        restore();
        std::fclose(m_file);
    }
    FdCapture(const FdCapture &) = delete;
    FdCapture &operator=(const FdCapture &) = delete;

    /// The descriptor's own file again (a copy of it, while the capture lasts).
    int saved() const { return m_saved; }

    /// Puts the descriptor back and returns what was written to it.
    QString text()
    {
        restore();
        std::rewind(m_file);
        QByteArray bytes;
        char buffer[65536];
        for (std::size_t n; (n = std::fread(buffer, 1, sizeof buffer, m_file)) > 0;)
            bytes.append(buffer, qsizetype(n));
        return QString::fromUtf8(bytes);
    }

private:
    void restore()
    {
        if (m_saved < 0)
            return;
        std::fflush(m_fd == 1 ? stdout : stderr);
        ::dup2(m_saved, m_fd);
        ::close(m_saved);
        m_saved = -1;
    }

    int m_fd;
    std::FILE *m_file;
    int m_saved;
};

/// Sends sanitizer reports to `fd` while it lives, then back to fd 2 (their default).
class SanitizerReports {
public:
    explicit SanitizerReports(int fd)
    {
        if (__sanitizer_set_report_fd)
            __sanitizer_set_report_fd(reinterpret_cast<void *>(std::intptr_t(fd)));
    }
    ~SanitizerReports()
    {
        if (__sanitizer_set_report_fd)
            __sanitizer_set_report_fd(reinterpret_cast<void *>(std::intptr_t(2)));
    }
    SanitizerReports(const SanitizerReports &) = delete;
    SanitizerReports &operator=(const SanitizerReports &) = delete;
};

/// What a command may change in the process that runs it, put back when this ends (the list and
/// the reasons: clitestsupport.h).
class ProcessState {
public:
    ProcessState()
        : m_directory(QDir::currentPath()), m_environment(QProcessEnvironment::systemEnvironment()),
          m_organization(QCoreApplication::organizationName()), m_application(QCoreApplication::applicationName())
    {
        for (std::size_t i = 0; i < std::size(kSignals); ++i)
            ::sigaction(kSignals[i], nullptr, &m_handlers[i]);
    }
    ~ProcessState()
    {
        for (std::size_t i = 0; i < std::size(kSignals); ++i)
            ::sigaction(kSignals[i], &m_handlers[i], nullptr);
        m_torch.restore();
        QCoreApplication::setOrganizationName(m_organization);
        QCoreApplication::setApplicationName(m_application);
        QDir::setCurrent(m_directory);
        const QProcessEnvironment now = QProcessEnvironment::systemEnvironment();
        for (const QString &name : now.keys())
            if (!m_environment.contains(name))
                qunsetenv(name.toLocal8Bit().constData());
        for (const QString &name : m_environment.keys())
            if (now.value(name) != m_environment.value(name) || !now.contains(name))
                qputenv(name.toLocal8Bit().constData(), m_environment.value(name).toLocal8Bit());
    }
    ProcessState(const ProcessState &) = delete;
    ProcessState &operator=(const ProcessState &) = delete;

private:
    static constexpr int kSignals[] = {SIGINT, SIGTERM};
    struct sigaction m_handlers[std::size(kSignals)] {};
    core::TorchState m_torch;
    QString m_directory;
    QProcessEnvironment m_environment;
    QString m_organization;
    QString m_application;
};

} // namespace

Result cli(const QStringList &args, const Environment &environment)
{
    const ProcessState state;
    for (const auto &[name, value] : environment)
        qputenv(name.constData(), value);
    QCoreApplication::setOrganizationName(QString::fromLatin1(::cli::kOrganizationName));
    QCoreApplication::setApplicationName(QString::fromLatin1(::cli::kApplicationName));
    std::fflush(stdout);
    std::fflush(stderr);
    FdCapture err(2);
    std::optional<SanitizerReports> reports(std::in_place, err.saved());
    FdCapture out(1);
    Result r;
    r.code = ::cli::run(QStringList{QStringLiteral(DIGITLAB_CLI_PATH)} + args);
    r.out = out.text();
    reports.reset(); // back to fd 2 before err closes the copy they went to
    r.err = err.text();
    return r;
}

QList<Result> cliAll(const QList<QStringList> &runs)
{
    QList<Result> results;
    for (const QStringList &args : runs)
        results.append(cli(args));
    return results;
}

namespace {

/// Real digitlab-cli processes, started at once and collected in order.
class Processes {
public:
    explicit Processes(const QList<QStringList> &runs) : m_runs(runs)
    {
        for (const QStringList &args : runs) {
            m_processes.push_back(std::make_unique<QProcess>());
            m_processes.back()->start(QStringLiteral(DIGITLAB_CLI_PATH), args);
        }
    }
    ~Processes()
    {
        for (auto &p : m_processes)
            p->kill();
        for (auto &p : m_processes)
            p->waitForFinished();
    }
    Processes(const Processes &) = delete;
    Processes &operator=(const Processes &) = delete;

    /// Waits for each (a run past timeoutMs fails the test, naming its arguments; the destructor
    /// kills the rest).
    QList<Result> results(int timeoutMs)
    {
        QList<Result> results;
        for (std::size_t i = 0; i < m_processes.size(); ++i) {
            QProcess &p = *m_processes[i];
            const QString command = QStringLiteral("digitlab-cli ") + m_runs[qsizetype(i)].join(QLatin1Char(' '));
            if (!p.waitForFinished(timeoutMs))
                FAIL(command.toStdString() << " did not finish");
            INFO(command.toStdString());
            REQUIRE(p.exitStatus() == QProcess::NormalExit);
            results.append({p.exitCode(), QString::fromUtf8(p.readAllStandardOutput()),
                            QString::fromUtf8(p.readAllStandardError())});
        }
        return results;
    }

private:
    QList<QStringList> m_runs;
    std::vector<std::unique_ptr<QProcess>> m_processes;
};

} // namespace

QList<Result> cliProcessAll(const QList<QStringList> &runs, int timeoutMs)
{
    constexpr qsizetype kAtOnce = 4; // both cores busy, without a burst of start-ups on a loaded machine
    QList<Result> results;
    for (qsizetype first = 0; first < runs.size(); first += kAtOnce)
        results += Processes(runs.mid(first, kAtOnce)).results(timeoutMs);
    return results;
}

Result cliProcess(const QStringList &args, int timeoutMs) { return cliProcessAll({args}, timeoutMs).front(); }

QList<Result> cliAll(const QList<QStringList> &runs, const QList<qsizetype> &processes, int timeoutMs)
{
    QList<QStringList> processRuns;
    for (qsizetype i : processes)
        processRuns.append(runs.at(i));
    Processes started(processRuns);
    QList<Result> results;
    for (qsizetype i = 0; i < runs.size(); ++i)
        results.append(processes.contains(i) ? Result{} : cli(runs[i]));
    const QList<Result> finished = started.results(timeoutMs);
    for (qsizetype k = 0; k < processes.size(); ++k)
        results[processes[k]] = finished[k];
    return results;
}

} // namespace clitest
