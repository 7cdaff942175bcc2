// ONNX and PyTorch exports from DigitLab's side. The other side (onnx.checker, OpenCV dnn,
// PyTorch) runs in tests/interop/check_exports.py.
#include "core/classifier.h"
#include "core/export.h"
#include "core/inspect.h"
#include "clitestsupport.h"
#include "testsupport.h"

#include <QFile>
#include <QTemporaryDir>
#include <catch2/catch.hpp>


TEST_CASE("Export: the PyTorch state_dict reads back as the same model", "[export]")
{
    // DigitLab's own reader accepts a plain state_dict of the seed model: the round trip must
    // give the very same weights.
    QTemporaryDir dir;
    const auto path = dir.filePath(QStringLiteral("net.pt"));
    const auto model = core::Classifier::bundled();
    core::exportStateDict(*model, path);
    const auto back = core::Classifier::fromFile(path);
    const auto a = core::weights(*model), b = core::weights(*back);
    REQUIRE(a.size() == b.size());
    for (std::size_t i = 0; i < a.size(); ++i) {
        CHECK(a[i].first == b[i].first);
        CHECK(a[i].second.shape == b[i].second.shape);
        CHECK(a[i].second.values == b[i].second.values);
    }
}

TEST_CASE("Export: ONNX bytes are an ONNX model and bad weights are refused", "[export]")
{
    const auto model = core::Classifier::bundled();
    const auto bytes = core::onnxModelBytes(core::weights(*model));
    // A ModelProto holds all 21,840 float parameters as raw data plus a small graph.
    CHECK(bytes.size() > 21840 * sizeof(float));
    CHECK(bytes.size() < 21840 * sizeof(float) + 4096);
    CHECK(bytes.find("pixels") != std::string::npos);

    auto missing = core::weights(*model);
    missing.pop_back();
    CHECK_THROWS_WITH(core::onnxModelBytes(missing), Catch::Contains("fc2.bias"));
    auto misshaped = core::weights(*model);
    misshaped[0].second.shape = {10, 1, 25};
    CHECK_THROWS_WITH(core::onnxModelBytes(misshaped), Catch::Contains("conv1.weight"));
}

TEST_CASE("Export: an unwritable target is an error naming the file", "[export]")
{
    const auto model = core::Classifier::bundled();
    const QString bad = QStringLiteral("/nonexistent-dir/model.onnx");
    CHECK_THROWS_WITH(core::exportOnnx(*model, bad), Catch::Contains("/nonexistent-dir/model.onnx"));
    CHECK_THROWS_WITH(core::exportStateDict(*model, QStringLiteral("/nonexistent-dir/model.pt")),
                      Catch::Contains("/nonexistent-dir/model.pt"));
    CHECK_FALSE(QFile::exists(bad));
}

TEST_CASE("Export: digitlab-cli export writes both files and checks its options", "[export][cli]")
{
    QTemporaryDir dir;
    const auto onnx = dir.filePath(QStringLiteral("m.onnx"));
    const auto pt = dir.filePath(QStringLiteral("m.pt"));
    const auto missingCheckpointOnnx = dir.filePath(QStringLiteral("m2.onnx"));
    const auto results = clitest::cliAll({{QStringLiteral("export"), QStringLiteral("--onnx"), onnx, QStringLiteral("--pytorch"), pt},
                                          {QStringLiteral("export")},
                                          {QStringLiteral("export"), QStringLiteral("--onnx"), missingCheckpointOnnx,
                                           QStringLiteral("--checkpoint"), dir.filePath(QStringLiteral("missing.pt"))}});
    CHECK(results[0].code == 0);
    CHECK(QFile::exists(onnx));
    CHECK(QFile::exists(pt));
    CHECK(QFile(onnx).size() > 80000);
    CHECK(results[1].code == 2);
    CHECK(results[1].err.contains(QStringLiteral("--onnx")));
    CHECK(results[2].code == 1);
    CHECK(results[2].err.contains(QStringLiteral("missing.pt")));
    CHECK_FALSE(QFile::exists(missingCheckpointOnnx));
}
