#pragma once
#include "core/types.h"
#include <QAbstractListModel>
#include <QImage>
#include <memory>
#include <vector>

namespace core {
struct MnistSet;
}

namespace ui {

/// The MNIST test set as a flat list model, one row per image, with the current classifier's
/// predictions alongside. Images are not copied or pre-rendered: ImageRole wraps the set's bytes
/// when a cell is painted, so only visible cells cost anything.
class TestSetModel : public QAbstractListModel {
    Q_OBJECT
public:
    enum Role {
        ImageRole = Qt::UserRole + 1, ///< QImage 28x28 Grayscale8 (white ink on black)
        TrueLabelRole,                ///< int 0..9
        PredictedRole,                ///< int 0..9, or -1 while predictions are not there
        ConfidenceRole,               ///< float, probability of the predicted class
        CorrectRole,                  ///< bool (false while there are no predictions)
        PredictionRole,               ///< core::Prediction
        IndexRole,                    ///< int, the image's index in the test set
    };

    explicit TestSetModel(QObject *parent = nullptr);
    ~TestSetModel() override;

    /// A new set resets the model (and drops predictions).
    void setTestSet(std::shared_ptr<const core::MnistSet> set);
    std::shared_ptr<const core::MnistSet> testSet() const { return m_set; }
    /// One prediction per image (size must equal the row count); emits dataChanged, no reset.
    void setPredictions(std::vector<core::Prediction> predictions);
    void clearPredictions();
    bool hasPredictions() const { return !m_predictions.empty(); }

    /// Fast accessors for the filter and the statistics (no QVariant).
    int label(int row) const;
    /// Null while there are no predictions.
    const core::Prediction *prediction(int row) const;
    QImage image(int row) const;

    int rowCount(const QModelIndex &parent = QModelIndex()) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QHash<int, QByteArray> roleNames() const override;

private:
    std::shared_ptr<const core::MnistSet> m_set;
    std::vector<core::Prediction> m_predictions;
};

} // namespace ui
