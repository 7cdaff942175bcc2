#pragma once
#include <QSpinBox>

namespace ui {

/// A whole-number field that also reads scientific notation ("1e3" is 1000, "2.5e2" is 250).
/// A plain QSpinBox refuses the "e" keystroke and keeps the digits around it: "1e3" became 13
/// without a word (issue 16 item 9). A value outside the range is not accepted (Intermediate),
/// so the field's range hint says so and the field goes back to its last valid value.
class CountSpinBox : public QSpinBox {
    Q_OBJECT
public:
    using QSpinBox::QSpinBox;

protected:
    QValidator::State validate(QString &input, int &pos) const override;
    int valueFromText(const QString &text) const override;

private:
    /// The value of a number in scientific notation; false when text is not one (or not whole).
    static bool scientific(const QString &text, double &value, bool &complete);
};

} // namespace ui
