// The network as data (issue 17): the layer text, shape inference against LibTorch, one builder
// for training, checkpoints and exports of any network, BatchNorm and augmentation.
#include "core/classifier.h"
#include "core/checkpointreader.h"
#include "core/error.h"
#include "core/export.h"
#include "core/inspect.h"
#include "core/network.h"
#include "core/trainer.h"
#include "clitestsupport.h"
#include "testsupport.h"

#include <catch2/catch.hpp>
#include <QRegularExpression>
#include <QTemporaryDir>

namespace {

core::TrainConfig small(const QString &network, int threads = 1, int epochs = 1, std::uint64_t seed = 3)
{
    auto c = testsupport::smallConfig(600, 300, epochs, threads, seed);
    c.network = network;
    return c;
}

QString errorOf(const QString &text, int classes = 10)
{
    try {
        core::Network::parse(text).analyze(classes);
    } catch (const core::NetworkError &e) {
        return e.message();
    }
    return {};
}

std::vector<float> flatWeights(const core::Classifier &model)
{
    std::vector<float> out;
    for (const auto &[name, t] : core::weights(model))
        out.insert(out.end(), t.values.begin(), t.values.end());
    return out;
}

const QString kBn = QStringLiteral("Conv2d(8,3,padding=1) BatchNorm2d ReLU MaxPool2d(2) Conv2d(16,3) LeakyReLU(0.1) "
                                   "AvgPool2d(2) Dropout2d(0.2) Flatten BatchNorm1d Dropout(0.25) Linear(32) Tanh Linear(10)");

} // namespace

TEST_CASE("network text: PyTorch's names and argument order, positional or by keyword", "[network]")
{
    const auto net = core::Network::parse(QStringLiteral(
        "nn.Conv2d(32, 3), BatchNorm2d\nReLU MaxPool2d(kernel_size=2) Conv2d(in_channels=32, out_channels=64, kernel_size=3, "
        "padding=1) ReLU(inplace=True) MaxPool2d(2) Flatten Dropout(0.25) Linear(128) ReLU Linear(10)"));
    CHECK(net.text() == QStringLiteral("Conv2d(32,3) BatchNorm2d ReLU MaxPool2d(2) Conv2d(64,3,padding=1) ReLU MaxPool2d(2) "
                                       "Flatten Dropout(0.25) Linear(128) ReLU Linear(10)"));
    CHECK(core::Network::parse(net.text()) == net);
    // PyTorch's full form with the input size given: checked, then dropped.
    CHECK(core::Network::parse(QStringLiteral("Conv2d(1,6,5) ReLU Flatten Linear(3456,10)")).text() ==
          QStringLiteral("Conv2d(6,5) ReLU Flatten Linear(10)"));
    const auto r = net.analyze();
    REQUIRE(r.layers.size() == 12);
    CHECK(r.layers[3].name() == QStringLiteral("4 MaxPool2d(2) 32x13x13"));
    CHECK(r.layers[4].out.text() == QStringLiteral("64x13x13"));
    CHECK(r.layers[7].out.text() == QStringLiteral("2304"));
    CHECK(r.layers[0].parameters == 32 * 9 + 32);
    CHECK(r.layers[0].flops == 2 * 32 * 9 * 26 * 26);
    CHECK(r.layers[1].tensors.size() == 5); // weight, bias, running_mean, running_var, num_batches_tracked
}

