// Issue 20 on the command line: --dataset for train, eval, predict and fetch-data; class names in
// predict's and eval's output; a model of another dataset refused or evaluated as asked.
#include "clitestsupport.h"
#include "datasettestsupport.h"
#include "testsupport.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QRegularExpression>
#include <QTemporaryDir>
#include <catch2/catch.hpp>

using clitest::cli;

namespace {
int digitLabel(int i) { return testsupport::testSet().labels[std::size_t(i)]; }

QStringList quick(const QString &out)
{
    return {QStringLiteral("--epochs"), QStringLiteral("1"), QStringLiteral("--threads"), QStringLiteral("1"),
            QStringLiteral("--no-record"), QStringLiteral("--out"), out};
}
} // namespace

TEST_CASE("cli --dataset: a folder with classes.txt trains, predicts and evaluates with its names", "[cli][data][dataset]")
{
    QTemporaryDir dir;
    const QString folder = dir.filePath(QStringLiteral("threes"));
    datasettest::writeFolder(folder, 400, 100, [](int i) { return std::min(digitLabel(i), 2); }, true,
                             "zero\none\nmany things\n");
    const QString model = dir.filePath(QStringLiteral("m.pt"));
    auto r = cli(QStringList{QStringLiteral("train"), QStringLiteral("--dataset"), folder} + quick(model));
    INFO(r.err.toStdString());
    REQUIRE(r.code == 0);
    CHECK(r.out.contains(QStringLiteral("dataset: threes (3 classes: zero, one, many things)")));

    // predict: the class number, then its name (a fourth column), and in JSON.
    const QString image = dir.filePath(QStringLiteral("one.png"));
    REQUIRE(testsupport::mnistOnCanvas(2, 9, 300, 300, 20, 20, false).save(image)); // test image 2 is a 1
    r = cli({QStringLiteral("predict"), QStringLiteral("--checkpoint"), model, image});
    REQUIRE(r.code == 0);
    const auto m = QRegularExpression(QStringLiteral("^(.+)\\t(\\d)\\t([01]\\.\\d{4})\\t(zero|one|many things)\\n$")).match(r.out);
    REQUIRE(m.hasMatch());
    const QStringList names{QStringLiteral("zero"), QStringLiteral("one"), QStringLiteral("many things")};
    CHECK(names[m.captured(2).toInt()] == m.captured(4));
    r = cli({QStringLiteral("predict"), QStringLiteral("--json"), QStringLiteral("--checkpoint"), model, image});
    REQUIRE(r.code == 0);
    const auto obj = QJsonDocument::fromJson(r.out.toUtf8()).object();
    CHECK(obj.value(QStringLiteral("probabilities")).toArray().size() == 3);
    CHECK(names.contains(obj.value(QStringLiteral("name")).toString()));

    // eval: a 3x3 matrix and the names per class; without --dataset the folder must be named.
    r = cli({QStringLiteral("eval"), QStringLiteral("--checkpoint"), model, QStringLiteral("--dataset"), folder});
    REQUIRE(r.code == 0);
    CHECK(r.out.contains(QStringLiteral("dataset: threes (model trained on threes)")));
    CHECK(r.out.contains(QRegularExpression(QStringLiteral("^  1 one +\\d+\\.\\d\\d% \\(\\d+/\\d+\\)$"), QRegularExpression::MultilineOption)));
    CHECK(r.out.contains(QRegularExpression(QStringLiteral("^  2 many things +\\d+"), QRegularExpression::MultilineOption)));
    CHECK(r.out.contains(QRegularExpression(QStringLiteral("^test accuracy: \\d+\\.\\d\\d% \\(\\d+/100\\)$"), QRegularExpression::MultilineOption)));
    r = cli({QStringLiteral("eval"), QStringLiteral("--checkpoint"), model});
    CHECK(r.code == 1);
    CHECK(r.err.contains(QStringLiteral("name its folder with --dataset DIR")));
    // A 3-class model on MNIST (10 classes): refused, whatever is asked.
    r = cli({QStringLiteral("eval"), QStringLiteral("--checkpoint"), model, QStringLiteral("--dataset"), QStringLiteral("mnist")});
    CHECK(r.code == 1);
    CHECK(r.err.contains(QStringLiteral("the network ends with 3 outputs; the dataset MNIST has 10 classes")));
    // A custom network must end with the dataset's classes itself.
    r = cli(QStringList{QStringLiteral("train"), QStringLiteral("--dataset"), folder, QStringLiteral("--arch"),
                        QStringLiteral("Flatten Linear(10)")} + quick(dir.filePath(QStringLiteral("x.pt"))));
    CHECK(r.code == 2);
    CHECK(r.err.contains(QStringLiteral("the dataset has 3 classes")));
}

