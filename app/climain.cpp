// digitlab-cli's executable: the application object and its names, then the commands (app/cli.h).
#include "cli.h"
#include "core/version.h"

#include <QCoreApplication>

int main(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    QCoreApplication::setOrganizationName(QString::fromLatin1(cli::kOrganizationName));
    QCoreApplication::setApplicationName(QString::fromLatin1(cli::kApplicationName));
    QCoreApplication::setApplicationVersion(core::version());
    return cli::run(QCoreApplication::arguments());
}
