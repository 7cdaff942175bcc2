#include "classlabel.h"

namespace ui {

QString classLabel(int index)
{
    return QString::number(index);
}

} // namespace ui
