#pragma once
#include "core/types.h"
#include "ui/train/divergencemonitor.h"
#include <QObject>
#include <QString>
#include <memory>

namespace core {
class RunRecorder;
}

namespace ui {

class TrainingController;

/// Records the GUI's training runs: it observes the TrainingController's signals (the one door
/// to the worker) and feeds a core::RunRecorder, whose thread does the writing. How a run ended
/// follows the controller: finished, stopped, failed, or diverged: a NaN or infinite loss, or a
/// smoothed loss that rose far above its start (ui::DivergenceMonitor's loss rule). A checkpoint saved right after a run is that
/// run's checkpoint.
class RunRecording : public QObject {
    Q_OBJECT
public:
    RunRecording(TrainingController *controller, const QString &databasePath, QObject *parent = nullptr);
    ~RunRecording() override;

    /// Its signals (run started, written, ended, failed) come from the writer thread: connect
    /// with a receiver on the GUI thread (queued).
    core::RunRecorder *recorder() const { return m_recorder.get(); }
    /// The run being recorded (-1: none, or not known yet).
    qint64 liveRunId() const { return m_liveId; }

private:
    void connectController(TrainingController *controller);

    std::unique_ptr<core::RunRecorder> m_recorder;
    DivergenceMonitor m_divergence;
    QString m_trainChecksum;
    int m_trainCount = 0;
    core::DatasetTag m_dataset; ///< what the runs train on (issue 20)
    int m_testCount = 0;
    bool m_open = false;       ///< a run is being recorded
    qint64 m_liveId = -1;
    qint64 m_lastEnded = -1;   ///< the run a save right afterwards belongs to
};

} // namespace ui
