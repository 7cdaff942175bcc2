#pragma once
#include "core/types.h"
#include <QWidget>

class QComboBox;
class QDoubleSpinBox;
class QSpinBox;
class QToolButton;

namespace ui {

class AugmentationPreview;

/// The recipe beyond the basic hyper-parameters (issue 18): optimizer, momentum, weight decay,
/// learning-rate schedule, augmentation with its preview, and the held-out images. Collapsed
/// under a one-line summary until opened, so the Train tab stays simple for a first run.
class RecipeSection : public QWidget {
    Q_OBJECT
public:
    explicit RecipeSection(QWidget *parent = nullptr);

    /// Shows the recipe fields of `config` without emitting changed().
    void setRecipe(const core::TrainConfig &config);
    /// Writes the recipe fields into `config` (the others stay).
    void applyTo(core::TrainConfig &config) const;
    /// The seed the preview draws its copies from (the run's seed: the same settings, the same copies).
    void setSeed(std::uint64_t seed);
    bool isExpanded() const;
    void setExpanded(bool expanded);
    /// "Adam, constant rate, no augmentation": the header's text.
    QString summary() const;

    AugmentationPreview *preview() const { return m_preview; }
    QToolButton *toggle() const { return m_toggle; }
    QComboBox *optimizerField() const { return m_optimizer; }
    QComboBox *scheduleField() const { return m_schedule; }
    QDoubleSpinBox *rotationField() const { return m_rotation; }
    QDoubleSpinBox *translateField() const { return m_translate; }
    QDoubleSpinBox *scaleField() const { return m_scale; }
    QSpinBox *holdoutField() const { return m_holdout; }

Q_SIGNALS:
    /// The user changed a field; `what` names it for the undo history, mergeKey merges steps.
    void changed(const QString &what, int mergeKey);

private:
    void updateState();

    bool m_showing = false;
    std::uint64_t m_previewSeed = 1;
    QToolButton *m_toggle = nullptr;
    QWidget *m_body = nullptr;
    QComboBox *m_optimizer = nullptr;
    QDoubleSpinBox *m_momentum = nullptr;
    QDoubleSpinBox *m_weightDecay = nullptr;
    QComboBox *m_schedule = nullptr;
    QSpinBox *m_stepEvery = nullptr;
    QDoubleSpinBox *m_stepGamma = nullptr;
    QDoubleSpinBox *m_rotation = nullptr;
    QDoubleSpinBox *m_translate = nullptr;
    QDoubleSpinBox *m_scale = nullptr;
    QSpinBox *m_holdout = nullptr;
    AugmentationPreview *m_preview = nullptr;
};

} // namespace ui
