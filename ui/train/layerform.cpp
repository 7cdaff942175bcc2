#include "ui/train/layerform.h"
#include <QDoubleSpinBox>
#include <QFormLayout>
#include <QLabel>
#include <QSignalBlocker>
#include <QSpinBox>
#include <algorithm>

namespace ui {

namespace {
// Dropout's p stops short of 1: PyTorch accepts p = 1, but a layer that zeroes everything
// trains nothing.
constexpr double kMaxDropout = 0.95;
} // namespace

LayerForm::LayerForm(QWidget *parent) : QGroupBox(parent)
{
    setObjectName(QStringLiteral("layerForm"));
    m_form = new QFormLayout(this);
    m_form->setFieldGrowthPolicy(QFormLayout::AllNonFixedFieldsGrow);
    m_none = new QLabel;
    m_none->setWordWrap(true);
    m_form->addRow(m_none);
    rebuild();
}

void LayerForm::setLayer(const core::Layer &layer, int position)
{
    const bool sameFields = position == m_position && layer.kind == m_layer.kind;
    m_layer = layer;
    m_position = position;
    if (sameFields)
        showValues();
    else
        rebuild();
}

QAbstractSpinBox *LayerForm::field(const QString &argument) const
{
    return m_fields.value(argument);
}

QSpinBox *LayerForm::addCount(const QString &argument, const QString &label, int minimum, int maximum, const QString &tip)
{
    auto *box = new QSpinBox;
    box->setRange(minimum, maximum);
    box->setToolTip(tip);
    box->setAccessibleName(tr("%1 of layer %2").arg(label).arg(m_position));
    box->setObjectName(QStringLiteral("layer_") + argument);
    m_form->addRow(label, box);
    m_fields.insert(argument, box);
    connect(box, &QSpinBox::valueChanged, this, [this, argument](int value) {
        if (m_showing)
            return;
        core::Layer l = m_layer;
        if (argument == QLatin1String("out"))
            l.out = value;
        else if (argument == QLatin1String("kernel"))
            l.kernel = value;
        else if (argument == QLatin1String("stride"))
            l.stride = value;
        else if (argument == QLatin1String("padding"))
            l.padding = value;
        // A pool's stride equal to its kernel is PyTorch's default, written without it.
        if (l.kind != core::LayerKind::Conv2d) {
            if (l.stride == l.kernel)
                l.stride = 0;
            l.padding = std::min(l.padding, l.kernel / 2); // PyTorch refuses more
        }
        m_layer = l;
        showValues(); // dependent ranges (a pool's padding follows its kernel)
        Q_EMIT changed(m_layer, argument);
    });
    return box;
}

QDoubleSpinBox *LayerForm::addReal(const QString &argument, const QString &label, double minimum, double maximum,
                                   double step, int decimals, const QString &tip)
{
    auto *box = new QDoubleSpinBox;
    box->setDecimals(decimals);
    box->setRange(minimum, maximum);
    box->setSingleStep(step);
    box->setToolTip(tip);
    box->setAccessibleName(tr("%1 of layer %2").arg(label).arg(m_position));
    box->setObjectName(QStringLiteral("layer_") + argument);
    m_form->addRow(label, box);
    m_fields.insert(argument, box);
    connect(box, &QDoubleSpinBox::valueChanged, this, [this, argument](double value) {
        if (m_showing)
            return;
        (argument == QLatin1String("p") ? m_layer.p : m_layer.slope) = value;
        Q_EMIT changed(m_layer, argument);
    });
    return box;
}

void LayerForm::rebuild()
{
    // Only the rows of the fields go; the "no arguments" label stays as row 0.
    while (m_form->rowCount() > 1)
        m_form->removeRow(1);
    m_fields.clear();
    using K = core::LayerKind;
    const QString name = core::Layer::kindName(m_layer.kind);
    if (m_position == 0) {
        setTitle(tr("Layer"));
        m_none->setText(tr("Select a layer to edit its arguments."));
        m_none->show();
        setAccessibleName(tr("Layer arguments: no layer selected"));
        return;
    }
    setTitle(tr("Layer %1: %2").arg(m_position).arg(name));
    setAccessibleName(tr("Arguments of layer %1, %2").arg(m_position).arg(name));
    m_none->hide();
    switch (m_layer.kind) {
    case K::Conv2d:
        addCount(QStringLiteral("out"), tr("out_channels"), 1, core::kMaxChannels,
                 tr("Feature maps this convolution makes (1 to %1). More channels see more patterns and cost more.")
                     .arg(core::kMaxChannels));
        addCount(QStringLiteral("kernel"), tr("kernel_size"), 1, core::kMaxKernel,
                 tr("Side of each filter in pixels (1 to %1); 3 and 5 are usual.").arg(core::kMaxKernel));
        addCount(QStringLiteral("stride"), tr("stride"), 1, core::kMaxKernel,
                 tr("Step between filter positions (1 to %1): 2 halves the map.").arg(core::kMaxKernel));
        addCount(QStringLiteral("padding"), tr("padding"), 0, core::kMaxPadding,
                 tr("Zeros added on each side (0 to %1): padding = kernel/2 keeps the map's size.").arg(core::kMaxPadding));
        break;
    case K::MaxPool2d:
    case K::AvgPool2d: {
        addCount(QStringLiteral("kernel"), tr("kernel_size"), 1, core::kMaxKernel,
                 tr("Side of the pooling window (1 to %1); 2 halves the map.").arg(core::kMaxKernel));
        QSpinBox *stride = addCount(QStringLiteral("stride"), tr("stride"), 0, core::kMaxKernel,
                                    tr("Step between windows (1 to %1); by default the kernel size.").arg(core::kMaxKernel));
        stride->setSpecialValueText(tr("= kernel"));
        addCount(QStringLiteral("padding"), tr("padding"), 0, core::kMaxPadding,
                 tr("Zeros added on each side: at most half the kernel (PyTorch's rule)."));
        break;
    }
    case K::Linear:
        addCount(QStringLiteral("out"), tr("out_features"), 1, core::kMaxFeatures,
                 tr("Units of this layer (1 to %1). The last layer gives one per class (10).").arg(core::kMaxFeatures));
        break;
    case K::Dropout:
    case K::Dropout2d:
        addReal(QStringLiteral("p"), tr("p"), 0.0, kMaxDropout, 0.05, 2,
                tr("Probability of zeroing a %1 while training (0 to %2); never applied when predicting.")
                    .arg(m_layer.kind == K::Dropout ? tr("unit") : tr("whole channel"))
                    .arg(kMaxDropout));
        break;
    case K::LeakyReLU:
        addReal(QStringLiteral("slope"), tr("negative_slope"), 0.0, 1.0, 0.01, 3,
                tr("Slope for negative inputs (0 to 1): 0 is ReLU, 0.01 PyTorch's default."));
        break;
    case K::BatchNorm2d:
    case K::BatchNorm1d:
    case K::ReLU:
    case K::Tanh:
    case K::Flatten:
        m_none->setText(tr("%1 takes no arguments: its sizes come from the layer before.").arg(name));
        m_none->show();
        break;
    }
    showValues();
}

void LayerForm::showValues()
{
    m_showing = true;
    for (auto it = m_fields.cbegin(); it != m_fields.cend(); ++it) {
        const QString &a = it.key();
        if (auto *box = qobject_cast<QSpinBox *>(it.value())) {
            if (a == QLatin1String("padding") && m_layer.kind != core::LayerKind::Conv2d)
                box->setMaximum(std::min(core::kMaxPadding, m_layer.kernel / 2));
            box->setValue(a == QLatin1String("out") ? m_layer.out
                          : a == QLatin1String("kernel") ? m_layer.kernel
                          : a == QLatin1String("stride") ? (m_layer.kind == core::LayerKind::Conv2d ? m_layer.effectiveStride() : m_layer.stride)
                                                         : m_layer.padding);
        } else if (auto *real = qobject_cast<QDoubleSpinBox *>(it.value())) {
            real->setValue(a == QLatin1String("p") ? m_layer.p : m_layer.slope);
        }
    }
    m_showing = false;
}

} // namespace ui
