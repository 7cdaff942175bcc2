#define CATCH_CONFIG_RUNNER
#include <QCoreApplication>
#include <catch2/catch.hpp>

int main(int argc, char **argv)
{
    // An application object for QStandardPaths and image plugins; the core tests need no event loop.
    QCoreApplication app(argc, argv);
    QCoreApplication::setOrganizationName(QStringLiteral("DigitLab"));
    QCoreApplication::setApplicationName(QStringLiteral("digitlab-tests"));
    return Catch::Session().run(argc, argv);
}
