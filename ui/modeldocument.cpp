#include "modeldocument.h"
#include "core/classifier.h"
#include "core/mnist.h"

namespace ui {

ModelDocument::ModelDocument(QObject *parent) : QObject(parent), m_source(tr("new model")) {}
ModelDocument::~ModelDocument() = default;

void ModelDocument::setClassifier(std::shared_ptr<const core::Classifier> classifier)
{
    m_classifier = std::move(classifier);
    ++m_generation;
    m_evaluating = false; // a measurement of the previous classifier no longer counts
    Q_EMIT classifierChanged();
}

void ModelDocument::setInfo(const core::CheckpointInfo &info)
{
    m_info = info;
    m_imported = false;
    Q_EMIT infoReplaced();
    Q_EMIT infoChanged();
}

void ModelDocument::updateInfo(const core::CheckpointInfo &info)
{
    m_info = info;
    Q_EMIT infoChanged();
}

void ModelDocument::beginRun(int epochsDone, bool fromScratch)
{
    m_info.epochsDone = epochsDone;
    if (epochsDone == 0)
        m_info.history.clear();
    else if (static_cast<int>(m_info.history.size()) > epochsDone)
        m_info.history.resize(static_cast<std::size_t>(epochsDone));
    // A new model: the status must not show the old one's partial epoch.
    if (fromScratch) {
        m_info.partialBatches = 0;
        m_imported = false;
    }
    Q_EMIT infoChanged();
}

void ModelDocument::addEpoch(const core::EpochStats &stats)
{
    m_info.history.push_back(stats);
    m_info.epochsDone = stats.epoch;
    m_info.partialBatches = 0;
    Q_EMIT infoChanged();
}

void ModelDocument::setEpochsDone(int epochsDone)
{
    if (m_info.epochsDone == epochsDone)
        return;
    m_info.epochsDone = epochsDone;
    Q_EMIT infoChanged();
}

void ModelDocument::setImported(bool imported)
{
    if (m_imported == imported)
        return;
    m_imported = imported;
    Q_EMIT infoChanged();
}

void ModelDocument::setEvaluating(bool evaluating)
{
    if (m_evaluating == evaluating)
        return;
    m_evaluating = evaluating;
    Q_EMIT evaluationChanged();
}

void ModelDocument::setMeasuredAccuracy(double accuracy, quint64 generation)
{
    if (generation != m_generation)
        return;
    m_measuredAccuracy = accuracy;
    m_measuredGeneration = generation;
    m_evaluating = false;
    Q_EMIT evaluationChanged();
}

void ModelDocument::setFile(const QString &path, const QString &source, bool modified, const QString &bundledName)
{
    if (path == m_path && source == m_source && modified == m_modified && bundledName == m_bundledName)
        return;
    m_path = path;
    m_source = source;
    m_modified = modified;
    m_bundledName = bundledName;
    Q_EMIT fileChanged();
}

void ModelDocument::setModified(bool modified)
{
    setFile(m_path, m_source, modified, m_bundledName);
}

void ModelDocument::setDataLoading()
{
    m_dataLoading = true;
    Q_EMIT dataStateChanged();
}

ModelDocument::DataState ModelDocument::dataState() const
{
    if (m_testSet)
        return DataState::Ready;
    return m_dataLoading ? DataState::Loading : DataState::Missing;
}

void ModelDocument::setTestSet(std::shared_ptr<const core::MnistSet> set, const QString &dataDir, int trainCount)
{
    m_testSet = std::move(set);
    m_dataLoading = false;
    m_trainCount = trainCount;
    m_dataDir = dataDir;
    m_dataError.clear();
    Q_EMIT testSetChanged();
    Q_EMIT dataStateChanged();
}

void ModelDocument::setDataError(const QString &dataDir, const QString &message)
{
    m_testSet.reset();
    m_dataLoading = false;
    m_trainCount = 0;
    m_dataDir = dataDir;
    m_dataError = message;
    Q_EMIT testSetChanged();
    Q_EMIT dataStateChanged();
}

void ModelDocument::setCurrentInput(std::vector<float> pixels, const QString &origin)
{
    if (pixels == m_currentInput && origin == m_currentInputOrigin)
        return;
    m_currentInput = std::move(pixels);
    m_currentInputOrigin = origin;
    Q_EMIT currentInputChanged();
}

void ModelDocument::setCurrentTestImage(int index)
{
    if (!m_testSet || index < 0 || index >= m_testSet->count)
        return;
    const std::uint8_t *image = m_testSet->image(index);
    std::vector<float> pixels(core::kPixels);
    for (int i = 0; i < core::kPixels; ++i)
        pixels[static_cast<std::size_t>(i)] = image[i] / 255.0f;
    // The class by its dataset's name (issue 20): "test image 18 (8 Bag)".
    const int label = m_testSet->labels[static_cast<std::size_t>(index)];
    const QString name = m_testSet->dataset.classNames.value(label);
    setCurrentInput(std::move(pixels), name.isEmpty() || name == QString::number(label)
                                           ? tr("test image %1 (a %2)").arg(index).arg(label)
                                           : tr("test image %1 (%2 %3)").arg(index).arg(label).arg(name));
}

} // namespace ui
