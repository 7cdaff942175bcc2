#include "ui/train/countspinbox.h"
#include <QRegularExpression>
#include <cmath>

namespace ui {

bool CountSpinBox::scientific(const QString &text, double &value, bool &complete)
{
    // Digits, an optional fraction, an e and an exponent still being typed.
    static const QRegularExpression form(QStringLiteral("^\\s*([0-9]+(?:\\.[0-9]*)?)[eE]([+-]?)([0-9]*)\\s*$"));
    const QRegularExpressionMatch m = form.match(text);
    if (!m.hasMatch())
        return false;
    complete = !m.captured(3).isEmpty();
    if (!complete)
        return true;
    // Exponents past 9 are far beyond any count: refuse rather than compute infinities.
    if (m.captured(3).size() > 2)
        return false;
    value = m.captured(1).toDouble() * std::pow(10.0, (m.captured(2) == QLatin1String("-") ? -1 : 1) * m.captured(3).toInt());
    return std::isfinite(value);
}

QValidator::State CountSpinBox::validate(QString &input, int &pos) const
{
    const QValidator::State plain = QSpinBox::validate(input, pos);
    if (plain != QValidator::Invalid)
        return plain;
    double value = 0;
    bool complete = false;
    if (!scientific(input, value, complete))
        return QValidator::Invalid;
    if (!complete)
        return QValidator::Intermediate;
    // A whole number in range is a value; anything else is not one yet (the hint says why).
    const bool whole = value == std::floor(value);
    return whole && value >= minimum() && value <= maximum() ? QValidator::Acceptable : QValidator::Intermediate;
}

int CountSpinBox::valueFromText(const QString &text) const
{
    double value = 0;
    bool complete = false;
    if (scientific(text, value, complete) && complete && value >= minimum() && value <= maximum())
        return int(std::lround(value));
    return QSpinBox::valueFromText(text);
}

} // namespace ui
