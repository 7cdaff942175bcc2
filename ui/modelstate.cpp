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

void ModelState::setCurrentInput(std::vector<float> pixels, const QString &origin)
{
    if (pixels == m_currentInput && origin == m_currentInputOrigin)
        return;
    m_currentInput = std::move(pixels);
    m_currentInputOrigin = origin;
    Q_EMIT currentInputChanged();
}

void ModelState::setCurrentTestImage(int index)
{
    if (!m_testSet || index < 0 || index >= m_testSet->count)
        return;
    const std::uint8_t *image = m_testSet->image(index);
    std::vector<float> pixels(core::kPixels);
    for (int i = 0; i < core::kPixels; ++i)
        pixels[i] = image[i] / 255.0f;
    setCurrentInput(std::move(pixels), tr("test image %1 (a %2)").arg(index).arg(int(m_testSet->labels[std::size_t(index)])));
}

} // namespace ui
