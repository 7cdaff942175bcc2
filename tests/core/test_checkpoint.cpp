#include "core/classifier.h"
#include "core/error.h"
#include "core/trainer.h"
#include "testsupport.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <catch2/catch.hpp>

using Kind = core::CheckpointError::Kind;

namespace {

QString fixture(const char *name) { return QStringLiteral(DIGITLAB_SOURCE_DIR "/tests/data/") + QLatin1String(name); }

/// The model's predictions for the first n test images.
std::vector<core::Prediction> predictions(const core::Classifier &model, int n = 20)
{
    return testsupport::predictFirst(model, testsupport::testSet(), n);
}

/// A trainer after one short epoch, so weights, moments and history are all non-trivial.
std::unique_ptr<core::Trainer> trained()
{
    auto t = std::make_unique<core::Trainer>(testsupport::smallConfig(1000, 500, 1, 1, 3));
    core::RunControl control;
    t->run(testsupport::trainSet(), testsupport::testSet(), control);
    return t;
}

core::CheckpointError loadError(core::Trainer &trainer, const QString &path)
{
    try {
        trainer.load(path);
    } catch (const core::CheckpointError &e) {
        return e;
    }
    FAIL("load accepted " << path.toStdString());
    throw;
}

} // namespace

TEST_CASE("checkpoint round trip restores weights, history and metadata exactly", "[checkpoint][data]")
{
    const auto original = trained();
    QTemporaryDir dir;
    const auto path = dir.filePath(QStringLiteral("a.pt"));
    original->save(path);

    core::Trainer loaded;
    loaded.load(path);
    CHECK(loaded.epochsDone() == 1);
    REQUIRE(loaded.history().size() == 1);
    CHECK(loaded.history()[0].testAccuracy == original->history()[0].testAccuracy);
    CHECK(loaded.config().seed == 3u);
    CHECK(loaded.config().trainLimit == 1000);
    CHECK(testsupport::samePredictions(predictions(*loaded.snapshot()), predictions(*original->snapshot())));

    const auto model = core::Classifier::fromFile(path);
    CHECK(testsupport::samePredictions(predictions(*model), predictions(*original->snapshot())));
    CHECK(model->info().epochsDone == 1);
    CHECK(model->info().mnistTrainChecksum.startsWith(QStringLiteral("6bbc9ace898e44ae57da46a324031adb")));
    CHECK_FALSE(model->info().created.isEmpty());
    CHECK(model->source() == path);
}

TEST_CASE("saving over an existing checkpoint is atomic", "[checkpoint][data]")
{
    const auto t = trained();
    QTemporaryDir dir;
    const auto path = dir.filePath(QStringLiteral("a.pt"));
    t->save(path);
    const auto size = QFileInfo(path).size();
    // A folder that does not exist: the error names the file, nothing is left behind.
    try {
        t->save(dir.filePath(QStringLiteral("missing/b.pt")));
        FAIL("saved into a missing folder");
    } catch (const core::CheckpointError &e) {
        CHECK(e.kind() == Kind::WriteFailed);
        CHECK_THAT(e.what(), Catch::Contains("missing/b.pt"));
    }
    t->save(path);
    CHECK(QFileInfo(path).size() == size);
    CHECK(QDir(dir.path()).entryList(QDir::Files) == QStringList{QStringLiteral("a.pt")});
}

TEST_CASE("bad checkpoints are rejected and leave the model unchanged", "[checkpoint][data]")
{
    const auto t = trained();
    const auto before = predictions(*t->snapshot());
    QTemporaryDir dir;
    const auto good = dir.filePath(QStringLiteral("good.pt"));
    t->save(good);
    QFile f(good);
    REQUIRE(f.open(QIODevice::ReadOnly));
    const QByteArray bytes = f.readAll();

    struct Case {
        const char *name;
        QString path;
        Kind kind;
        const char *says;
    };
    const std::vector<Case> cases{
        {"missing", dir.filePath(QStringLiteral("nope.pt")), Kind::Unreadable, "no such file"},
        {"empty", testsupport::write(dir, QStringLiteral("empty.pt"), QByteArray()), Kind::Corrupt, "empty"},
        {"truncated", testsupport::write(dir, QStringLiteral("half.pt"), bytes.left(bytes.size() / 2)), Kind::Corrupt, "truncated or corrupt"},
        {"garbage", testsupport::write(dir, QStringLiteral("noise.pt"), QByteArray(5000, 'x')), Kind::Corrupt, "not a readable checkpoint"},
        {"foreign pickle", fixture("foreign_list.pt"), Kind::Foreign, "expected a dictionary"},
        {"other architecture", fixture("wrong_arch.pt"), Kind::WrongArchitecture, "lenet5"},
        {"wrong shape", fixture("wrong_shape.pt"), Kind::WrongShape, "fc1.weight' has shape [64, 320], the network expects [50, 320]"},
        {"extra parameter", fixture("extra_param.pt"), Kind::WrongArchitecture, "fc3.weight"},
        {"newer format", fixture("newer_version.pt"), Kind::NewerFormat, "version 99"},
    };
    for (const auto &c : cases) {
        SECTION(c.name)
        {
            const auto e = loadError(*t, c.path);
            CHECK(e.kind() == c.kind);
            CHECK(e.file() == c.path);
            CHECK_THAT(e.what(), Catch::Contains(c.says));
            CHECK(testsupport::samePredictions(predictions(*t->snapshot()), before));
            CHECK(t->epochsDone() == 1);
            CHECK_THROWS_AS(core::Classifier::fromFile(c.path), core::CheckpointError);
        }
    }
}

TEST_CASE("a PyTorch state_dict of the seed model loads with identical outputs", "[checkpoint][data][interop]")
{
    const auto model = core::Classifier::fromFile(fixture("seed_state_dict.pt"));
    QFile json(fixture("seed_state_dict.json"));
    REQUIRE(json.open(QIODevice::ReadOnly));
    const auto expected = QJsonDocument::fromJson(json.readAll()).array();
    REQUIRE(expected.size() == 5);
    const auto got = predictions(*model, 5);
    for (int i = 0; i < 5; ++i)
        for (int k = 0; k < 10; ++k)
            CHECK(got[std::size_t(i)].probabilities[std::size_t(k)] == Approx(expected[i].toArray()[k].toDouble()).margin(1e-5));
    core::Trainer trainer;
    trainer.load(fixture("seed_state_dict.pt"));
    CHECK(trainer.epochsDone() == 0);
    CHECK(testsupport::samePredictions(predictions(*trainer.snapshot(), 5), got));
}
