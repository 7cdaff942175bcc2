// ui::historyCsv / writeHistoryCsv: the File > Export History text, without a window.
#include "uitestsupport.h"
#include "ui/historycsv.h"
#include <catch2/catch.hpp>
#include <QFile>
#include <QFileInfo>

namespace {

core::EpochStats epoch(int n, double testAccuracy)
{
    core::EpochStats e;
    e.epoch = n;
    e.epochs = 3;
    e.trainLoss = 0.5 / n;
    e.trainAccuracy = 0.9;
    e.testLoss = 0.25;
    e.testAccuracy = testAccuracy;
    e.seconds = 1.5;
    e.imagesPerSecond = 12345.67;
    return e;
}

} // namespace

TEST_CASE("history CSV: a header and one line per epoch in order", "[historycsv]")
{
    const QString text = ui::historyCsv({epoch(1, 0.97), epoch(2, 0.985)});
    const QStringList lines = text.split(QLatin1Char('\n'), Qt::SkipEmptyParts);
    REQUIRE(lines.size() == 3);
    CHECK(lines[0] == QStringLiteral("epoch,train_loss,train_accuracy,test_loss,test_accuracy,seconds,images_per_second"));
    CHECK(lines[1] == QStringLiteral("1,0.5,0.9,0.25,0.97,1.500,12345.7"));
    CHECK(lines[2] == QStringLiteral("2,0.25,0.9,0.25,0.985,1.500,12345.7"));
    CHECK(text.endsWith(QLatin1Char('\n')));
}

TEST_CASE("history CSV: an empty history is the header alone", "[historycsv]")
{
    CHECK(ui::historyCsv({}).count(QLatin1Char('\n')) == 1);
}

TEST_CASE("history CSV: the file is written and an unwritable path names the file", "[historycsv]")
{
    const QString path = uitest::tempDir() + QStringLiteral("/history.csv");
    REQUIRE(ui::writeHistoryCsv(path, {epoch(1, 0.5)}).isEmpty());
    QFile file(path);
    REQUIRE(file.open(QIODevice::ReadOnly));
    CHECK(QString::fromUtf8(file.readAll()) == ui::historyCsv({epoch(1, 0.5)}));

    const QString bad = uitest::tempDir() + QStringLiteral("/no-such-folder/history.csv");
    const QString error = ui::writeHistoryCsv(bad, {});
    CHECK(error.contains(QStringLiteral("history.csv")));
    CHECK_FALSE(QFileInfo::exists(bad));
}