TEST_CASE("network text: every mistake is one message naming the layer", "[network]")
{
    CHECK(errorOf(QStringLiteral("Conv2d(32,3) ReLU MaxPool2d(2) Conv2d(32,3) MaxPool2d(2) Conv2d(32,3) MaxPool2d(2) MaxPool2d(2) Flatten Linear(10)"))
              .startsWith(QStringLiteral("layer 8, MaxPool2d(2): its input is 32x1x1, smaller than the kernel")));
    CHECK(errorOf(QStringLiteral("Conv2d(8,3) Linear(10)")).contains(QStringLiteral("layer 2, Linear(10): its input is the map 8x26x26; put a Flatten before it")));
    CHECK(errorOf(QStringLiteral("Flatten Linear(12)")).contains(QStringLiteral("12 outputs; the dataset has 10 classes")));
    CHECK(errorOf(QStringLiteral("conv2d(8,3) Flatten Linear(10)")).contains(QStringLiteral("did you mean Conv2d")));
    CHECK(errorOf(QStringLiteral("Conv2d(8) Flatten Linear(10)")).contains(QStringLiteral("layer 1")));
    CHECK(errorOf(QStringLiteral("Conv2d(8,3,bogus=1) Flatten Linear(10)")).contains(QStringLiteral("has no argument 'bogus'")));
    CHECK(errorOf(QStringLiteral("Dropout(1.5) Flatten Linear(10)")).contains(QStringLiteral("p is 1.5")));
    CHECK(errorOf(QStringLiteral("Flatten BatchNorm2d Linear(10)")).contains(QStringLiteral("layer 2, BatchNorm2d")));
    CHECK(errorOf(QStringLiteral("Conv2d(1,3) Flatten Linear(20,10)")).contains(QStringLiteral("declares 20 inputs but the layer before gives 676")));
    CHECK(errorOf(QStringLiteral("Flatten Linear(10) ReLU")).contains(QStringLiteral("remove this last layer")));
    CHECK(errorOf(QStringLiteral("Flatten Linear(10")).contains(QStringLiteral("never closed")));
    CHECK(errorOf(QString()).contains(QStringLiteral("no layers")));
    CHECK(errorOf(QStringLiteral("Conv2d(1024,5,padding=2) Conv2d(1024,5,padding=2) Flatten Linear(10)")).contains(QStringLiteral("at most")));
    CHECK(errorOf(QStringLiteral("ReLU ").repeated(65) + QStringLiteral("Flatten Linear(10)")).contains(QStringLiteral("more than 64 layers")));
    CHECK(errorOf(QStringLiteral("Flatten Linear(10) \x01")).contains(QStringLiteral("\\x01")));
    CHECK(errorOf(QStringLiteral("Flatten Linear(10)")).isEmpty());
}

TEST_CASE("presets: the tutorial is the seed network, with its PyTorch keys", "[network]")
{
    for (const auto &name : core::Network::presetNames()) {
        INFO(name.toStdString());
        const auto net = core::Network::preset(name);
        CHECK_NOTHROW(net.analyze());
        CHECK(net.presetName() == name);
        const auto config = core::TrainConfig::preset(name);
        CHECK(config.validate().isEmpty());
    }
    const auto tutorial = core::Network::preset(QStringLiteral("tutorial"));
    CHECK(tutorial.isTutorial());
    std::vector<std::pair<std::string, std::vector<std::int64_t>>> keys;
    for (const auto &spec : tutorial.analyze().tensors())
        keys.emplace_back(spec.key, spec.shape);
    CHECK(keys == core::seedParameterShapes());
    CHECK(tutorial.analyze().parameters == 21840);
    CHECK_THROWS_AS(core::Network::preset(QStringLiteral("nope")), core::NetworkError);
}

TEST_CASE("shape inference matches LibTorch's own shapes and parameter counts", "[network]")
{
    for (const QString &text : {kBn, core::Network::preset(QStringLiteral("fast")).text(), core::Network::preset(QStringLiteral("best")).text(),
                                QStringLiteral("Conv2d(4,5,stride=2,padding=1) MaxPool2d(3,stride=2,padding=1) Flatten Linear(10)")}) {
        INFO(text.toStdString());
        core::Trainer trainer(small(text));
        const auto report = core::Network::parse(text).analyze();
        std::vector<std::pair<std::string, std::vector<std::int64_t>>> expected;
        for (const auto &spec : report.tensors())
            if (!spec.buffer)
                expected.emplace_back(spec.key, spec.shape);
        CHECK(trainer.parameterShapes() == expected);
        CHECK(trainer.parameterCount() == report.parameters);
        // Every layer's output from LibTorch has the inferred shape.
        const auto model = trainer.snapshot();
        const std::vector<float> pixels(core::kPixels, 0.5f);
        const auto outputs = core::layerOutputs(*model, pixels.data());
        REQUIRE(outputs.size() == report.layers.size() + 1);
        for (std::size_t i = 0; i < report.layers.size(); ++i)
            CHECK(outputs[i].values.shape == report.layers[i].out.dims());
        CHECK(outputs[2].name.startsWith(QStringLiteral("3 ")));
    }
}

