#pragma once
#include <QString>

namespace ui {

/// What the Inside tab calls class `index` on its buttons, rows, tooltips and questions ("Why 3?").
/// One place, so that a dataset with names of its own (Fashion-MNIST's "Sneaker") changes one
/// function.
QString classLabel(int index);

} // namespace ui
