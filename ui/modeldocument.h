#pragma once
#include "core/types.h"
#include <QObject>
#include <QString>
#include <memory>
#include <vector>

namespace core {
class Classifier;
struct MnistSet;
}

namespace ui {

/// The one document of the application, on the GUI thread: the model (its checkpoint info with
/// the training history, the current classifier snapshot, the file it belongs to and whether it
/// changed since) and the data set. The TrainingController keeps it up to date from the worker;
/// the tabs and the main window observe its signals and keep no copy of their own.
///
/// The classifier is an immutable snapshot (core::Classifier): the training worker publishes a
/// new one after each epoch, on stop and on load; readers keep their shared_ptr as long as they
/// need it, so a swap never pulls a model out from under a running prediction.
class ModelDocument : public QObject {
    Q_OBJECT
public:
    /// Where the MNIST data stands: training needs Ready.
    enum class DataState { Loading, Ready, Missing };
    Q_ENUM(DataState)

    explicit ModelDocument(QObject *parent = nullptr);
    ~ModelDocument() override;

    // --- the model ---
    std::shared_ptr<const core::Classifier> classifier() const { return m_classifier; }
    /// A counter that grows with every setClassifier(): lets a view tell stale results apart.
    quint64 generation() const { return m_generation; }
    void setClassifier(std::shared_ptr<const core::Classifier> classifier);

    /// What a save would write about the model: architecture, epochs, history, config.
    const core::CheckpointInfo &info() const { return m_info; }
    const std::vector<core::EpochStats> &history() const { return m_info.history; }
    int epochsDone() const { return m_info.epochsDone; }
    /// Replaces the whole description (initialize, load, reset, save, snapshot): infoReplaced().
    void setInfo(const core::CheckpointInfo &info);
    /// Same, from a snapshot taken during or after a run: the history grows, infoChanged() only.
    void updateInfo(const core::CheckpointInfo &info);
    /// A run starts at epochsDone (0: a new model's history is empty from now on).
    void beginRun(int epochsDone, bool fromScratch);
    /// An epoch of the running training completed.
    void addEpoch(const core::EpochStats &stats);
    /// The run ended with this many complete epochs.
    void setEpochsDone(int epochsDone);

    /// The weights came from File > Import (a PyTorch state_dict): trained elsewhere, with no
    /// history of their own. Cleared by setInfo() (another model) and a run that starts over.
    bool isImported() const { return m_imported; }
    void setImported(bool imported);
    /// The test accuracy measured for the current classifier, for a model whose history has none
    /// (an import): -1 when not measured, or measured for another classifier.
    double measuredAccuracy() const { return m_measuredGeneration == m_generation ? m_measuredAccuracy : -1.0; }
    /// A measurement of the current classifier is running.
    bool isEvaluating() const { return m_evaluating; }
    void setEvaluating(bool evaluating);
    /// The accuracy measured for the classifier of that generation (ignored if it is not current).
    void setMeasuredAccuracy(double accuracy, quint64 generation);
    /// What to show as the model's test accuracy: the last epoch's, else the measured one, else -1.
    double testAccuracy() const { return m_info.testAccuracy() >= 0 ? m_info.testAccuracy() : measuredAccuracy(); }

    // --- the file ---
    /// The checkpoint file (empty: bundled, imported or not saved yet).
    QString path() const { return m_path; }
    /// "bundled model (best)", a file name, "imported x.pt" or "new model".
    QString source() const { return m_source; }
    bool isModified() const { return m_modified; }
    /// The bundled model ("tutorial", "best") the model was read from, empty for any other; it
    /// stays while that model trains on (then isModified()).
    QString bundledName() const { return m_bundledName; }
    /// The model now belongs to path (empty: to no file), is described by source, and is the
    /// bundled model of that name (empty: none).
    void setFile(const QString &path, const QString &source, bool modified, const QString &bundledName = QString());
    void setModified(bool modified);

    // --- the data ---
    DataState dataState() const;
    bool isDataReady() const { return m_testSet != nullptr; }
    /// The MNIST test set, or null while it is not loaded (missing data: see dataError()).
    std::shared_ptr<const core::MnistSet> testSet() const { return m_testSet; }
    int trainCount() const { return m_trainCount; }
    QString dataDir() const { return m_dataDir; }
    QString dataError() const { return m_dataError; }
    /// A load of the data was queued (the current test set, if any, stays until it is done).
    void setDataLoading();
    void setTestSet(std::shared_ptr<const core::MnistSet> set, const QString &dataDir, int trainCount = 0);
    void setDataError(const QString &dataDir, const QString &message);

    // --- the input the Inside tab explains ---
    /// The Draw tab's last network input or the test image selected in Browse, kPixels floats in
    /// 0..1 (empty: a blank canvas, nothing selected).
    const std::vector<float> &currentInput() const { return m_currentInput; }
    /// Where it came from, for a label ("your drawing", "test image 42 (a 7)").
    QString currentInputOrigin() const { return m_currentInputOrigin; }
    void setCurrentInput(std::vector<float> pixels, const QString &origin);
    /// Test image index of the loaded test set as the current input (ignored when out of range).
    void setCurrentTestImage(int index);

Q_SIGNALS:
    void classifierChanged();
    /// info() is another model's (loaded, reset, new): views redraw from it.
    void infoReplaced();
    /// info() changed in any way (including infoReplaced and a completed epoch).
    void infoChanged();
    /// path(), source() or isModified() changed.
    void fileChanged();
    void testSetChanged();
    /// dataState() changed (loading, ready or missing).
    void dataStateChanged();
    void currentInputChanged();
    /// isEvaluating() or measuredAccuracy() changed.
    void evaluationChanged();

private:
    std::shared_ptr<const core::Classifier> m_classifier;
    quint64 m_generation = 0;
    core::CheckpointInfo m_info;
    bool m_imported = false;
    bool m_evaluating = false;
    double m_measuredAccuracy = -1;
    quint64 m_measuredGeneration = 0; ///< 0: nothing measured (generations start at 1)
    QString m_path;
    QString m_source;
    bool m_modified = false;
    QString m_bundledName;
    bool m_dataLoading = true; ///< until the first load's outcome: the window loads at start-up
    std::shared_ptr<const core::MnistSet> m_testSet;
    int m_trainCount = 0;
    QString m_dataDir;
    QString m_dataError;
    std::vector<float> m_currentInput;
    QString m_currentInputOrigin;
};

} // namespace ui