TEST_CASE("any network trains reproducibly: BatchNorm ghost batches, augmentation, resume", "[network][training]")
{
    auto cfg = small(kBn, 2, 2);
    cfg.augment = core::Augmentation{10, 0.1, 0.1};
    cfg.optimizer = core::OptimizerKind::AdamW;
    cfg.weightDecay = 1e-3;
    // Step decay: it depends on the epoch alone, so a run cut in two follows the same rates
    // (one-cycle's follow the run's target, which the first half would set to 1).
    cfg.schedule = core::ScheduleKind::Step;
    cfg.stepEvery = 1;
    cfg.stepGamma = 0.5;
    cfg.learningRate = 3e-3;
    core::RunControl c1, c2, c3;
    core::Trainer a(cfg), b(cfg);
    a.run(testsupport::trainSet(), testsupport::testSet(), c1);
    b.run(testsupport::trainSet(), testsupport::testSet(), c2);
    const auto wa = flatWeights(*a.snapshot());
    CHECK(wa == flatWeights(*b.snapshot()));
    INFO("test accuracy " << a.history().back().testAccuracy);
    CHECK(a.history().back().testAccuracy > 0.3); // it learns from 600 images in 2 epochs

    // Running statistics moved away from their initial 0/1 and are used in eval mode.
    bool moved = false;
    for (const auto &[name, t] : core::weights(*a.snapshot()))
        if (name.find("running_mean") != std::string::npos)
            for (float v : t.values)
                moved = moved || v != 0.0f;
    CHECK(moved);

    // One epoch, saved, loaded, one more: the same weights as two epochs at once.
    QTemporaryDir dir;
    const auto path = dir.filePath(QStringLiteral("half.pt"));
    auto first = cfg;
    first.epochs = 1;
    {
        core::Trainer t(first);
        core::RunControl c;
        t.run(testsupport::trainSet(), testsupport::testSet(), c);
        t.save(path);
    }
    core::Trainer resumed(first);
    resumed.load(path);
    CHECK(resumed.network().text() == core::Network::parse(kBn).text());
    auto more = resumed.config();
    more.epochs = 2;
    resumed.setConfig(more);
    resumed.run(testsupport::trainSet(), testsupport::testSet(), c3);
    CHECK(flatWeights(*resumed.snapshot()) == wa);

    // Without augmentation the run differs: augmentation really reaches the batches.
    auto plain = cfg;
    plain.augment = {};
    core::Trainer p(plain);
    core::RunControl c4;
    p.run(testsupport::trainSet(), testsupport::testSet(), c4);
    CHECK(flatWeights(*p.snapshot()) != wa);
}

TEST_CASE("the fused forward computes what LibTorch's own operators compute, for any network", "[network][training]")
{
    for (const QString &text : {kBn, core::Network::preset(QStringLiteral("fast")).text(),
                                QStringLiteral("Conv2d(6,3) ReLU MaxPool2d(2) Dropout2d MaxPool2d(2) ReLU Flatten Linear(10)")}) {
        INFO(text.toStdString());
        core::Trainer t(small(text));
        const auto fused = t.batchGradientForTesting(testsupport::trainSet(), 64, 1, false);
        const auto stock = t.batchGradientForTesting(testsupport::trainSet(), 64, 1, true);
        REQUIRE(fused.size() == stock.size());
        double diff = 0, scale = 0;
        for (std::size_t i = 0; i < fused.size(); ++i) {
            diff = std::max(diff, double(std::abs(fused[i] - stock[i])));
            scale = std::max(scale, double(std::abs(stock[i])));
        }
        CHECK(diff <= 1e-4 * scale);
    }
}

