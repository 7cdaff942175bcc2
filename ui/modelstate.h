#pragma once
#include <QObject>
#include <QString>
#include <memory>

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

Q_SIGNALS:
    void classifierChanged();
    void testSetChanged();

private:
    std::shared_ptr<const core::Classifier> m_classifier;
    std::shared_ptr<const core::MnistSet> m_testSet;
    QString m_dataDir;
    QString m_dataError;
    quint64 m_generation = 0;
};

} // namespace ui
