#include "modelstate.h"
#include "core/classifier.h"
#include "core/mnist.h"

namespace ui {

ModelState::ModelState(QObject *parent) : QObject(parent) {}
ModelState::~ModelState() = default;

void ModelState::setClassifier(std::shared_ptr<const core::Classifier> classifier)
{
    m_classifier = std::move(classifier);
    ++m_generation;
    Q_EMIT classifierChanged();
}

void ModelState::setTestSet(std::shared_ptr<const core::MnistSet> set, const QString &dataDir)
{
    m_testSet = std::move(set);
    m_dataDir = dataDir;
    m_dataError.clear();
    Q_EMIT testSetChanged();
}

void ModelState::setDataError(const QString &dataDir, const QString &message)
{
    m_testSet.reset();
    m_dataDir = dataDir;
    m_dataError = message;
    Q_EMIT testSetChanged();
}

} // namespace ui