TEST_CASE("cli --dataset fashion-mnist: names in predict and eval; another dataset refused or asked for", "[cli][data][dataset]")
{
    QTemporaryDir dir;
    // Fashion-MNIST's ten classes on crafted files (named by --data, so not checked against the
    // published sums: the unit tests check a system copy).
    const QString data = dir.filePath(QStringLiteral("fashion"));
    datasettest::writeFolder(data, 400, 100, digitLabel, false);
    const QString model = dir.filePath(QStringLiteral("fashion.pt"));
    auto r = cli(QStringList{QStringLiteral("train"), QStringLiteral("--dataset"), QStringLiteral("fashion-mnist"),
                             QStringLiteral("--data"), data} + quick(model));
    INFO(r.err.toStdString());
    REQUIRE(r.code == 0);
    CHECK(r.out.contains(QStringLiteral("dataset: Fashion-MNIST (10 classes: T-shirt/top, Trouser, Pullover")));

    const QString image = dir.filePath(QStringLiteral("x.png"));
    REQUIRE(testsupport::mnistOnCanvas(0, 9, 300, 300, 20, 20, false).save(image));
    r = cli({QStringLiteral("predict"), QStringLiteral("--checkpoint"), model, image});
    REQUIRE(r.code == 0);
    CHECK(r.out.contains(QRegularExpression(
        QStringLiteral("\\t\\d\\t[01]\\.\\d{4}\\t(T-shirt/top|Trouser|Pullover|Dress|Coat|Sandal|Shirt|Sneaker|Bag|Ankle boot)\\n$"))));

    // eval defaults to the model's own dataset.
    r = cli({QStringLiteral("eval"), QStringLiteral("--checkpoint"), model, QStringLiteral("--data"), data});
    REQUIRE(r.code == 0);
    CHECK(r.out.contains(QStringLiteral("dataset: Fashion-MNIST (model trained on Fashion-MNIST)")));
    CHECK(r.out.contains(QRegularExpression(QStringLiteral("^  9 Ankle boot +\\d+\\.\\d\\d%"), QRegularExpression::MultilineOption)));
    CHECK(r.err.isEmpty());
    // On MNIST: --dataset is the explicit request; the warning names both.
    r = cli({QStringLiteral("eval"), QStringLiteral("--checkpoint"), model, QStringLiteral("--dataset"), QStringLiteral("mnist"),
             QStringLiteral("--data"), data});
    REQUIRE(r.code == 0);
    CHECK(r.err.contains(QStringLiteral("warning: the model was trained on Fashion-MNIST, but the data is MNIST")));
    CHECK(r.out.contains(QStringLiteral("dataset: MNIST (model trained on Fashion-MNIST)")));
    // MNIST's digits are their own names: predict keeps its three columns.
    r = cli({QStringLiteral("predict"), image});
    REQUIRE(r.code == 0);
    CHECK(r.out.contains(QRegularExpression(QStringLiteral("^.+\\t\\d\\t[01]\\.\\d{4}\\n$"))));

    // Continuing on MNIST: refused naming both, unless --other-dataset.
    r = cli({QStringLiteral("train"), QStringLiteral("--resume"), model, QStringLiteral("--dataset"), QStringLiteral("mnist"),
             QStringLiteral("--data"), data, QStringLiteral("--epochs"), QStringLiteral("2"), QStringLiteral("--threads"),
             QStringLiteral("1"), QStringLiteral("--no-record"), QStringLiteral("--out"), model});
    CHECK(r.code == 1);
    CHECK(r.err.contains(QStringLiteral("the model was trained on Fashion-MNIST, but the data is MNIST")));
    CHECK(r.err.contains(QStringLiteral("--other-dataset")));
    r = cli({QStringLiteral("train"), QStringLiteral("--resume"), model, QStringLiteral("--dataset"), QStringLiteral("mnist"),
             QStringLiteral("--data"), data, QStringLiteral("--epochs"), QStringLiteral("2"), QStringLiteral("--threads"),
             QStringLiteral("1"), QStringLiteral("--no-record"), QStringLiteral("--other-dataset"), QStringLiteral("--out"), model});
    INFO(r.err.toStdString());
    CHECK(r.code == 0);
    CHECK(r.err.contains(QStringLiteral("continuing on MNIST as --other-dataset asks")));
    // Resuming without --dataset continues on the model's own dataset.
    r = cli({QStringLiteral("eval"), QStringLiteral("--checkpoint"), model, QStringLiteral("--data"), data});
    REQUIRE(r.code == 0);
    CHECK(r.out.contains(QStringLiteral("model trained on MNIST")));
}

TEST_CASE("cli --dataset: usage and help", "[cli][dataset]")
{
    auto r = cli({QStringLiteral("train"), QStringLiteral("--dataset"), QStringLiteral("fashion")});
    CHECK(r.code == 2);
    CHECK(r.err.contains(QStringLiteral("no dataset named \"fashion\"; give mnist, fashion-mnist")));
    r = cli({QStringLiteral("fetch-data"), QStringLiteral("--dataset"), QStringLiteral("/tmp")});
    CHECK(r.code == 2);
    CHECK(r.err.contains(QStringLiteral("a folder dataset has nothing to download")));
    r = cli({QStringLiteral("train"), QStringLiteral("--other-dataset")});
    CHECK(r.code == 2);
    for (const char *command : {"train", "eval", "predict", "fetch-data"}) {
        INFO(command);
        r = cli({QString::fromLatin1(command), QStringLiteral("--help")});
        CHECK(r.code == 0);
        CHECK(r.out.contains(QStringLiteral("--dataset")));
    }
    r = cli({QStringLiteral("--help")});
    CHECK(r.out.contains(QStringLiteral("fashion-mnist")));
    CHECK(r.out.contains(QStringLiteral("/usr/share/datasets/fashion-mnist")));
}
