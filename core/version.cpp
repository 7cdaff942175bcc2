#include "version.h"
#include "digitlab_version.h" // generated: the only file that includes it

namespace core {

QString version()
{
    return QStringLiteral(DIGITLAB_VERSION_STRING);
}

} // namespace core
