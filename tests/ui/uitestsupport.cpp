#include "uitestsupport.h"
#include <catch2/catch.hpp>
#include <QCoreApplication>
#include <QDeadlineTimer>
#include <QDir>
#include <QTemporaryDir>
#include <QThread>

namespace uitest {

bool waitUntil(const std::function<bool()> &pred, int timeoutMs)
{
    QDeadlineTimer deadline(timeoutMs);
    while (!pred()) {
        if (deadline.hasExpired())
            return pred();
        QCoreApplication::processEvents(QEventLoop::AllEvents, 20);
        QThread::msleep(2);
    }
    return true;
}

QString shotsDir()
{
    const QString dir = qEnvironmentVariable("DIGITLAB_SHOTS_DIR", QStringLiteral(DIGITLAB_SOURCE_DIR "/docs"));
    QDir().mkpath(dir);
    return dir;
}

QString tempDir()
{
    static QTemporaryDir dir;
    static int counter = 0;
    const QString path = dir.filePath(QString::number(++counter));
    QDir().mkpath(path);
    return path;
}

} // namespace uitest