TEST_CASE("checkpoints carry the network and recipe; a state_dict that does not fit is refused naming the key", "[network][checkpoint]")
{
    auto cfg = small(kBn);
    cfg.optimizer = core::OptimizerKind::Sgd;
    cfg.momentum = 0.8;
    cfg.holdout = 100;
    core::Trainer t(cfg);
    core::RunControl c;
    t.run(testsupport::trainSet(), testsupport::testSet(), c);
    CHECK(t.history().back().validationAccuracy >= 0);
    QTemporaryDir dir;
    const auto path = dir.filePath(QStringLiteral("bn.pt"));
    t.save(path);
    const auto model = core::Classifier::fromFile(path);
    CHECK(model->network().text() == core::Network::parse(kBn).text());
    CHECK(model->info().config.optimizer == core::OptimizerKind::Sgd);
    CHECK(model->info().config.momentum == 0.8);
    CHECK(model->info().config.holdout == 100);
    CHECK(flatWeights(*model) == flatWeights(*t.snapshot()));

    // Its PyTorch export and model.py; read back as that network, refused as the tutorial's.
    const auto exported = dir.filePath(QStringLiteral("model.pt"));
    core::exportStateDict(*model, exported);
    const auto module = QString::fromStdString(core::pythonModule(model->network()));
    CHECK(module.contains(QStringLiteral("nn.BatchNorm2d(8)")));
    CHECK(QFileInfo::exists(dir.filePath(QStringLiteral("model.py"))));
    const auto net = core::Network::parse(kBn);
    CHECK(flatWeights(*core::Classifier::fromFile(exported, &net)) == flatWeights(*model));
    try {
        core::Classifier::fromFile(exported);
        FAIL("read as the tutorial's network");
    } catch (const core::CheckpointError &e) {
        CHECK(QString::fromUtf8(e.what()).contains(QStringLiteral("conv1.weight")));
    }
    const auto other = core::Network::parse(QStringLiteral("Conv2d(8,3,padding=1) BatchNorm2d ReLU MaxPool2d(2) Conv2d(16,5) LeakyReLU(0.1) "
                                                           "AvgPool2d(2) Dropout2d(0.2) Flatten BatchNorm1d Dropout(0.25) Linear(32) Tanh Linear(10)"));
    try {
        core::Classifier::fromFile(exported, &other);
        FAIL("read as another network");
    } catch (const core::CheckpointError &e) {
        CHECK(QString::fromUtf8(e.what()).contains(QStringLiteral("'4.weight' has shape")));
    }
    // ONNX of any network passes onnx::checker (inside onnxModelBytes).
    CHECK_NOTHROW(core::onnxModelBytes(model->network(), core::weights(*model)));
}

TEST_CASE("recipes: schedules and validation", "[network]")
{
    core::TrainConfig c;
    c.learningRate = 0.01;
    CHECK(c.learningRateAt(3, 7, 100) == 0.01);
    c.schedule = core::ScheduleKind::Step;
    c.stepEvery = 2;
    c.stepGamma = 0.5;
    CHECK(c.learningRateAt(2, 0, 100) == Approx(0.01));
    CHECK(c.learningRateAt(3, 0, 100) == Approx(0.005));
    c.schedule = core::ScheduleKind::OneCycle;
    c.epochs = 10;
    CHECK(c.learningRateAt(1, 0, 100) == Approx(0.01 / 25));
    CHECK(c.learningRateAt(3, 99, 100) == Approx(0.01).epsilon(0.01));
    CHECK(c.learningRateAt(10, 99, 100) < 1e-6);
    c.network = QStringLiteral("Conv2d(8,3) Linear(10)");
    CHECK(c.validate().startsWith(QStringLiteral("network: layer 2")));
    c.network.clear();
    c.augment.rotation = 90;
    CHECK(c.validate().contains(QStringLiteral("rotation")));
    CHECK_THROWS_AS(core::TrainConfig::preset(QStringLiteral("nope")), core::ConfigError);
}

TEST_CASE("cli: arch prints the table or names the layer at fault; train --arch trains that network", "[network][cli]")
{
    QTemporaryDir dir;
    const auto out = dir.filePath(QStringLiteral("net.pt"));
    // In this process, but for one real process of the executable's arch (its usage error).
    const auto results = clitest::cliAll(
        {{QStringLiteral("arch"), QStringLiteral("Conv2d(8,3) ReLU MaxPool2d(2) Flatten Linear(10)")},
         {QStringLiteral("arch"), QStringLiteral("Conv2d(8,3) Linear(10)")},
         {QStringLiteral("train"), QStringLiteral("--arch"), QStringLiteral("Conv2d(4,5) BatchNorm2d ReLU MaxPool2d(2) Flatten Linear(10)"),
          QStringLiteral("--optimizer"), QStringLiteral("sgd"), QStringLiteral("--lr"), QStringLiteral("0.05"), QStringLiteral("--epochs"),
          QStringLiteral("1"), QStringLiteral("--train-limit"), QStringLiteral("500"), QStringLiteral("--test-limit"), QStringLiteral("200"),
          QStringLiteral("--holdout"), QStringLiteral("100"),
          QStringLiteral("--data"), testsupport::mnistDir(), QStringLiteral("--no-record"), QStringLiteral("--out"), out}},
        {1});
    const auto &table = results[0].out;
    CHECK(results[0].code == 0);
    CHECK(table.contains(QStringLiteral("3 MaxPool2d(2)")));
    CHECK(table.contains(QStringLiteral("8x13x13")));
    CHECK(table.contains(QStringLiteral("13610"))); // 8*9+8 + 1352*10+10 parameters

    CHECK(results[1].code == 2);
    CHECK(results[1].err.contains(QStringLiteral("layer 2, Linear(10)")));

    INFO(results[2].err.toStdString());
    REQUIRE(results[2].code == 0);
    // The held-out images' accuracy is printed each epoch, before the test set's.
    CHECK(results[2].out.contains(QRegularExpression(QStringLiteral("validation accuracy [0-9.]+%  test loss"))));
    const auto model = core::Classifier::fromFile(out);
    CHECK(model->network().text() == QStringLiteral("Conv2d(4,5) BatchNorm2d ReLU MaxPool2d(2) Flatten Linear(10)"));
    CHECK(model->info().config.optimizer == core::OptimizerKind::Sgd);
}

