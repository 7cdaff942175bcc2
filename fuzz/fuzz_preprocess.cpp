// libFuzzer target: MNIST-style normalisation of arbitrary grayscale images (core::preprocess).
// Input: width, height (1..96 each: larger only repeats the same code paths, slower), a polarity
// byte, then pixels (zero-padded).
#include "core/preprocess.h"

#include <QImage>
#include <cmath>
#include <cstdint>
#include <cstdlib>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size)
{
    if (size < 3)
        return 0;
    const int w = 1 + data[0] % 96, h = 1 + data[1] % 96;
    const auto polarity = core::Polarity(data[2] % 3);
    QImage image(w, h, QImage::Format_Grayscale8);
    for (int y = 0; y < h; ++y)
        for (int x = 0; x < w; ++x) {
            const std::size_t i = 3 + std::size_t(y) * w + x;
            image.scanLine(y)[x] = i < size ? data[i] : 0;
        }
    const auto digit = core::preprocess::normalise(image, polarity);
    for (float v : digit.pixels)
        if (!std::isfinite(v) || v < 0.0f || v > 1.0f)
            std::abort(); // the network's input must stay in 0..1
    return 0;
}
