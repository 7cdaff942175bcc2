#include "ui/train/recipesection.h"
#include "ui/train/augmentationpreview.h"
#include "ui/train/countspinbox.h"
#include <QComboBox>
#include <QDoubleSpinBox>
#include <QFormLayout>
#include <QLocale>
#include <QSpinBox>
#include <QToolButton>
#include <QVBoxLayout>

namespace ui {

namespace {
// Merge keys (one undo step per field however many steps the spin box takes); the network
// editor's start at 1, the Train tab's basic fields at 50.
enum MergeKey { kOptimizer = 200, kMomentum, kWeightDecay, kSchedule, kStepEvery, kStepGamma, kRotation, kTranslate, kScale, kHoldout };

QDoubleSpinBox *realField(double minimum, double maximum, double step, int decimals, const QString &tip)
{
    auto *box = new QDoubleSpinBox;
    box->setDecimals(decimals);
    box->setRange(minimum, maximum);
    box->setSingleStep(step);
    box->setToolTip(tip);
    return box;
}
} // namespace

RecipeSection::RecipeSection(QWidget *parent) : QWidget(parent)
{
    setObjectName(QStringLiteral("recipeSection"));
    setAccessibleName(tr("Recipe"));
    m_toggle = new QToolButton;
    m_toggle->setObjectName(QStringLiteral("recipeToggle"));
    m_toggle->setCheckable(true);
    m_toggle->setToolButtonStyle(Qt::ToolButtonTextBesideIcon);
    m_toggle->setArrowType(Qt::RightArrow);
    m_toggle->setAutoRaise(true);
    m_toggle->setFocusPolicy(Qt::StrongFocus);
    m_toggle->setToolTip(tr("Optimizer, schedule, weight decay, augmentation and held-out images: open to change them."));
    m_toggle->setSizePolicy(QSizePolicy::Expanding, QSizePolicy::Fixed);
    connect(m_toggle, &QToolButton::toggled, this, &RecipeSection::setExpanded);

    m_optimizer = new QComboBox;
    m_optimizer->addItem(tr("Adam"), int(core::OptimizerKind::Adam));
    m_optimizer->addItem(tr("AdamW"), int(core::OptimizerKind::AdamW));
    m_optimizer->addItem(tr("SGD with momentum"), int(core::OptimizerKind::Sgd));
    m_optimizer->setToolTip(tr("How the weights move at each batch. Adam (the tutorial's) adapts the step per weight; "
                               "AdamW is Adam with decoupled weight decay (best's); SGD with momentum needs larger "
                               "learning rates (0.01-0.1)."));
    m_optimizer->setAccessibleName(tr("Optimizer"));
    m_momentum = realField(0, 0.999, 0.05, 3, tr("SGD's momentum (0 to 0.999; 0.9 is usual): how much of the last step carries on."));
    m_momentum->setAccessibleName(tr("Momentum"));
    m_weightDecay = realField(0, core::kMaxWeightDecay, 0.0001, 6,
                              tr("Pulls the weights towards zero (0 to %1): L2 for Adam and SGD, decoupled for AdamW. "
                                 "Usual: 0 to 0.0005.").arg(core::kMaxWeightDecay));
    m_weightDecay->setAccessibleName(tr("Weight decay"));
    m_schedule = new QComboBox;
    m_schedule->addItem(tr("constant"), int(core::ScheduleKind::Constant));
    m_schedule->addItem(tr("step decay"), int(core::ScheduleKind::Step));
    m_schedule->addItem(tr("one-cycle"), int(core::ScheduleKind::OneCycle));
    m_schedule->setToolTip(tr("The learning rate over the run: constant; step decay (times the factor every N epochs); "
                              "one-cycle (warms up to the learning rate over the first 30%, then anneals to almost 0: "
                              "fast and best use it)."));
    m_schedule->setAccessibleName(tr("Learning-rate schedule"));
    m_stepEvery = new CountSpinBox;
    m_stepEvery->setRange(1, core::kMaxEpochs);
    m_stepEvery->setToolTip(tr("Step decay: epochs between two decays (1 to %1).").arg(core::kMaxEpochs));
    m_stepEvery->setAccessibleName(tr("Decay every N epochs"));
    m_stepGamma = realField(0.01, 1, 0.05, 3, tr("Step decay: the rate is multiplied by this at each step (0.01 to 1; 0.1 is usual)."));
    m_stepGamma->setAccessibleName(tr("Decay factor"));
    m_rotation = realField(0, core::kMaxRotation, 1, 1,
                           tr("Rotate each training image by up to this many degrees either way (0 to %1; 10-15 helps). "
                              "Never applied to evaluation.").arg(core::kMaxRotation));
    m_rotation->setSuffix(tr("°"));
    m_rotation->setAccessibleName(tr("Rotation"));
    m_translate = realField(0, core::kMaxTranslate, 0.01, 2,
                            tr("Shift each training image by up to this fraction of its side, in x and y (0 to %1; 0.1 "
                               "is about 3 pixels).").arg(core::kMaxTranslate));
    m_translate->setAccessibleName(tr("Shift"));
    m_scale = realField(0, core::kMaxScale, 0.01, 2,
                        tr("Scale each training image by 1 ± up to this (0 to %1; 0.1-0.15 is usual).").arg(core::kMaxScale));
    m_scale->setAccessibleName(tr("Scale"));
    m_holdout = new CountSpinBox;
    m_holdout->setRange(0, core::kMaxHoldout);
    m_holdout->setSingleStep(1000);
    m_holdout->setToolTip(tr("Hold out the last N training images (0 to %1): evaluated every epoch as a validation set, "
                             "never trained on, so the test set need not choose epochs or settings.")
                              .arg(QLocale().toString(core::kMaxHoldout)));
    m_holdout->setAccessibleName(tr("Held-out images"));
    m_preview = new AugmentationPreview;

    m_body = new QWidget;
    auto *form = new QFormLayout(m_body);
    form->setContentsMargins(0, 0, 0, 0);
    form->addRow(tr("Optimizer:"), m_optimizer);
    form->addRow(tr("Momentum:"), m_momentum);
    form->addRow(tr("Weight decay:"), m_weightDecay);
    form->addRow(tr("Schedule:"), m_schedule);
    form->addRow(tr("Decay every:"), m_stepEvery);
    form->addRow(tr("Decay factor:"), m_stepGamma);
    form->addRow(tr("Rotate ±:"), m_rotation);
    form->addRow(tr("Shift ±:"), m_translate);
    form->addRow(tr("Scale ±:"), m_scale);
    form->addRow(tr("Hold out:"), m_holdout);
    form->addRow(m_preview);
    form->setAlignment(m_preview, Qt::AlignHCenter);
    m_body->hide();

    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(m_toggle);
    layout->addWidget(m_body);

    auto watch = [this](auto *field, auto signal, const QString &what, int key) {
        connect(field, signal, this, [this, what, key] {
            if (m_showing)
                return;
            updateState();
            Q_EMIT changed(what, key);
        });
    };
    watch(m_optimizer, &QComboBox::currentIndexChanged, tr("Change the optimizer"), kOptimizer);
    watch(m_momentum, &QDoubleSpinBox::valueChanged, tr("Change the momentum"), kMomentum);
    watch(m_weightDecay, &QDoubleSpinBox::valueChanged, tr("Change the weight decay"), kWeightDecay);
    watch(m_schedule, &QComboBox::currentIndexChanged, tr("Change the schedule"), kSchedule);
    watch(m_stepEvery, &QSpinBox::valueChanged, tr("Change the decay interval"), kStepEvery);
    watch(m_stepGamma, &QDoubleSpinBox::valueChanged, tr("Change the decay factor"), kStepGamma);
    watch(m_rotation, &QDoubleSpinBox::valueChanged, tr("Change the rotation"), kRotation);
    watch(m_translate, &QDoubleSpinBox::valueChanged, tr("Change the shift"), kTranslate);
    watch(m_scale, &QDoubleSpinBox::valueChanged, tr("Change the scale"), kScale);
    watch(m_holdout, &QSpinBox::valueChanged, tr("Change the held-out images"), kHoldout);
    setRecipe(core::TrainConfig{});
}

void RecipeSection::setRecipe(const core::TrainConfig &c)
{
    m_showing = true;
    m_optimizer->setCurrentIndex(m_optimizer->findData(int(c.optimizer)));
    m_momentum->setValue(c.momentum);
    m_weightDecay->setValue(c.weightDecay);
    m_schedule->setCurrentIndex(m_schedule->findData(int(c.schedule)));
    m_stepEvery->setValue(c.stepEvery);
    m_stepGamma->setValue(c.stepGamma);
    m_rotation->setValue(c.augment.rotation);
    m_translate->setValue(c.augment.translate);
    m_scale->setValue(c.augment.scale);
    m_holdout->setValue(c.holdout);
    m_showing = false;
    updateState();
}

void RecipeSection::applyTo(core::TrainConfig &c) const
{
    c.optimizer = core::OptimizerKind(m_optimizer->currentData().toInt());
    c.momentum = m_momentum->value();
    c.weightDecay = m_weightDecay->value();
    c.schedule = core::ScheduleKind(m_schedule->currentData().toInt());
    c.stepEvery = m_stepEvery->value();
    c.stepGamma = m_stepGamma->value();
    c.augment.rotation = m_rotation->value();
    c.augment.translate = m_translate->value();
    c.augment.scale = m_scale->value();
    c.holdout = m_holdout->value();
}

void RecipeSection::setSeed(std::uint64_t seed)
{
    m_previewSeed = seed;
    updateState();
}

bool RecipeSection::isExpanded() const
{
    return m_toggle->isChecked();
}

void RecipeSection::setExpanded(bool expanded)
{
    if (m_toggle->isChecked() != expanded)
        m_toggle->setChecked(expanded); // comes back here through toggled()
    m_toggle->setArrowType(expanded ? Qt::DownArrow : Qt::RightArrow);
    m_body->setVisible(expanded);
    m_toggle->setAccessibleName(tr("Recipe section (%1)").arg(expanded ? tr("open") : tr("closed")));
}

QString RecipeSection::summary() const
{
    core::TrainConfig c;
    applyTo(c);
    QStringList parts{m_optimizer->currentText()};
    if (c.weightDecay > 0)
        parts << tr("decay %1").arg(c.weightDecay);
    parts << (c.schedule == core::ScheduleKind::Constant ? tr("constant rate") : m_schedule->currentText());
    parts << (c.augment.active() ? tr("augmented") : tr("no augmentation"));
    if (c.holdout > 0)
        parts << tr("%1 held out").arg(QLocale().toString(c.holdout));
    return parts.join(QStringLiteral(", "));
}

void RecipeSection::updateState()
{
    const auto optimizer = core::OptimizerKind(m_optimizer->currentData().toInt());
    const auto schedule = core::ScheduleKind(m_schedule->currentData().toInt());
    m_momentum->setEnabled(optimizer == core::OptimizerKind::Sgd);
    m_stepEvery->setEnabled(schedule == core::ScheduleKind::Step);
    m_stepGamma->setEnabled(schedule == core::ScheduleKind::Step);
    m_toggle->setText(tr("Recipe: %1").arg(summary()));
    m_toggle->setAccessibleName(tr("Recipe section (%1)").arg(isExpanded() ? tr("open") : tr("closed")));
    core::TrainConfig c;
    applyTo(c);
    m_preview->setAugmentation(c.augment, m_previewSeed);
}

} // namespace ui