TEST_CASE("bundled models by name; import --arch/--preset; arch --preset prints the recipe", "[network][cli]")
{
    CHECK(core::Classifier::bundledNames() == QStringList{QStringLiteral("tutorial"), QStringLiteral("best")});
    CHECK(core::Classifier::defaultBundledName() == QStringLiteral("best"));
    CHECK(core::Classifier::bundled(QStringLiteral("tutorial"))->network().isTutorial());
    // The bundled best model is the `best` preset's network, trained with its recipe.
    const auto best = core::Classifier::bundled(QStringLiteral("best"));
    CHECK(best->network() == core::Network::preset(QStringLiteral("best")));
    CHECK(best->info().config.epochs == core::TrainConfig::preset(QStringLiteral("best")).epochs);
    CHECK(core::Classifier::bundledName(core::Classifier::bundledPath(QStringLiteral("best"))) == QStringLiteral("best"));
    CHECK_THROWS_AS(core::Classifier::bundled(QStringLiteral("nope")), core::CheckpointError);

    QTemporaryDir dir;
    const auto exported = dir.filePath(QStringLiteral("best.pt"));
    const auto results = clitest::cliAll(
        {{QStringLiteral("arch"), QStringLiteral("--preset"), QStringLiteral("fast")},
         {QStringLiteral("eval"), QStringLiteral("--bundled"), QStringLiteral("nope")},
         {QStringLiteral("eval"), QStringLiteral("--bundled"), QStringLiteral("best"), QStringLiteral("--checkpoint"), QStringLiteral("x.pt")},
         {QStringLiteral("export"), QStringLiteral("--bundled"), QStringLiteral("best"), QStringLiteral("--pytorch"), exported}});
    CHECK(results[0].code == 0);
    CHECK(results[0].out.contains(QStringLiteral("recipe: --epochs 2 --batch-size 128 --lr 0.006 --optimizer adam --schedule onecycle")));
    CHECK(results[1].code == 2);
    CHECK(results[1].err.contains(QStringLiteral("no bundled model \"nope\" (there are: tutorial, best)")));
    CHECK(results[2].code == 2);
    INFO(results[3].err.toStdString());
    REQUIRE(results[3].code == 0);

    // The bundled best model's weights, exported and imported as the preset's network, are the same model;
    // another network's import is refused naming the first tensor that does not fit.
    const auto imported = dir.filePath(QStringLiteral("imported.pt"));
    const auto refused = clitest::cliAll(
        {{QStringLiteral("import"), exported, QStringLiteral("--preset"), QStringLiteral("best"), QStringLiteral("--out"), imported},
         {QStringLiteral("import"), exported, QStringLiteral("--preset"), QStringLiteral("fast"), QStringLiteral("--out"), dir.filePath(QStringLiteral("no.pt"))}});
    REQUIRE(refused[0].code == 0);
    const auto model = core::Classifier::fromFile(imported);
    CHECK(model->network() == best->network());
    std::vector<float> pixels(core::kPixels);
    for (int i = 0; i < core::kPixels; ++i)
        pixels[std::size_t(i)] = float((i * 7) % 13) / 12.0f;
    CHECK(model->predict(pixels.data()).probabilities == best->predict(pixels.data()).probabilities);
    CHECK(refused[1].code == 1);
    CHECK(refused[1].err.contains(QStringLiteral("'0.weight'")));
}
