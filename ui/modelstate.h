#pragma once
#include <QObject>
#include <QString>
#include <memory>
#include <vector>

namespace core {
class Classifier;
struct MnistSet;
}

namespace ui {

/// The model and data the Draw and Browse tabs read, owned by the main window on the GUI thread.
/// The classifier is an immutable snapshot (core::Classifier): the training worker publishes a
/// new one after each epoch, on stop and on load; readers keep their shared_ptr as long as they
/// need it, so a swap never pulls a model out from under a running prediction.
class ModelState : public QObject {
    Q_OBJECT
public:
    explicit ModelState(QObject *parent = nullptr);
    ~ModelState() override;

    std::shared_ptr<const core::Classifier> classifier() const { return m_classifier; }
    /// A counter that grows with every setClassifier(): lets a view tell stale results apart.
    quint64 generation() const { return m_generation; }
    void setClassifier(std::shared_ptr<const core::Classifier> classifier);

    /// The MNIST test set, or null while it is not loaded (missing data: see dataError()).
    std::shared_ptr<const core::MnistSet> testSet() const { return m_testSet; }
    QString dataDir() const { return m_dataDir; }
    QString dataError() const { return m_dataError; }
    void setTestSet(std::shared_ptr<const core::MnistSet> set, const QString &dataDir);
    void setDataError(const QString &dataDir, const QString &message);

    /// The image the Inside tab explains: the Draw tab's last network input or the test image
    /// selected in Browse, kPixels floats in 0..1 (empty: a blank canvas, nothing selected).
    const std::vector<float> &currentInput() const { return m_currentInput; }
    /// Where it came from, for a label ("your drawing", "test image 42 (a 7)").
    QString currentInputOrigin() const { return m_currentInputOrigin; }
    void setCurrentInput(std::vector<float> pixels, const QString &origin);
    /// Test image index of the loaded test set as the current input (ignored when out of range).
    void setCurrentTestImage(int index);

Q_SIGNALS:
    void classifierChanged();
    void testSetChanged();
    void currentInputChanged();

private:
    std::shared_ptr<const core::Classifier> m_classifier;
    std::shared_ptr<const core::MnistSet> m_testSet;
    QString m_dataDir;
    QString m_dataError;
    quint64 m_generation = 0;
    std::vector<float> m_currentInput;
    QString m_currentInputOrigin;
};

} // namespace ui
