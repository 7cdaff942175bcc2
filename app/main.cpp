// digitlab: the GUI. The responsiveness benchmark that used to live here is
// digitlab-bench-responsiveness (app/benchresponsiveness.cpp).
#include "ui/mainwindow.h"
#include "ui/trainingcontroller.h"
#include "core/version.h"
#include <QApplication>
#include <QCommandLineParser>
#include <QIcon>
#include <QTabWidget>
#include <QTimer>
#include <cstdio>

namespace {

void setUpApplication()
{
    QCoreApplication::setOrganizationName(QStringLiteral("DigitLab"));
    QCoreApplication::setOrganizationDomain(QStringLiteral("digitlab.example.org"));
    QCoreApplication::setApplicationName(QStringLiteral("DigitLab"));
    QCoreApplication::setApplicationVersion(core::version());
    QGuiApplication::setApplicationDisplayName(QStringLiteral("DigitLab"));
    QGuiApplication::setDesktopFileName(QStringLiteral("org.example.digitlab"));
    // The icon compiled in (PNG: Qt's SVG icon engine is a separate package); the same drawing is
    // installed in the hicolor theme for the desktop's menus.
    QIcon icon;
    for (int size : {16, 22, 24, 32, 48, 64, 128, 256})
        icon.addFile(QStringLiteral(":/digitlab/icons/digitlab-%1.png").arg(size), QSize(size, size));
    QApplication::setWindowIcon(icon);
}

/// Saves a PNG of the window once the start-up requests are done, then quits.
void screenshotWhenIdle(ui::MainWindow &window, const QString &file)
{
    auto shoot = [&window, file] {
        if (!window.controller()->isIdle())
            return;
        // Let the last start-up results paint first.
        QTimer::singleShot(500, &window, [&window, file] {
            const bool ok = window.grab().save(file);
            std::fprintf(ok ? stdout : stderr, "%s %s\n", ok ? "screenshot:" : "cannot write", qPrintable(file));
            QCoreApplication::exit(ok ? 0 : 1);
        });
    };
    QObject::connect(window.controller(), &ui::TrainingController::stateChanged, &window, shoot);
}

} // namespace

int main(int argc, char *argv[])
{
    QApplication app(argc, argv);
    setUpApplication();

    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral("Train, draw and browse an MNIST digit classifier."));
    parser.addHelpOption();
    parser.addVersionOption();
    parser.addPositionalArgument(QStringLiteral("checkpoint"), QStringLiteral("A checkpoint to open."), QStringLiteral("[checkpoint]"));
    const QCommandLineOption screenshotOption(QStringLiteral("screenshot"),
                                              QStringLiteral("Save a PNG of the window once start-up is done, then quit."),
                                              QStringLiteral("file"));
    const QCommandLineOption tabOption(QStringLiteral("tab"), QStringLiteral("Show this tab first (0 = Train)."), QStringLiteral("n"));
    parser.addOptions({screenshotOption, tabOption});
    parser.process(app);

    ui::MainWindow window;
    if (parser.isSet(tabOption))
        window.tabs()->setCurrentIndex(parser.value(tabOption).toInt());
    window.show();
    if (parser.isSet(screenshotOption))
        screenshotWhenIdle(window, parser.value(screenshotOption));
    if (!parser.positionalArguments().isEmpty()) {
        const QString path = parser.positionalArguments().constFirst();
        // After the start-up requests (queued in order on the worker).
        QTimer::singleShot(0, &window, [&window, path] { window.openFile(path); });
    }
    return QApplication::exec();
}
