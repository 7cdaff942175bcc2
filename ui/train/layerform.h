#pragma once
#include "core/network.h"
#include <QGroupBox>
#include <QHash>

class QAbstractSpinBox;
class QDoubleSpinBox;
class QFormLayout;
class QLabel;
class QSpinBox;

namespace ui {

/// The arguments of one layer as a small form: spin boxes for out/kernel/stride/padding, p and
/// slope, with the ranges core's parser accepts, so a value the form holds is one that parses.
/// Emits changed() with the edited layer; setLayer() shows a layer without emitting.
class LayerForm : public QGroupBox {
    Q_OBJECT
public:
    explicit LayerForm(QWidget *parent = nullptr);

    /// Shows `layer` at 1-based `position` (0: no layer selected). Keeps the fields (and the
    /// focus in them) when only the values change.
    void setLayer(const core::Layer &layer, int position);
    const core::Layer &layer() const { return m_layer; }
    /// The field for an argument ("out", "kernel", "stride", "padding", "p", "slope"), or null
    /// when the shown layer has none (tests).
    QAbstractSpinBox *field(const QString &argument) const;

Q_SIGNALS:
    /// The user changed `argument` of the layer: `layer` is the layer as it is now.
    void changed(const core::Layer &layer, const QString &argument);

private:
    void rebuild();
    void showValues();
    QSpinBox *addCount(const QString &argument, const QString &label, int minimum, int maximum, const QString &tip);
    QDoubleSpinBox *addReal(const QString &argument, const QString &label, double minimum, double maximum,
                            double step, int decimals, const QString &tip);

    core::Layer m_layer;
    int m_position = 0;
    bool m_showing = false;
    QFormLayout *m_form = nullptr;
    QLabel *m_none = nullptr;
    QHash<QString, QAbstractSpinBox *> m_fields;
};

} // namespace ui
