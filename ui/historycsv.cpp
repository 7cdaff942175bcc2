#include "historycsv.h"
#include "core/error.h"
#include "core/safefile.h"
#include <QCoreApplication>
#include <QDir>

namespace ui {

QString historyCsv(const std::vector<core::EpochStats> &history)
{
    QString text = QStringLiteral("epoch,train_loss,train_accuracy,test_loss,test_accuracy,seconds,images_per_second\n");
    for (const auto &e : history) {
        text += QStringLiteral("%1,%2,%3,%4,%5,%6,%7\n")
                    .arg(e.epoch)
                    .arg(QString::number(e.trainLoss, 'g', 8), QString::number(e.trainAccuracy, 'g', 8),
                         QString::number(e.testLoss, 'g', 8), QString::number(e.testAccuracy, 'g', 8),
                         QString::number(e.seconds, 'f', 3), QString::number(e.imagesPerSecond, 'f', 1));
    }
    return text;
}

QString writeHistoryCsv(const QString &path, const std::vector<core::EpochStats> &history)
{
    const auto cannot = [&path](const QString &why) {
        return QCoreApplication::translate("ui::historyCsv", "Cannot write %1: %2").arg(QDir::toNativeSeparators(path), why);
    };
    try {
        const QByteArray bytes = historyCsv(history).toUtf8();
        core::safefile::writeFileAtomically(path, bytes.constData(), std::size_t(bytes.size())); // never over a device or FIFO
    } catch (const core::FileError &e) {
        return cannot(e.message());
    }
    return {};
}

} // namespace ui
