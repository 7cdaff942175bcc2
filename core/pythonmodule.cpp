// The Python module written beside a PyTorch export (export.h): torch-free text generation.
#include "export.h"

#include <QDir>
#include <QFileInfo>
#include <sstream>

namespace core {

namespace {

/// A Python float literal that reads back as the same double.
std::string pyFloat(double v)
{
    std::ostringstream s;
    s.precision(17);
    s << v;
    std::string t = s.str();
    if (t.find_first_of(".eE") == std::string::npos)
        t += ".0";
    return t;
}

/// One layer as the PyTorch constructor call that builds it, input sizes filled in.
std::string constructor(const LayerReport &r)
{
    const auto &l = r.layer;
    const auto k = std::to_string(l.kernel), st = std::to_string(l.effectiveStride()), pad = std::to_string(l.padding);
    switch (l.kind) {
    case LayerKind::Conv2d:
        return "nn.Conv2d(" + std::to_string(r.in.channels) + ", " + std::to_string(l.out) + ", " + k + ", stride=" + st + ", padding=" + pad + ")";
    case LayerKind::MaxPool2d:
        return "nn.MaxPool2d(" + k + ", stride=" + st + ", padding=" + pad + ")";
    case LayerKind::AvgPool2d:
        return "nn.AvgPool2d(" + k + ", stride=" + st + ", padding=" + pad + ")";
    case LayerKind::BatchNorm2d:
        return "nn.BatchNorm2d(" + std::to_string(r.in.channels) + ")";
    case LayerKind::BatchNorm1d:
        return "nn.BatchNorm1d(" + std::to_string(r.in.channels) + ")";
    case LayerKind::ReLU:
        return "nn.ReLU()";
    case LayerKind::LeakyReLU:
        return "nn.LeakyReLU(" + pyFloat(l.slope) + ")";
    case LayerKind::Tanh:
        return "nn.Tanh()";
    case LayerKind::Dropout:
        return "nn.Dropout(" + pyFloat(l.p) + ")";
    case LayerKind::Dropout2d:
        return "nn.Dropout2d(" + pyFloat(l.p) + ")";
    case LayerKind::Flatten:
        return "nn.Flatten()";
    case LayerKind::Linear:
        return "nn.Linear(" + std::to_string(r.in.channels) + ", " + std::to_string(l.out) + ")";
    }
    return {};
}

// The PyTorch examples' Net, whose state_dict keys the tutorial preset keeps.
constexpr const char *kTutorialModule = R"(
import torch.nn as nn
import torch.nn.functional as F


class Net(nn.Module):
    """The PyTorch examples' MNIST network (DigitLab's preset 'tutorial')."""

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 10, kernel_size=5)
        self.conv2 = nn.Conv2d(10, 20, kernel_size=5)
        self.conv2_drop = nn.Dropout2d()
        self.fc1 = nn.Linear(320, 50)
        self.fc2 = nn.Linear(50, 10)

    def forward(self, x):
        x = F.relu(F.max_pool2d(self.conv1(x), 2))
        x = F.relu(F.max_pool2d(self.conv2_drop(self.conv2(x)), 2))
        x = x.view(-1, 320)
        x = F.relu(self.fc1(x))
        x = F.dropout(x, training=self.training)
        return self.fc2(x)


def build():
    """The network, untrained; load the exported weights with load_state_dict(strict=True)."""
    return Net()
)";

} // namespace

QString pythonModulePath(const QString &stateDictPath)
{
    const QFileInfo info(stateDictPath);
    return info.dir().filePath(info.completeBaseName() + QStringLiteral(".py"));
}

std::string pythonModule(const Network &network)
{
    const auto report = network.analyze(0);
    std::ostringstream s;
    s << "\"\"\"Written by DigitLab: the network " << network.text().toStdString() << "\n\n"
      << "Input: pixels [N,1,28,28] in 0..1, white ink on black. Output: logits [N,"
      << report.layers.back().out.channels << "].\n"
      << "    import torch, " << "model\n"
      << "    net = model.build()\n"
      << "    net.load_state_dict(torch.load(\"model.pt\"), strict=True)\n"
      << "    net.eval()\n\"\"\"\n";
    s << "\nNETWORK = \"" << network.text().toStdString() << "\"\n";
    if (network.isTutorial()) {
        s << kTutorialModule;
        return s.str();
    }
    s << "\nimport torch.nn as nn\n\n\ndef build():\n"
      << "    \"\"\"The network, untrained; load the exported weights with load_state_dict(strict=True).\"\"\"\n"
      << "    return nn.Sequential(\n";
    for (const auto &r : report.layers)
        s << "        " << constructor(r) << ",  # " << r.name().toStdString() << "\n";
    s << "    )\n";
    return s.str();
}

} // namespace core
