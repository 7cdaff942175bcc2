// libFuzzer target: the streaming IDX reader (raw and gzip). The input is split in two at a
// position given by its first byte: the image file and the label file.
#include "core/error.h"
#include "core/mnist.h"

#include <QByteArray>
#include <cstdint>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size)
{
    if (size < 1)
        return 0;
    const std::size_t split = std::min<std::size_t>(size - 1, std::size_t(data[0]) * 16);
    const QByteArray images(reinterpret_cast<const char *>(data + 1), qsizetype(split));
    const QByteArray labels(reinterpret_cast<const char *>(data + 1 + split), qsizetype(size - 1 - split));
    try {
        core::mnist::fromBytes(images, labels, QStringLiteral("images"), QStringLiteral("labels"));
    } catch (const core::MnistError &) {
    }
    return 0;
}
