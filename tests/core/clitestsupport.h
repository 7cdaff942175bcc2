#pragma once
#include <QByteArray>
#include <QList>
#include <QPair>
#include <QString>
#include <QStringList>

namespace clitest {

// Every digitlab-cli process pays about half a second of CPU before main() (the dynamic loader
// and LibTorch's operator registration), and it was most of the suite's time (issue 16). So the
// tests run the commands in their own process, through the very function the executable's main()
// calls (cli::run(), app/cli.h): cli() and cliAll(). Real processes (cliProcess(),
// cliProcessAll()) are kept where the process itself is under test: signals, the executable's
// exit status and main(), and any run that could block on a FIFO or device and must be killed.
//
// An in-process run leaves this process as it found it. Around each run, cli():
// - points file descriptors 1 and 2 at temporary files (stdio flushed before and after), so that
//   everything printed is captured as a child's pipes would be: printf, std::cout, Qt's warnings,
//   LibTorch's own messages. The descriptors are restored however the run ends (RAII), and a
//   sanitizer's report goes to the real stderr meanwhile (__sanitizer_set_report_fd): a report
//   is never swallowed by a capture file.
// - restores the SIGINT and SIGTERM handlers: train installs its own (Ctrl+C finishes the batch)
//   and, as the process would end, leaves them; fetch-data restores its own. (The CLI's flags
//   behind them, the train's control and fetch-data's cancel flag, are cleared by the CLI itself
//   as each command ends or begins.)
// - restores LibTorch's intra-op thread count of this thread (training leaves it at 1) and its
//   default generator's state (new networks draw their initial weights from it; train seeds it
//   itself, so a run does not depend on what ran before), through core::TorchState.
// - sets the CLI's organisation and application names (QStandardPaths, QSettings) and puts the
//   tests' back; restores the current directory and the environment (variables added, changed or
//   removed; `environment` sets some for the run only, as a child's environment would).
// Kept across runs, as harmless: Classifier::bundled()'s cache of the immutable bundled models
// (parsed once, read-only), loaded Qt plugins. The run database of a run is closed when the run
// ends (RunStore and RunRecorder are scoped to the command).
// An in-process run cannot be killed: a run that may block (a FIFO, a device) is a process.

/// What a digitlab-cli run printed and returned.
struct Result {
    int code = -1;
    QString out;
    QString err;
};

/// Environment variables to set for one run (name, value).
using Environment = QList<QPair<QByteArray, QByteArray>>;

/// Generous: a refusal takes well under a second, a short training run a few.
inline constexpr int kTimeoutMs = 5 * 60 * 1000;

/// Runs digitlab-cli's command line args in this process (cli::run(), see above) and returns
/// its exit status and what it printed.
Result cli(const QStringList &args, const Environment &environment = {});

/// cli() for each args in turn, the results in the same order.
QList<Result> cliAll(const QList<QStringList> &runs);

/// Runs the real digitlab-cli (the build tree's) with each args at once (a few at a time) and
/// returns the results in the same order. A run past timeoutMs (one that blocks on a FIFO never
/// ends) is killed and fails the test, naming its arguments; so does one that dies of a signal.
QList<Result> cliProcessAll(const QList<QStringList> &runs, int timeoutMs = kTimeoutMs);

/// Runs the real digitlab-cli with args to the end (see cliProcessAll()).
Result cliProcess(const QStringList &args, int timeoutMs = kTimeoutMs);

/// cliAll(), except that the runs at the indices `processes` are real processes (as
/// cliProcessAll() runs them, timeoutMs each), started first so that they run beside the others.
/// The results in the order of `runs`.
QList<Result> cliAll(const QList<QStringList> &runs, const QList<qsizetype> &processes, int timeoutMs = kTimeoutMs);

} // namespace clitest
