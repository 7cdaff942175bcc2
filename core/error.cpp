#include "error.h"

namespace core {

namespace {
std::string compose(const QString &file, const QString &message)
{
    return (file.isEmpty() ? message : file + QLatin1String(": ") + message).toStdString();
}
} // namespace

Error::Error(const QString &file, const QString &message)
    : std::runtime_error(compose(file, message)), m_file(file), m_message(message)
{
}

} // namespace core
